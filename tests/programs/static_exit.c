/*
 * static_exit.c — linked with -static by tests/test_static.py: how a static
 * program ends.  static_exit exit N | signal N | sigkill
 * (sigkill: write before.txt, then SIGKILL itself; after.txt never appears)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int fd = open("before.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "before\n", 7) != 7)
        return 90;
    close(fd);
    if (!strcmp(argv[1], "exit"))
        return atoi(argv[2]);
    if (!strcmp(argv[1], "signal")) {
        signal(atoi(argv[2]), SIG_DFL);
        raise(atoi(argv[2]));
        return 91;
    }
    kill(getpid(), SIGKILL);
    fd = open("after.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    return 92;
}

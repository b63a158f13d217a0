/* t_exec_fail.c — a routed exec that fails, then one that works:
 * execv(argv[1]) (a static program it may not execute), create after.txt,
 * then execv(argv[2], argv + 2). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    execv(argv[1], argv + 1);
    int e = errno;
    int fd = open("after.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, "x", 1) != 1)
            return 3;
        close(fd);
    }
    printf("first exec failed: errno=%d\n", e);
    fflush(stdout);
    execv(argv[2], argv + 2);
    perror("execv");
    return 1;
}

/* sigkill: writes files, then is killed by SIGKILL mid-run. */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

int main(void) {
    int a = open("before_1.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(a, "one\n", 4);
    close(a);
    int b = open("before_2.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(b, "two\n", 4);                   /* left open on purpose */
    int c = open("input.txt", O_RDONLY);
    char buf[16];
    read(c, buf, sizeof buf);
    kill(getpid(), SIGKILL);
    int never = open("after.txt", O_WRONLY | O_CREAT, 0644);
    return never < 0;
}

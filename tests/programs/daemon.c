/* daemon: classic double fork.  The grandchild writes its file after the
 * original process and the intermediate child have exited. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    pid_t child = fork();
    if (child < 0) return 1;
    if (child > 0) {
        waitpid(child, NULL, 0);
        return 0;                       /* the original process exits at once */
    }
    setsid();
    pid_t grandchild = fork();
    if (grandchild != 0) _exit(0);      /* intermediate child */
    int nul = open("/dev/null", O_RDWR);
    dup2(nul, 0); dup2(nul, 1); dup2(nul, 2);
    struct timespec ts = {0, 400 * 1000 * 1000};
    nanosleep(&ts, NULL);
    char buf[64] = {0};
    int in = open("input.txt", O_RDONLY);
    ssize_t n = read(in, buf, sizeof buf);
    close(in);
    int out = open("daemon_out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (n > 0) write(out, buf, (size_t)n);
    close(out);
    return 0;
}

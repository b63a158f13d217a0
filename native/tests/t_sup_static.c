/*
 * t_sup_static.c — built with -static; what the supervisor must see inside:
 * *at calls relative to a directory fd, a write + rename + unlink, a second
 * thread opening a file, a fork whose child execs argv[2] (if given), and
 * the exit status argv[1] ("kill" = die of SIGSEGV instead).  Prints
 * "pid=<own pid> child=<child pid>" so the test can check pids are real.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void *thread_main(void *arg)
{
    (void)arg;
    int fd = open("thread.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, "t\n", 2) != 2)
            return NULL;
        close(fd);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    mkdir("d", 0755);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    int fd = openat(dfd, "x.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "hello\n", 6) != 6)
        return 90;
    close(fd);
    renameat(dfd, "x.txt", dfd, "y.txt");
    struct stat st;
    fstatat(dfd, "y.txt", &st, 0);
    fstat(dfd, &st); /* AT_EMPTY_PATH: let through by the filter, not logged */
    unlinkat(dfd, "missing", 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    pid_t child = fork();
    if (child == 0) {
        if (argc > 2)
            execv(argv[2], argv + 2);
        _exit(7);
    }
    int status;
    waitpid(child, &status, 0);
    printf("pid=%d child=%d child_status=%d\n", (int)getpid(), (int)child, status);
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "kill"))
        raise(SIGSEGV);
    return argc > 1 ? atoi(argv[1]) : 0;
}

/*
 * static_atthreads.c — linked with -static by tests/test_static.py: threads
 * making *at calls relative to a directory fd, then a fork whose child
 * re-execs this program ("child" mode).  Prints its real pids.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int dfd;

static void *worker(void *arg)
{
    int i = (int)(long)arg;
    char name[32], dest[32];
    snprintf(name, sizeof name, "t%d.txt", i);
    snprintf(dest, sizeof dest, "r%d.txt", i);
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, name, strlen(name)) < 0)
        exit(90);
    close(fd);
    struct stat st;
    if (fstatat(dfd, name, &st, 0) != 0 || renameat(dfd, name, dfd, dest) != 0)
        exit(91);
    fd = openat(dfd, dest, O_RDONLY | O_CLOEXEC);
    char buf[32];
    if (fd < 0 || read(fd, buf, sizeof buf) < 0)
        exit(92);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child")) {
        int fd = open("child.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dprintf(fd, "%d\n", (int)getpid());
        close(fd);
        return 0;
    }
    mkdir("out", 0755);
    dfd = open("out", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return 93;
    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    mkdirat(dfd, "sub", 0755);
    symlinkat("r1.txt", dfd, "link1");
    char target[64];
    ssize_t n = readlinkat(dfd, "link1", target, sizeof target);
    if (n <= 0)
        return 94;
    linkat(dfd, "r2.txt", dfd, "sub/hard2", 0);
    faccessat(dfd, "r3.txt", R_OK, 0);
    fchmodat(dfd, "r3.txt", 0600, 0);
    utimensat(dfd, "r3.txt", NULL, 0);
    unlinkat(dfd, "r0.txt", 0);
    unlinkat(dfd, "nonexistent", 0);
    if (fchdir(dfd) != 0)
        return 95;
    int fd = open("in_out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    close(fd);
    if (chdir("..") != 0)
        return 96;
    pid_t child = fork();
    if (child == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    printf("pid=%d child=%d\n", (int)getpid(), (int)child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

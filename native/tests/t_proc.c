/* t_proc.c — process creation paths: vfork+execve, vfork+_exit, fork+exit,
 * posix_spawn, system, env -i re-exec, clearenv+execlp, execvp. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int reap(pid_t p)
{
    int st = 0;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void)
{
    char *tru[] = {"true", NULL};
    pid_t p = vfork();
    if (p == 0) {
        execve("/bin/true", tru, environ);
        _exit(127);
    }
    printf("vfork+execve %d\n", reap(p));
    p = vfork();
    if (p == 0)
        _exit(3);
    printf("vfork+_exit %d\n", reap(p));
    p = fork();
    if (p == 0)
        exit(5);
    printf("fork+exit %d\n", reap(p));
    char *echo[] = {"echo", "spawned", NULL};
    if (posix_spawn(&p, "/bin/echo", NULL, NULL, echo, environ) == 0)
        printf("posix_spawn %d\n", reap(p));
    fflush(stdout);
    printf("system %d\n", WEXITSTATUS(system("echo from-system")));
    fflush(stdout);
    p = fork();
    if (p == 0) {
        execl("/usr/bin/env", "env", "-i", "/bin/cat", "/etc/hostname", (char *)NULL);
        _exit(127);
    }
    printf("env-i %d\n", reap(p));
    fflush(stdout);
    p = fork();
    if (p == 0) {
        clearenv();
        execlp("cat", "cat", "/etc/os-release", (char *)NULL);
        _exit(127);
    }
    reap(p);
    printf("clearenv+execlp done\n");
    fflush(stdout);
    p = fork();
    if (p == 0) {
        char *a[] = {"sh", "-c", "exit 7", NULL};
        execvp("sh", a);
        _exit(127);
    }
    printf("execvp %d\n", reap(p));
    return 0;
}

/*
 * t_filter.c — the seccomp filter of common/ptfilter.h, with no tracer:
 * RET_TRACE makes a call fail with ENOSYS, so in a child that installed it
 * the traced calls must fail that way and everything else must work.
 * Prints one line per check: "ok NAME" or "FAIL NAME".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptfilter.h"

static int fails = 0;
static void check(const char *name, int ok)
{
    printf("%s %s\n", ok ? "ok" : "FAIL", name);
    fails += !ok;
}

int main(void)
{
    struct sock_filter prog[PTF_MAX];
    int n = pt_filter_build(prog, PTF_MAX);
    check("filter builds", n > 20 && n < PTF_MAX);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct sock_fprog fp = {(unsigned short)n, prog};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, 1, 0, &fp)) {
            perror("seccomp");
            _exit(2);
        }
        struct stat st;
        long r;
        r = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
        check("openat is traced (ENOSYS without tracer)", r == -1 && errno == ENOSYS);
        r = syscall(SYS_newfstatat, 1, "", &st, AT_EMPTY_PATH);
        check("fstat-style newfstatat passes", r == 0);
        r = syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0);
        check("newfstatat of a path is traced", r == -1 && errno == ENOSYS);
        struct statx sx;
        r = syscall(SYS_statx, 1, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx);
        check("fstat-style statx passes", r == 0);
        r = syscall(SYS_statx, AT_FDCWD, "/", 0, STATX_BASIC_STATS, &sx);
        check("statx of a path is traced", r == -1 && errno == ENOSYS);
        r = syscall(SYS_fcntl, 1, F_GETFL);
        check("fcntl F_GETFL passes", r >= 0);
        r = syscall(SYS_fcntl, 1, F_DUPFD, 10);
        check("fcntl F_DUPFD is traced", r == -1 && errno == ENOSYS);
        r = syscall(SYS_close, 999);
        check("close is traced", r == -1 && errno == ENOSYS);
        r = syscall(SYS_getpid);
        check("getpid passes", r > 0);
        r = syscall(SYS_write, 1, "", 0);
        check("write passes", r == 0);
        r = syscall(SYS_io_uring_setup, 0, NULL);
        check("io_uring_setup is traced", r == -1 && errno == ENOSYS);
        r = syscall(SYS_execve, "/bin/true", NULL, NULL);
        check("execve is traced", r == -1 && errno == ENOSYS);
        r = syscall(SYS_unlinkat, AT_FDCWD, "/nonexistent", 0);
        check("unlinkat is traced", r == -1 && errno == ENOSYS);
        fflush(stdout);
        _exit(fails ? 1 : 0);
    }
    int status;
    waitpid(pid, &status, 0);
    return fails || !WIFEXITED(status) || WEXITSTATUS(status) ? 1 : 0;
}

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
#include <string.h>
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

/* A classic-BPF evaluator for the instructions the builder uses: the
 * program's answer for one seccomp_data, and how many steps it took. */
static unsigned run_filter(const struct sock_filter *f, int n, const struct seccomp_data *d,
                           int *steps)
{
    unsigned a = 0;
    *steps = 0;
    for (int pc = 0; pc >= 0 && pc < n; pc++) {
        const struct sock_filter *i = &f[pc];
        ++*steps;
        switch (i->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            memcpy(&a, (const char *)d + i->k, 4);
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            pc += a == i->k ? i->jt : i->jf;
            break;
        case BPF_JMP | BPF_JGE | BPF_K:
            pc += a >= i->k ? i->jt : i->jf;
            break;
        case BPF_JMP | BPF_JSET | BPF_K:
            pc += (a & i->k) ? i->jt : i->jf;
            break;
        case BPF_RET | BPF_K:
            return i->k;
        default:
            return 0xdeadu; /* an instruction the builder should not emit */
        }
    }
    return 0xbeefu; /* fell off the end */
}

static int is_traced(unsigned nr)
{
    static const unsigned traced[] = {PT_TRACED_SYSCALLS};
    for (unsigned i = 0; i < sizeof traced / sizeof *traced; i++)
        if (traced[i] == nr)
            return 1;
    return 0;
}

/* Every system call number, evaluated in user space against the list. */
static void check_exhaustive(const struct sock_filter *f, int n)
{
    struct seccomp_data d;
    int bad = 0, worst = 0, steps;
    for (unsigned nr = 0; nr < 1024; nr++) {
        if (nr == SYS_newfstatat || nr == SYS_statx || nr == SYS_fcntl || nr == SYS_execve ||
            nr == SYS_execveat)
            continue;
        memset(&d, 0, sizeof d);
        d.arch = AUDIT_ARCH_X86_64;
        d.nr = (int)nr;
        unsigned want = is_traced(nr) ? SECCOMP_RET_TRACE : SECCOMP_RET_ALLOW;
        bad += run_filter(f, n, &d, &steps) != want;
        worst = steps > worst ? steps : worst;
        d.nr = (int)(nr | 0x40000000u); /* x32: let through */
        bad += run_filter(f, n, &d, &steps) != SECCOMP_RET_ALLOW;
        d.nr = (int)nr;
        d.arch = AUDIT_ARCH_I386;
        bad += run_filter(f, n, &d, &steps) != SECCOMP_RET_ALLOW;
    }
    check("every syscall number gets the listed action (x86_64, x32, i386)", bad == 0);
    check("at most 12 steps to decide a number without argument checks", worst <= 12);
    memset(&d, 0, sizeof d);
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = SYS_execve;
    d.args[3] = PT_EXEC_COOKIE;
    check("execve with the cookie passes", run_filter(f, n, &d, &steps) == SECCOMP_RET_ALLOW);
    d.args[3] = PT_EXEC_COOKIE & 0xffffffffu;
    check("execve with half the cookie is traced", run_filter(f, n, &d, &steps) == SECCOMP_RET_TRACE);
    d.args[3] = PT_EXEC_COOKIE & ~0xffffffffull;
    check("execve with the other half is traced", run_filter(f, n, &d, &steps) == SECCOMP_RET_TRACE);
    d.nr = SYS_execveat;
    d.args[3] = 0;
    d.args[5] = PT_EXEC_COOKIE;
    check("execveat with the cookie passes", run_filter(f, n, &d, &steps) == SECCOMP_RET_ALLOW);
    d.args[5] = 7;
    check("execveat without it is traced", run_filter(f, n, &d, &steps) == SECCOMP_RET_TRACE);
    d.nr = SYS_fcntl;
    d.args[1] = F_SETFL;
    check("fcntl F_SETFL passes", run_filter(f, n, &d, &steps) == SECCOMP_RET_ALLOW);
    d.args[1] = F_DUPFD_CLOEXEC;
    check("fcntl F_DUPFD_CLOEXEC is traced", run_filter(f, n, &d, &steps) == SECCOMP_RET_TRACE);
}

int main(void)
{
    struct sock_filter prog[PTF_MAX];
    int n = pt_filter_build(prog, PTF_MAX);
    check("filter builds", n > 20 && n < PTF_MAX);
    check_exhaustive(prog, n);
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
        r = syscall(SYS_execve, "/nonexistent/x", NULL, NULL, PT_EXEC_COOKIE);
        check("execve with the cookie reaches the kernel", r == -1 && errno == ENOENT);
        r = syscall(SYS_unlinkat, AT_FDCWD, "/nonexistent", 0);
        check("unlinkat is traced", r == -1 && errno == ENOSYS);
        fflush(stdout);
        _exit(fails ? 1 : 0);
    }
    int status;
    waitpid(pid, &status, 0);
    return fails || !WIFEXITED(status) || WEXITSTATUS(status) ? 1 : 0;
}

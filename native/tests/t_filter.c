/*
 * t_filter.c — the seccomp filters of common/ptfilter.h.  Every syscall
 * number through a user-space evaluator (the all-RET_TRACE filter, the
 * notify filter and the lazy one); then, with no tracer, RET_TRACE makes a call fail
 * with ENOSYS, so in a child that installed it the traced calls must fail
 * that way and everything else must work; and a notify filter's listener
 * must see exactly the notified calls.
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

#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ptfilter.h"
#include "ptsup.h"

static int fails = 0;
static const char *g_prefix = ""; /* which program check_exhaustive is at */
static void check(const char *name, int ok)
{
    printf("%s %s%s\n", ok ? "ok" : "FAIL", g_prefix, name);
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

static int is_traced(unsigned nr) { return PTF_LISTED(nr, PT_TRACED_SYSCALLS); }

/* Every system call number, evaluated in user space against the lists.
 * kind: PT_FILTER_*; "traced" below means what RET_TRACE stands for in it. */
static void check_exhaustive(const struct sock_filter *f, int n, int kind)
{
    int notify = kind != PT_FILTER_TRACE, lazy = kind == PT_FILTER_LAZY;
    g_prefix = lazy ? "lazy: " : notify ? "notify: " : "trace: ";
    const unsigned NOTIF = notify ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_TRACE;
    const unsigned TRACE = lazy ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_TRACE;
    struct seccomp_data d;
    int bad = 0, worst = 0, steps;
    for (unsigned nr = 0; nr < 1024; nr++) {
        if (nr == SYS_newfstatat || nr == SYS_statx || nr == SYS_fcntl || nr == SYS_execve ||
            nr == SYS_execveat || nr == SYS_close || (notify && (nr == SYS_open || nr == SYS_openat)))
            continue;
        memset(&d, 0, sizeof d);
        d.arch = AUDIT_ARCH_X86_64;
        d.nr = (int)nr;
        unsigned want = (notify && ptf_notified(nr))                               ? NOTIF
                        : is_traced(nr) || (lazy && PTF_LISTED(nr, PT_LAZY_SYSCALLS)) ? TRACE
                                                                                     : SECCOMP_RET_ALLOW;
        bad += run_filter(f, n, &d, &steps) != want;
        worst = steps > worst ? steps : worst;
        d.nr = (int)(nr | 0x40000000u); /* x32: let through */
        bad += run_filter(f, n, &d, &steps) != SECCOMP_RET_ALLOW;
        d.nr = (int)nr;
        d.arch = AUDIT_ARCH_I386;
        bad += run_filter(f, n, &d, &steps) != SECCOMP_RET_ALLOW;
    }
    check("every syscall number gets the listed action (x86_64, x32, i386)", bad == 0);
    check("at most 13 steps to decide a number without argument checks", worst <= 13);
    memset(&d, 0, sizeof d);
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = SYS_execve;
    d.args[3] = PT_EXEC_COOKIE;
    check("execve with the cookie passes", run_filter(f, n, &d, &steps) == SECCOMP_RET_ALLOW);
    d.args[3] = PT_EXEC_COOKIE & 0xffffffffu;
    check("execve with half the cookie is traced", run_filter(f, n, &d, &steps) == TRACE);
    d.args[3] = PT_EXEC_COOKIE & ~0xffffffffull;
    check("execve with the other half is traced", run_filter(f, n, &d, &steps) == TRACE);
    d.nr = SYS_execveat;
    d.args[3] = 0;
    d.args[5] = PT_EXEC_COOKIE;
    check("execveat with the cookie passes", run_filter(f, n, &d, &steps) == SECCOMP_RET_ALLOW);
    d.args[5] = 7;
    check("execveat without it is traced", run_filter(f, n, &d, &steps) == TRACE);
    d.nr = SYS_fcntl;
    d.args[1] = F_SETFL;
    check("fcntl F_SETFL passes", run_filter(f, n, &d, &steps) == SECCOMP_RET_ALLOW);
    d.args[1] = F_DUPFD_CLOEXEC;
    check("fcntl F_DUPFD_CLOEXEC is traced", run_filter(f, n, &d, &steps) == TRACE);
    d.nr = SYS_newfstatat;
    d.args[3] = AT_EMPTY_PATH;
    check("newfstatat with AT_EMPTY_PATH passes", run_filter(f, n, &d, &steps) == SECCOMP_RET_ALLOW);
    d.args[3] = AT_SYMLINK_NOFOLLOW;
    check("newfstatat of a path is handed over", run_filter(f, n, &d, &steps) == NOTIF);
    d.nr = SYS_statx;
    d.args[2] = 0;
    d.args[3] = 0;
    check("statx of a path is handed over", run_filter(f, n, &d, &steps) == NOTIF);
    memset(&d, 0, sizeof d);
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = SYS_openat;
    d.args[2] = O_RDONLY | O_CLOEXEC | O_DIRECTORY;
    check("openat for reading is handed over", run_filter(f, n, &d, &steps) == NOTIF);
    d.args[2] = O_WRONLY | O_CREAT | O_TRUNC;
    check("openat for writing is handed over", run_filter(f, n, &d, &steps) == NOTIF);
    d.args[2] = O_PATH | O_NOFOLLOW;
    check("openat O_PATH is traced", run_filter(f, n, &d, &steps) == TRACE);
    d.args[2] = O_TMPFILE | O_RDWR;
    check("openat O_TMPFILE is traced", run_filter(f, n, &d, &steps) == TRACE);
    d.nr = SYS_open;
    d.args[1] = O_RDONLY | O_CREAT;
    check("open with O_CREAT is handed over", run_filter(f, n, &d, &steps) == NOTIF);
    d.args[1] = O_RDONLY | O_NOFOLLOW;
    check("open for reading is handed over", run_filter(f, n, &d, &steps) == NOTIF);
    d.args[1] = O_RDWR | O_APPEND;
    check("open O_RDWR is handed over", run_filter(f, n, &d, &steps) == NOTIF);
    d.args[1] = O_PATH;
    check("open O_PATH is traced", run_filter(f, n, &d, &steps) == TRACE);
    d.nr = SYS_close;
    d.args[5] = PT_EXEC_COOKIE;
    check("close with the cookie passes", run_filter(f, n, &d, &steps) == SECCOMP_RET_ALLOW);
    d.args[5] = PT_EXEC_COOKIE >> 32;
    check("close with half the cookie is handed over", run_filter(f, n, &d, &steps) == NOTIF);
    g_prefix = "";
}

/* Fork a child that installs a filter of kind, sends its listener back and
 * runs body (which _exits: 0 when its calls behaved); the parent answers
 * the first three notifications "continue", noting their numbers in seen.
 * Returns whether the listener came; *status is the child's. */
static int run_filtered(int kind, void (*body)(void), long seen[3], int *status)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        int listener;
        if (pt_filter_install(kind, &listener) != 0 || listener < 0)
            _exit(3);
        pt_sup_send_fd(sv[1], listener);
        pt_cookie_close(listener); /* passes unseen: the parent counts the rest */
        body();
    }
    close(sv[1]);
    char c;
    struct iovec io = {&c, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {0};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = sizeof u.buf;
    int fd = -1;
    if (recvmsg(sv[0], &m, 0) == 1 && CMSG_FIRSTHDR(&m))
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
    seen[0] = seen[1] = seen[2] = -1;
    for (int i = 0; fd >= 0 && i < 3; i++) {
        struct seccomp_notif req;
        struct seccomp_notif_resp resp;
        memset(&req, 0, sizeof req);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
            break;
        seen[i] = req.data.nr;
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    waitpid(pid, status, 0);
    if (fd >= 0)
        close(fd);
    close(sv[0]);
    return fd >= 0;
}

/* Under a notify filter: the notified calls work once answered, RET_TRACE
 * ones fail with ENOSYS (no tracer), fstat passes. */
static void notify_body(void)
{
    struct stat st;
    int ok = stat("/", &st) == 0;                                        /* notified */
    ok &= syscall(SYS_close, 12345) == -1 && errno == EBADF;            /* notified */
    ok &= access("/", F_OK) == 0;                                       /* notified */
    ok &= syscall(SYS_openat, AT_FDCWD, "/", O_PATH) == -1 && errno == ENOSYS; /* trace */
    ok &= syscall(SYS_newfstatat, 1, "", &st, AT_EMPTY_PATH) == 0;      /* passes */
    _exit(ok ? 0 : 4);
}

/* Under a lazy filter: a write open, a dup and a fork's clone all notified. */
static void lazy_body(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY); /* notified */
    int ok = fd >= 0 && syscall(SYS_dup, fd) > fd;                       /* notified */
    pid_t c = fork();                                                    /* notified */
    if (c == 0)
        _exit(0); /* (exit is not notified) */
    int st;
    ok &= c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st);
    _exit(ok ? 0 : 4);
}

static void check_listeners(void)
{
    long seen[3];
    int status = -1;
    check("the notify filter's listener comes back over SCM_RIGHTS",
          run_filtered(PT_FILTER_NOTIFY, notify_body, seen, &status));
    check("stat, close and access are notified, in order",
          seen[0] == SYS_newfstatat && seen[1] == SYS_close &&
              (seen[2] == SYS_access || seen[2] == SYS_faccessat || seen[2] == SYS_faccessat2));
    check("answered calls work, traced ones fail without a tracer, fstat passes",
          WIFEXITED(status) && WEXITSTATUS(status) == 0);
    status = -1;
    check("lazy: the listener comes back", run_filtered(PT_FILTER_LAZY, lazy_body, seen, &status));
    check("lazy: a write open, a dup and a fork's clone are notified, in order",
          seen[0] == SYS_openat && seen[1] == SYS_dup && (seen[2] == SYS_clone || seen[2] == SYS_clone3));
    check("lazy: answered \"continue\", they work", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    struct sock_filter prog[PTF_MAX];
    int n = pt_filter_build(prog, PTF_MAX, 1);
    check("notify filter builds", n > 20 && n < PTF_MAX);
    check_exhaustive(prog, n, PT_FILTER_NOTIFY);
    struct sock_filter lz[PTF_MAX];
    int nl = pt_filter_build(lz, PTF_MAX, PT_FILTER_LAZY);
    check("lazy filter builds", nl > 20 && nl < PTF_MAX);
    check_exhaustive(lz, nl, PT_FILTER_LAZY);
    check_listeners();
    n = pt_filter_build(prog, PTF_MAX, 0);
    check("filter builds", n > 20 && n < PTF_MAX);
#ifdef PT_FILTER_PREBUILT
    struct sock_filter pre[PTF_MAX], nb[PTF_MAX];
    int nn = pt_filter_build(nb, PTF_MAX, 1);
    check("the generated programs are the builder's (the build is up to date)",
          pt_filter_get(pre, 0) == n && !memcmp(pre, prog, (size_t)n * sizeof *prog) &&
              pt_filter_get(pre, 1) == nn && !memcmp(pre, nb, (size_t)nn * sizeof *nb) &&
              pt_filter_get(pre, 2) == nl && !memcmp(pre, lz, (size_t)nl * sizeof *lz));
#else
    check("the generated programs are included (build/gen/ptfilter_prog.h)", 0);
#endif
    check_exhaustive(prog, n, PT_FILTER_TRACE);
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

/*
 * ptfilter.h — the seccomp-bpf program that hands a traced process's file,
 * process and network system calls to provtrace-supervisor and lets
 * everything else run (SECCOMP_RET_ALLOW).
 * Shared by the preload library (installed by the exec wrapper just before
 * it execs a static/Go/foreign target) and the supervisor (root command).
 * Header-only, no allocation: the program is built into a caller's array.
 *
 * Two actions hand a call over.  SECCOMP_RET_TRACE stops the thread for
 * the supervisor's ptrace loop, which can also ask for the syscall-exit
 * stop (the result).  SECCOMP_RET_USER_NOTIF ("notify" filters, installed
 * with a listener fd that goes to the supervisor) is for the calls whose
 * record the supervisor completes at entry (close, the stat, access and
 * readlink families): it answers "continue" on the listener, which costs
 * the thread a third of a ptrace stop (the kernel wakes the supervisor on
 * the caller's CPU and back).  Calls that need their result stay on
 * RET_TRACE.
 *
 * fstat-style calls (newfstatat/statx with AT_EMPTY_PATH) are let through:
 * glibc implements fstat() with them and they name no file.  x32 and i386
 * numbers are let through (64-bit programs only: see docs/blind-spots.md).  A filter cannot
 * be removed, and RET_TRACE without a tracer (or USER_NOTIF without a
 * listener) fails the call with ENOSYS, so a filtered process must stay
 * traced for the rest of its life.
 */
#ifndef PTFILTER_H
#define PTFILTER_H

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* Traced (newfstatat, statx and fcntl get argument checks; execve and
 * execveat let the wrapper's PT_EXEC_COOKIE through).  chroot, pivot_root,
 * unshare and setns are seen only to know when a process may stop sharing
 * the supervisor's root and mounts (they are not recorded). */
#define PT_TRACED_SYSCALLS                                                                       \
    SYS_open, SYS_creat, SYS_openat, SYS_openat2, SYS_open_by_handle_at, SYS_stat, SYS_lstat,    \
        SYS_statfs, SYS_getxattr, SYS_lgetxattr, SYS_listxattr, SYS_llistxattr, SYS_access,      \
        SYS_faccessat, SYS_faccessat2, SYS_readlink, SYS_readlinkat, SYS_unlink, SYS_unlinkat,   \
        SYS_rmdir, SYS_mkdir, SYS_mkdirat, SYS_mknod, SYS_mknodat, SYS_rename, SYS_renameat,     \
        SYS_renameat2, SYS_link, SYS_linkat, SYS_symlink, SYS_symlinkat, SYS_truncate,           \
        SYS_ftruncate, SYS_utime, SYS_utimes, SYS_utimensat, SYS_futimesat, SYS_chmod,           \
        SYS_fchmod, SYS_fchmodat, SYS_fchmodat2, SYS_chown, SYS_lchown, SYS_fchown,              \
        SYS_fchownat, SYS_setxattr, SYS_lsetxattr, SYS_removexattr, SYS_lremovexattr,            \
        SYS_chdir, SYS_fchdir, SYS_close, SYS_close_range, SYS_dup, SYS_dup2, SYS_dup3,          \
        SYS_pipe, SYS_pipe2, SYS_execve, SYS_execveat, SYS_connect, SYS_bind, SYS_accept,        \
        SYS_accept4, SYS_io_uring_setup, SYS_chroot, SYS_pivot_root, SYS_unshare, SYS_setns

/* The traced calls a notify filter hands over with RET_USER_NOTIF: their
 * records are complete at entry, or the supervisor makes the call itself
 * (supervisor/emul.c); newfstatat and statx with a path go the same way.
 * close passes when it carries PT_EXEC_COOKIE in args[5] (the exec wrapper
 * closing the listener and its socket). */
#define PT_NOTIFY_SYSCALLS                                                                       \
    SYS_close, SYS_close_range, SYS_stat, SYS_lstat, SYS_access, SYS_faccessat,                 \
        SYS_faccessat2, SYS_readlink, SYS_readlinkat, SYS_chroot, SYS_pivot_root, SYS_unshare,  \
        SYS_setns, SYS_unlink, SYS_unlinkat, SYS_rmdir, SYS_mkdir, SYS_mkdirat, SYS_rename,     \
        SYS_renameat, SYS_renameat2, SYS_link, SYS_linkat, SYS_symlink, SYS_symlinkat,          \
        SYS_chmod, SYS_fchmodat, SYS_chown, SYS_lchown, SYS_fchownat, SYS_utimensat,            \
        PT_SEEN_SYSCALLS

#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
/* Seen by notify filters only, and not recorded: after one of these the
 * supervisor no longer makes calls for the process (its credentials or
 * its access rules may differ from the supervisor's). */
#define PT_CRED_SYSCALLS                                                                         \
    SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setgroups, SYS_setresuid,           \
        SYS_setresgid, SYS_setfsuid, SYS_setfsgid, SYS_capset, SYS_landlock_restrict_self
/* Seen by notify filters only: those, and umask (the supervisor keeps each
 * process's umask for the files it creates for it). */
#define PT_SEEN_SYSCALLS PT_CRED_SYSCALLS, SYS_umask

#define PTF_MAX 160 /* instructions; the program is about 70 */

/* The three programs (pt_filter_build's kind):
 * PT_FILTER_TRACE   every traced call RET_TRACE (kernels without listeners,
 *                   PROVTRACE_NOTIFY=0);
 * PT_FILTER_NOTIFY  PT_NOTIFY_SYSCALLS and read opens RET_USER_NOTIF, the
 *                   rest RET_TRACE (a process the supervisor seized first);
 * PT_FILTER_LAZY    every traced call RET_USER_NOTIF, and the calls that make
 *                   processes and threads (PT_LAZY_SYSCALLS) too: for a
 *                   process the supervisor has not seized, and seizes only
 *                   when a call needs it (a leaf program never pays for
 *                   ptrace).  A lazy filter must never meet RET_TRACE. */
enum { PT_FILTER_TRACE = 0, PT_FILTER_NOTIFY = 1, PT_FILTER_LAZY = 2 };
/* (rt_sigaction: a handler without SA_RESTART is a reason to seize too, see
 * supervisor/trace.c) */
#define PT_FORK_SYSCALLS SYS_fork, SYS_vfork, SYS_clone, SYS_clone3
#define PT_LAZY_SYSCALLS PT_FORK_SYSCALLS, SYS_rt_sigaction

/* An exec wrapper whose thread the supervisor has just seized execs with
 * this value in the otherwise unused last argument register (args[3] of
 * execve, args[5] of execveat): that one call passes the filter (its record
 * is the wrapper's), which saves the supervisor a stop per routed exec.  Any
 * other exec stops as usual; a program would have to leave exactly these 64
 * bits there by chance to pass unseen. */
#define PT_EXEC_COOKIE 0x9c3a5e17d40b6f25ull

/* Internal: jump targets while building (absolute indices or a label). */
enum { PTF_NEXT = -1, PTF_TRACE = -2, PTF_ALLOW = -3, PTF_NOTIF = -4, PTF_SPECIAL = -5 /* - k */ };
enum { PTF_S_FSTATAT, PTF_S_STATX, PTF_S_FCNTL, PTF_S_EXECVE, PTF_S_EXECVEAT, PTF_S_CLOSE,
       PTF_S_OPEN, PTF_S_OPENAT, PTF_NSPECIAL };

/* open flags that make an open more than a read (a write open may wait on
 * a FIFO natively, so it is never restarted after a signal). */
#define PT_O_TMPFILE_BIT 020000000 /* O_TMPFILE without O_DIRECTORY */
#define PT_OPEN_WRITE_FLAGS (O_ACCMODE | O_CREAT | O_TRUNC | PT_O_TMPFILE_BIT)
/* Opens that stay RET_TRACE under a notify filter: an O_PATH fd cannot be
 * handed over, and O_TMPFILE is left to the kernel.  The others are handed
 * over, and the supervisor opens (or creates) the file for the thread
 * (supervisor/emul.c); an open for writing only once the thread has its
 * exit stop, which its first one switches on through the wait loop. */
#define PT_OPEN_TRACE_FLAGS (O_PATH | PT_O_TMPFILE_BIT)

struct ptf_builder {
    struct sock_filter *f;
    int n, cap;
    int jt[PTF_MAX], jf[PTF_MAX]; /* absolute targets, or PTF_* */
};

/* A run of system call numbers [lo, next segment's lo) with one action. */
struct ptf_seg {
    unsigned lo;
    int act; /* PTF_TRACE, PTF_NOTIF, PTF_ALLOW or PTF_SPECIAL - k */
};

static inline void ptf_emit(struct ptf_builder *b, unsigned short code, unsigned k, int jt, int jf)
{
    if (b->n < b->cap && b->n < PTF_MAX) {
        struct sock_filter ins = {code, 0, 0, k};
        b->f[b->n] = ins;
        b->jt[b->n] = jt;
        b->jf[b->n] = jf;
    }
    b->n++;
}

/* System call numbers the kernel's cache of always-allowed calls covers
 * (x86-64 has about 460; a margin for new ones). */
#define PTF_NR_SPAN 512u

/* Binary search over the segments [i, j): one JGE per level, leaves are the
 * actions themselves.  Returns where control goes for this subtree.  The
 * split balances the numbers on either side, not the segments: when the
 * filter is installed the kernel runs it once per number (to cache the
 * always-allowed ones, inside the seccomp() call of every routed exec), so
 * the long runs of allowed numbers are found after few comparisons.  w[k]:
 * numbers below segment k's start (below PTF_NR_SPAN). */
static inline int ptf_tree(struct ptf_builder *b, const struct ptf_seg *s, const unsigned *w, int i, int j)
{
    if (j - i == 1)
        return s[i].act;
    int mid = i + 1;
    long best = -1;
    for (int k = i + 1; k < j; k++) { /* |left - right| smallest */
        long d = 2 * (long)w[k] - (long)w[i] - (long)w[j];
        d = d < 0 ? -d : d;
        if (best < 0 || d < best) {
            best = d;
            mid = k;
        }
    }
    int at = b->n;
    ptf_emit(b, BPF_JMP | BPF_JGE | BPF_K, s[mid].lo, 0, 0);
    int left = ptf_tree(b, s, w, i, mid);
    int right = ptf_tree(b, s, w, mid, j);
    if (at < PTF_MAX) {
        b->jt[at] = right;
        b->jf[at] = left;
    }
    return at;
}

/* (open's flag test matters to notify filters only: under the trace filter
 * every open is RET_TRACE, under the lazy one every open RET_USER_NOTIF) */
static inline int ptf_special_of(unsigned nr, int kind)
{
    switch (nr) {
    case SYS_open:
        return kind == PT_FILTER_NOTIFY ? PTF_S_OPEN : -1;
    case SYS_openat:
        return kind == PT_FILTER_NOTIFY ? PTF_S_OPENAT : -1;
    case SYS_newfstatat:
        return PTF_S_FSTATAT;
    case SYS_statx:
        return PTF_S_STATX;
    case SYS_fcntl:
        return PTF_S_FCNTL;
    case SYS_execve:
        return PTF_S_EXECVE;
    case SYS_execveat:
        return PTF_S_EXECVEAT;
    case SYS_close:
        return PTF_S_CLOSE;
    }
    return -1;
}

/* Is nr one of the n numbers of list? */
static inline int ptf_listed(long nr, const unsigned *list, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if ((long)list[i] == nr)
            return 1;
    return 0;
}
#define PTF_LISTED(nr, ...)                                                                      \
    ptf_listed((nr), (const unsigned[]){__VA_ARGS__},                                            \
               sizeof((const unsigned[]){__VA_ARGS__}) / sizeof(unsigned))

static inline int ptf_notified(long nr) { return PTF_LISTED(nr, PT_NOTIFY_SYSCALLS); }

#define PTF_LD(field) ptf_emit(&b, BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, field), 0, 0)
#define PTF_ARG(i, hi)                                                                            \
    ptf_emit(&b, BPF_LD | BPF_W | BPF_ABS,                                                         \
             (unsigned)(offsetof(struct seccomp_data, args[i]) + ((hi) ? 4 : 0)), 0, 0)

/* Build the program into out[cap]; returns its length, or -1.
 *
 * The kernel runs a new filter once per system call number when it is
 * installed (to cache the numbers it always allows), inside the seccomp()
 * call of every routed exec; so the program is kept short and shallow: the
 * traced numbers are merged into runs and found by a balanced tree of JGEs
 * (balanced by the numbers each side covers), and only a few numbers look
 * at an argument.  kind:
 * PT_FILTER_* above. */
static inline int pt_filter_build(struct sock_filter *out, int cap, int kind)
{
    int notify = kind != PT_FILTER_TRACE, lazy = kind == PT_FILTER_LAZY;
    unsigned nr[] = {PT_TRACED_SYSCALLS, SYS_newfstatat, SYS_statx, SYS_fcntl, PT_SEEN_SYSCALLS,
                     PT_LAZY_SYSCALLS};
    int n = (int)(sizeof nr / sizeof *nr);
    if (!lazy)
        n -= (int)(sizeof((unsigned[]){PT_LAZY_SYSCALLS}) / sizeof(unsigned));
    if (!notify) /* the credential and umask calls matter to notify filters only */
        n -= (int)(sizeof((unsigned[]){PT_SEEN_SYSCALLS}) / sizeof(unsigned));
    for (int i = 1; i < n; i++) /* insertion sort: tiny, and no libc needed */
        for (int j = i; j > 0 && nr[j - 1] > nr[j]; j--) {
            unsigned t = nr[j];
            nr[j] = nr[j - 1];
            nr[j - 1] = t;
        }
    /* segments: gaps ALLOW, runs of traced numbers TRACE (or NOTIF), specials alone */
    struct ptf_seg seg[2 * (sizeof nr / sizeof *nr) + 2];
    int ns = 0;
    seg[ns].lo = 0;
    seg[ns++].act = PTF_ALLOW;
    unsigned end = 0; /* first number not covered by the segments so far */
    for (int i = 0; i < n; i++) {
        unsigned x = nr[i];
        if (i && x == nr[i - 1])
            continue;
        int sp = ptf_special_of(x, kind);
        int act = sp >= 0                            ? PTF_SPECIAL - sp
                  : (lazy || (notify && ptf_notified(x))) ? PTF_NOTIF
                                                          : PTF_TRACE;
        if (x > end && seg[ns - 1].act != PTF_ALLOW) {
            seg[ns].lo = end;
            seg[ns++].act = PTF_ALLOW;
        }
        if (seg[ns - 1].lo == x)
            seg[ns - 1].act = act; /* replaces an empty gap */
        else if (!((act == PTF_TRACE || act == PTF_NOTIF) && seg[ns - 1].act == act && x == end)) {
            seg[ns].lo = x;
            seg[ns++].act = act;
        }
        end = x + 1;
    }
    seg[ns].lo = end; /* beyond the last traced number (x32 numbers too) */
    seg[ns++].act = PTF_ALLOW;

    struct ptf_builder b;
    b.f = out;
    b.n = 0;
    b.cap = cap;
    PTF_LD(arch);
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, PTF_NEXT, PTF_ALLOW);
    PTF_LD(nr);
    unsigned w[sizeof seg / sizeof *seg + 1];
    for (int k = 0; k <= ns; k++)
        w[k] = k == ns ? PTF_NR_SPAN : seg[k].lo < PTF_NR_SPAN ? seg[k].lo : PTF_NR_SPAN;
    ptf_tree(&b, seg, w, 0, ns);
    int special_at[PTF_NSPECIAL];
    int entry = notify ? PTF_NOTIF : PTF_TRACE; /* calls complete at entry */
    /* One flag test each: newfstatat(fd, path, buf, flags) and statx(fd, path, flags, ..)
     * are fstat with AT_EMPTY_PATH; open(path, flags) and openat(dirfd, path, flags)
     * go to the supervisor unless O_PATH or O_TMPFILE. */
    const struct {
        int special, arg;
        unsigned mask;
        int set, clear;
    } tests[] = {{PTF_S_FSTATAT, 3, AT_EMPTY_PATH, PTF_ALLOW, entry},
                 {PTF_S_STATX, 2, AT_EMPTY_PATH, PTF_ALLOW, entry},
                 {PTF_S_OPEN, 1, PT_OPEN_TRACE_FLAGS, PTF_TRACE, entry},
                 {PTF_S_OPENAT, 2, PT_OPEN_TRACE_FLAGS, PTF_TRACE, entry}};
    for (unsigned k = 0; k < sizeof tests / sizeof *tests; k++) {
        int open_test = tests[k].special == PTF_S_OPEN || tests[k].special == PTF_S_OPENAT;
        if (open_test && kind != PT_FILTER_NOTIFY)
            continue; /* (no jump leads here: see ptf_special_of) */
        special_at[tests[k].special] = b.n;
        PTF_ARG(tests[k].arg, 0);
        ptf_emit(&b, BPF_JMP | BPF_JSET | BPF_K, tests[k].mask, tests[k].set, tests[k].clear);
    }
    /* fcntl(fd, cmd, ...): only the commands that change the fd table */
    special_at[PTF_S_FCNTL] = b.n;
    PTF_ARG(1, 0);
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, F_DUPFD, PTF_TRACE, PTF_NEXT);
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, F_DUPFD_CLOEXEC, PTF_TRACE, PTF_NEXT);
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, F_SETFD, PTF_TRACE, PTF_ALLOW);
    /* execve(path, argv, envp) / execveat(.., flags) / close(fd): the wrapper's cookie passes */
    for (int k = 0; k < 3; k++) {
        int other = k == 2 ? entry : PTF_TRACE;
        special_at[k == 2 ? PTF_S_CLOSE : k ? PTF_S_EXECVEAT : PTF_S_EXECVE] = b.n;
        PTF_ARG(k ? 5 : 3, 0);
        ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, (unsigned)PT_EXEC_COOKIE, PTF_NEXT, other);
        PTF_ARG(k ? 5 : 3, 1);
        ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, (unsigned)(PT_EXEC_COOKIE >> 32), PTF_ALLOW, other);
    }
    int notif_at = b.n;
    if (notify)
        ptf_emit(&b, BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF, 0, 0);
    int trace_at = lazy ? notif_at : b.n; /* (write opens, fcntl, execs: notified too) */
    if (!lazy)
        ptf_emit(&b, BPF_RET | BPF_K, SECCOMP_RET_TRACE, 0, 0);
    int allow_at = b.n;
    ptf_emit(&b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
    if (b.n > cap || b.n > PTF_MAX)
        return -1;
    for (int i = 0; i < b.n; i++) {
        if (BPF_CLASS(out[i].code) != BPF_JMP)
            continue;
        int t[2] = {b.jt[i], b.jf[i]};
        for (int k = 0; k < 2; k++) {
            int dst = t[k] == PTF_NEXT    ? i + 1
                      : t[k] == PTF_TRACE ? trace_at
                      : t[k] == PTF_ALLOW ? allow_at
                      : t[k] == PTF_NOTIF ? notif_at
                      : t[k] <= PTF_SPECIAL ? special_at[PTF_SPECIAL - t[k]]
                                            : t[k];
            int rel = dst - (i + 1);
            if (rel < 0 || rel > 255)
                return -1;
            if (k == 0)
                out[i].jt = (unsigned char)rel;
            else
                out[i].jf = (unsigned char)rel;
        }
    }
    return b.n;
}

#undef PTF_LD
#undef PTF_ARG

/* Raw system calls (no errno, no wrappers: the preload library's own calls
 * must not be logged): the result, or -errno. */
static inline long ptf_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define ptf_sys3(n, a, b, c) ptf_sys6((n), (a), (b), (c), 0, 0, 0)

/* close(fd) that a filter lets through unseen (see PT_NOTIFY_SYSCALLS). */
static inline long pt_cookie_close(int fd)
{
    return ptf_sys6(SYS_close, fd, 0, 0, 0, 0, (long)PT_EXEC_COOKIE);
}

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

#if defined(__has_include)
#if __has_include("ptfilter_prog.h")
#include "ptfilter_prog.h" /* generated at build time: pt_prog_trace, _notify, _lazy */
#endif
#endif

/* The program (prebuilt when the build generated it) into prog[]; length or -1. */
static inline int pt_filter_get(struct sock_filter *prog, int kind)
{
#ifdef PT_FILTER_PREBUILT
    const struct sock_filter *src = kind == PT_FILTER_LAZY     ? pt_prog_lazy
                                    : kind == PT_FILTER_NOTIFY ? pt_prog_notify
                                                               : pt_prog_trace;
    int n = kind == PT_FILTER_LAZY     ? (int)(sizeof pt_prog_lazy / sizeof *pt_prog_lazy)
            : kind == PT_FILTER_NOTIFY ? (int)(sizeof pt_prog_notify / sizeof *pt_prog_notify)
                                       : (int)(sizeof pt_prog_trace / sizeof *pt_prog_trace);
    for (int i = 0; i < n; i++)
        prog[i] = src[i];
    return n;
#else
    return pt_filter_build(prog, PTF_MAX, kind);
#endif
}

/* Install the program of kind in the calling thread (no_new_privs first,
 * as an unprivileged process must).  SECCOMP_FILTER_FLAG_SPEC_ALLOW keeps
 * the program's speculation settings as they were natively.  A notify or
 * lazy program comes with a listener: *listener gets its fd (for the
 * supervisor).  Where the kernel refuses one, a notify kind falls back to
 * the all-RET_TRACE program (*listener = -1); a lazy one fails, installing
 * nothing.  0 or -errno. */
static inline int pt_filter_install(int kind, int *listener)
{
    struct sock_filter prog[PTF_MAX];
    *listener = -1;
    long r = ptf_sys3(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0);
    if (r != 0)
        return (int)r;
    if (kind != PT_FILTER_TRACE) {
        int n = pt_filter_get(prog, kind);
        struct sock_fprog fp = {(unsigned short)n, prog};
        if (n > 0) {
            /* WAIT_KILLABLE_RECV (5.19): once the supervisor has the notification,
             * only a fatal signal interrupts the wait, so an answer always
             * reaches the thread (a call the supervisor made is never made
             * again, and calls that never fail with EINTR do not start to) */
            r = ptf_sys3(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                         SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER |
                             SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                         (long)&fp);
            if (r >= 0) {
                *listener = (int)r;
                return 0;
            }
        }
        if (kind == PT_FILTER_LAZY)
            return n > 0 ? (int)r : -22;
    }
    int n = pt_filter_get(prog, PT_FILTER_TRACE);
    if (n < 0)
        return -22; /* EINVAL */
    struct sock_fprog fp = {(unsigned short)n, prog};
    r = ptf_sys3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, (long)&fp);
    if (r == -22) /* a kernel older than 4.17 */
        r = ptf_sys3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&fp);
    return (int)r;
}

#endif

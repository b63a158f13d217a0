/*
 * ptfilter.h — the seccomp-bpf program that hands a traced process's file,
 * process and network system calls to provtrace-supervisor
 * (SECCOMP_RET_TRACE) and lets everything else run (SECCOMP_RET_ALLOW).
 * Shared by the preload library (installed by the exec wrapper just before
 * it execs a static/Go/foreign target) and the supervisor (root command).
 * Header-only, no allocation: the program is built into a caller's array.
 *
 * fstat-style calls (newfstatat/statx with AT_EMPTY_PATH) are let through:
 * glibc implements fstat() with them and they name no file.  A filter cannot
 * be removed, and RET_TRACE without a tracer fails the call with ENOSYS, so
 * a filtered process must stay traced for the rest of its life.
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

/* Traced unconditionally (newfstatat, statx and fcntl get argument checks). */
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
        SYS_accept4, SYS_io_uring_setup

#define PTF_MAX 320 /* instructions; the program is about 170 */

/* Internal: jump targets while building (absolute indices or a label). */
enum { PTF_NEXT = -1, PTF_TRACE = -2, PTF_ALLOW = -3 };

struct ptf_builder {
    struct sock_filter *f;
    int n, cap;
    int jt[PTF_MAX], jf[PTF_MAX]; /* absolute targets, or PTF_* */
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

/* Binary search over sorted numbers nr[lo, hi): TRACE on a match, else ALLOW. */
static inline void ptf_tree(struct ptf_builder *b, const unsigned *nr, int lo, int hi)
{
    if (hi - lo <= 4) {
        for (int i = lo; i < hi; i++)
            ptf_emit(b, BPF_JMP | BPF_JEQ | BPF_K, nr[i], PTF_TRACE,
                     i + 1 < hi ? PTF_NEXT : PTF_ALLOW);
        return;
    }
    int mid = (lo + hi) / 2;
    int at = b->n;
    ptf_emit(b, BPF_JMP | BPF_JGE | BPF_K, nr[mid], 0, PTF_NEXT);
    ptf_tree(b, nr, lo, mid);
    if (at < PTF_MAX)
        b->jt[at] = b->n; /* right half starts here */
    ptf_tree(b, nr, mid, hi);
}

#define PTF_LD(field) ptf_emit(&b, BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, field), 0, 0)
#define PTF_ARG_LO(i) ptf_emit(&b, BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, args[i]), 0, 0)

/* Build the program into out[cap]; returns its length, or -1. */
static inline int pt_filter_build(struct sock_filter *out, int cap)
{
    unsigned nr[] = {PT_TRACED_SYSCALLS};
    int n = (int)(sizeof nr / sizeof *nr);
    for (int i = 1; i < n; i++) /* insertion sort: tiny, and no libc needed */
        for (int j = i; j > 0 && nr[j - 1] > nr[j]; j--) {
            unsigned t = nr[j];
            nr[j] = nr[j - 1];
            nr[j - 1] = t;
        }
    struct ptf_builder b;
    b.f = out;
    b.n = 0;
    b.cap = cap;
    PTF_LD(arch);
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, PTF_NEXT, PTF_ALLOW);
    PTF_LD(nr);
    ptf_emit(&b, BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, PTF_ALLOW, PTF_NEXT); /* x32 */
    /* newfstatat(fd, path, buf, flags): fstat when AT_EMPTY_PATH */
    int a = b.n;
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, PTF_NEXT, 0);
    PTF_ARG_LO(3);
    ptf_emit(&b, BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, PTF_ALLOW, PTF_TRACE);
    if (a < PTF_MAX)
        b.jf[a] = b.n;
    /* statx(fd, path, flags, mask, buf) */
    a = b.n;
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, SYS_statx, PTF_NEXT, 0);
    PTF_ARG_LO(2);
    ptf_emit(&b, BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, PTF_ALLOW, PTF_TRACE);
    if (a < PTF_MAX)
        b.jf[a] = b.n;
    /* fcntl(fd, cmd, ...): only the commands that change the fd table */
    a = b.n;
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, SYS_fcntl, PTF_NEXT, 0);
    PTF_ARG_LO(1);
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, F_DUPFD, PTF_TRACE, PTF_NEXT);
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, F_DUPFD_CLOEXEC, PTF_TRACE, PTF_NEXT);
    ptf_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, F_SETFD, PTF_TRACE, PTF_ALLOW);
    if (a < PTF_MAX)
        b.jf[a] = b.n;
    ptf_tree(&b, nr, 0, n);
    int trace_at = b.n;
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
            int dst = t[k] == PTF_NEXT ? i + 1 : t[k] == PTF_TRACE ? trace_at
                                               : t[k] == PTF_ALLOW ? allow_at : t[k];
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
#undef PTF_ARG_LO

#endif

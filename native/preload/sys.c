/*
 * sys.c — the variadic syscall() wrapper.  Programs (gcc, python) call file
 * syscalls through it directly; decode those numbers into the ordinary
 * records (open api PT_API_SYSCALL) and forward all six arguments unchanged.
 * execve/execveat go through the logged exec path; io_uring_setup is
 * flagged because io_uring file operations are invisible to every tracer.
 */
#include "pt.h"

#include <linux/openat2.h>
#include <stdarg.h>
#include <unistd.h>

static const char *S(long p) { return p ? (const char *)p : ""; }

static void decode(long n, long a, long b, long c, long d, long e, long r, int err)
{
    int er = r < 0 ? err : 0;
    switch (n) {
    case SYS_open: pt_log_open(AT_FDCWD, S(a), (int)b, c, PT_API_SYSCALL, r, err); break;
    case SYS_creat:
        pt_log_open(AT_FDCWD, S(a), O_CREAT | O_WRONLY | O_TRUNC, b, PT_API_SYSCALL, r, err);
        break;
    case SYS_openat: pt_log_open((int)a, S(b), (int)c, d, PT_API_SYSCALL, r, err); break;
    case SYS_openat2: {
        const struct open_how *h = (const struct open_how *)c;
        pt_log_open((int)a, S(b), h ? (int)h->flags : 0, h ? (long)h->mode : 0, PT_API_SYSCALL,
                    r, err);
        break;
    }
    case SYS_stat: pt_log(PT_OP_STAT, AT_FDCWD, r, er, 0, 0, PT_API_STAT, NULL, S(a), NULL); break;
    case SYS_lstat:
        pt_log(PT_OP_STAT, AT_FDCWD, r, er, AT_SYMLINK_NOFOLLOW, 0, PT_API_LSTAT, NULL, S(a), NULL);
        break;
    case SYS_newfstatat:
    case SYS_statx: {
        int fl = (int)(n == SYS_statx ? c : d);
        if (!((fl & AT_EMPTY_PATH) && !S(b)[0]))
            pt_log(PT_OP_STAT, (int)a, r, er, fl, 0,
                   n == SYS_statx ? PT_API_STATX : PT_API_FSTATAT, NULL, S(b), NULL);
        break;
    }
    case SYS_access:
        pt_log(PT_OP_ACCESS, AT_FDCWD, r, er, 0, b, PT_API_ACCESS_, NULL, S(a), NULL);
        break;
    case SYS_faccessat:
    case SYS_faccessat2:
        pt_log(PT_OP_ACCESS, (int)a, r, er, n == SYS_faccessat2 ? d : 0, c, PT_API_FACCESSAT,
               NULL, S(b), NULL);
        break;
    case SYS_unlink: pt_log(PT_OP_UNLINK, AT_FDCWD, r, er, 0, 0, 0, NULL, S(a), NULL); break;
    case SYS_rmdir:
        pt_log(PT_OP_UNLINK, AT_FDCWD, r, er, AT_REMOVEDIR, 0, PT_API_RMDIR, NULL, S(a), NULL);
        break;
    case SYS_unlinkat:
        pt_log(PT_OP_UNLINK, (int)a, r, er, c & AT_REMOVEDIR, 0, 0, NULL, S(b), NULL);
        break;
    case SYS_rename:
        pt_log(PT_OP_RENAME, AT_FDCWD, r, er, AT_FDCWD, 0, 0, NULL, S(a), S(b));
        break;
    case SYS_renameat:
    case SYS_renameat2:
        pt_log(PT_OP_RENAME, (int)a, r, er, c, n == SYS_renameat2 ? e : 0, 0, NULL, S(b), S(d));
        break;
    case SYS_mkdir: pt_log(PT_OP_MKDIR, AT_FDCWD, r, er, 0, b, 0, NULL, S(a), NULL); break;
    case SYS_mkdirat: pt_log(PT_OP_MKDIR, (int)a, r, er, 0, c, 0, NULL, S(b), NULL); break;
    case SYS_link: pt_log(PT_OP_LINK, AT_FDCWD, r, er, AT_FDCWD, 0, 0, NULL, S(a), S(b)); break;
    case SYS_linkat: pt_log(PT_OP_LINK, (int)a, r, er, c, e, 0, NULL, S(b), S(d)); break;
    case SYS_symlink:
        pt_log(PT_OP_SYMLINK, AT_FDCWD, r, er, 0, 0, 0, NULL, S(a), S(b));
        break;
    case SYS_symlinkat: pt_log(PT_OP_SYMLINK, (int)b, r, er, 0, 0, 0, NULL, S(a), S(c)); break;
    case SYS_chdir: pt_log(PT_OP_CHDIR, AT_FDCWD, r, er, 0, 0, 0, NULL, S(a), NULL); break;
    case SYS_fchdir: pt_log(PT_OP_CHDIR, (int)a, r, er, 0, 0, 0, NULL, NULL, NULL); break;
    case SYS_chmod: pt_log(PT_OP_CHMOD, AT_FDCWD, r, er, 0, b, 0, NULL, S(a), NULL); break;
    case SYS_fchmodat: pt_log(PT_OP_CHMOD, (int)a, r, er, 0, c, 0, NULL, S(b), NULL); break;
    case SYS_truncate: pt_log(PT_OP_TRUNCATE, AT_FDCWD, r, er, b, 0, 0, NULL, S(a), NULL); break;
    case SYS_readlink:
    case SYS_readlinkat:
        pt_log(PT_OP_READLINK, n == SYS_readlink ? AT_FDCWD : (int)a, r, er, 0, 0, 0, NULL,
               S(n == SYS_readlink ? a : b), NULL);
        break;
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
        if (r >= 0) {
            pt_wbit_set((int)r, pt_wbit_get((int)a));
            pt_log(PT_OP_DUP, (int)a, r, 0, n == SYS_dup3 ? (c & O_CLOEXEC) : 0, 0, 0, NULL, NULL,
                   NULL);
        }
        break;
    case SYS_io_uring_setup: pt_log(PT_OP_URING, -1, r, er, a, 0, 0, NULL, NULL, NULL); break;
    }
}

PT_EXPORT long syscall(long n, ...)
{
    static void *slot;
    long (*real)(long, ...) = (long (*)(long, ...))pt_real(&slot, "syscall");
    va_list ap;
    va_start(ap, n);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    if (!pt_on())
        return real(n, a, b, c, d, e, f);
    switch (n) {
    case 446: /* SYS_landlock_restrict_self: from now on the supervisor, which
               * stands outside this sandbox, must not make calls for anyone */
        if (pt_hdr)
            __atomic_fetch_or(&pt_hdr->flags, PT_HDR_LANDLOCK, __ATOMIC_RELEASE);
        break;
    case SYS_execve:
        return pt_exec(PT_EXK_EXECVE, AT_FDCWD, (const char *)a, (char *const *)b,
                       (char *const *)c, 0);
    case SYS_execveat:
        return pt_exec(PT_EXK_EXECVEAT, (int)a, (const char *)b, (char *const *)c,
                       (char *const *)d, (int)e);
    case SYS_exit_group:
        pt_log_exit((int)a, PT_EXIT__EXIT);
        pt_flush_written(1);
        break;
    case SYS_close: {
        struct pt_version v;
        int hv = pt_wbit_take((int)a) && pt_fd_version((int)a, &v);
        long r = real(n, a, b, c, d, e, f);
        int er = errno;
        pt_log_close((int)a, r, er, hv ? &v : NULL);
        errno = er;
        return r;
    }
    }
    long r = real(n, a, b, c, d, e, f);
    int er = errno;
    if (n == SYS_fork && r == 0)
        pt_child_reset();
    else if (n == SYS_fork && r > 0)
        pt_log(PT_OP_FORK, -1, r, 0, PT_FORK_FORK, 0, 0, NULL, NULL, NULL);
    else
        decode(n, a, b, c, d, e, r, er);
    errno = er;
    return r;
}

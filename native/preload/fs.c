/*
 * fs.c — the table-driven wrappers (wrappers.def) and their logging funnels.
 * glibc's own functions call each other directly, not through the PLT, so
 * every public entry point is wrapped separately; all variants funnel into a
 * few pt_log_* helpers that write one record and never touch errno.
 */
#include "pt.h"

#include <dirent.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#define PTS(p) ((p) ? (p) : "")

/* ---------------------------------------------------------------- funnels */

PT_HID int pt_fopen_flags(const char *mode)
{
    if (!mode)
        return O_RDONLY;
    int f;
    switch (mode[0]) {
    case 'w': f = O_WRONLY | O_CREAT | O_TRUNC; break;
    case 'a': f = O_WRONLY | O_CREAT | O_APPEND; break;
    default: f = O_RDONLY; break;
    }
    for (const char *m = mode + 1; *m && *m != ','; m++) {
        if (*m == '+')
            f = (f & ~O_ACCMODE) | O_RDWR;
        else if (*m == 'x')
            f |= O_EXCL;
        else if (*m == 'e')
            f |= O_CLOEXEC;
    }
    return f;
}

PT_HID void pt_log_open(int dirfd, const char *path, int flags, long mode, int api, long ret,
                        int err)
{
    if (!pt_on())
        return;
    struct pt_version v;
    int hv = 0;
    if (ret >= 0) {
        hv = pt_fd_version((int)ret, &v);
        /* O_PATH fds cannot be written; fd numbers get reused, so always set
         * or clear the bit. */
        pt_wbit_set((int)ret, (flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH));
    }
    pt_log(PT_OP_OPEN, dirfd, ret, ret < 0 ? err : 0, flags, mode, api, hv ? &v : NULL,
           PTS(path), NULL);
}

static void pt_log_path(int op, int dirfd, long ret, int err, long a1, long a2, long a3,
                        const char *p)
{
    if (pt_on())
        pt_log((uint16_t)op, dirfd, ret, ret < 0 ? err : 0, a1, a2, a3, NULL, PTS(p), NULL);
}

/* glibc's tmpfile() creates its file in P_tmpdir, ignoring TMPDIR. */
#define PT_TMPFILE_DIR "/tmp"

/* shm_open/sem_open name "/x" is the file /dev/shm/<prefix>x (as glibc maps it).
 * sem_open returns a mapping, not an fd: its OPEN has api SEM_OPEN, ret 0 / -1. */
static void pt_log_shm(int op, const char *prefix, const char *name, int flags, long mode, long ret,
                       int err)
{
    if (!pt_on() || !name)
        return;
    char buf[256];
    size_t n = 0;
    static const char dir[] = "/dev/shm/";
    for (const char *s = dir; *s && n < sizeof buf - 1; s++)
        buf[n++] = *s;
    for (const char *s = prefix; *s && n < sizeof buf - 1; s++)
        buf[n++] = *s;
    while (*name == '/')
        name++;
    for (const char *s = name; *s && n < sizeof buf - 1; s++)
        buf[n++] = *s;
    buf[n] = 0;
    if (op == PT_OP_OPEN && prefix[0] == 0)
        pt_log_open(AT_FDCWD, buf, flags, mode, PT_API_OPEN, ret, err);
    else if (op == PT_OP_OPEN) /* sem_open: no fd, ret 0 = success */
        pt_log(PT_OP_OPEN, AT_FDCWD, ret, ret < 0 ? err : 0, flags, mode, PT_API_SEM_OPEN, NULL, buf,
               NULL);
    else
        pt_log((uint16_t)op, AT_FDCWD, ret, ret < 0 ? err : 0, 0, 0, PT_API_UNLINK, NULL, buf, NULL);
}

/* fd form when there is no path (futimens, fchmod, utimensat(fd, NULL)). */
static void pt_log_pathfd(int op, int fd, long ret, int err, long a1, long a2, long a3,
                          const char *p)
{
    if (pt_on())
        pt_log((uint16_t)op, fd, ret, ret < 0 ? err : 0, a1, a2, a3, NULL, p, NULL);
}

static void pt_log_path2(int op, int dirfd, long ret, int err, long a1, long a2, const char *p1,
                         const char *p2)
{
    if (pt_on())
        pt_log((uint16_t)op, dirfd, ret, ret < 0 ? err : 0, a1, a2, 0, NULL, PTS(p1), PTS(p2));
}

static void pt_log_stat(int dirfd, const char *p, int flags, int api, long ret, int err)
{
    /* fstat-like calls (empty path + AT_EMPTY_PATH) name no file. */
    if ((flags & AT_EMPTY_PATH) && p && !p[0])
        return;
    pt_log_path(PT_OP_STAT, dirfd, ret, err, flags, 0, api, p);
}

static void pt_log_readlink(int dirfd, const char *p, const char *buf, long ret, int err)
{
    if (!pt_on())
        return;
    struct pt_ev ev = {PT_OP_READLINK, dirfd, ret, ret < 0 ? err : 0, 0, 0, 0, NULL};
    struct pt_seg seg[2] = {{PTS(p), -1, NULL, 0}, {buf, ret, NULL, 0}};
    pt_emit(&ev, seg, ret >= 0 && buf ? 2 : 1);
}

static void pt_log_realpath(const char *p, const char *res, int err)
{
    if (pt_on())
        pt_log(PT_OP_REALPATH, -1, res ? 0 : -1, res ? 0 : err, 0, 0, 0, NULL, PTS(p), res);
}

static void pt_log_truncate(int fd, const char *p, long len, long ret, int err)
{
    if (!pt_on())
        return;
    struct pt_version v;
    int hv = ret == 0 && (p ? pt_path_version(AT_FDCWD, p, 0, &v) : pt_fd_version(fd, &v));
    pt_log(PT_OP_TRUNCATE, p ? AT_FDCWD : fd, ret, ret < 0 ? err : 0, len, 0, 0, hv ? &v : NULL,
           p, NULL);
}

static void pt_log_dup(int oldfd, long newfd, int cloexec)
{
    if (newfd < 0 || !pt_on())
        return;
    pt_wbit_set((int)newfd, pt_wbit_get(oldfd));
    pt_log(PT_OP_DUP, oldfd, newfd, 0, cloexec, 0, 0, NULL, NULL, NULL);
}

static void pt_log_pipe(const int fds[2], long ret, int flags)
{
    if (ret != 0 || !pt_on())
        return;
    pt_wbit_set(fds[0], 0);
    pt_wbit_set(fds[1], 0);
    pt_log(PT_OP_PIPE, -1, ret, 0, fds[0], fds[1], flags, NULL, NULL, NULL);
}

/* freopen closes the stream's old fd inside libc: record that close first. */
static void pt_pre_close(int fd)
{
    if (fd < 0 || !pt_on())
        return;
    struct pt_version v;
    int hv = pt_wbit_take(fd) && pt_fd_version(fd, &v);
    pt_log_close(fd, 0, 0, hv ? &v : NULL);
}

/* ---------------------------------------------------------------- wrappers */

/* open/openat take a mode only with O_CREAT or O_TMPFILE (as glibc reads it). */
#define PT_VA_MODE(f)                                                                            \
    mode_t m = 0;                                                                                \
    if (((f) & O_CREAT) || ((f) & O_TMPFILE) == O_TMPFILE) {                                     \
        va_list ap;                                                                              \
        va_start(ap, f);                                                                         \
        m = (mode_t)va_arg(ap, int);                                                             \
        va_end(ap);                                                                              \
    }
#define PT_PRE_CLOSE(fd) pt_pre_close(fd)
/* dup2/dup3 onto a written fd close it implicitly (a shell restoring stdout after
 * `builtin > file`): record its final version first, if the dup can succeed. */
#define PT_PRE_DUP(o, n)                                                                         \
    if ((o) != (n) && pt_wbit_get(n) && pt_sys(SYS_fcntl, (o), F_GETFD, 0) >= 0)                \
        pt_pre_close(n)
/* sem_open takes (mode, value) only with O_CREAT. */
#define PT_VA_SEM(f)                                                                             \
    mode_t m = 0;                                                                                \
    unsigned v = 0;                                                                              \
    if ((f) & O_CREAT) {                                                                         \
        va_list ap;                                                                              \
        va_start(ap, f);                                                                         \
        m = (mode_t)va_arg(ap, int);                                                             \
        v = va_arg(ap, unsigned);                                                                \
        va_end(ap);                                                                              \
    }

/* The one wrapper shape: resolve the real function once, call it, log the
 * result, and hand the caller exactly what libc returned, errno included. */
#define PT_W(RT, NAME, PARAMS, ARGS, FAIL, PRE, POST)                                            \
    PT_EXPORT RT NAME PARAMS                                                                     \
    {                                                                                            \
        static void *slot_;                                                                      \
        RT(*real_) PARAMS = (RT(*) PARAMS)pt_real(&slot_, #NAME);                                \
        PRE;                                                                                     \
        if (PT_UNLIKELY(!real_)) {                                                               \
            errno = ENOSYS;                                                                      \
            return FAIL;                                                                         \
        }                                                                                        \
        RT r = real_ ARGS;                                                                       \
        int e = errno;                                                                           \
        POST;                                                                                    \
        errno = e;                                                                               \
        return r;                                                                                \
    }

/* Prototypes glibc 2.36 no longer (or only under _FORTIFY_SOURCE) declares. */
int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);
int __xstat(int, const char *, struct stat *);
int __xstat64(int, const char *, struct stat64 *);
int __lxstat(int, const char *, struct stat *);
int __lxstat64(int, const char *, struct stat64 *);
int __fxstatat(int, int, const char *, struct stat *, int);
int __fxstatat64(int, int, const char *, struct stat64 *, int);
int __xmknod(int, const char *, mode_t, dev_t *);
int __xmknodat(int, int, const char *, mode_t, dev_t *);
char *__realpath_chk(const char *, char *, size_t);

#include "wrappers.def"

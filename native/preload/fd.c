/*
 * fd.c — hand-written fd-lifecycle wrappers (close family, fcntl, dlopen).
 * Every close is logged so ingest can keep exact fd tables; a fd this process
 * opened for writing gets its final version (fstat just before the real
 * close).  fcntl forwards its optional argument untouched.
 */
#include "pt.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#define REAL(slot, name) pt_real(&(slot), name)

PT_HID void pt_log_close(int fd, long ret, int err, const struct pt_version *v)
{
    pt_log(PT_OP_CLOSE, fd, ret, ret < 0 ? err : 0, 0, 0, 0, v, NULL, NULL);
}

/* Version of a written fd, taken before it goes away. */
static int pre_close_version(int fd, struct pt_version *v)
{
    return pt_wbit_take(fd) && pt_fd_version(fd, v);
}

PT_EXPORT int close(int fd)
{
    static void *slot;
    int (*real)(int) = (int (*)(int))REAL(slot, "close");
    if (!pt_on())
        return real ? real(fd) : (int)pt_sys(SYS_close, fd, 0, 0);
    struct pt_version v;
    int hv = pre_close_version(fd, &v);
    int r = real ? real(fd) : -1;
    int e = errno;
    pt_log_close(fd, r, e, hv ? &v : NULL);
    errno = e;
    return r;
}

PT_EXPORT int fclose(FILE *fp)
{
    static void *slot;
    int (*real)(FILE *) = (int (*)(FILE *))REAL(slot, "fclose");
    if (!real) {
        errno = ENOSYS;
        return EOF;
    }
    if (!fp || !pt_on())
        return real(fp);
    int fd = fileno(fp);
    struct pt_version v;
    int hv = 0;
    if (fd >= 0 && pt_wbit_get(fd)) {
        /* fclose flushes before closing; flush first so the version is final. */
        int e0 = errno;
        fflush(fp);
        errno = e0;
        hv = pre_close_version(fd, &v);
    }
    int r = real(fp);
    int e = errno;
    if (fd >= 0)
        pt_log_close(fd, r, e, hv ? &v : NULL);
    errno = e;
    return r;
}

PT_EXPORT int closedir(DIR *d)
{
    static void *slot;
    int (*real)(DIR *) = (int (*)(DIR *))REAL(slot, "closedir");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    if (!pt_on())
        return real(d);
    int fd = dirfd(d);
    int r = real(d);
    int e = errno;
    if (fd >= 0)
        pt_log_close(fd, r, e, NULL);
    errno = e;
    return r;
}

/* Versions of written fds in [lo, hi] before a range close. */
static void range_versions(unsigned lo, unsigned hi)
{
    for (unsigned fd = lo; fd <= hi && fd < 65536; fd++) {
        if ((fd & 63) == 0 && fd + 63 <= hi) {
            /* fast skip of empty words */
            int any = 0;
            for (unsigned k = fd; k < fd + 64; k++)
                any |= pt_wbit_get((int)k);
            if (!any) {
                fd += 63;
                continue;
            }
        }
        struct pt_version v;
        if (pre_close_version((int)fd, &v))
            pt_log(PT_OP_CLOSE, (int)fd, 0, 0, 0, 0, 0, &v, NULL, NULL);
    }
}

PT_EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
    static void *slot;
    int (*real)(unsigned, unsigned, int) = (int (*)(unsigned, unsigned, int))REAL(slot, "close_range");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    if (!pt_on())
        return real(lo, hi, flags);
    if (!(flags & CLOSE_RANGE_CLOEXEC))
        range_versions(lo, hi);
    int r = real(lo, hi, flags);
    int e = errno;
    pt_log(PT_OP_CLOSE, (int)lo, r, r < 0 ? e : 0, (long)hi + 1, flags, 0, NULL, NULL, NULL);
    errno = e;
    return r;
}

PT_EXPORT void closefrom(int lo)
{
    static void *slot;
    void (*real)(int) = (void (*)(int))REAL(slot, "closefrom");
    if (!pt_on()) {
        if (real)
            real(lo);
        return;
    }
    int e = errno;
    if (lo >= 0)
        range_versions((unsigned)lo, ~0u);
    errno = e;
    if (real)
        real(lo);
    e = errno;
    pt_log(PT_OP_CLOSE, lo, 0, 0, 0x100000000L, 0, 0, NULL, NULL, NULL);
    errno = e;
}

static int do_fcntl(void **slot, const char *name, int fd, int cmd, void *arg)
{
    int (*real)(int, int, ...) = (int (*)(int, int, ...))pt_real(slot, name);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int r = real(fd, cmd, arg);
    if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_SETFD) && pt_on()) {
        int e = errno;
        if (cmd == F_SETFD)
            pt_log(PT_OP_SETFD, fd, r, r < 0 ? e : 0, (long)arg & FD_CLOEXEC, 0, 0, NULL, NULL,
                   NULL);
        else if (r >= 0) {
            pt_wbit_set(r, pt_wbit_get(fd));
            pt_log(PT_OP_DUP, fd, r, 0, cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0, 0, 0, NULL, NULL,
                   NULL);
        }
        errno = e;
    }
    return r;
}

/* The third argument is an int or a pointer depending on cmd; both travel in
 * one 8-byte slot on x86_64, which is how glibc itself reads it. */
PT_EXPORT int fcntl(int fd, int cmd, ...)
{
    static void *slot;
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(&slot, "fcntl", fd, cmd, arg);
}

PT_EXPORT int fcntl64(int fd, int cmd, ...)
{
    static void *slot;
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(&slot, "fcntl64", fd, cmd, arg);
}

PT_HID int pt_scan_objects(const char **names, int max, int skip, int *total);

/* dlopen: the loader opens the library and its dependencies internally;
 * record the request and the objects that appeared in the link map. */
PT_EXPORT void *dlopen(const char *file, int mode)
{
    static void *slot;
    void *(*real)(const char *, int) = (void *(*)(const char *, int))REAL(slot, "dlopen");
    if (!real)
        return NULL; /* dlerror() will say nothing; cannot happen with glibc */
    void *h = real(file, mode);
    if (!pt_on())
        return h;
    int e = errno;
    const char *objs[256];
    int total, seen = __atomic_load_n(&pt_nobj_seen, __ATOMIC_RELAXED);
    int n = pt_scan_objects(objs, 256, seen, &total);
    __atomic_store_n(&pt_nobj_seen, seen + n, __ATOMIC_RELAXED);
    struct pt_ev ev = {PT_OP_DLOPEN, -1, h != NULL, 0, mode, 0, 0, NULL};
    struct pt_seg seg[2] = {{file ? file : "", -1, NULL, 0}, {NULL, 0, (char *const *)objs, n}};
    pt_emit(&ev, seg, 2);
    errno = e;
    return h;
}

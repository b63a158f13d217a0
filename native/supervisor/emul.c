/*
 * emul.c — file-system calls the supervisor makes itself on behalf of a
 * traced thread that waits on a notification (unlink, mkdir, rename,
 * link, symlink, chmod, chown, utimensat by path, and opens for reading,
 * whose file the thread then receives: SECCOMP_IOCTL_NOTIF_ADDFD), so that
 * the result is known without a ptrace stop: the thread gets that result
 * as its own.
 *
 * It is the same call only when the supervisor stands where the thread
 * stands, so a call is done here only if:
 *   - the process shares our root and mount namespace (trace.c checks),
 *     our user namespace, credentials (uids, gids, groups, capability sets)
 *     and LSM label (emu_allowed, cached per process by the caller, and
 *     given up for good when it changes credentials), and no process of the
 *     session has sandboxed itself with Landlock (PT_HDR_LANDLOCK);
 *   - its relative path starts from the thread's own cwd or dirfd (an
 *     O_PATH open of /proc/PID/cwd or /proc/PID/fd/N), and the directories
 *     on the way are resolved with RESOLVE_NO_MAGICLINKS and are not in
 *     /proc (where "self" would be the supervisor);
 *   - a call that follows a final symbolic link does not meet one;
 *   - an open is of a regular file, a directory or a harmless character
 *     device (/dev/null, zero, full, random, urandom), never a FIFO, a
 *     socket, a terminal or anything in /proc, so opening it here cannot
 *     block or act for the wrong process;
 *   - mkdir uses the process's umask (read from /proc/PID/status and set
 *     in this thread, whose fs context is its own: emu_thread_init).
 * Anything else is "cannot" (0): the caller lets the kernel do the call and
 * steps the thread to its exit stop instead.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ptfilter.h"
#include "sup.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static __thread int t_fs_private; /* umask() here changes no other thread */

void emu_thread_init(void) { t_fs_private = unshare(CLONE_FS) == 0; }

int emu_handles(long nr)
{
    switch (nr) {
    case SYS_unlink:
    case SYS_unlinkat:
    case SYS_rmdir:
    case SYS_mkdir:
    case SYS_mkdirat:
    case SYS_rename:
    case SYS_renameat:
    case SYS_renameat2:
    case SYS_link:
    case SYS_linkat:
    case SYS_symlink:
    case SYS_symlinkat:
    case SYS_chmod:
    case SYS_fchmodat:
    case SYS_chown:
    case SYS_lchown:
    case SYS_fchownat:
    case SYS_utimensat:
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- who */

/* The lines of a /proc/PID/status text that decide permissions,
 * concatenated into out; the umask (octal) into *umask_out if asked. */
static void creds_of(const char *status, char *out, size_t cap, unsigned *umask_out)
{
    size_t n = 0;
    out[0] = 0;
    for (const char *l = status; *l;) {
        const char *e = strchr(l, '\n');
        size_t k = e ? (size_t)(e - l) + 1 : strlen(l);
        if (umask_out && !strncmp(l, "Umask:", 6)) {
            *umask_out = (unsigned)strtoul(l + 6, NULL, 8);
        } else if ((!strncmp(l, "Uid:", 4) || !strncmp(l, "Gid:", 4) || !strncmp(l, "Groups:", 7) ||
                    !strncmp(l, "Cap", 3) /* all five sets: equal before an exec, equal after */) &&
                   n + k < cap) {
            memcpy(out + n, l, k);
            n += k;
            out[n] = 0;
        }
        l += k;
    }
}

/* A small /proc file, read at once (dir: an fd of /proc/PID, or AT_FDCWD). */
static long read_small(int dir, const char *path, char *buf, size_t cap)
{
    buf[0] = 0;
    int fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    buf[n > 0 ? n : 0] = 0;
    close(fd);
    return n;
}

static int creds_text(int dir, const char *status, char *out, size_t cap, unsigned *umask_out)
{
    char buf[4096];
    if (read_small(dir, status, buf, sizeof buf) <= 0)
        return -1;
    creds_of(buf, out, cap, umask_out);
    return 0;
}

static char g_my_lsm[256];
static int g_my_lsm_read;

int emu_no_lsm(void)
{
    if (!g_my_lsm_read) {
        read_small(AT_FDCWD, "/proc/self/attr/current", g_my_lsm, sizeof g_my_lsm);
        g_my_lsm_read = 1;
    }
    return !g_my_lsm[0];
}

int emu_allowed(int pid)
{
    static char mine[1024];
    static struct stat my_userns;
    static int have = -1;
    if (have < 0)
        have = creds_text(AT_FDCWD, "/proc/self/status", mine, sizeof mine, NULL) == 0 &&
               stat("/proc/self/ns/user", &my_userns) == 0;
    int no_lsm = emu_no_lsm();
    char path[64], theirs[1024], lsm[256];
    struct stat ns;
    snprintf(path, sizeof path, "/proc/%d", pid);
    int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int ok = have && dir >= 0 && fstatat(dir, "ns/user", &ns, 0) == 0 &&
             ns.st_ino == my_userns.st_ino && ns.st_dev == my_userns.st_dev &&
             creds_text(dir, "status", theirs, sizeof theirs, NULL) == 0 && !strcmp(theirs, mine);
    if (ok) {
        read_small(dir, "attr/current", lsm, sizeof lsm);
        ok = no_lsm ? !lsm[0] : !strcmp(lsm, g_my_lsm);
    }
    if (dir >= 0)
        close(dir);
    return ok;
}

/* ---------------------------------------------------------------- where */

/* Where a path of the thread starts: AT_FDCWD for an absolute one (our
 * root is its root), else an O_PATH fd of its cwd or dirfd.  0 (*fd set),
 * -errno (what the thread gets too), or 1 (cannot). */
static int start_dir(int pid, int tid, int cwdfd, long dirfd, const char *path, int *fd)
{
    *fd = AT_FDCWD;
    if (path[0] == '/')
        return 0;
    if ((int)dirfd == AT_FDCWD && cwdfd >= 0 && (*fd = fcntl(cwdfd, F_DUPFD_CLOEXEC, 0)) >= 0)
        return 0;
    char p[64];
    if ((int)dirfd == AT_FDCWD) /* the thread's own: threads can have cwds of their own */
        snprintf(p, sizeof p, "/proc/%d/task/%d/cwd", pid, tid);
    else
        proc_path(p, pid, "fd", (int)dirfd);
    int f = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (f >= 0) {
        *fd = f;
        return 0;
    }
    if (errno == ENOTDIR)
        return -ENOTDIR;
    if (errno == ENOENT && (int)dirfd != AT_FDCWD)
        return -EBADF;
    return 1;
}

/* openat2 of path from start, telling a failure the thread would meet too
 * from one that may be ours: the path is first resolved following no
 * symlink at all (so no "/proc/self" or "/dev/fd" on the way can be ours),
 * and an error then is the thread's too (*err).  Only when a symlink was in
 * the way is it resolved again (magic links still refused), and then any
 * failure means "cannot" (*err = 0).  Returns the fd or -1. */
static int resolve(int start, const char *path, uint64_t flags, int *err)
{
    struct open_how how = {.flags = flags, .resolve = RESOLVE_NO_SYMLINKS};
    int f = (int)syscall(SYS_openat2, start, path, &how, sizeof how);
    *err = 0;
    if (f >= 0)
        return f;
    int e = errno;
    if (e == ENOENT || e == ENOTDIR || e == EACCES || e == ENAMETOOLONG) {
        *err = e;
        return -1;
    }
    if (e != ELOOP)
        return -1;
    how.resolve = RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, start, path, &how, sizeof how);
}

/* The directory holding path's last component (an O_PATH fd in *pfd) and
 * that component.  0, -errno, or 1 (cannot: trailing slash, "." or "..",
 * a magic link or /proc on the way). */
static int parent_dir(int start, const char *path, int *pfd, const char **last)
{
    size_t n = strlen(path);
    if (n == 0)
        return -ENOENT;
    if (n >= PATH_MAX)
        return -ENAMETOOLONG;
    if (path[n - 1] == '/')
        return 1;
    const char *sl = strrchr(path, '/');
    const char *l = sl ? sl + 1 : path;
    if (!strcmp(l, ".") || !strcmp(l, ".."))
        return 1;
    char dir[PATH_MAX];
    struct statfs sf;
    if (!sl) { /* in the start directory itself (never AT_FDCWD: the path is relative) */
        if (fstatfs(start, &sf) != 0 || sf.f_type == PROC_SUPER_MAGIC)
            return 1;
        *pfd = start;
        *last = l;
        return 0;
    }
    if (sl == path)
        strcpy(dir, "/");
    else {
        memcpy(dir, path, (size_t)(sl - path));
        dir[sl - path] = 0;
    }
    int e;
    int f = resolve(start, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, &e);
    if (f < 0)
        return e ? -e : 1;
    if (fstatfs(f, &sf) != 0 || sf.f_type == PROC_SUPER_MAGIC) {
        close(f);
        return 1;
    }
    *pfd = f;
    *last = l;
    return 0;
}

static int is_link(int dir, const char *name)
{
    struct stat st;
    return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

struct side {
    int start, dir;
    const char *last;
};

static void side_close(struct side *s)
{
    if (s->dir >= 0 && s->dir != s->start)
        close(s->dir);
    if (s->start >= 0)
        close(s->start);
    s->dir = s->start = -1;
}

/* 0 (s ready), -errno, or 1 (cannot). */
static int side_open(struct side *s, int pid, int tid, int cwdfd, long dirfd, const char *path)
{
    s->start = s->dir = -1;
    int r = start_dir(pid, tid, cwdfd, dirfd, path, &s->start);
    if (r != 0)
        return r;
    r = parent_dir(s->start, path, &s->dir, &s->last);
    if (r != 0) {
        side_close(s);
        return r;
    }
    return 0;
}

/* ---------------------------------------------------------------- what */

static long res_of(long r) { return r < 0 ? -errno : r; } /* the raw result: value or -errno */
#define RES(x) res_of(x)

int emu_run(int pid, int cwdfd, int tid, long nr, const uint64_t *a, const char *s1, const char *s2,
            long *rv)
{
    long d1 = AT_FDCWD, d2 = AT_FDCWD;
    const char *p1 = s1, *p2 = NULL;
    int follow = 0; /* the call follows a final symlink */
    switch (nr) {
    case SYS_unlinkat:
    case SYS_mkdirat:
    case SYS_fchmodat:
    case SYS_fchownat:
    case SYS_utimensat:
        d1 = (long)(int)a[0];
        break;
    case SYS_rename:
    case SYS_link:
        p2 = s2;
        break;
    case SYS_renameat:
    case SYS_renameat2:
    case SYS_linkat:
        d1 = (long)(int)a[0];
        d2 = (long)(int)a[2];
        p2 = s2;
        break;
    case SYS_symlink: /* target is stored as it is: only the link's place matters */
        p1 = s2;
        break;
    case SYS_symlinkat:
        d1 = (long)(int)a[1];
        p1 = s2;
        break;
    }
    long fl = nr == SYS_unlinkat ? (long)a[2] : nr == SYS_fchownat || nr == SYS_linkat ? (long)a[4]
              : nr == SYS_utimensat ? (long)a[3] : nr == SYS_renameat2 ? (long)a[4] : 0;
    long known = nr == SYS_unlinkat   ? AT_REMOVEDIR
                 : nr == SYS_fchownat ? AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH
                 : nr == SYS_linkat   ? AT_SYMLINK_FOLLOW | AT_EMPTY_PATH
                 : nr == SYS_utimensat ? AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH
                 : nr == SYS_renameat2 ? 7 /* RENAME_NOREPLACE | EXCHANGE | WHITEOUT */
                                       : 0;
    if ((unsigned)fl & ~(unsigned)known)
        return 0; /* flags the kernel refuses: its own EINVAL */
    switch (nr) {
    case SYS_chmod:
    case SYS_chown:
        follow = 1;
        break;
    case SYS_fchmodat:
        follow = 1; /* fchmodat has no flags */
        break;
    case SYS_fchownat:
        if (a[4] & AT_EMPTY_PATH)
            return 0;
        follow = !(a[4] & AT_SYMLINK_NOFOLLOW);
        break;
    case SYS_utimensat:
        if (!a[1] || (a[3] & AT_EMPTY_PATH))
            return 0; /* futimens: an fd, not a path */
        follow = !(a[3] & AT_SYMLINK_NOFOLLOW);
        break;
    case SYS_linkat:
        if (a[4] & AT_EMPTY_PATH)
            return 0;
        follow = (a[4] & AT_SYMLINK_FOLLOW) != 0;
        break;
    }
    if (!p1 || ((nr == SYS_rename || nr == SYS_renameat || nr == SYS_renameat2 || nr == SYS_link ||
                 nr == SYS_linkat) &&
                !p2))
        return 0;
    struct timespec ts[2];
    if (nr == SYS_utimensat && a[2] && mem_read(tid, a[2], ts, sizeof ts) != (long)sizeof ts)
        return 0;
    struct side x, y = {-1, -1, NULL};
    int r = side_open(&x, pid, tid, cwdfd, d1, p1);
    if (r < 0) {
        *rv = r;
        return 1;
    }
    if (r > 0)
        return 0;
    if (p2) {
        r = side_open(&y, pid, tid, cwdfd, d2, p2);
        if (r != 0) {
            side_close(&x);
            if (r < 0)
                *rv = r;
            return r < 0;
        }
    }
    if (follow && is_link(x.dir, x.last)) {
        side_close(&x);
        side_close(&y);
        return 0;
    }
    long res;
    switch (nr) {
    case SYS_unlink:
        res = RES(unlinkat(x.dir, x.last, 0));
        break;
    case SYS_rmdir:
        res = RES(unlinkat(x.dir, x.last, AT_REMOVEDIR));
        break;
    case SYS_unlinkat:
        res = RES(unlinkat(x.dir, x.last, (int)a[2]));
        break;
    case SYS_mkdir:
    case SYS_mkdirat: {
        struct stat st;
        char status[64], junk[1024];
        unsigned um = 01000; /* not found */
        snprintf(status, sizeof status, "/proc/%d/status", pid);
        if (fstatat(x.dir, x.last, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            res = -EEXIST; /* what mkdir says of any existing name, whatever the umask */
        } else if (t_fs_private && creds_text(AT_FDCWD, status, junk, sizeof junk, &um) == 0 &&
                   um <= 0777) {
            umask((mode_t)um);
            res = RES(mkdirat(x.dir, x.last, (mode_t)(nr == SYS_mkdir ? a[1] : a[2])));
        } else {
            side_close(&x);
            return 0;
        }
        break;
    }
    case SYS_rename:
    case SYS_renameat:
        res = RES(renameat(x.dir, x.last, y.dir, y.last));
        break;
    case SYS_renameat2:
        res = RES(syscall(SYS_renameat2, x.dir, x.last, y.dir, y.last, (unsigned)a[4]));
        break;
    case SYS_link:
        res = RES(linkat(x.dir, x.last, y.dir, y.last, 0));
        break;
    case SYS_linkat:
        res = RES(linkat(x.dir, x.last, y.dir, y.last, (int)a[4] & AT_SYMLINK_FOLLOW));
        break;
    case SYS_symlink:
    case SYS_symlinkat:
        res = RES(symlinkat(s1, x.dir, x.last));
        break;
    case SYS_chmod:
        res = RES(fchmodat(x.dir, x.last, (mode_t)a[1], 0));
        break;
    case SYS_fchmodat:
        res = RES(fchmodat(x.dir, x.last, (mode_t)a[2], 0));
        break;
    case SYS_chown:
        res = RES(fchownat(x.dir, x.last, (uid_t)a[1], (gid_t)a[2], 0));
        break;
    case SYS_lchown:
        res = RES(fchownat(x.dir, x.last, (uid_t)a[1], (gid_t)a[2], AT_SYMLINK_NOFOLLOW));
        break;
    case SYS_fchownat:
        res = RES(fchownat(x.dir, x.last, (uid_t)a[2], (gid_t)a[3], (int)a[4] & AT_SYMLINK_NOFOLLOW));
        break;
    case SYS_utimensat:
        res = RES(utimensat(x.dir, x.last, a[2] ? ts : NULL, (int)a[3] & AT_SYMLINK_NOFOLLOW));
        break;
    default:
        res = 0;
        side_close(&x);
        side_close(&y);
        return 0;
    }
    side_close(&x);
    side_close(&y);
    *rv = res;
    return 1;
}

/* ---------------------------------------------------------------- opens */

#define PT_VALID_OPEN_FLAGS                                                                      \
    (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | \
     FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH)

static int harmless_dev(dev_t rdev)
{
    /* /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom */
    return major(rdev) == 1 && (minor(rdev) == 3 || minor(rdev) == 5 || minor(rdev) == 7 ||
                                minor(rdev) == 8 || minor(rdev) == 9);
}

int emu_open(int pid, int tid, int cwdfd, long nr, const uint64_t *a, const char *path, int *fd,
             struct pt_version *v, long *rv)
{
    long dirfd = nr == SYS_openat ? (long)(int)a[0] : AT_FDCWD;
    int flags = (int)(nr == SYS_openat ? a[2] : a[1]);
    *fd = -1;
    if (!path || (nr != SYS_open && nr != SYS_openat) || (flags & (PT_OPEN_WRITE_FLAGS | O_PATH)))
        return 0; /* (an O_PATH fd cannot be handed over) */
    if (!path[0]) {
        *rv = -ENOENT;
        return 1;
    }
    int start;
    int r = start_dir(pid, tid, cwdfd, dirfd, path, &start);
    if (r != 0) {
        if (r < 0)
            *rv = r;
        return r < 0;
    }
    /* first where it leads, without opening it (O_PATH cannot block) */
    int e;
    int pfd = resolve(start, path, (uint64_t)(O_PATH | O_CLOEXEC | (flags & (O_NOFOLLOW | O_DIRECTORY))), &e);
    int ok = 0;
    struct stat st, st2;
    struct statfs sf;
    if (pfd < 0) {
        if (e) {
            *rv = -e;
            ok = 1;
        }
    } else if (fstat(pfd, &st) == 0 && fstatfs(pfd, &sf) == 0 && sf.f_type != PROC_SUPER_MAGIC) {
        if (S_ISLNK(st.st_mode)) {
            *rv = -ELOOP; /* O_NOFOLLOW met a symlink */
            ok = 1;
        } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ||
                   (S_ISCHR(st.st_mode) && harmless_dev(st.st_rdev))) {
            /* now the open itself (open() ignores flag bits openat2 refuses) */
            struct open_how how = {.flags = (uint64_t)((flags & PT_VALID_OPEN_FLAGS) | O_CLOEXEC),
                                   .resolve = RESOLVE_NO_MAGICLINKS};
            int f = (int)syscall(SYS_openat2, start, path, &how, sizeof how);
            if (f < 0) {
                e = errno; /* only what the thread's own open would say too */
                if (e == EACCES || e == EPERM || e == ENXIO || e == ENODEV || e == EISDIR ||
                    e == ETXTBSY || e == EOVERFLOW || e == EFBIG || e == EROFS) {
                    *rv = -e;
                    ok = 1;
                }
            } else if (fstat(f, &st2) == 0 && st2.st_dev == st.st_dev && st2.st_ino == st.st_ino) {
                *fd = f;
                ptw_version_of(&st2, v);
                ok = 1;
            } else {
                close(f); /* it changed under us: leave it to the kernel */
            }
        }
    }
    if (pfd >= 0)
        close(pfd);
    if (start >= 0)
        close(start);
    return ok;
}

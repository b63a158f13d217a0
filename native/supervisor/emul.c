/*
 * emul.c — file-system calls the supervisor makes itself on behalf of a
 * traced thread that waits on a notification (unlink, mkdir, rename,
 * link, symlink, chmod, chown, utimensat by path, and opens, for reading or
 * writing, creating the file if asked, whose file the thread then receives:
 * SECCOMP_IOCTL_NOTIF_ADDFD), so that the result is known without a ptrace
 * stop: the thread gets that result as its own.
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
 *     on the way are resolved with RESOLVE_NO_MAGICLINKS; a path that
 *     followed a symlink into /proc (where "self" would be the supervisor)
 *     is left alone;
 *   - a call that follows a final symbolic link does not meet one;
 *   - an open is of a regular file, a directory or a harmless character
 *     device (/dev/null, zero, full, random, urandom), never a FIFO, a
 *     socket, a terminal or anything in /proc, so opening it here cannot
 *     block or act for the wrong process; a file is created only where
 *     nothing is (O_EXCL), and removed again if the thread does not get it;
 *   - mkdir and creating opens use the process's umask (read from
 *     /proc/PID/status once, then kept by the caller, who sees its umask
 *     calls, and set in this thread, whose fs context is its own:
 *     emu_thread_init).
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
 * concatenated into out. */
static void creds_of(const char *status, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (const char *l = status; *l;) {
        const char *e = strchr(l, '\n');
        size_t k = e ? (size_t)(e - l) + 1 : strlen(l);
        if ((!strncmp(l, "Uid:", 4) || !strncmp(l, "Gid:", 4) || !strncmp(l, "Groups:", 7) ||
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

static int creds_text(int dir, const char *status, char *out, size_t cap)
{
    char buf[4096];
    if (read_small(dir, status, buf, sizeof buf) <= 0)
        return -1;
    creds_of(buf, out, cap);
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
        have = creds_text(AT_FDCWD, "/proc/self/status", mine, sizeof mine) == 0 &&
               stat("/proc/self/ns/user", &my_userns) == 0;
    int no_lsm = emu_no_lsm();
    char path[64], theirs[1024], lsm[256];
    struct stat ns;
    snprintf(path, sizeof path, "/proc/%d", pid);
    int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int ok = have && dir >= 0 && fstatat(dir, "ns/user", &ns, 0) == 0 &&
             ns.st_ino == my_userns.st_ino && ns.st_dev == my_userns.st_dev &&
             creds_text(dir, "status", theirs, sizeof theirs) == 0 && !strcmp(theirs, mine);
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
 * root is its root), else an O_PATH fd of its cwd (cwdfd itself, lent by
 * the caller) or of its dirfd.  0 (*fd set: close it with start_close),
 * -errno (what the thread gets too), or 1 (cannot). */
static int start_dir(int pid, int tid, int cwdfd, long dirfd, const char *path, int *fd)
{
    *fd = AT_FDCWD;
    if (path[0] == '/')
        return 0;
    if ((int)dirfd == AT_FDCWD && cwdfd >= 0) {
        *fd = cwdfd;
        return 0;
    }
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

static void start_close(int start, int cwdfd)
{
    if (start >= 0 && start != cwdfd)
        close(start);
}

/* openat2 of path from start, telling a failure the thread would meet too
 * from one that may be ours: the path is first resolved following no
 * symlink at all (so no "/proc/self" or "/dev/fd" on the way can be ours),
 * and an error then is the thread's too (*err).  Only when a symlink was in
 * the way is it resolved again (magic links still refused; *followed = 1:
 * the result may then be in our /proc/self), and then any failure means
 * "cannot" (*err = 0).  Returns the fd or -1. */
static int resolve(int start, const char *path, uint64_t flags, int *err, int *followed)
{
    struct open_how how = {.flags = flags, .resolve = RESOLVE_NO_SYMLINKS};
    int f = (int)syscall(SYS_openat2, start, path, &how, sizeof how);
    *err = 0;
    *followed = 0;
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
    *followed = 1;
    return (int)syscall(SYS_openat2, start, path, &how, sizeof how);
}

/* The directory holding path's last component (an O_PATH fd in *pfd) and
 * that component.  0, -errno, or 1 (cannot: trailing slash, "." or "..",
 * a magic link on the way, or a symlink that led into /proc).  Without a
 * symlink on the way the directory is the thread's, even in /proc (only
 * "self" and "thread-self", symlinks, depend on who looks). */
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
    int e, followed;
    int f = resolve(start, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, &e, &followed);
    if (f < 0)
        return e ? -e : 1;
    if (followed && (fstatfs(f, &sf) != 0 || sf.f_type == PROC_SUPER_MAGIC)) {
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
    int start, dir, cwdfd;
    const char *last;
};

static void side_close(struct side *s)
{
    if (s->dir >= 0 && s->dir != s->start)
        close(s->dir);
    start_close(s->start, s->cwdfd);
    s->dir = s->start = -1;
}

/* 0 (s ready), -errno, or 1 (cannot). */
static int side_open(struct side *s, int pid, int tid, int cwdfd, long dirfd, const char *path)
{
    s->start = s->dir = -1;
    s->cwdfd = cwdfd;
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

/* The umask of the process the next call is made for, when known (-1:
 * read it from /proc), and the one read then (-1: none was read). */
static __thread int t_umask_hint = -1, t_umask_seen = -1;
static __thread int t_umask_now = -1; /* this thread's own (-1: as inherited) */

void emu_umask_hint(int um)
{
    t_umask_hint = um;
    t_umask_seen = -1;
}

int emu_umask_seen(void) { return t_umask_seen; }

/* Set thread tid's umask (of process pid) in this thread (whose fs context
 * is its own): 0, or -1.  The caller's hint when it has one; else read
 * from /proc/PID/task/TID/status (a thread that unshared its fs context has
 * its own), through an fd kept for the last thread asked about (a dead
 * one's file fails: it is opened anew). */
static int umask_of(int pid, int tid)
{
    static __thread int fd = -1, fd_tid;
    char buf[4096];
    if (!t_fs_private)
        return -1;
    int um = t_umask_hint;
    for (int tries = 0; um < 0 && tries < 2; tries++) {
        if (fd < 0 || fd_tid != tid) {
            char path[64];
            if (fd >= 0)
                close(fd);
            snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
            fd = open(path, O_RDONLY | O_CLOEXEC);
            fd_tid = tid;
            if (fd < 0)
                return -1;
        }
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = 0;
            const char *u = strstr(buf, "\nUmask:");
            unsigned long v = u ? strtoul(u + 7, NULL, 8) : 01000;
            if (v > 0777)
                return -1;
            um = t_umask_seen = (int)v;
        } else {
            close(fd);
            fd = -1;
        }
    }
    if (um < 0)
        return -1;
    if (um != t_umask_now)
        umask((mode_t)um);
    t_umask_now = um;
    return 0;
}

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
    struct side x, y = {-1, -1, -1, NULL};
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
        if (fstatat(x.dir, x.last, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            res = -EEXIST; /* what mkdir says of any existing name, whatever the umask */
        } else if (umask_of(pid, tid) == 0) {
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

/* Is fd (on device dev) in a proc file system?  Never opened here: opening
 * /proc/PID/mem or environ asks whether the opener may ptrace PID, and the
 * supervisor may where the thread may not.  The devices seen not to be
 * procfs are remembered (a few, per thread). */
static int in_proc(int fd, dev_t dev)
{
    static __thread dev_t seen[8];
    static __thread unsigned nseen;
    for (unsigned i = 0; i < nseen && i < 8; i++)
        if (seen[i] == dev)
            return 0;
    struct statfs sf;
    if (fstatfs(fd, &sf) != 0 || sf.f_type == PROC_SUPER_MAGIC)
        return 1;
    seen[nseen++ % 8] = dev;
    return 0;
}

int emu_harmless_dev(dev_t rdev)
{
    /* /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom */
    return major(rdev) == 1 && (minor(rdev) == 3 || minor(rdev) == 5 || minor(rdev) == 7 ||
                                minor(rdev) == 8 || minor(rdev) == 9);
}

/* Errors the thread's own open would meet too, once the path led where it
 * leads for the thread (EEXIST only for an O_EXCL open: see create()). */
static int own_open_error(int e, int flags)
{
    switch (e) {
    case EACCES:
    case EPERM:
    case ENXIO:
    case ENODEV:
    case EISDIR:
    case ETXTBSY:
    case EOVERFLOW:
    case EFBIG:
    case EROFS:
        return 1;
    case ENOSPC:
    case EDQUOT:
    case EMLINK:
        return (flags & O_CREAT) != 0;
    }
    return 0;
}

/* Created by the last emu_open of this thread (a file it must not leave
 * behind if the thread does not get it: undone by emu_open_undo, if the
 * name still is that file). */
static __thread int t_made_dir = -1;
static __thread char t_made_name[NAME_MAX + 1];
static __thread dev_t t_made_dev;
static __thread ino_t t_made_ino;

static void made_forget(void)
{
    if (t_made_dir >= 0)
        close(t_made_dir);
    t_made_dir = -1;
}

void emu_open_undo(int remove)
{
    struct stat st;
    if (remove && t_made_dir >= 0 && fstatat(t_made_dir, t_made_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        st.st_dev == t_made_dev && st.st_ino == t_made_ino)
        unlinkat(t_made_dir, t_made_name, 0);
    made_forget();
}

/* fs.protected_regular (0, 1 or 2), read once; -1 when it cannot be read. */
static int protected_regular(void)
{
    static int level = -2;
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l == -2) {
        char buf[16] = "";
        int fd = open("/proc/sys/fs/protected_regular", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        l = n > 0 && buf[0] >= '0' && buf[0] <= '9' ? buf[0] - '0' : -1;
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
}

/* An O_CREAT open of a file that exists is made here without O_CREAT, which
 * skips the kernel's check for such opens in sticky directories (a file
 * another user owns in /tmp, under fs.protected_regular): the same check
 * here.  2: the file may be opened; 1: it may not (*rv); 0: the kernel's to
 * judge (a symbolic link or anything but a regular file, an unknown setting). */
static int sticky_create_check(int dir, const char *last, long *rv)
{
    int level = protected_regular();
    if (level <= 0)
        return level == 0 ? 2 : 0;
    struct stat ds, fs;
    /* (a symbolic link is the kernel's: its check is of the directory of the
     * file the link leads to, wherever that is) */
    if (fstatat(dir, last, &fs, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(fs.st_mode) ||
        fstat(dir, &ds) != 0)
        return 0;
    if (!(ds.st_mode & S_ISVTX))
        return 2;
    /* (the thread's fsuid is ours: emu_allowed compared the credentials) */
    if (fs.st_uid == ds.st_uid || fs.st_uid == geteuid())
        return 2;
    if ((ds.st_mode & S_IWOTH) || (level >= 2 && (ds.st_mode & S_IWGRP))) {
        *rv = -EACCES;
        return 1;
    }
    return 2;
}

/* O_CREAT: create the name for the thread (O_EXCL, with its umask): 1 when
 * done (*fd and its version *v, or *rv its error), 2 when the name exists
 * (and O_EXCL was not asked: the file is then opened as it is), 0 when it
 * cannot be made here. */
static int create(int pid, int tid, int start, const char *path, int flags, mode_t mode, int *fd,
                  struct pt_version *v, long *rv)
{
    int dir;
    const char *last;
    int r = parent_dir(start, path, &dir, &last);
    if (r != 0) {
        if (r < 0)
            *rv = r;
        return r < 0;
    }
    int ok = 0;
    struct stat st;
    if (strlen(last) > NAME_MAX || umask_of(pid, tid) != 0) {
        /* cannot be made here; a name that exists is opened as it is */
        if (fstatat(dir, last, &st, AT_SYMLINK_NOFOLLOW) == 0)
            ok = (flags & O_EXCL) ? (*rv = -EEXIST, 1) : sticky_create_check(dir, last, rv);
    } else {
        /* (an existing name, even a dangling symlink, says EEXIST first) */
        int f = openat(dir, last, (flags & PT_VALID_OPEN_FLAGS) | O_EXCL | O_CLOEXEC, mode);
        int e = errno;
        if (f >= 0 && fstat(f, &st) == 0) {
            *fd = f;
            ptw_version_of(&st, v);
            t_made_dir = dir != start ? dir : fcntl(dir, F_DUPFD_CLOEXEC, 0);
            t_made_dev = st.st_dev;
            t_made_ino = st.st_ino;
            dir = start; /* (kept) */
            strcpy(t_made_name, last);
            ok = 1;
        } else if (f >= 0) {
            close(f); /* (cannot happen: fstat of an fd just opened) */
        } else if (e == EEXIST) {
            ok = (flags & O_EXCL) ? (*rv = -EEXIST, 1) : sticky_create_check(dir, last, rv);
        } else if (e == ENOENT || e == ENOTDIR || own_open_error(e, flags) ||
                   fstatat(dir, last, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            /* (ENOENT: its directory was removed meanwhile; a name there now: the
             * file was made and then not opened, EINVAL for O_DIRECT say, as
             * natively) */
            *rv = -e;
            ok = 1;
        }
    }
    if (dir != start)
        close(dir);
    return ok;
}

int emu_open(int pid, int tid, int cwdfd, long nr, const uint64_t *a, const char *path, int *fd,
             struct pt_version *v, long *rv)
{
    long dirfd = nr == SYS_openat ? (long)(int)a[0] : AT_FDCWD;
    int flags = (int)(nr == SYS_openat ? a[2] : a[1]);
    mode_t mode = (mode_t)(nr == SYS_openat ? a[3] : a[2]);
    *fd = -1;
    made_forget();
    if (!path || (nr != SYS_open && nr != SYS_openat) || (flags & (O_PATH | PT_O_TMPFILE_BIT)) ||
        ((flags & O_CREAT) && (flags & O_DIRECTORY)))
        return 0; /* (an O_PATH fd cannot be handed over; O_TMPFILE and O_CREAT|O_DIRECTORY
                     are the kernel's to judge) */
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
    int ok = (flags & O_CREAT) ? create(pid, tid, start, path, flags, mode, fd, v, rv) : 2;
    if (ok != 2) {
        start_close(start, cwdfd);
        return ok;
    }
    /* an existing file: first where it leads, without opening it (O_PATH cannot block);
     * wherever it is, never open one in /proc (in_proc) */
    int e, followed;
    int pfd = resolve(start, path, (uint64_t)(O_PATH | O_CLOEXEC | (flags & (O_NOFOLLOW | O_DIRECTORY))), &e,
                      &followed);
    ok = 0;
    struct stat st, st2;
    if (pfd < 0) {
        if (e && !(flags & O_CREAT)) { /* (with O_CREAT: it was there a moment ago) */
            *rv = -e;
            ok = 1;
        }
    } else if (fstat(pfd, &st) == 0 && !in_proc(pfd, st.st_dev)) {
        if (S_ISLNK(st.st_mode)) {
            *rv = -ELOOP; /* O_NOFOLLOW met a symlink */
            ok = 1;
        } else if (S_ISDIR(st.st_mode) && (flags & O_CREAT)) {
            *rv = -EISDIR; /* whatever the access mode */
            ok = 1;
        } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ||
                   (S_ISCHR(st.st_mode) && emu_harmless_dev(st.st_rdev))) {
            /* now the open itself (open() ignores flag bits openat2 refuses) */
            struct open_how how = {.flags = (uint64_t)((flags & PT_VALID_OPEN_FLAGS & ~O_CREAT) | O_CLOEXEC),
                                   .resolve = RESOLVE_NO_MAGICLINKS};
            int f = (int)syscall(SYS_openat2, start, path, &how, sizeof how);
            if (f < 0) {
                e = errno; /* only what the thread's own open would say too */
                if (own_open_error(e, flags & ~O_CREAT)) {
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
    start_close(start, cwdfd);
    return ok;
}

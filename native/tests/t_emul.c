/*
 * t_emul.c — path calls whose results matter, for the calls the supervisor
 * makes itself (supervisor/emul.c) and those it must leave to the kernel:
 * a umask other than the supervisor's, chmod through a symlink, an fd as
 * the start, failures, rename/link/symlink, opens for reading (fd numbers,
 * fd and file flags, /dev/null, a FIFO, /proc/self, O_NOFOLLOW, running
 * out of fds), opens for writing (creation under the umask, O_EXCL,
 * O_TRUNC, O_APPEND, symlinks, running out of fds), and a credential call after which the supervisor may no
 * longer make calls for the process.  Built
 * static; prints what it saw, so that its output under the supervisor can
 * be compared with a native run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    printf("%s=%ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static void mode_of(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        printf("mode %s %o\n", path, (unsigned)(st.st_mode & 07777));
    else
        printf("mode %s missing\n", path);
}

static void opened(const char *what, int fd)
{
    if (fd < 0) {
        printf("open %s=-1 %s\n", what, strerror(errno));
        return;
    }
    printf("open %s=%d fdflags=%d flflags=0%o\n", what, fd, fcntl(fd, F_GETFD),
           (unsigned)fcntl(fd, F_GETFL));
}

/* With at most 16 fds: open path until none is left, then call then() (if
 * given) before closing them again. */
static void out_of_fds(const char *path, void (*then)(void))
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit few = {16, rl.rlim_max};
    setrlimit(RLIMIT_NOFILE, &few);
    int got[64], k = 0, last = 0;
    while (k < 64 && (last = open(path, O_RDONLY)) >= 0)
        got[k++] = last;
    printf("out of fds after %d: %s\n", k, last < 0 ? strerror(errno) : "no");
    if (then)
        then();
    while (k > 0)
        close(got[--k]);
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void create_w6(void) { opened("w6 out of fds", open("w6", O_WRONLY | O_CREAT, 0644)); }

/* Opens for reading: the supervisor opens the file and hands it over. */
static void opens(void)
{
    int fd = open("d1/f", O_RDONLY);
    opened("d1/f", fd);
    close(open("/nonexistent-dir/x", O_RDONLY));
    char buf[64];
    printf("read %zd\n", read(fd, buf, sizeof buf));
    int fd2 = open("d1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    opened("d1 (dir, cloexec)", fd2);
    close(fd);
    close(fd2);
    opened("/dev/null", open("/dev/null", O_RDONLY));
    opened("missing", open("missing", O_RDONLY));
    opened("ln O_NOFOLLOW", open("ln", O_RDONLY | O_NOFOLLOW));
    opened("ln O_PATH|O_NOFOLLOW", open("ln", O_PATH | O_NOFOLLOW));
    opened("d1/f O_DIRECTORY", open("d1/f", O_RDONLY | O_DIRECTORY));
    mkfifo("fifo", 0600);
    opened("fifo O_NONBLOCK", open("fifo", O_RDONLY | O_NONBLOCK));
    fd = open("/proc/self/status", O_RDONLY); /* ours, not the supervisor's */
    char st[4096];
    ssize_t n = fd >= 0 ? read(fd, st, sizeof st - 1) : -1;
    st[n > 0 ? n : 0] = 0;
    char *pid = strstr(st, "\nPid:");
    printf("/proc/self/status is mine: %d\n", pid && atoi(pid + 5) == getpid());
    close(fd);
    out_of_fds("d1/f", NULL);
    unlink("fifo");
}

/* Opens for writing: the supervisor creates or opens the file (with the
 * process's umask) and hands it over; what it cannot judge goes back to the
 * kernel.  Run after a first write open (the one that switches the thread's
 * exit stop on). */
static void wopens(void)
{
    struct stat st;
    int fd = open("w1", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    opened("w1 created", fd);
    printf("write %zd\n", write(fd, "abc", 3));
    close(fd);
    mode_of("w1");
    opened("w1 O_EXCL again", open("w1", O_WRONLY | O_CREAT | O_EXCL, 0600));
    fd = open("w1", O_RDWR | O_APPEND);
    opened("w1 O_RDWR|O_APPEND", fd);
    printf("write %zd\n", write(fd, "de", 2));
    close(fd);
    stat("w1", &st);
    printf("w1 size %ld\n", (long)st.st_size);
    fd = open("w1", O_WRONLY | O_CREAT | O_TRUNC, 0600); /* exists: opened, truncated */
    opened("w1 O_TRUNC", fd);
    close(fd);
    stat("w1", &st);
    printf("w1 size %ld\n", (long)st.st_size);
    symlink("w2", "dangling");
    fd = open("dangling", O_WRONLY | O_CREAT, 0644); /* creates w2 */
    opened("through a dangling symlink", fd);
    close(fd);
    mode_of("w2");
    opened("dangling O_EXCL", open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644));
    opened("symlink O_CREAT|O_NOFOLLOW", open("dangling", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644));
    opened("a directory for writing", open("d1", O_WRONLY));
    opened("a directory O_RDONLY|O_CREAT", open("d1", O_RDONLY | O_CREAT, 0644));
    opened("a symlink to a directory O_CREAT", open("ln", O_WRONLY | O_CREAT, 0644));
    opened("in a missing directory", open("nodir/x", O_WRONLY | O_CREAT, 0644));
    opened("O_CREAT|O_DIRECTORY", open("w3", O_RDWR | O_CREAT | O_DIRECTORY, 0644));
    mode_of("w3");
    opened("/dev/null for writing", open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666));
    opened("a trailing slash", open("w4/", O_WRONLY | O_CREAT, 0644));
    int dfd = open("d1", O_RDONLY | O_DIRECTORY);
    fd = openat(dfd, "w5", O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    opened("openat d1 w5 O_CLOEXEC", fd);
    close(fd);
    close(dfd);
    mode_of("d1/w5");
    out_of_fds("w1", create_w6);
    mode_of("w6"); /* natively never created */
    unlink("w1");
    unlink("w2");
    unlink("dangling");
    unlink("d1/w5");
}

/* Creates after umask changes: the supervisor keeps each process's umask
 * from its umask calls (a child starts with its parent's). */
static void umasks(void)
{
    umask(022);
    close(open("w7", O_WRONLY | O_CREAT, 0666));
    mode_of("w7");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        close(open("w8", O_WRONLY | O_CREAT, 0666)); /* 022, as its parent's */
        umask(0);
        close(open("w8b", O_WRONLY | O_CREAT, 0666));
        mkdir("d8", 0777);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    mode_of("w8");
    mode_of("w8b");
    mode_of("d8");
    close(open("w9", O_WRONLY | O_CREAT, 0666)); /* the child's umask was its own */
    mode_of("w9");
    /* a process that unshared its fs context: its umask is read again, in its children too */
    if (unshare(CLONE_FS) == 0) {
        umask(027);
        fflush(stdout);
        if ((c = fork()) == 0) {
            mkdir("d9", 0777);
            close(open("w10", O_WRONLY | O_CREAT, 0666));
            _exit(0);
        }
        waitpid(c, NULL, 0);
    }
    mode_of("d9");
    mode_of("w10");
    rmdir("d9");
    unlink("w10");
    umask(077);
    unlink("w7");
    unlink("w8");
    unlink("w8b");
    unlink("w9");
    rmdir("d8");
}

int main(void)
{
    umask(077);
    show("mkdir d1", mkdir("d1", 0777));
    mode_of("d1");
    show("mkdir d1 again", mkdir("d1", 0777));
    show("symlink d1 ln", symlink("d1", "ln"));
    show("chmod ln 750", chmod("ln", 0750)); /* follows the link */
    mode_of("d1");
    int dfd = open("d1", O_RDONLY | O_DIRECTORY);
    int fd = openat(dfd, "f", O_WRONLY | O_CREAT, 0666);
    close(fd);
    mode_of("d1/f");
    show("fchmodat d1/f 640", fchmodat(dfd, "f", 0640, 0));
    mode_of("d1/f");
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    show("utimensat d1/f", utimensat(dfd, "f", ts, 0));
    struct stat st;
    stat("d1/f", &st);
    printf("mtime %ld\n", (long)st.st_mtime);
    show("chown d1/f -1 -1", chown("d1/f", (uid_t)-1, (gid_t)-1));
    show("link d1/f d1/g", linkat(dfd, "f", dfd, "g", 0));
    show("rename d1/g d1/h", renameat(dfd, "g", dfd, "h"));
    show("unlink d1/h", unlinkat(dfd, "h", 0));
    show("unlink missing", unlink("missing"));
    show("unlink d1/f/x (ENOTDIR)", unlink("d1/f/x"));
    show("rmdir d1 (not empty)", rmdir("d1"));
    show("unlinkat bad dirfd", unlinkat(999, "x", 0));
    opens();
    wopens();
    umasks();
    show("setresuid to the same ids", syscall(SYS_setresuid, -1, -1, -1));
    show("mkdir d2", mkdir("d2", 0755));
    mode_of("d2");
    show("rmdir d2", rmdir("d2"));
    show("unlink d1/f", unlink("d1/f"));
    show("unlink ln", unlink("ln"));
    show("rmdir d1", rmdir("d1"));
    return 0;
}

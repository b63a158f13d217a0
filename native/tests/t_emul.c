/*
 * t_emul.c — path calls whose results matter, for the calls the supervisor
 * makes itself (supervisor/emul.c) and those it must leave to the kernel:
 * a umask other than the supervisor's, chmod through a symlink, an fd as
 * the start, failures, rename/link/symlink, and a credential call after
 * which the supervisor may no longer make calls for the process.  Built
 * static; prints what it saw, so that its output under the supervisor can
 * be compared with a native run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
    show("setresuid to the same ids", syscall(SYS_setresuid, -1, -1, -1));
    show("mkdir d2", mkdir("d2", 0755));
    mode_of("d2");
    show("rmdir d2", rmdir("d2"));
    show("unlink d1/f", unlink("d1/f"));
    show("unlink ln", unlink("ln"));
    show("rmdir d1", rmdir("d1"));
    return 0;
}

/* atcalls: every *at call with real directory fds (opened, O_PATH, dup'd,
 * fcntl-duplicated, dup2'd, reused after close) and fchdir.  argv[1]: an
 * absolute work directory. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static void put(int dirfd, const char *name, const char *text) {
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(name);
    if (write(fd, text, strlen(text)) < 0) die("write");
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    char buf[256];
    struct stat st;
    struct statx stx;
    int root = open(argv[1], O_RDONLY | O_DIRECTORY);
    if (root < 0) die("root");
    if (mkdirat(root, "sub", 0755) < 0) die("mkdirat");
    int sub = openat(root, "sub", O_RDONLY | O_DIRECTORY);
    if (sub < 0) die("sub");
    put(sub, "new.txt", "new\n");
    int fd = openat(sub, "new.txt", O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf) < 0) die("read new");
    close(fd);
    if (fstatat(sub, "new.txt", &st, 0) < 0) die("fstatat");
    if (fstatat(sub, "new.txt", &st, AT_SYMLINK_NOFOLLOW) < 0) die("fstatat nofollow");
    if (statx(sub, "new.txt", 0, STATX_BASIC_STATS, &stx) < 0) die("statx");
    if (faccessat(sub, "new.txt", R_OK, 0) < 0) die("faccessat");
    if (renameat(sub, "new.txt", root, "moved.txt") < 0) die("renameat");
    if (linkat(root, "moved.txt", sub, "hard.txt", 0) < 0) die("linkat");
    if (symlinkat("moved.txt", root, "sym.txt") < 0) die("symlinkat");
    if (readlinkat(root, "sym.txt", buf, sizeof buf) < 0) die("readlinkat");
    if (fchmodat(root, "moved.txt", 0600, 0) < 0) die("fchmodat");
    if (fchownat(root, "moved.txt", getuid(), getgid(), 0) < 0) die("fchownat");
    if (utimensat(root, "moved.txt", NULL, 0) < 0) die("utimensat");
    if (unlinkat(sub, "hard.txt", 0) < 0) die("unlinkat");
    if (mkdirat(sub, "gone", 0755) < 0 || unlinkat(sub, "gone", AT_REMOVEDIR) < 0) die("rmdir");
    if (mknodat(root, "fifo", S_IFIFO | 0644, 0) < 0) die("mknodat");
    if (renameat2(root, "moved.txt", sub, "final.txt", RENAME_NOREPLACE) < 0) die("renameat2");

    /* an O_PATH directory fd */
    int opath = openat(root, "sub", O_PATH | O_DIRECTORY);
    if (opath < 0) die("opath");
    put(opath, "via_opath.txt", "p\n");

    /* duplicated directory fds */
    int d2 = dup(root);
    put(d2, "via_dup.txt", "d\n");
    int d3 = fcntl(sub, F_DUPFD_CLOEXEC, 100);
    put(d3, "via_fcntl.txt", "f\n");
    if (dup2(sub, 50) != 50) die("dup2");
    put(50, "via_dup2.txt", "2\n");
    if (dup3(root, 51, O_CLOEXEC) != 51) die("dup3");
    put(51, "via_dup3.txt", "3\n");

    /* an fd number reused for another directory */
    if (mkdirat(root, "other", 0755) < 0) die("other");
    close(sub);
    int other = openat(root, "other", O_RDONLY | O_DIRECTORY);
    put(other, "reused.txt", "r\n");

    /* fchdir, then relative paths */
    if (fchdir(other) < 0) die("fchdir");
    put(AT_FDCWD, "rel.txt", "rel\n");
    if (truncate("rel.txt", 1) < 0) die("truncate");
    if (chdir("../sub") < 0) die("chdir");
    fd = open("final.txt", O_RDONLY);
    if (fd < 0) die("final");
    close(fd);
    if (unlinkat(AT_FDCWD, "via_dup2.txt", 0) < 0) die("unlink rel");
    puts("ok");
    return 0;
}

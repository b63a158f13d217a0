/* rawsyscall: file operations made through syscall(2) only. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

int main(void) {
    char buf[64];
    struct stat st;
    long fd = syscall(SYS_openat, AT_FDCWD, "raw_created.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write((int)fd, "raw\n", 4) != 4) die("openat create");
    close((int)fd);
    fd = syscall(SYS_openat, AT_FDCWD, "input.txt", O_RDONLY);
    if (fd < 0 || read((int)fd, buf, sizeof buf) < 0) die("openat read");
    close((int)fd);
    fd = syscall(SYS_open, "input.txt", O_RDONLY);
    if (fd < 0) die("open");
    close((int)fd);
    if (syscall(SYS_newfstatat, AT_FDCWD, "input.txt", &st, 0) < 0) die("newfstatat");
    if (syscall(SYS_mkdir, "rawdir", 0755) < 0) die("mkdir");
    if (syscall(SYS_rename, "raw_created.txt", "rawdir/renamed.txt") < 0) die("rename");
    if (syscall(SYS_unlink, "victim.txt") < 0) die("unlink");
    puts("ok");
    return 0;
}

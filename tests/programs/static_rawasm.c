/*
 * static_rawasm.c — dynamically linked, makes file system calls directly:
 * syscall(SYS_openat, ...) (the preload library wraps syscall()) and an
 * inline-asm openat that no LD_PRELOAD wrapper can see (--mode ptrace can).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static long asm_openat(int dirfd, const char *path, int flags, int mode)
{
    long ret;
    register long r10 __asm__("r10") = mode;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)SYS_openat), "D"((long)dirfd), "S"(path), "d"((long)flags), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

int main(void)
{
    long fd = syscall(SYS_openat, AT_FDCWD, "via_syscall.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write((int)fd, "a\n", 2) != 2)
        return 90;
    close((int)fd);
    fd = asm_openat(AT_FDCWD, "via_asm.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write((int)fd, "b\n", 2) != 2)
        return 91;
    close((int)fd);
    if (syscall(SYS_renameat, AT_FDCWD, "via_asm.txt", AT_FDCWD, "via_asm_renamed.txt") != 0)
        return 92;
    puts("ok");
    return 0;
}

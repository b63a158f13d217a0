/*
 * t_landlock.c — a dynamic program that sandboxes itself with Landlock (no
 * directory may be made or removed) and then execs its arguments: the
 * supervisor, which stands outside the sandbox, must not make calls for the
 * static program it runs.  Prints "landlock unavailable" where the kernel
 * has none.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    struct landlock_ruleset_attr ra = {.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_DIR |
                                                            LANDLOCK_ACCESS_FS_REMOVE_DIR};
    long rs = syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
    if (rs < 0) {
        printf("landlock unavailable: %s\n", strerror(errno));
        return 0;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
        perror("landlock_restrict_self");
        return 1;
    }
    execv(argv[1], argv + 1);
    perror("execv");
    return 1;
}

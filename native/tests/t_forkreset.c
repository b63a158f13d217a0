/*
 * t_forkreset.c — a child made by _Fork (no atfork handlers) right after a
 * vfork must still get its own per-process state: its records in a chunk of
 * its own, not over its parent's.  Each side opens its own file 20 times.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

extern pid_t _Fork(void);

static void opens(const char *path)
{
    for (int i = 0; i < 20; i++) {
        int fd = open(path, O_RDONLY);
        if (fd >= 0)
            close(fd);
    }
}

int main(void)
{
    pid_t v = vfork();
    if (v == 0)
        _exit(0);
    /* no call of ours between the vfork and _Fork */
    pid_t c = _Fork();
    if (c == 0) {
        opens("/etc/hostname");
        _exit(0);
    }
    opens("/etc/passwd");
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

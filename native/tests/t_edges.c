/*
 * t_edges.c — cases where a call the supervisor makes or answers for a
 * static program could differ from the program's own (built static; each
 * mode prints what it saw, compared with a native run):
 *   long   a path longer than the kernel takes (ENAMETOOLONG, nothing removed)
 *   devfd  /dev/fd/N, /proc/self/..., flag bits open() ignores
 *   eintr  a timer signal without SA_RESTART over calls that never see EINTR
 *   redo   the same with SA_RESTART over mkdir/rmdir (no call made twice)
 *   tcwd   a thread with a cwd of its own (unshare(CLONE_FS))
 *   mk     one mkdir (run under a Landlock sandbox by t_landlock)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int hits;
static void on_alarm(int s) { (void)s; hits++; }

static void timer(int restart, long usec)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, usec}, {0, usec}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void opened(const char *p, int flags)
{
    int fd = open(p, flags);
    printf("open(%s) = %d %s\n", p, fd, fd < 0 ? strerror(errno) : "");
    if (fd >= 0)
        close(fd);
}

static void *own_cwd(void *arg)
{
    (void)arg;
    unshare(CLONE_FS);
    if (chdir("sub") == 0)
        printf("thread: unlink(f) in sub = %d\n", unlink("f"));
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    struct stat st;
    if (!strcmp(mode, "long")) {
        static char p[8192];
        int n = 0;
        for (int i = 0; i < 2046; i++) {
            p[n++] = '.';
            p[n++] = '/';
        }
        strcpy(p + n, "target"); /* 4,098 bytes */
        close(open("target", O_CREAT | O_WRONLY, 0644));
        int r = unlink(p);
        printf("unlink(long) = %d %s; target %s\n", r, r ? strerror(errno) : "",
               access("target", F_OK) == 0 ? "kept" : "REMOVED");
        unlink("target");
    } else if (!strcmp(mode, "devfd")) {
        int f = open("/etc/hostname", O_RDONLY);
        dup2(f, 63);
        close(f);
        opened("/dev/fd/63", O_RDONLY);
        opened("/proc/self/fd/63", O_RDONLY);
        opened("/proc/self/fdinfo/63", O_RDONLY);
        opened("/etc/hostname", O_RDONLY | 0x10); /* a bit open() ignores */
        printf("stat(/dev/fd/63) = %d\n", stat("/dev/fd/63", &st));
    } else if (!strcmp(mode, "eintr") || !strcmp(mode, "redo")) {
        int restart = !strcmp(mode, "redo");
        timer(restart, 200);
        int bad = 0, eintr = 0;
        mkfifo("ff", 0600);
        for (int i = 0; i < 3000; i++) {
            /* opens that never wait natively: a file, /dev/null, a FIFO with
             * O_NONBLOCK, a file created for writing */
            static const struct {
                const char *path;
                int flags;
            } opens[] = {{"/etc/hostname", O_RDONLY}, {"/dev/null", O_RDONLY},
                         {"ff", O_RDONLY | O_NONBLOCK}, {"wf", O_WRONLY | O_CREAT | O_TRUNC}};
            int fd = open(opens[i % 4].path, opens[i % 4].flags, 0644);
            eintr += fd < 0 && errno == EINTR;
            eintr += fd >= 0 && close(fd) < 0 && errno == EINTR;
            eintr += stat("/etc/hostname", &st) < 0 && errno == EINTR;
            bad += mkdir("dd", 0755) != 0;
            bad += rmdir("dd") != 0;
        }
        timer(restart, 0);
        unlink("ff");
        unlink("wf");
        printf("%s: EINTR %d, mkdir/rmdir failed %d (%s)\n", mode, eintr, bad, hits > 0 ? "signals came" : "no signal");
    } else if (!strcmp(mode, "tcwd")) {
        mkdir("sub", 0755);
        close(open("f", O_CREAT | O_WRONLY, 0644));
        close(open("sub/f", O_CREAT | O_WRONLY, 0644));
        pthread_t t;
        pthread_create(&t, NULL, own_cwd, NULL);
        pthread_join(t, NULL);
        printf("./f %s, sub/f %s\n", access("f", F_OK) ? "removed" : "kept",
               access("sub/f", F_OK) ? "removed" : "kept");
        unlink("f");
        unlink("sub/f");
        rmdir("sub");
    } else if (!strcmp(mode, "mk")) {
        int r = mkdir("mk_dir", 0755);
        printf("mkdir = %d %s\n", r, r ? strerror(errno) : "");
        rmdir("mk_dir");
    } else {
        fprintf(stderr, "usage: t_edges long|devfd|eintr|redo|tcwd|mk\n");
        return 2;
    }
    return 0;
}

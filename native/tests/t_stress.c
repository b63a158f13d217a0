/* t_stress.c — 4 threads x N open+close while SIGALRM (~2 kHz) also opens
 * in the handler, interrupting the logger mid-record.  Prints the exact
 * number of successful opens of /dev/null performed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

static long n_per_thread = 10000;
static long opens;

static void on_alarm(int sig)
{
    (void)sig;
    int e = errno;
    int fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        __atomic_fetch_add(&opens, 1, __ATOMIC_RELAXED);
        close(fd);
    }
    errno = e;
}

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < n_per_thread; i++) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            __atomic_fetch_add(&opens, 1, __ATOMIC_RELAXED);
            close(fd);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        n_per_thread = atol(argv[1]);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 500}, {0, 500}};
    setitimer(ITIMER_REAL, &it, NULL);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("%ld\n", __atomic_load_n(&opens, __ATOMIC_RELAXED));
    return 0;
}

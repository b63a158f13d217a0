/* threads_stress DIR [THREADS] [OPENS]: THREADS threads open+close DIR/target
 * OPENS times each while the main thread keeps signalling them; the SIGUSR1
 * handler opens DIR/sig.  Prints the number of successful opens made. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char target[4096], sigpath[4096];
static int opens_each = 10000;
static atomic_long worker_opens, handler_opens, failures;
static atomic_int running;

static void on_usr1(int sig) {
    (void)sig;
    int saved = errno;
    int fd = openat(AT_FDCWD, sigpath, O_RDONLY);
    if (fd >= 0) { atomic_fetch_add(&handler_opens, 1); close(fd); }
    else atomic_fetch_add(&failures, 1);
    errno = saved;
}

static void *work(void *arg) {
    (void)arg;
    for (int i = 0; i < opens_each; i++) {
        int fd = open(target, O_RDONLY);
        if (fd >= 0) { atomic_fetch_add(&worker_opens, 1); close(fd); }
        else atomic_fetch_add(&failures, 1);
    }
    atomic_fetch_sub(&running, 1);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int nthreads = argc > 2 ? atoi(argv[2]) : 4;
    if (argc > 3) opens_each = atoi(argv[3]);
    snprintf(target, sizeof target, "%s/target", argv[1]);
    snprintf(sigpath, sizeof sigpath, "%s/sig", argv[1]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t *t = calloc((size_t)nthreads, sizeof *t);
    atomic_store(&running, nthreads);
    for (int i = 0; i < nthreads; i++) pthread_create(&t[i], NULL, work, NULL);
    long sent = 0;
    while (atomic_load(&running) > 0) {
        for (int i = 0; i < nthreads; i++) pthread_kill(t[i], SIGUSR1);
        sent += nthreads;
        usleep(200);
    }
    for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
    raise(SIGUSR1);  /* at least one handler run, in the main thread */
    printf("opens=%ld worker=%ld handler=%ld failures=%ld signals=%ld\n",
           atomic_load(&worker_opens) + atomic_load(&handler_opens), atomic_load(&worker_opens),
           atomic_load(&handler_opens), atomic_load(&failures), sent + 1);
    return 0;
}

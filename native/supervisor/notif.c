/*
 * notif.c — the supervisor's side of notify filters (common/ptfilter.h):
 * the listener fds that exec wrappers send back, and the threads that
 * answer their notifications.
 *
 * A watcher thread waits (epoll) on the connections a listener is still to
 * come from, and on listeners nobody serves yet.  A listener whose first
 * notification arrives goes to a server thread of its own (from a pool),
 * which loops on SECCOMP_IOCTL_NOTIF_RECV.  With
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6) the kernel runs that
 * thread on the caller's CPU and the caller again on the same CPU when it
 * is answered: no cross-CPU wake-up, which is most of what a ptrace stop
 * costs.  A listener that never has a notification (a short static program)
 * is closed by the watcher when its last process is gone (EPOLLHUP).
 * Every signal is blocked in these threads: signals are the wait loop's.
 */

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sup.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

enum { W_CONN, W_LISTENER };
struct watch {
    int fd, kind;
};

static int g_on, g_ep = -1;

/* listeners waiting for a server thread */
#define QCAP 4096
static pthread_mutex_t g_qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_qcv = PTHREAD_COND_INITIALIZER;
static int g_q[QCAP], g_qn, g_idle;

int notif_enabled(void) { return g_on; }

/* SECCOMP_USER_NOTIF_FLAG_CONTINUE came in Linux 5.5. */
static int kernel_ok(void)
{
    struct utsname u;
    int major = 0, minor = 0;
    if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
        return 0;
    return major > 5 || (major == 5 && minor >= 5);
}

static int spawn(void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread starts with all blocked */
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 << 10);
    pthread_t th;
    int rc = pthread_create(&th, &at, fn, arg);
    pthread_attr_destroy(&at);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

struct valid_ctx {
    int fd;
    uint64_t id;
};

/* Is the thread still waiting for this answer (not withdrawn by a signal)? */
static int still_valid(void *ctx)
{
    struct valid_ctx *v = ctx;
    return ioctl(v->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &v->id) == 0;
}

/* Answer one listener's notifications until no process uses its filter. */
static void serve(int fd)
{
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    for (;;) {
        memset(&req, 0, sizeof req);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOENT) { /* withdrawn, or the filter's last user is gone */
                struct pollfd p = {fd, POLLIN, 0};
                if (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP))
                    return;
                continue;
            }
            SUP_DEBUG("notification listener %d: %s", fd, strerror(errno));
            return;
        }
        long rv = 0;
        struct valid_ctx vc = {fd, req.id};
        int how = NOTIF_CONTINUE;
        if (req.pid > 0 && req.data.arch == AUDIT_ARCH_X86_64)
            how = trace_notif((int)req.pid, (long)req.data.nr, (const uint64_t *)req.data.args,
                              still_valid, &vc, &rv);
        if (how == NOTIF_HOLD)
            continue; /* the wait loop took the call over */
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        if (how == NOTIF_RESULT) { /* the call was made here: its result is the thread's */
            resp.error = rv < 0 ? (int)rv : 0;
            resp.val = rv < 0 ? 0 : rv;
        } else {
            resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        }
        trace_notif_done(ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
    }
}

static void *server(void *arg)
{
    (void)arg;
    emu_thread_init();
    for (;;) {
        pthread_mutex_lock(&g_qlock);
        g_idle++;
        while (!g_qn)
            pthread_cond_wait(&g_qcv, &g_qlock);
        g_idle--;
        int fd = g_q[--g_qn];
        pthread_mutex_unlock(&g_qlock);
        serve(fd);
        close(fd);
    }
    return NULL;
}

/* A listener with a notification: to an idle server, or a new one. */
static void hand(int fd)
{
    pthread_mutex_lock(&g_qlock);
    if (g_qn == QCAP) { /* cannot happen short of thousands of busy programs */
        pthread_mutex_unlock(&g_qlock);
        SUP_DEBUG("too many listeners waiting for a server; %d dropped", fd);
        close(fd);
        return;
    }
    g_q[g_qn++] = fd;
    int start = g_idle < g_qn;
    pthread_cond_signal(&g_qcv);
    pthread_mutex_unlock(&g_qlock);
    if (start && spawn(server, NULL) != 0)
        SUP_DEBUG("cannot start a server thread: listener %d waits for a busy one", fd);
}

/* The listener fd sent on conn (SCM_RIGHTS), -EAGAIN if none yet, -1 at EOF. */
static int recv_fd(int conn)
{
    char one;
    struct iovec io = {&one, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = sizeof u.buf;
    ssize_t n = recvmsg(conn, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? -EAGAIN : -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (n == 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

static void drop(struct watch *w)
{
    epoll_ctl(g_ep, EPOLL_CTL_DEL, w->fd, NULL);
    close(w->fd);
    free(w);
}

static void *watcher(void *arg)
{
    (void)arg;
    struct epoll_event ev[32];
    for (;;) {
        int n = epoll_wait(g_ep, ev, 32, -1);
        for (int i = 0; i < n; i++) {
            struct watch *w = ev[i].data.ptr;
            if (w->kind == W_CONN) {
                int fd = recv_fd(w->fd);
                if (fd == -EAGAIN)
                    continue;
                if (fd < 0) { /* no filter came (the wrapper could not install one) */
                    drop(w);
                    continue;
                }
                epoll_ctl(g_ep, EPOLL_CTL_DEL, w->fd, NULL);
                close(w->fd);
                ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (uint64_t)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
                w->fd = fd;
                w->kind = W_LISTENER;
                struct epoll_event e = {EPOLLIN, {.ptr = w}};
                if (epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &e) != 0) {
                    hand(fd);
                    free(w);
                }
            } else if (ev[i].events & EPOLLIN) {
                epoll_ctl(g_ep, EPOLL_CTL_DEL, w->fd, NULL);
                hand(w->fd);
                free(w);
            } else {
                drop(w); /* EPOLLHUP: no process uses the filter any more */
            }
        }
    }
    return NULL;
}

int notif_start(void)
{
    const char *env = getenv("PROVTRACE_NOTIFY"); /* 0: RET_TRACE only (comparisons, tests) */
    if ((env && env[0] == '0') || !kernel_ok())
        return -1;
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    if (g_ep < 0 || spawn(watcher, NULL) != 0) {
        if (g_ep >= 0)
            close(g_ep);
        g_ep = -1;
        return -1;
    }
    g_on = 1;
    return 0;
}

void notif_watch(int conn)
{
    struct watch *w = malloc(sizeof *w);
    if (w) {
        w->fd = conn;
        w->kind = W_CONN;
    }
    struct epoll_event e = {EPOLLIN | EPOLLRDHUP, {.ptr = w}};
    if (!w || !g_on || epoll_ctl(g_ep, EPOLL_CTL_ADD, conn, &e) != 0) {
        free(w);
        close(conn);
    }
}

/*
 * notif.c — the supervisor's side of notify filters (common/ptfilter.h):
 * the listener fds that exec wrappers send back, and the threads that
 * answer their notifications.
 *
 * Lazy requests (ptsup.h) come on a socket of their own, accepted by the
 * threads that serve them: the request comes first and the process is
 * registered while the wrapper installs its filter; then the listener,
 * so no notification of the process is seen before it is known.
 *
 * Each connection a listener is to come on (a routed exec's request socket,
 * or the root command's socketpair) goes to a server thread of its own,
 * from a pool: it waits for the listener, then loops on
 * SECCOMP_IOCTL_NOTIF_RECV until no process uses the filter any more.
 * With SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6) the kernel runs that
 * thread on the caller's CPU, and the caller again on the same CPU when it
 * is answered: no cross-CPU wake-up, which is most of what a ptrace stop
 * costs.  Every signal is blocked in these threads: signals are the wait
 * loop's.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ptsup.h"
#include "sup.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

static int g_on;

/* connections waiting for a server thread */
static pthread_mutex_t g_qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_qcv = PTHREAD_COND_INITIALIZER;
static int *g_q, g_qn, g_qcap, g_idle;

int notif_enabled(void) { return g_on; }

static int kernel_at_least(int want_major, int want_minor)
{
    struct utsname u;
    int major = 0, minor = 0;
    if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
        return 0;
    return major > want_major || (major == want_major && minor >= want_minor);
}

/* What the notifications rely on: FLAG_CONTINUE (5.5), ADDFD (5.9) with
 * SEND (5.14), POLLHUP of an unused filter, and the filters' killable wait
 * (5.19, without which wrappers fall back to RET_TRACE anyway). */
static int kernel_ok(void) { return kernel_at_least(5, 19); }

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

/* Wake-ups of listener fd on the caller's CPU (Linux 6.6); then 1 if a
 * blocked RECV also returns at the filter's end (6.11: serve()). */
static int sync_wake(int fd)
{
    static int recv_ends = -1;
    if (recv_ends < 0)
        recv_ends = kernel_at_least(6, 11);
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (uint64_t)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
    return recv_ends;
}

/* Answer one listener's notifications until no process uses its filter.
 * recv_ends: a blocked RECV returns when the filter's last user is gone
 * (Linux 6.11); before, only poll reported that (POLLHUP), so each RECV
 * waits behind a poll.  blind: the processes are not ours to record, every
 * call goes on as it would. */
static void serve(int fd, int recv_ends, int blind)
{
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (!recv_ends && poll(&pf, 1, -1) < 0 && errno != EINTR)
            return;
        if (!recv_ends && !(pf.revents & POLLIN)) {
            if (pf.revents & (POLLHUP | POLLERR | POLLNVAL))
                return;
            continue;
        }
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
        struct notif_answer ans = {0, -1, 0, 0};
        int how = NOTIF_CONTINUE;
        if (req.pid > 0 && req.data.arch == AUDIT_ARCH_X86_64 && !blind)
            how = trace_notif((int)req.pid, (long)req.data.nr, (const uint64_t *)req.data.args, fd,
                              req.id, &ans);
        if (how == NOTIF_HOLD)
            continue; /* the wait loop took the call over */
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        if (how == NOTIF_ADDFD) { /* the file opened here becomes the thread's, as its result */
            struct seccomp_notif_addfd add;
            memset(&add, 0, sizeof add);
            add.id = req.id;
            /* a file opened for writing is known as such before the thread runs on
             * (it may write and exit at once: its version is taken at that exit) */
            add.flags = ans.written ? 0 : SECCOMP_ADDFD_FLAG_SEND;
            add.srcfd = (uint32_t)ans.fd;
            add.newfd_flags = ans.cloexec ? O_CLOEXEC : 0;
            long got = ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
            int e = errno;
            close(ans.fd);
            if (got >= 0) {
                trace_notif_opened(got);
                if (ans.written) {
                    resp.val = got;
                    trace_notif_done(ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
                } else {
                    trace_notif_done(1);
                }
                continue;
            }
            if (e == ENOENT || e == ESRCH) { /* withdrawn (or it died): the open will come again */
                trace_notif_done(0);
                continue;
            }
            if (!trace_notif_open_failed(e, fd, req.id))
                continue; /* not a failure its own open would have: the wait loop steps it */
            ans.rv = -e; /* EMFILE: what its own open says */
            how = NOTIF_RESULT;
        }
        if (how == NOTIF_RESULT) { /* the call was made here: its result is the thread's */
            resp.error = ans.rv < 0 ? (int)ans.rv : 0;
            resp.val = ans.rv < 0 ? 0 : ans.rv;
        } else {
            resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        }
        trace_notif_done(ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
    }
}

/* The listener fd sent on conn (SCM_RIGHTS), or -1 (the wrapper closed it
 * without one: it could not install the filter, or it died). */
static int recv_fd(int conn)
{
    char one;
    struct iovec io = {&one, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m;
    ssize_t n;
    do {
        memset(&m, 0, sizeof m);
        m.msg_iov = &io;
        m.msg_iovlen = 1;
        m.msg_control = u.buf;
        m.msg_controllen = sizeof u.buf;
        n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (n <= 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
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
        int conn = g_q[--g_qn];
        pthread_mutex_unlock(&g_qlock);
        int fd = recv_fd(conn);
        close(conn);
        if (fd < 0)
            continue;
        serve(fd, sync_wake(fd), 0);
        close(fd);
    }
    return NULL;
}

int notif_start(void)
{
    const char *env = getenv("PROVTRACE_NOTIFY"); /* 0: RET_TRACE only (comparisons, tests) */
    if ((env && env[0] == '0') || !kernel_ok())
        return -1;
    g_on = 1;
    return 0;
}

static int g_lazy_sock = -1, g_lazy_idle;

/* One lazy request on conn: the request first (registered while the wrapper
 * installs its filter, so the look-up checks overlap that), then the
 * listener, served until no process uses the filter. */
static void serve_lazy(int conn)
{
    struct pt_sup_req rq;
    struct ucred cr;
    socklen_t cl = sizeof cr;
    struct timeval tv = {2, 0}; /* both messages are sent at once (a dead wrapper: EOF) */
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (recv(conn, &rq, sizeof rq, 0) != (ssize_t)sizeof rq || rq.magic != PT_SUP_MAGIC ||
        !(rq.flags & PT_SUP_REQ_LAZY) || getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0)
        return;
    if (cr.pid != rq.tid) {
        /* (a process's main thread, for itself only) its pid is not ours: it is
         * in a pid namespace of its own after all; its filter must be answered */
        int fd = recv_fd(conn);
        if (fd >= 0) {
            sup_log(rq.tid, rq.tid, PT_OP_UNTRACED, (rq.flags >> 8) & 0xff, 0, 0, 0, 0, 0, NULL, "",
                    "routed; in a pid namespace of its own (the supervisor cannot reach it)");
            serve(fd, sync_wake(fd), 1);
            close(fd);
        }
        return;
    }
    trace_adopt_lazy(&rq, conn);
    int fd = recv_fd(conn);
    if (fd < 0) { /* no filter after all: it is not ours */
        trace_lazy_gone(rq.tid, conn, 0);
        return;
    }
    serve(fd, sync_wake(fd), 0);
    int gone = trace_lazy_gone(rq.tid, conn, 1);
    gone += trace_listener_gone(fd); /* its children, if it could not be seized */
    if (gone && sup_root_done())
        kill(req_doorbell(), SIGWINCH); /* the wait loop may be waiting for it alone */
    close(fd);
}

/* Lazy requests are accepted by the threads that serve them: one always
 * waits in accept() (the one that takes a connection starts another if it
 * was the last), so a request wakes exactly one thread. */
static void *lazy_server(void *arg)
{
    (void)arg;
    emu_thread_init();
    for (;;) {
        __atomic_add_fetch(&g_lazy_idle, 1, __ATOMIC_ACQ_REL);
        int c = accept4(g_lazy_sock, NULL, NULL, SOCK_CLOEXEC);
        if (__atomic_sub_fetch(&g_lazy_idle, 1, __ATOMIC_ACQ_REL) == 0 && spawn(lazy_server, NULL) != 0)
            SUP_DEBUG("cannot start a server thread: lazy requests wait for a busy one");
        if (c < 0) {
            if (errno != EINTR && errno != ECONNABORTED)
                usleep(1000); /* (EMFILE: the wrapper waits in its send) */
            continue;
        }
        serve_lazy(c);
        close(c);
    }
    return NULL;
}

int notif_lazy_start(const char *session)
{
    struct sockaddr_un sa;
    socklen_t len = pt_sup_addr(session, &sa, 1);
    g_lazy_sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (g_lazy_sock < 0)
        return -errno;
    if (bind(g_lazy_sock, (struct sockaddr *)&sa, len) != 0 || listen(g_lazy_sock, 128) != 0 ||
        spawn(lazy_server, NULL) != 0) {
        int e = errno;
        close(g_lazy_sock);
        g_lazy_sock = -1;
        return -e;
    }
    return 0;
}

void notif_watch(int conn)
{
    pthread_mutex_lock(&g_qlock);
    if (g_qn == g_qcap) {
        int cap = g_qcap ? 2 * g_qcap : 64;
        int *q = realloc(g_q, (size_t)cap * sizeof *q);
        if (!q) {
            pthread_mutex_unlock(&g_qlock);
            perror("provtrace-supervisor");
            exit(70); /* its listener would be lost: its calls would fail */
        }
        g_q = q;
        g_qcap = cap;
    }
    g_q[g_qn++] = conn;
    int start = g_idle < g_qn;
    pthread_cond_signal(&g_qcv);
    pthread_mutex_unlock(&g_qlock);
    if (start && spawn(server, NULL) != 0)
        SUP_DEBUG("cannot start a server thread: a listener waits for a busy one");
}

/*
 * req.c — requests from exec wrappers ("trace me, I am about to exec a
 * static program") on the session's abstract socket, and the ptrace probe.
 * The PTRACE_SEIZE must come from the wait-loop thread (ptrace requests are
 * per tracer thread), which sleeps in waitpid(): the wrapper connects, sends
 * its request, then sends the supervisor PT_SUP_WAKE, which interrupts that
 * waitpid(); the loop accepts and answers every pending request.  A signal
 * landing just before the loop blocks is not lost for long: the wrapper
 * sends it again every PT_SUP_RESEND_MS until it has its answer.  (Two
 * context switches per request; a relay thread would add two more.)
 * The "doorbell" is a child that only sleeps: seizing it at start-up tells
 * whether ptrace is permitted here at all.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptsup.h"
#include "sup.h"

static int g_listen = -1;
static int g_doorbell;

int req_doorbell(void) { return g_doorbell; }

int req_doorbell_setup(char *why, size_t cap)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(why, cap, "pipe: %s", strerror(errno));
        return -errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        snprintf(why, cap, "fork: %s", strerror(e));
        close(pipefd[0]);
        close(pipefd[1]);
        return -e;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        prctl(PR_SET_NAME, "pt-doorbell");
        sigset_t none; /* its ring (SIGWINCH) must stop it, whatever mask we were given */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGWINCH, SIG_DFL);
        close(pipefd[0]);
        close(pipefd[1]); /* tells the parent we run (and PDEATHSIG is set) */
        for (;;)
            pause();
    }
    close(pipefd[1]);
    char c;
    while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
        ;
    close(pipefd[0]);
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)PTRACE_O_EXITKILL) != 0) {
        int e = errno;
        snprintf(why, cap, "PTRACE_SEIZE: %s", strerror(e));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -e;
    }
    g_doorbell = pid;
    return 0;
}

static void reply(int conn, int status, const char *reason)
{
    struct pt_sup_rep rep;
    memset(&rep, 0, sizeof rep);
    rep.status = status;
    if (reason)
        snprintf(rep.reason, sizeof rep.reason, "%s", reason);
    send(conn, &rep, sizeof rep, MSG_NOSIGNAL);
    if (status == PT_SUP_SEIZED && notif_enabled())
        notif_watch(conn); /* its filter's listener comes back on it */
    else
        close(conn);
}

/* Is tid a thread of pid? (a request may only ask for its own threads) */
static int own_thread(int pid, int tid)
{
    if (tid == pid)
        return 1; /* its main thread (the usual case): no look-up needed */
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/task/%d", pid, tid);
    struct stat st;
    return stat(p, &st) == 0;
}

/* Why a seize failed, in words a user can act on. */
static int seize_reason(int tid, int e, char *buf, size_t cap)
{
    char p[64], line[256];
    int tracer = 0;
    snprintf(p, sizeof p, "/proc/%d/status", tid);
    FILE *f = fopen(p, "re");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "TracerPid:", 10))
                tracer = atoi(line + 10);
        fclose(f);
    }
    if (tracer == getpid())
        return 1; /* ours already (its first stop is still queued) */
    if (e == EPERM && tracer)
        snprintf(buf, cap, "already traced by another tracer (pid %d)", tracer);
    else
        snprintf(buf, cap, "ptrace is not permitted here (PTRACE_SEIZE: %s)", strerror(e));
    return 0;
}

/* One request, read and answered by the wait-loop thread. */
static void serve_one(int c)
{
    struct ucred cr;
    socklen_t cl = sizeof cr;
    struct pt_sup_req rq;
    struct timeval tv = {1, 0}; /* the request is sent before the wake-up signal */
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0 ||
        recv(c, &rq, sizeof rq, 0) != (ssize_t)sizeof rq || rq.magic != PT_SUP_MAGIC) {
        reply(c, PT_SUP_FAILED, "malformed request to the supervisor");
        return;
    }
    if (!own_thread(cr.pid, rq.tid)) {
        reply(c, PT_SUP_FAILED, "request for a thread of another process");
        return;
    }
    if (!sup_ptrace_ok) {
        reply(c, PT_SUP_FAILED, sup_ptrace_reason);
        return;
    }
    int routed = (rq.flags & PT_SUP_REQ_ROUTED) && rq.tid == cr.pid;
    if (trace_known_traceable(rq.tid)) {
        if (routed)
            trace_rerouted(rq.tid, (rq.flags >> 8) & 0xff);
        reply(c, PT_SUP_ALREADY, NULL);
    } else if (ptrace(PTRACE_SEIZE, rq.tid, 0,
                      (void *)(routed ? SUP_ROUTED_OPTIONS : sup_seize_options())) == 0) {
        if (routed)
            trace_adopt_routed(rq.tid, cr.pid, rq.ppid, (rq.flags >> 8) & 0xff);
        else
            trace_adopt(rq.tid, cr.pid, rq.ppid);
        SUP_DEBUG("seized %d (pid %d) on request", rq.tid, cr.pid);
        reply(c, PT_SUP_SEIZED, NULL);
        trace_prime(cr.pid); /* while it execs */
    } else {
        char why[160];
        if (seize_reason(rq.tid, errno, why, sizeof why)) {
            reply(c, PT_SUP_ALREADY, NULL);
        } else {
            SUP_DEBUG("seize of %d failed: %s", rq.tid, why);
            reply(c, PT_SUP_FAILED, why);
        }
    }
}

int req_start(const char *session)
{
    struct sockaddr_un sa;
    socklen_t len = pt_sup_addr(session, &sa, 0);
    g_listen = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (g_listen < 0)
        return -errno;
    if (bind(g_listen, (struct sockaddr *)&sa, len) != 0 || listen(g_listen, 128) != 0) {
        int e = errno;
        close(g_listen);
        g_listen = -1;
        return -e;
    }
    return 0;
}

/* Serve every pending request (called when the wake-up signal came). */
void req_drain(void)
{
    if (g_listen < 0)
        return;
    for (;;) {
        int c = accept4(g_listen, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return; /* EAGAIN: none left */
        }
        serve_one(c);
    }
}

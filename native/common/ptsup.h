/*
 * ptsup.h — how an exec wrapper asks provtrace-supervisor to trace it.
 *
 * The supervisor listens on an abstract AF_UNIX SOCK_SEQPACKET socket whose
 * name is derived from the session log path (so it needs no fd and no file:
 * programs that close every fd or change directory can still reach it).
 * The wrapper sends one pt_sup_req naming its own thread, then signals the
 * supervisor (PT_SUP_WAKE, resent every PT_SUP_RESEND_MS while waiting); the
 * supervisor PTRACE_SEIZEs that thread and answers with one pt_sup_rep.  On
 * PT_SUP_SEIZED the wrapper installs the seccomp filter (ptfilter.h) and
 * execs; on PT_SUP_ALREADY (it is traced already, filter included) it just
 * execs; on an error it records the exec as untraced with rep.reason.
 * When the log header has PT_HDR_NOTIFY the filter is a notify filter: the
 * wrapper sends its listener fd back on the same connection (one byte with
 * SCM_RIGHTS, pt_sup_send_fd) and closes both with pt_cookie_close before
 * the exec; the supervisor serves the listener from then on.
 *
 * A lazy request (PT_SUP_REQ_LAZY, header flag PT_HDR_LAZY) needs no answer
 * and no wake-up: the wrapper connects to the session's second socket
 * (pt_sup_addr(.., 1)), sends the pt_sup_req, installs the lazy filter,
 * sends its listener (pt_sup_send_fd) and execs.  A supervisor thread
 * accepts it, registers the process unseized, and serves the listener; the
 * process is seized only when a call needs ptrace (see PT_FILTER_LAZY).
 */
#ifndef PTSUP_H
#define PTSUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>

#include "ptfilter.h"
#include "provtrace_log.h"

#define PT_SUP_MAGIC 0x50545355u /* "PTSU" */
#define PT_SUP_WAKE 12           /* SIGUSR2: sent to the supervisor after a request */
#define PT_SUP_RESEND_MS 2       /* ... and again every 2 ms until it answers */
#define PT_SUP_NAME "provtrace-sup-"

struct pt_sup_req {
    uint32_t magic; /* PT_SUP_MAGIC */
    int32_t tid;    /* the thread to trace: the caller's own */
    int32_t ppid;   /* the caller's parent (for the START record) */
    int32_t flags;  /* PT_SUP_REQ_* | class << 8 */
    /* lazy: where the caller's image holds a value of its own choosing, and
     * that value (it is there until the exec: whether the exec happened) */
    uint64_t mark_addr, mark;
    uint64_t key;              /* lazy: pt_lazy_key of what it execs */
};

#define PT_FNV_BASIS 1469598103934665603ull

/* FNV-1a 64 of the string s, continuing from h (PT_FNV_BASIS to start). */
static inline uint64_t pt_fnv(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* What a lazy request runs, as a key: its path and first argument (a
 * multi-call binary's `busybox sh` and `busybox true` differ).  Never 0. */
static inline uint64_t pt_lazy_key(const char *path, const char *arg1)
{
    return pt_fnv(pt_fnv(pt_fnv(PT_FNV_BASIS, path), "\n"), arg1 ? arg1 : "") | 1;
}

/* Its slot in the header's table of programs that had to be seized. */
static inline uint64_t *pt_seized_slot(void *hdr, uint64_t key)
{
    return (uint64_t *)((char *)hdr + PT_SEIZED_OFF) + key % PT_SEIZED_SLOTS;
}

/* pt_sup_req.flags: the caller is its process's main thread and execs with
 * PT_EXEC_COOKIE right after the answer, so its exec needs no stop: the
 * supervisor announces the new image at its first stop (START with
 * PT_TRACER_PTRACE_ROUTED) instead of at a PTRACE_EVENT_EXEC.  Bits 8-15
 * carry the class the wrapper found. */
#define PT_SUP_REQ_ROUTED 1
#define PT_SUP_REQ_LAZY 2 /* (with ROUTED) not seized; the listener follows; no answer */

enum pt_sup_status {
    PT_SUP_SEIZED = 0,  /* traced now: install the filter, then exec */
    PT_SUP_ALREADY = 1, /* already traced by this supervisor (filter inherited) */
    PT_SUP_FAILED = -1, /* not traced: reason says why */
};

struct pt_sup_rep {
    int32_t status; /* enum pt_sup_status */
    char reason[188];
};

/* The abstract socket address of the session whose log is `session`
 * (lazy: the one for lazy requests). */
static inline socklen_t pt_sup_addr(const char *session, struct sockaddr_un *sa, int lazy)
{
    uint64_t h = pt_fnv(PT_FNV_BASIS, session);
    char *d = sa->sun_path;
    sa->sun_family = AF_UNIX;
    d[0] = 0;
    const char *pre = PT_SUP_NAME;
    int n = 1;
    while (*pre)
        d[n++] = *pre++;
    for (int i = 15; i >= 0; i--)
        d[n++] = "0123456789abcdef"[(h >> (i * 4)) & 15];
    if (lazy)
        d[n++] = 'L';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n);
}

/* Send fd over the connected socket s (raw sendmsg: the preload library
 * must not log it).  0 or -errno. */
static inline long pt_sup_send_fd(int s, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    char one = 'L';
    struct iovec io = {&one, 1};
    struct msghdr m;
    char *z = (char *)&m;
    for (size_t i = 0; i < sizeof m; i++)
        z[i] = 0;
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    char *d = (char *)CMSG_DATA(c), *f = (char *)&fd;
    for (size_t i = 0; i < sizeof fd; i++)
        d[i] = f[i];
    long r = ptf_sys3(SYS_sendmsg, s, (long)&m, MSG_NOSIGNAL);
    return r == 1 ? 0 : (r < 0 ? r : -5 /* EIO */);
}

#endif

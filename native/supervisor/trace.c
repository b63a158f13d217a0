/*
 * trace.c — the ptrace side: which threads and processes are traced, what
 * each stop means, and the records a traced image's system calls become.
 *
 * A traced thread stops at the seccomp filter's RET_TRACE (syscall entry:
 * arguments and paths are read there), and when the result matters it is
 * resumed with PTRACE_SYSCALL to stop again at syscall exit (the return
 * value).  fork/vfork/clone, exec and exit arrive as ptrace events.
 * Calls that a notify filter hands over (SECCOMP_RET_USER_NOTIF: close and
 * the stat, access and readlink families, whose records are complete at
 * entry) come to trace_notif() from the notification threads (notif.c)
 * while the caller waits in the kernel; one lock keeps the tables whole.
 * When such a call's result can neither be looked up at entry nor made by
 * the supervisor (a process that no longer shares our root, a FIFO), the
 * wait loop takes it over: it asks for a stop (PTRACE_INTERRUPT: the
 * thread's wait for its answer is killable only, so nothing is withdrawn),
 * answers "continue", and reads the call's result from the registers at
 * that stop, which comes as the thread leaves the kernel.  A
 * process whose current image runs the preload library (a dynamic glibc
 * program with LD_PRELOAD intact) is "quiet": its stops are resumed at once
 * and the library's own records stand for it, so nothing is logged twice.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptfilter.h"
#include "ptsup.h"
#include "sup.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif

enum sup_mode sup_mode = MODE_AUTO;
int sup_ptrace_ok;
char sup_ptrace_reason[192];
long sup_tracees;
static int g_quiet;

/* PTRACE_O_TRACEEXIT (a stop before a thread exits, to take the final
 * version of files still open for writing) is switched on per thread only
 * once its process has such a file: most short-lived programs never pay it. */
unsigned long sup_seize_options(void)
{
    return PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
           PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
}

/* ---------------------------------------------------------------- tables */

/* An O_PATH fd of a process's cwd, shared with the calls being made for
 * it without the lock (refs: the process's own, and one per such call;
 * changed under the lock). */
struct cwdref {
    int fd, refs;
};

struct proc {
    int pid, ppid;
    int logging; /* 1: we write this image's records */
    int cls;
    int nthreads;
    uint64_t *wbits; /* fds opened for writing (their version is taken at close) */
    int wwords;
    /* routed (PT_SUP_REQ_ROUTED): the exec wrapper's image is announced at
     * the next stop; exe_dev/exe_ino tell whether the exec happened, or
     * for a lazy request the 8 bytes mark at mark_addr (there only before it) */
    int routed, routed_cls;
    int same_root; /* 1/-1: its root and mounts are (not) the supervisor's; 0: unknown */
    int emu;       /* 1/-1: the supervisor may (not) make calls for it (emul.c); 0: unknown */
    /* lazy: registered by a lazy request and not seized (yet): its filter
     * notifies every traced call; lazy_token: our fd of the request's
     * connection, open until its listener hangs up;
     * unseizable: a seize it needed failed (its calls then run unrecorded) */
    int lazy, lazy_token, unseizable;
    int lazy_filter; /* its filter is a lazy one (inherited, kept across exec) */
    uint64_t lazy_key; /* pt_lazy_key of the program (seized: remembered in the header) */
    struct cwdref *cwd; /* its cwd for our look-ups (NULL: not open) ... */
    int cwd_nocache; /* ... never kept: it shares its cwd with another process
                      * (or a thread of it has a cwd of its own); then its umask
                      * is not kept either */
    int umask;       /* its umask as last seen (a umask call is notified), -1: unknown */
    dev_t exe_dev;
    ino_t exe_ino;
    uint64_t mark_addr, mark;
    struct proc *next;
};

#define SLEN 4096
struct thr {
    int tid;
    struct proc *p;
    int insys; /* waiting for the exit stop of nr */
    long nr;
    uint64_t a[6];
    char s1[SLEN], s2[SLEN];
    int has1, has2;
    int whole1, whole2; /* the string ended within SLEN (not cut): it may be acted on */
    int fam, port;  /* connect/bind: decoded address */
    int exit_stop;  /* PTRACE_O_TRACEEXIT is on for this thread */
    int no_exec_ev; /* seized without PTRACE_O_TRACEEXEC (routed), until its first stop */
    int fb;         /* FB_*: a notified call whose result the wait loop takes */
    int attach;     /* ... and the wait loop seizes the thread first (lazy) */
    int fb_lfd;     /* ... its listener fd and notification id */
    uint64_t fb_id;
    int seen_lfd;   /* the listener its last notification came on */
    /* a call the supervisor made whose answer did not reach the thread (a
     * signal withdrew the notification): when the same call comes again,
     * it gets this result instead of a second go */
    int redo;
    long redo_nr, redo_rv;
    uint64_t redo_a[6];
    struct thr *next;
};

/* The fallback for a notified call whose result is needed:
 * FB_WANT     queued for the wait loop (the thread waits on its notification)
 * FB_RESULT   interrupted and answered "continue": the trap stop as it
 *             leaves the kernel has the result in rax */
enum { FB_NONE, FB_WANT, FB_RESULT };
#define FBQ_MAX 1024
static int g_fbq[FBQ_MAX], g_nfbq; /* tids in FB_WANT */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
#define LOCK() pthread_mutex_lock(&g_lock)
#define UNLOCK() pthread_mutex_unlock(&g_lock)

#define NB 4096
static struct proc *g_procs[NB];
static struct thr *g_thrs[NB];

static struct proc *proc_get(int pid)
{
    for (struct proc *p = g_procs[(unsigned)pid % NB]; p; p = p->next)
        if (p->pid == pid)
            return p;
    return NULL;
}

static struct proc *proc_new(int pid, int ppid, const struct proc *from)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p) {
        perror("provtrace-supervisor");
        exit(70);
    }
    p->pid = pid;
    p->ppid = ppid;
    p->logging = from ? from->logging : !g_quiet;
    p->cls = from ? from->cls : PT_CLASS_UNKNOWN;
    p->same_root = from ? from->same_root : 0;
    p->emu = from ? from->emu : 0;
    p->unseizable = from ? from->unseizable : 0;
    p->lazy_filter = from ? from->lazy_filter : 0;
    p->umask = from && !from->cwd_nocache ? from->umask : -1;
    if (from && from->wwords) {
        p->wbits = malloc((size_t)from->wwords * 8);
        if (p->wbits) {
            memcpy(p->wbits, from->wbits, (size_t)from->wwords * 8);
            p->wwords = from->wwords;
        }
    }
    p->next = g_procs[(unsigned)pid % NB];
    g_procs[(unsigned)pid % NB] = p;
    return p;
}

static void cwd_forget(struct proc *p);

static void proc_del(struct proc *p)
{
    struct proc **pp = &g_procs[(unsigned)p->pid % NB];
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp)
        *pp = p->next;
    free(p->wbits);
    cwd_forget(p);
    free(p);
}

/* The process's cwd as a directory fd for look-ups (opened once through
 * /proc/PID/cwd, forgotten when it changes directory), or -1. */
static int cwd_fd(struct proc *p)
{
    if (!p->cwd && !p->cwd_nocache) {
        char path[64];
        proc_path(path, p->pid, "cwd", -1);
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 && !(p->cwd = malloc(sizeof *p->cwd)))
            close(fd);
        else if (fd >= 0)
            *p->cwd = (struct cwdref){fd, 1};
    }
    return p->cwd ? p->cwd->fd : -1;
}

/* One user fewer of c (the last closes it). */
static void cwd_put(struct cwdref *c)
{
    if (c && --c->refs == 0) {
        close(c->fd);
        free(c);
    }
}

static void cwd_forget(struct proc *p)
{
    cwd_put(p->cwd);
    p->cwd = NULL;
}

/* p's fs context (cwd, umask) is shared with another process, or one of
 * its threads has its own: neither is kept for it any more. */
static void fs_not_own(struct proc *p)
{
    p->cwd_nocache = 1;
    p->umask = -1;
    cwd_forget(p);
}

static struct thr *thr_get(int tid)
{
    for (struct thr *t = g_thrs[(unsigned)tid % NB]; t; t = t->next)
        if (t->tid == tid)
            return t;
    return NULL;
}

static struct thr *thr_new(int tid, struct proc *p)
{
    struct thr *t = calloc(1, sizeof *t);
    if (!t) {
        perror("provtrace-supervisor");
        exit(70);
    }
    t->tid = tid;
    t->p = p;
    p->nthreads++;
    t->next = g_thrs[(unsigned)tid % NB];
    g_thrs[(unsigned)tid % NB] = t;
    sup_tracees++;
    return t;
}

static void thr_unlink(struct thr *t)
{
    struct thr **pp = &g_thrs[(unsigned)t->tid % NB];
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (*pp)
        *pp = t->next;
}

static void thr_del(struct thr *t)
{
    thr_unlink(t);
    struct proc *p = t->p;
    free(t);
    sup_tracees--;
    if (--p->nthreads <= 0)
        proc_del(p);
}

int trace_known(int tid)
{
    LOCK();
    int r = thr_get(tid) != NULL;
    UNLOCK();
    return r;
}

int trace_known_traceable(int tid)
{
    LOCK();
    struct thr *t = thr_get(tid);
    if (t && t->p->unseizable) {
        thr_del(t);
        t = NULL;
    }
    UNLOCK();
    return t != NULL;
}

int trace_is_process(int pid)
{
    LOCK();
    int r = proc_get(pid) != NULL;
    UNLOCK();
    return r;
}

void trace_set_quiet(void)
{
    LOCK();
    g_quiet = 1;
    for (int i = 0; i < NB; i++)
        for (struct proc *p = g_procs[i]; p; p = p->next)
            p->logging = 0;
    UNLOCK();
}

static void adopt(int tid, int pid, int ppid)
{
    struct proc *p = proc_get(pid);
    if (!p) {
        p = proc_new(pid, ppid, NULL);
        p->logging = 0; /* until its exec: the wrapper's records cover it */
    }
    if (!thr_get(tid))
        thr_new(tid, p);
}

/* A new image in p: its own writes are tracked from here. */
static void new_image(struct proc *p)
{
    p->routed = 0;
    cwd_forget(p); /* it may have moved while we did not look */
    free(p->wbits);
    p->wbits = NULL;
    p->wwords = 0;
}

static int exe_id(int pid, struct stat *st)
{
    char exe[64];
    proc_path(exe, pid, "exe", -1);
    return stat(exe, st) == 0;
}

void trace_adopt(int tid, int pid, int ppid)
{
    LOCK();
    adopt(tid, pid, ppid);
    UNLOCK();
}

/* p is about to exec an image of class cls: announce it at its next stop
 * or notification, if its executable is no longer dev/ino (the image
 * before the exec; 0 0 unknown). */
static void expect_image(struct proc *p, int cls, dev_t dev, ino_t ino)
{
    p->routed = 1;
    p->routed_cls = cls;
    p->exe_dev = dev;
    p->exe_ino = ino;
    p->mark_addr = 0;
}

/* The same, the image before the exec read from /proc (p waits: not yet). */
static void expect_image_now(struct proc *p, int cls)
{
    struct stat st;
    int have = exe_id(p->pid, &st);
    expect_image(p, cls, have ? st.st_dev : 0, have ? st.st_ino : 0);
}

void trace_adopt_routed(int tid, int pid, int ppid, int cls)
{
    LOCK();
    adopt(tid, pid, ppid);
    struct proc *p = proc_get(pid);
    struct thr *t = thr_get(tid);
    if (p && t) {
        expect_image_now(p, cls);
        t->no_exec_ev = 1;
    }
    UNLOCK();
}

static void prime(struct proc *p);
static void routed_start(struct proc *p, int tid, int cls);

void trace_adopt_lazy(const struct pt_sup_req *rq, int token)
{
    int pid = rq->tid;
    LOCK();
    struct thr *t = thr_get(pid);
    if (t && t->p->lazy && t->p->lazy_token != token) { /* a dead one's pid, taken again */
        thr_del(t);
        t = NULL;
    }
    if (!t) {
        adopt(pid, pid, rq->ppid);
        struct proc *p = proc_get(pid);
        p->lazy = p->lazy_filter = 1;
        p->lazy_token = token;
        p->lazy_key = rq->key;
        expect_image(p, (rq->flags >> 8) & 0xff, 0, 0);
        p->mark_addr = rq->mark_addr;
        p->mark = rq->mark;
        prime(p); /* while it installs its filter */
    }
    UNLOCK();
}

int trace_lazy_gone(int pid, int token, int dead)
{
    LOCK();
    struct thr *t = thr_get(pid);
    int gone = t && t->p->lazy && t->p->lazy_token == token;
    if (gone) { /* (its parent reaped it: the parent's WAIT has its status) */
        if (dead && t->p->routed && !g_quiet) /* dead before any call: as on_death */
            routed_start(t->p, pid, t->p->routed_cls);
        thr_del(t);
    }
    UNLOCK();
    return gone;
}

static int g_unseizable; /* a process could not be seized (threads may be left to forget) */

int trace_listener_gone(int lfd)
{
    int n = 0;
    if (!__atomic_load_n(&g_unseizable, __ATOMIC_RELAXED))
        return 0;
    LOCK();
    for (unsigned b = 0; b < NB; b++)
        for (struct thr *t = g_thrs[b], *next; t; t = next) {
            next = t->next;
            /* (not seized: no wait status will ever say it is gone) */
            if (t->seen_lfd == lfd && (t->p->lazy || t->p->unseizable)) {
                thr_del(t);
                n++;
            }
        }
    UNLOCK();
    return n;
}

void trace_rerouted(int pid, int cls)
{
    LOCK();
    struct proc *p = proc_get(pid);
    if (p && p->lazy) /* it execs again (the last one failed) */
        expect_image_now(p, cls);
    UNLOCK();
}

/* A thread seen before the event that created it: /proc says whose it is. */
static struct thr *thr_discover(int tid)
{
    char path[64], buf[1024];
    int tgid = tid, ppid = 0;
    proc_path(path, tid, "status", -1);
    FILE *f = fopen(path, "re");
    if (f) {
        while (fgets(buf, sizeof buf, f)) {
            if (!strncmp(buf, "Tgid:", 5))
                tgid = atoi(buf + 5);
            else if (!strncmp(buf, "PPid:", 5))
                ppid = atoi(buf + 5);
        }
        fclose(f);
    }
    struct proc *p = proc_get(tgid);
    if (!p)
        p = proc_new(tgid, ppid, proc_get(ppid));
    return thr_new(tid, p);
}

/* ---------------------------------------------------------------- helpers */

static void wbit(struct proc *p, long fd, int on)
{
    if (fd < 0 || fd >= (1 << 20))
        return;
    int w = (int)(fd >> 6);
    if (w >= p->wwords) {
        if (!on)
            return;
        int nw = w + 16;
        uint64_t *b = realloc(p->wbits, (size_t)nw * 8);
        if (!b)
            return;
        memset(b + p->wwords, 0, (size_t)(nw - p->wwords) * 8);
        p->wbits = b;
        p->wwords = nw;
    }
    if (on)
        p->wbits[w] |= 1ull << (fd & 63);
    else
        p->wbits[w] &= ~(1ull << (fd & 63));
}

/* The current (stopped) thread now has a written fd in its process: ask for
 * its exit stop.  Children inherit the options of the thread that forked. */
static void want_exit_stop(struct thr *t)
{
    if (t->exit_stop)
        return;
    if (ptrace(PTRACE_SETOPTIONS, t->tid, 0, (void *)(sup_seize_options() | PTRACE_O_TRACEEXIT)) == 0) {
        t->exit_stop = 1;
        t->no_exec_ev = 0;
    }
}

static int wbit_get(struct proc *p, long fd)
{
    if (fd < 0 || (fd >> 6) >= p->wwords)
        return 0;
    return (p->wbits[fd >> 6] >> (fd & 63)) & 1;
}

static int fd_version(int pid, long fd, struct pt_version *v)
{
    char path[64];
    proc_path(path, pid, "fd", (int)fd);
    return sup_version_path(path, v);
}

/* Version of a path as the tracee sees it (relative: from its cwd or dirfd). */
static int path_version(int pid, long dirfd, const char *path, struct pt_version *v)
{
    char buf[SLEN + 64];
    if (path[0] == '/')
        return sup_version_path(path, v);
    if ((int)dirfd == AT_FDCWD)
        snprintf(buf, sizeof buf, "/proc/%d/cwd/%s", pid, path);
    else
        snprintf(buf, sizeof buf, "/proc/%d/fd/%d/%s", pid, (int)dirfd, path);
    return sup_version_path(buf, v);
}

static int rd1(struct thr *t, uint64_t addr)
{
    t->has1 = addr && mem_str_whole(t->tid, addr, t->s1, SLEN, &t->whole1) >= 0;
    if (!t->has1)
        t->s1[0] = 0;
    t->whole1 &= t->has1;
    return t->has1;
}

static int rd2(struct thr *t, uint64_t addr)
{
    t->has2 = addr && mem_str_whole(t->tid, addr, t->s2, SLEN, &t->whole2) >= 0;
    if (!t->has2)
        t->s2[0] = 0;
    t->whole2 &= t->has2;
    return t->has2;
}

/* sockaddr -> text, like the preload library's net.c */
static void addr_text(struct thr *t, const unsigned char *sa, long len)
{
    t->fam = 0;
    t->port = 0;
    t->s1[0] = 0;
    if (len < 2)
        return;
    int fam = sa[0] | sa[1] << 8;
    t->fam = fam;
    if (fam == AF_INET && len >= (long)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, t->s1, SLEN);
        t->port = ntohs(in->sin_port);
    } else if (fam == AF_INET6 && len >= (long)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, t->s1, SLEN);
        t->port = ntohs(in6->sin6_port);
    } else if (fam == AF_UNIX) {
        long n = len - (long)offsetof(struct sockaddr_un, sun_path);
        if (n > 108)
            n = 108;
        if (n > 0) {
            memcpy(t->s1, sa + 2, (size_t)n);
            t->s1[n] = 0;
            if (t->s1[0] == 0) {
                t->s1[0] = '@';
                for (long i = 1; i < n; i++)
                    if (!t->s1[i])
                        t->s1[i] = '@';
            }
        }
    }
}

static void read_sockaddr(struct thr *t, uint64_t addr, long len)
{
    unsigned char sa[128];
    if (len > (long)sizeof sa)
        len = sizeof sa;
    if (addr && len > 0 && mem_read(t->tid, addr, sa, (size_t)len) == len)
        addr_text(t, sa, len);
    else
        addr_text(t, sa, 0);
}

static int classify_pathat(int pid, long dirfd, const char *path)
{
    char buf[SLEN + 64];
    const char *reason;
    if (path[0] == '/' || !path[0])
        snprintf(buf, sizeof buf, "%s", path);
    else if ((int)dirfd == AT_FDCWD)
        snprintf(buf, sizeof buf, "/proc/%d/cwd/%s", pid, path);
    else
        snprintf(buf, sizeof buf, "/proc/%d/fd/%d/%s", pid, (int)dirfd, path);
    return pt_classify(AT_FDCWD, buf, 0, &reason);
}

/* The ELF check of an executable, remembered per (dev, ino, mtime, size). */
#define CCACHE 256
static struct {
    dev_t dev;
    ino_t ino;
    struct timespec mtim;
    off_t size;
    int cls;
} g_ccache[CCACHE];

static int classify_stat(const char *path, const struct stat *stp);

static int classify_cached(const char *path)
{
    struct stat st;
    const char *reason;
    if (stat(path, &st) != 0)
        return pt_classify(AT_FDCWD, path, 0, &reason);
    return classify_stat(path, &st);
}

/* The same for a file already stat()ed. */
static int classify_stat(const char *path, const struct stat *stp)
{
    const struct stat st = *stp;
    const char *reason;
    unsigned h = (unsigned)(st.st_ino * 2654435761u ^ st.st_dev) % CCACHE;
    if (g_ccache[h].ino == st.st_ino && g_ccache[h].dev == st.st_dev &&
        g_ccache[h].size == st.st_size && g_ccache[h].mtim.tv_sec == st.st_mtim.tv_sec &&
        g_ccache[h].mtim.tv_nsec == st.st_mtim.tv_nsec && g_ccache[h].cls >= 0)
        return g_ccache[h].cls;
    int cls = pt_classify(AT_FDCWD, path, 0, &reason);
    g_ccache[h].dev = st.st_dev;
    g_ccache[h].ino = st.st_ino;
    g_ccache[h].mtim = st.st_mtim;
    g_ccache[h].size = st.st_size;
    g_ccache[h].cls = st.st_ino ? cls : -1;
    return cls;
}

/* ---------------------------------------------------------------- entry */

#define P(t) ((t)->p->pid)
#define LOG(t, op, fd, ret, err, a1, a2, a3, ver, s1, s2)                                        \
    sup_log(P(t), (t)->tid, (op), (fd), (ret), (err), (a1), (a2), (a3), (ver), (s1), (s2))

static void log_exec(struct thr *t, long dirfd, uint64_t path, uint64_t argv, uint64_t envp)
{
    rd1(t, path);
    char **av = NULL, **ev = NULL;
    int ac = mem_strv(t->tid, argv, &av, 1 << 20);
    int ec = mem_strv(t->tid, envp, &ev, 1 << 20);
    int cls = classify_pathat(P(t), dirfd, t->s1);
    struct pt_ev e = {PT_OP_EXEC, (int)dirfd, t->p->ppid, 0, ac < 0 ? 0 : ac, ec < 0 ? 0 : ec,
                      cls, NULL};
    struct pt_seg seg[3] = {{t->s1, -1, NULL, 0},
                            {NULL, 0, av, ac < 0 ? 0 : ac},
                            {NULL, 0, ev, ec < 0 ? 0 : ec}};
    sup_emit(P(t), t->tid, &e, seg, 3);
    mem_strv_free(av);
    mem_strv_free(ev);
}

/* Written fds in [lo, hi]: CLOSE with the version they leave. */
static void close_versions(struct thr *t, unsigned long lo, unsigned long hi)
{
    struct proc *p = t->p;
    for (int w = 0; w < p->wwords; w++) {
        uint64_t bits = p->wbits[w];
        while (bits) {
            long fd = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            if ((unsigned long)fd < lo || (unsigned long)fd > hi)
                continue;
            struct pt_version v;
            if (fd_version(P(t), fd, &v))
                LOG(t, PT_OP_CLOSE, (int)fd, 0, 0, 0, 0, 0, &v, NULL, NULL);
            wbit(p, fd, 0);
        }
    }
}

/* ---------------------------------------------------------------- answers at entry */

/* The tracee's path as the supervisor can look it up: *base and buf.
 * Relative to its cwd: from our fd of that cwd (or through /proc/PID/cwd);
 * to a dirfd: through /proc/PID/fd/N; /proc/self and /proc/thread-self
 * through the tracee's own entries (absolute paths are taken as they are:
 * the tracee shares the supervisor's root).  0 when it does not fit. */
static int tracee_at(int *base, char *buf, size_t cap, const struct thr *t, long dirfd,
                     const char *path)
{
    int n;
    *base = AT_FDCWD;
    if (path[0] == '/') {
        if (!strncmp(path, "/proc/self/", 11))
            n = snprintf(buf, cap, "/proc/%d/%s", P(t), path + 11);
        else if (!strncmp(path, "/proc/thread-self/", 18))
            n = snprintf(buf, cap, "/proc/%d/task/%d/%s", P(t), t->tid, path + 18);
        else
            n = snprintf(buf, cap, "%s", path);
    } else if ((int)dirfd == AT_FDCWD && cwd_fd(t->p) >= 0) {
        *base = t->p->cwd->fd;
        n = snprintf(buf, cap, "%s", path);
    } else if ((int)dirfd == AT_FDCWD) { /* the thread's own cwd (it may have one of its own) */
        n = snprintf(buf, cap, "/proc/%d/task/%d/cwd/%s", P(t), t->tid, path);
    } else {
        n = snprintf(buf, cap, "/proc/%d/fd/%d/%s", P(t), (int)dirfd, path);
    }
    return n > 0 && (size_t)n < cap && n < PATH_MAX;
}

/* Does the process see the file system as the supervisor does (same root
 * directory, same mount namespace)?  Only then can the supervisor look a
 * path up for it.  Remembered until it calls chroot, pivot_root, unshare
 * or setns (traced for this alone). */
static int same_root(struct proc *p)
{
    if (!p->same_root) {
        static struct stat my_root, my_mnt;
        static int mine = -1;
        if (mine < 0)
            mine = stat("/", &my_root) == 0 && stat("/proc/self/ns/mnt", &my_mnt) == 0;
        char path[64];
        struct stat r, m;
        proc_path(path, p->pid, "root", -1);
        int ok = mine && stat(path, &r) == 0 && r.st_dev == my_root.st_dev &&
                 r.st_ino == my_root.st_ino;
        proc_path(path, p->pid, "ns/mnt", -1);
        ok = ok && stat(path, &m) == 0 && m.st_dev == my_mnt.st_dev && m.st_ino == my_mnt.st_ino;
        p->same_root = ok ? 1 : -1;
    }
    return p->same_root > 0;
}

/* May the supervisor make this process's calls (emul.c)?  Checked once,
 * and never once a process of the session has sandboxed itself with
 * Landlock (which /proc does not show). */
static int emu_ok(struct proc *p)
{
    if (__atomic_load_n(&sup_hdr()->flags, __ATOMIC_ACQUIRE) & PT_HDR_LANDLOCK)
        return 0;
    if (!p->emu)
        p->emu = emu_allowed(p->pid) ? 1 : -1;
    return p->emu > 0;
}

/* errno of a lookup through /proc/PID/fd/N: a dirfd the tracee does not
 * have is EBADF for it, ENOENT for us. */
static int fix_errno(const struct thr *t, long dirfd, const char *path, int e)
{
    if (e == ENOENT && path[0] != '/' && (int)dirfd != AT_FDCWD) {
        char fdp[64];
        proc_path(fdp, P(t), "fd", (int)dirfd);
        struct stat st;
        if (lstat(fdp, &st) != 0)
            return EBADF;
    }
    return e;
}

/* Calls whose result the supervisor can compute at the entry stop by doing
 * the same lookup itself, sparing the thread its exit stop: the stat and
 * access families and readlink (they change nothing), and failures that
 * follow from the file system as it is (open of a missing file without
 * O_CREAT, unlink/rmdir of a missing path, mkdir of an existing one).
 * Another process changing the file between this lookup and the call is the
 * one case where the recorded result can differ from the program's.
 * Returns 1 and the raw result in *rv when answered; 0: wait for the exit. */
static int answer_at_entry(struct thr *t, long *rv)
{
    char path[PATH_MAX];
    const uint64_t *a = t->a;
    long dirfd = AT_FDCWD;
    const char *p = t->s1;
    struct stat st;
    long r;
    if (!t->whole1 || !same_root(t->p) || !emu_ok(t->p)) /* our look-up must be its look-up */
        return 0;
    switch (t->nr) {
    case SYS_newfstatat:
    case SYS_statx:
    case SYS_faccessat:
    case SYS_faccessat2:
    case SYS_readlinkat:
    case SYS_openat:
    case SYS_unlinkat:
    case SYS_mkdirat:
        dirfd = (long)(int)a[0];
        break;
    }
    if (!p[0]) /* "" without AT_EMPTY_PATH: the kernel says ENOENT */
        return (t->nr == SYS_newfstatat || t->nr == SYS_statx) ? (*rv = -ENOENT, 1) : 0;
    int at;
    if (!tracee_at(&at, path, sizeof path, t, dirfd, p))
        return 0;
    switch (t->nr) {
    case SYS_stat:
        r = fstatat(at, path, &st, 0);
        break;
    case SYS_lstat:
        r = fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW);
        break;
    case SYS_newfstatat:
        r = fstatat(at, path, &st, (int)a[3] & (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT));
        break;
    case SYS_statx: {
        struct statx sx;
        r = syscall(SYS_statx, at, path,
                    (int)a[2] & (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE),
                    (unsigned)a[3], &sx);
        break;
    }
    case SYS_access:
        r = faccessat(at, path, (int)a[1], 0);
        break;
    case SYS_faccessat:
        r = faccessat(at, path, (int)a[2], 0);
        break;
    case SYS_faccessat2:
        r = syscall(SYS_faccessat2, at, path, (int)a[2], (int)a[3]);
        break;
    case SYS_readlink:
    case SYS_readlinkat: {
        long cap = (long)(t->nr == SYS_readlink ? a[2] : a[3]);
        if (cap <= 0)
            return 0;
        r = readlinkat(at, path, t->s2, SLEN - 1);
        if (r >= 0) {
            t->s2[r] = 0;
            t->has2 = 1;
            if (r > cap)
                r = cap; /* what the program gets: a truncated name */
        }
        break;
    }
    case SYS_open:
    case SYS_openat: {
        int fl = (int)(t->nr == SYS_open ? a[1] : a[2]);
        if (fl & (O_CREAT | O_TMPFILE))
            return 0;
        if (fstatat(at, path, &st, (fl & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0) == 0 ||
            (errno != ENOENT && errno != ENOTDIR))
            return 0; /* it exists: only the call itself knows its fd */
        r = -1;
        break;
    }
    case SYS_unlink:
    case SYS_rmdir:
    case SYS_unlinkat:
        if (fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW) == 0 || (errno != ENOENT && errno != ENOTDIR))
            return 0;
        r = -1;
        break;
    case SYS_mkdir:
    case SYS_mkdirat:
        if (fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return 0;
        errno = EEXIST;
        r = -1;
        break;
    default:
        return 0;
    }
    *rv = r < 0 ? -fix_errno(t, dirfd, p, errno) : r;
    return 1;
}

/* Decode a syscall entry; returns 1 when its exit must be seen. */
static int decode_entry(struct thr *t, long nr, const uint64_t *a)
{
    t->nr = nr;
    memcpy(t->a, a, sizeof t->a);
    t->has1 = t->has2 = t->whole1 = t->whole2 = 0;
    switch (nr) {
    case SYS_open:
    case SYS_creat:
    case SYS_stat:
    case SYS_lstat:
    case SYS_statfs:
    case SYS_getxattr:
    case SYS_lgetxattr:
    case SYS_listxattr:
    case SYS_llistxattr:
    case SYS_access:
    case SYS_readlink:
    case SYS_unlink:
    case SYS_rmdir:
    case SYS_mkdir:
    case SYS_mknod:
    case SYS_truncate:
    case SYS_utime:
    case SYS_utimes:
    case SYS_chmod:
    case SYS_chown:
    case SYS_lchown:
    case SYS_setxattr:
    case SYS_lsetxattr:
    case SYS_removexattr:
    case SYS_lremovexattr:
    case SYS_chdir:
        rd1(t, a[0]);
        return 1;
    case SYS_openat:
    case SYS_openat2:
    case SYS_faccessat:
    case SYS_faccessat2:
    case SYS_readlinkat:
    case SYS_unlinkat:
    case SYS_mkdirat:
    case SYS_mknodat:
    case SYS_fchmodat:
    case SYS_fchmodat2:
    case SYS_fchownat:
    case SYS_futimesat:
        rd1(t, a[1]);
        return 1;
    case SYS_newfstatat:
    case SYS_statx: {
        rd1(t, a[1]);
        long fl = (long)(nr == SYS_statx ? a[2] : a[3]);
        return !((fl & AT_EMPTY_PATH) && !t->s1[0]);
    }
    case SYS_utimensat:
        if (a[1])
            rd1(t, a[1]);
        return 1;
    case SYS_rename:
    case SYS_link:
    case SYS_symlink:
        rd1(t, a[0]);
        rd2(t, a[1]);
        return 1;
    case SYS_renameat:
    case SYS_renameat2:
    case SYS_linkat:
        rd1(t, a[1]);
        rd2(t, a[3]);
        return 1;
    case SYS_symlinkat:
        rd1(t, a[0]);
        rd2(t, a[2]);
        return 1;
    case SYS_open_by_handle_at:
    case SYS_ftruncate:
    case SYS_fchmod:
    case SYS_fchown:
    case SYS_fchdir:
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
    case SYS_pipe:
    case SYS_pipe2:
    case SYS_accept:
    case SYS_accept4:
    case SYS_io_uring_setup:
        return 1;
    case SYS_fcntl:
        return a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC || a[1] == F_SETFD;
    case SYS_close: {
        /* no exit stop: the result of close is not needed (cost: one stop) */
        struct pt_version v;
        int hv = wbit_get(t->p, (long)a[0]) && fd_version(P(t), (long)a[0], &v);
        wbit(t->p, (long)a[0], 0);
        LOG(t, PT_OP_CLOSE, (int)a[0], 0, 0, 0, 0, 0, hv ? &v : NULL, NULL, NULL);
        return 0;
    }
    case SYS_close_range: {
        unsigned long lo = (unsigned)a[0], hi = (unsigned)a[1];
        if (!(a[2] & CLOSE_RANGE_CLOEXEC))
            close_versions(t, lo, hi);
        LOG(t, PT_OP_CLOSE, (int)lo, 0, 0, (long)hi + 1, (long)a[2], 0, NULL, NULL, NULL);
        return 0;
    }
    case SYS_connect:
    case SYS_bind:
        read_sockaddr(t, a[1], (long)(int)a[2]);
        return 1;
    case SYS_chroot:
    case SYS_pivot_root:
    case SYS_unshare:
    case SYS_setns:
        t->p->same_root = 0; /* look again at the next lookup */
        cwd_forget(t->p); /* (unshare(CLONE_FS): trace_notif, and the stop that steps it) */
        if (nr == SYS_unshare && (a[0] & CLONE_FS))
            fs_not_own(t->p); /* this thread's cwd and umask may part from the others' */
        return 0;
    case SYS_execve:
        log_exec(t, AT_FDCWD, a[0], a[1], a[2]);
        return 1;
    case SYS_execveat:
        log_exec(t, (long)(int)a[0], a[1], a[2], a[3]);
        return 1;
    }
    return 0;
}

static void on_result(struct thr *t, long rv);

/* A traced call at its entry stop: 1 when its exit stop must be seen. */
static int on_entry(struct thr *t, long nr, const uint64_t *a)
{
    long rv;
    int want = decode_entry(t, nr, a);
    if (want && answer_at_entry(t, &rv)) {
        on_result(t, rv);
        return 0;
    }
    return want;
}

/* ---------------------------------------------------------------- exit */

/* The OPEN record.  given: the version when known already (an open made
 * by the supervisor); placeholder: r is not the thread's fd yet (patched
 * when it is known), so the fd table is left alone. */
static void open_result(struct thr *t, long r, int e, const struct pt_version *given, int placeholder)
{
    const uint64_t *a = t->a;
    struct pt_version v;
    int hv, dfd;
    {
        long flags, mode = 0;
        int api;
        dfd = AT_FDCWD;
        if (t->nr == SYS_open) {
            flags = (long)(int)a[1];
            mode = (long)a[2];
            api = PT_API_OPEN;
        } else if (t->nr == SYS_creat) {
            flags = O_CREAT | O_WRONLY | O_TRUNC;
            mode = (long)a[1];
            api = PT_API_CREAT;
        } else if (t->nr == SYS_openat) {
            dfd = (int)a[0];
            flags = (long)(int)a[2];
            mode = (long)a[3];
            api = PT_API_OPENAT;
        } else if (t->nr == SYS_openat2) {
            struct open_how how = {0, 0, 0};
            mem_read(t->tid, a[2], &how, sizeof how);
            dfd = (int)a[0];
            flags = (long)how.flags;
            mode = (long)how.mode;
            api = PT_API_OPENAT;
        } else {
            dfd = (int)a[0];
            flags = (long)(int)a[2];
            api = PT_API_OPEN_BY_HANDLE;
            t->s1[0] = 0;
        }
        if (!((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE))
            mode = 0;
        if (given)
            v = *given;
        hv = r >= 0 && (given || fd_version(P(t), r, &v));
        if (placeholder) {
        } else if (r >= 0 && (flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH)) {
            wbit(t->p, r, 1);
            want_exit_stop(t);
        } else if (r >= 0) {
            wbit(t->p, r, 0);
        }
        LOG(t, PT_OP_OPEN, dfd, r, e, flags, mode, api, hv ? &v : NULL, t->s1, NULL);
    }
}

/* The record of a call whose raw result (value or -errno) is rv. */
static void on_result(struct thr *t, long rv)
{
    long r = rv < 0 && rv > -4096 ? -1 : rv;
    int e = rv < 0 && rv > -4096 ? (int)-rv : 0;
    const uint64_t *a = t->a;
    const char *s1 = t->s1, *s2 = t->s2;
    struct pt_version v;
    int hv;
    switch (t->nr) {
    case SYS_open:
    case SYS_creat:
    case SYS_openat:
    case SYS_openat2:
    case SYS_open_by_handle_at:
        open_result(t, r, e, NULL, 0);
        break;
    case SYS_stat:
        LOG(t, PT_OP_STAT, AT_FDCWD, r, e, 0, 0, PT_API_STAT, NULL, s1, NULL);
        break;
    case SYS_lstat:
        LOG(t, PT_OP_STAT, AT_FDCWD, r, e, AT_SYMLINK_NOFOLLOW, 0, PT_API_LSTAT, NULL, s1, NULL);
        break;
    case SYS_statfs:
        LOG(t, PT_OP_STAT, AT_FDCWD, r, e, 0, 0, PT_API_STATFS, NULL, s1, NULL);
        break;
    case SYS_getxattr:
    case SYS_listxattr:
        LOG(t, PT_OP_STAT, AT_FDCWD, r, e, 0, 0, PT_API_XATTR, NULL, s1, NULL);
        break;
    case SYS_lgetxattr:
    case SYS_llistxattr:
        LOG(t, PT_OP_STAT, AT_FDCWD, r, e, AT_SYMLINK_NOFOLLOW, 0, PT_API_XATTR, NULL, s1, NULL);
        break;
    case SYS_newfstatat:
        LOG(t, PT_OP_STAT, (int)a[0], r, e, (long)(int)a[3], 0, PT_API_FSTATAT, NULL, s1, NULL);
        break;
    case SYS_statx:
        LOG(t, PT_OP_STAT, (int)a[0], r, e, (long)(int)a[2], 0, PT_API_STATX, NULL, s1, NULL);
        break;
    case SYS_access:
        LOG(t, PT_OP_ACCESS, AT_FDCWD, r, e, 0, (long)a[1], PT_API_ACCESS_, NULL, s1, NULL);
        break;
    case SYS_faccessat:
    case SYS_faccessat2:
        LOG(t, PT_OP_ACCESS, (int)a[0], r, e, t->nr == SYS_faccessat2 ? (long)(int)a[3] : 0,
            (long)a[2], PT_API_FACCESSAT, NULL, s1, NULL);
        break;
    case SYS_readlink:
    case SYS_readlinkat: {
        int at = t->nr == SYS_readlinkat;
        uint64_t buf = at ? a[2] : a[1];
        long n = r > 0 ? (r < SLEN - 1 ? r : SLEN - 1) : 0;
        int got = t->has2; /* answered at entry: the name is there already */
        if (!got) {
            got = n > 0 && mem_read(t->tid, buf, t->s2, (size_t)n) == n;
            t->s2[got ? n : 0] = 0;
        } else {
            t->s2[n] = 0;
        }
        struct pt_ev ev = {PT_OP_READLINK, at ? (int)a[0] : AT_FDCWD, r, e, 0, 0, 0, NULL};
        struct pt_seg seg[2] = {{s1, -1, NULL, 0}, {t->s2, -1, NULL, 0}};
        sup_emit(P(t), t->tid, &ev, seg, r >= 0 && got ? 2 : 1);
        break;
    }
    case SYS_unlink:
        LOG(t, PT_OP_UNLINK, AT_FDCWD, r, e, 0, 0, PT_API_UNLINK, NULL, s1, NULL);
        break;
    case SYS_rmdir:
        LOG(t, PT_OP_UNLINK, AT_FDCWD, r, e, AT_REMOVEDIR, 0, PT_API_RMDIR, NULL, s1, NULL);
        break;
    case SYS_unlinkat:
        LOG(t, PT_OP_UNLINK, (int)a[0], r, e, (long)(a[2] & AT_REMOVEDIR), 0, PT_API_UNLINK, NULL,
            s1, NULL);
        break;
    case SYS_mkdir:
        LOG(t, PT_OP_MKDIR, AT_FDCWD, r, e, 0, (long)a[1], 0, NULL, s1, NULL);
        break;
    case SYS_mkdirat:
        LOG(t, PT_OP_MKDIR, (int)a[0], r, e, 0, (long)a[2], 0, NULL, s1, NULL);
        break;
    case SYS_mknod:
        LOG(t, PT_OP_MKNOD, AT_FDCWD, r, e, (long)a[2], (long)a[1], PT_API_MKNOD, NULL, s1, NULL);
        break;
    case SYS_mknodat:
        LOG(t, PT_OP_MKNOD, (int)a[0], r, e, (long)a[3], (long)a[2], PT_API_MKNOD, NULL, s1, NULL);
        break;
    case SYS_rename:
        LOG(t, PT_OP_RENAME, AT_FDCWD, r, e, AT_FDCWD, 0, 0, NULL, s1, s2);
        break;
    case SYS_renameat:
    case SYS_renameat2:
        LOG(t, PT_OP_RENAME, (int)a[0], r, e, (long)(int)a[2],
            t->nr == SYS_renameat2 ? (long)a[4] : 0, 0, NULL, s1, s2);
        break;
    case SYS_link:
        LOG(t, PT_OP_LINK, AT_FDCWD, r, e, AT_FDCWD, 0, 0, NULL, s1, s2);
        break;
    case SYS_linkat:
        LOG(t, PT_OP_LINK, (int)a[0], r, e, (long)(int)a[2], (long)a[4], 0, NULL, s1, s2);
        break;
    case SYS_symlink:
        LOG(t, PT_OP_SYMLINK, AT_FDCWD, r, e, 0, 0, 0, NULL, s1, s2);
        break;
    case SYS_symlinkat:
        LOG(t, PT_OP_SYMLINK, (int)a[1], r, e, 0, 0, 0, NULL, s1, s2);
        break;
    case SYS_truncate:
        hv = r == 0 && path_version(P(t), AT_FDCWD, s1, &v);
        LOG(t, PT_OP_TRUNCATE, AT_FDCWD, r, e, (long)a[1], 0, 0, hv ? &v : NULL, s1, NULL);
        break;
    case SYS_ftruncate:
        hv = r == 0 && fd_version(P(t), (long)(int)a[0], &v);
        LOG(t, PT_OP_TRUNCATE, (int)a[0], r, e, (long)a[1], 0, 0, hv ? &v : NULL, NULL, NULL);
        break;
    case SYS_utime:
    case SYS_utimes:
        LOG(t, PT_OP_UTIME, AT_FDCWD, r, e, 0, 0, 0, NULL, s1, NULL);
        break;
    case SYS_utimensat:
        LOG(t, PT_OP_UTIME, (int)a[0], r, e, (long)(int)a[3], 0, 0, NULL, t->has1 ? s1 : NULL,
            NULL);
        break;
    case SYS_futimesat:
        LOG(t, PT_OP_UTIME, (int)a[0], r, e, 0, 0, 0, NULL, s1, NULL);
        break;
    case SYS_chmod:
        LOG(t, PT_OP_CHMOD, AT_FDCWD, r, e, 0, (long)a[1], 0, NULL, s1, NULL);
        break;
    case SYS_fchmod:
        LOG(t, PT_OP_CHMOD, (int)a[0], r, e, 0, (long)a[1], 0, NULL, NULL, NULL);
        break;
    case SYS_fchmodat:
    case SYS_fchmodat2:
        LOG(t, PT_OP_CHMOD, (int)a[0], r, e, t->nr == SYS_fchmodat2 ? (long)(int)a[3] : 0,
            (long)a[2], 0, NULL, s1, NULL);
        break;
    case SYS_setxattr:
    case SYS_removexattr:
        LOG(t, PT_OP_CHMOD, AT_FDCWD, r, e, 0, 0, 1, NULL, s1, NULL);
        break;
    case SYS_lsetxattr:
    case SYS_lremovexattr:
        LOG(t, PT_OP_CHMOD, AT_FDCWD, r, e, AT_SYMLINK_NOFOLLOW, 0, 1, NULL, s1, NULL);
        break;
    case SYS_chown:
        LOG(t, PT_OP_CHOWN, AT_FDCWD, r, e, 0, (long)(int)a[1], (long)(int)a[2], NULL, s1, NULL);
        break;
    case SYS_lchown:
        LOG(t, PT_OP_CHOWN, AT_FDCWD, r, e, AT_SYMLINK_NOFOLLOW, (long)(int)a[1], (long)(int)a[2],
            NULL, s1, NULL);
        break;
    case SYS_fchown:
        LOG(t, PT_OP_CHOWN, (int)a[0], r, e, 0, (long)(int)a[1], (long)(int)a[2], NULL, NULL,
            NULL);
        break;
    case SYS_fchownat:
        LOG(t, PT_OP_CHOWN, (int)a[0], r, e, (long)(int)a[4], (long)(int)a[2], (long)(int)a[3],
            NULL, s1, NULL);
        break;
    case SYS_chdir:
        cwd_forget(t->p);
        LOG(t, PT_OP_CHDIR, AT_FDCWD, r, e, 0, 0, 0, NULL, s1, NULL);
        break;
    case SYS_fchdir:
        cwd_forget(t->p);
        LOG(t, PT_OP_CHDIR, (int)a[0], r, e, 0, 0, 0, NULL, NULL, NULL);
        break;
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
    case SYS_fcntl:
        if (t->nr == SYS_fcntl && a[1] == F_SETFD) {
            LOG(t, PT_OP_SETFD, (int)a[0], r, e, (long)(a[2] & FD_CLOEXEC), 0, 0, NULL, NULL,
                NULL);
            break;
        }
        if (r >= 0) {
            int cloexec = (t->nr == SYS_dup3 && (a[2] & O_CLOEXEC)) ||
                          (t->nr == SYS_fcntl && a[1] == F_DUPFD_CLOEXEC);
            int w = wbit_get(t->p, (long)(int)a[0]);
            wbit(t->p, r, w);
            if (w)
                want_exit_stop(t);
            LOG(t, PT_OP_DUP, (int)a[0], r, 0, cloexec ? O_CLOEXEC : 0, 0, 0, NULL, NULL, NULL);
        }
        break;
    case SYS_pipe:
    case SYS_pipe2:
        if (r == 0) {
            int fds[2];
            if (mem_read(t->tid, a[0], fds, sizeof fds) == (long)sizeof fds) {
                wbit(t->p, fds[0], 0);
                wbit(t->p, fds[1], 0);
                LOG(t, PT_OP_PIPE, -1, 0, 0, fds[0], fds[1],
                    t->nr == SYS_pipe2 ? (long)(int)a[1] : 0, NULL, NULL, NULL);
            }
        }
        break;
    case SYS_connect:
    case SYS_bind:
        LOG(t, t->nr == SYS_connect ? PT_OP_CONNECT : PT_OP_BIND, (int)a[0], r, e, t->fam,
            t->port, 0, NULL, s1, NULL);
        break;
    case SYS_accept:
    case SYS_accept4: {
        int len = 0;
        if (r >= 0 && a[1] && a[2] && mem_read(t->tid, a[2], &len, sizeof len) == sizeof len)
            read_sockaddr(t, a[1], len);
        else
            addr_text(t, NULL, 0);
        if (r >= 0)
            wbit(t->p, r, 0);
        LOG(t, PT_OP_ACCEPT, (int)a[0], r, e, t->fam, t->port, 0, NULL, s1, NULL);
        break;
    }
    case SYS_io_uring_setup:
        LOG(t, PT_OP_URING, -1, r, e, (long)(unsigned)a[0], 0, 0, NULL, NULL, NULL);
        break;
    case SYS_execve:
    case SYS_execveat: /* the exit stop of an exec is only seen when it failed */
        LOG(t, PT_OP_EXECFAIL, t->nr == SYS_execve ? AT_FDCWD : (int)a[0], -1, e ? e : ENOEXEC,
            0, 0, 0, NULL, s1, NULL);
        break;
    }
}

static void on_exit_stop(struct thr *t)
{
    if (!t->insys)
        return;
    t->insys = 0;
    errno = 0;
    long rv = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, rax), 0);
    if (errno)
        return;
    if (rv <= -512 && rv >= -516)
        return; /* interrupted; the restart comes through the filter again */
    on_result(t, rv);
}

/* ---------------------------------------------------------------- events */

static void resume(int tid, int req, int sig)
{
    if (ptrace(req, tid, 0, (void *)(long)sig) < 0 && errno != ESRCH)
        SUP_DEBUG("ptrace resume of %d failed: %s", tid, strerror(errno));
}

static void on_fork(struct thr *t, int ev)
{
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg);
    int child = (int)msg;
    if (child <= 0)
        return;
    unsigned long flags = SIGCHLD;
    if (ev == PTRACE_EVENT_VFORK) {
        flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
    } else if (ev == PTRACE_EVENT_CLONE) {
        struct user_regs_struct r;
        if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) == 0) {
            if ((long)r.orig_rax == SYS_clone3) {
                uint64_t f = 0;
                mem_read(t->tid, r.rdi, &f, sizeof f);
                flags = f;
            } else {
                flags = r.rdi;
            }
        }
    }
    struct proc *pp = t->p;
    if (!(flags & CLONE_FS) != !(flags & CLONE_THREAD))
        fs_not_own(pp); /* two processes, one cwd (or a thread with a cwd of its own) */
    if (flags & CLONE_THREAD) {
        struct thr *ct = thr_get(child);
        if (!ct)
            ct = thr_new(child, pp);
        ct->exit_stop = t->exit_stop; /* options are inherited */
        ct->no_exec_ev = t->no_exec_ev;
        return;
    }
    struct thr *ct = thr_get(child);
    if (!ct) {
        struct proc *cp = proc_get(child);
        if (!cp)
            cp = proc_new(child, (flags & CLONE_PARENT) ? pp->ppid : pp->pid, pp);
        ct = thr_new(child, cp);
    }
    if ((flags & CLONE_FS) && !(flags & CLONE_THREAD))
        fs_not_own(ct->p);
    ct->exit_stop = t->exit_stop;
    ct->no_exec_ev = t->no_exec_ev;
    if (!pp->logging)
        return;
    if (ev == PTRACE_EVENT_FORK)
        LOG(t, PT_OP_FORK, -1, child, 0, PT_FORK_FORK, 0, 0, NULL, NULL, NULL);
    else
        LOG(t, PT_OP_CLONE, -1, child, 0, (long)flags, 0, 0, NULL, NULL, NULL);
}

static int has_preload(char **envp, int envc)
{
    int lib = 0, sess = 0;
    for (int i = 0; i < envc; i++) {
        if (!strncmp(envp[i], "LD_PRELOAD=", 11) && strstr(envp[i], "libprovtrace"))
            lib = 1;
        else if (!strncmp(envp[i], PT_ENV_SESSION "=/", sizeof PT_ENV_SESSION + 1))
            sess = 1;
    }
    return lib && sess;
}

static struct thr *on_exec(struct thr *t, int tid)
{
    unsigned long former = 0;
    ptrace(PTRACE_GETEVENTMSG, tid, 0, &former);
    if ((int)former != tid && former) {
        /* exec from a non-leader thread: it takes over the leader's pid */
        struct thr *old = thr_get((int)former);
        if (old && old != t) {
            thr_unlink(old);
            old->p->nthreads--;
            sup_tracees--;
            old->tid = tid;
            thr_unlink(t);
            free(t);
            old->next = g_thrs[(unsigned)tid % NB];
            g_thrs[(unsigned)tid % NB] = old;
            t = old;
        }
    }
    t->insys = 0;
    t->fb = FB_NONE; /* an exec stepped for a notification: it succeeded */
    struct proc *p = t->p;
    new_image(p);
    struct user_regs_struct r;
    struct image_info ii;
    int have = ptrace(PTRACE_GETREGS, tid, 0, &r) == 0 && mem_image(tid, r.rsp, &ii) == 0;
    char exe[64];
    proc_path(exe, tid, "exe", -1);
    int cls = classify_cached(exe);
    p->cls = cls;
    int preloaded = sup_mode != MODE_PTRACE && cls == PT_CLASS_DYNAMIC && have &&
                    has_preload(ii.envp, ii.envc);
    p->logging = !preloaded && !g_quiet;
    SUP_DEBUG("exec in %d: class %d, %s", p->pid, cls, p->logging ? "traced" : "preloaded");
    if (p->logging) {
        char cwd[PATH_MAX];
        if (proc_readlink(p->pid, "cwd", cwd, sizeof cwd) < 0)
            cwd[0] = 0;
        char **argv = have ? ii.argv : NULL, **envp = have ? ii.envp : NULL;
        int argc = have ? ii.argc : 0, envc = have ? ii.envc : 0;
        struct pt_ev ev = {PT_OP_START, p->ppid, PT_TRACER_PTRACE, cls, argc, envc, 0, NULL};
        struct pt_seg seg[4] = {{have ? ii.execfn : "", -1, NULL, 0},
                                {cwd, -1, NULL, 0},
                                {NULL, 0, argv, argc},
                                {NULL, 0, envp, envc}};
        sup_emit(p->pid, tid, &ev, seg, 4);
    }
    if (have)
        mem_image_free(&ii);
    return t;
}

/* The START of a routed image: path, argv and env are the wrapper's EXEC. */
static void routed_start(struct proc *p, int tid, int cls)
{
    struct pt_ev ev = {PT_OP_START, p->ppid, PT_TRACER_PTRACE_ROUTED, cls, 0, 0, 0, NULL};
    struct pt_seg seg[2] = {{"", -1, NULL, 0}, {"", -1, NULL, 0}};
    sup_emit(p->pid, tid, &ev, seg, 2);
}

/* First stop of a routed process since its request: did the exec happen
 * (its executable is no longer the requester's)?  Then its image begins
 * here; if not, it stays quiet (the preload library still runs in it). */
static void routed_first_stop(struct thr *t)
{
    struct proc *p = t->p;
    struct stat st;
    char exe[64];
    uint64_t m;
    int cls = p->routed_cls;
    p->routed = 0;
    if (p->mark_addr) { /* a lazy request: its mark is gone with the image that wrote it */
        if (mem_read(t->tid, p->mark_addr, &m, sizeof m) == (long)sizeof m && m == p->mark)
            return;
        p->mark_addr = 0; /* (the class is the wrapper's: it routed what it found) */
    } else if (!exe_id(p->pid, &st) || (st.st_dev == p->exe_dev && st.st_ino == p->exe_ino)) {
        return;
    } else {
        proc_path(exe, p->pid, "exe", -1);
        cls = classify_stat(exe, &st);
    }
    new_image(p);
    p->cls = cls;
    p->logging = cls != PT_CLASS_DYNAMIC && !g_quiet; /* dynamic: the library runs in it */
    if (p->logging)
        routed_start(p, t->tid, cls);
}

/* A thread about to exit: the leader's written fds get their final version. */
static void on_exit_event(struct thr *t)
{
    if (t->tid == t->p->pid && t->p->logging)
        close_versions(t, 0, ~0ul);
}

static void on_death(struct thr *t, int status)
{
    struct proc *p = t->p;
    if (p->routed && t->tid == p->pid && !g_quiet) {
        /* dead before any stop: whether it exec'd, only the log can tell
         * (ingest ignores this START after an EXECFAIL) */
        p->logging = 1;
        routed_start(p, t->tid, p->routed_cls);
    }
    if (t->tid == p->pid)
        LOG(t, PT_OP_EXIT, -1, 0, 0, status, PT_EXIT_STATUS, 0, NULL, NULL, NULL);
    thr_del(t);
}

/* A notified open (stopped with the registers r) that could not have been
 * interrupted natively.  Only a FIFO opened without O_NONBLOCK and a device
 * other than /dev/null, zero, full, random and urandom may make an open
 * wait, and such a wait can end in EINTR; everything else (a regular file,
 * a directory, a socket, nothing yet, O_PATH) never waits. */
static int open_never_waits(struct thr *t, const struct user_regs_struct *r)
{
    int at_ = r->orig_rax == SYS_openat;
    long flags = (long)(at_ ? r->rdx : r->rsi);
    char path[PATH_MAX], where[PATH_MAX];
    int whole = 0, base;
    struct stat st;
    if (flags & O_PATH)
        return 1;
    if (mem_str_whole(t->tid, at_ ? r->rsi : r->rdi, path, sizeof path, &whole) < 0 || !whole ||
        !tracee_at(&base, where, sizeof where, t, at_ ? (long)(int)r->rdi : AT_FDCWD, path))
        return 0;
    if (fstatat(base, where, &st, 0) != 0)
        return errno == ENOENT || errno == ENOTDIR;
    if (S_ISFIFO(st.st_mode))
        return (flags & O_NONBLOCK) != 0;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return S_ISCHR(st.st_mode) && emu_harmless_dev(st.st_rdev);
    return 1;
}

/* A signal came while the thread waited for the supervisor's answer to a
 * notified call (before it was received: after, the wait is killable
 * only).  Natively the call would not have been interrupted (close, stat,
 * a read open of a file never wait), so it must not fail with EINTR when
 * the handler lacks SA_RESTART: ask for a restart whatever the handler. */
static void restart_notified(struct thr *t)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0 || (long)r.rax != -512 /* ERESTARTSYS */)
        return;
    long nr = (long)r.orig_rax;
    int notified = ptf_notified(nr) || nr == SYS_newfstatat || nr == SYS_statx ||
                   ((nr == SYS_open || nr == SYS_openat) && open_never_waits(t, &r));
    /* a lazy filter notifies the rest too: those of them that never wait
     * natively (not accept nor connect) */
    notified = notified || (t->p->lazy_filter &&
                            PTF_LISTED(nr, SYS_dup, SYS_dup2, SYS_dup3, SYS_pipe, SYS_pipe2, SYS_fcntl,
                                       SYS_execve, SYS_execveat, SYS_chdir, SYS_fchdir, SYS_bind,
                                       SYS_truncate, SYS_ftruncate, SYS_fchmod, SYS_fchown, SYS_mknod,
                                       SYS_mknodat, SYS_rt_sigaction, SYS_io_uring_setup));
    if (!notified)
        return;
    r.rax = (unsigned long)-513; /* ERESTARTNOINTR */
    ptrace(PTRACE_SETREGS, t->tid, 0, &r);
}

static void event(int tid, int status)
{
    struct thr *t = thr_get(tid);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
        if (t)
            on_death(t, status);
        return;
    }
    if (!WIFSTOPPED(status))
        return;
    if (!t)
        t = thr_discover(tid);
    if (t->p->routed)
        routed_first_stop(t);
    if (t->no_exec_ev) { /* its next exec (a traced execve) must be seen */
        unsigned long o = sup_seize_options() | (t->exit_stop ? PTRACE_O_TRACEEXIT : 0);
        if (ptrace(PTRACE_SETOPTIONS, tid, 0, (void *)o) == 0)
            t->no_exec_ev = 0;
    }
    int sig = WSTOPSIG(status), ev = (unsigned)status >> 16;
    if (sig == (SIGTRAP | 0x80)) {
        if (t->p->logging)
            on_exit_stop(t);
        t->insys = 0;
        resume(tid, PTRACE_CONT, 0);
        return;
    }
    if (ev == PTRACE_EVENT_STOP) {
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
            resume(tid, PTRACE_LISTEN, 0); /* group-stop: stay stopped, job control works */
            return;
        }
        if (t->fb == FB_RESULT) { /* our PTRACE_INTERRUPT: the notified call is done */
            struct user_regs_struct r;
            t->fb = FB_NONE;
            if (t->p->logging && ptrace(PTRACE_GETREGS, tid, 0, &r) == 0 && (long)r.orig_rax == t->nr) {
                long rv = (long)r.rax;
                if (!(rv <= -512 && rv >= -516)) /* (to be restarted: it comes again) */
                    on_result(t, rv);
            }
        }
        resume(tid, PTRACE_CONT, 0);
        return;
    }
    if (sig == SIGTRAP && ev) {
        switch (ev) {
        case PTRACE_EVENT_SECCOMP: {
            int want = 0;
            if (t->p->logging) {
                struct user_regs_struct r;
                if (ptrace(PTRACE_GETREGS, tid, 0, &r) == 0) {
                    uint64_t a[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
                    want = on_entry(t, (long)r.orig_rax, a);
                }
            }
            t->insys = want;
            resume(tid, want ? PTRACE_SYSCALL : PTRACE_CONT, 0);
            return;
        }
        case PTRACE_EVENT_FORK:
        case PTRACE_EVENT_VFORK:
        case PTRACE_EVENT_CLONE:
            on_fork(t, ev);
            break;
        case PTRACE_EVENT_EXEC:
            t = on_exec(t, tid);
            break;
        case PTRACE_EVENT_EXIT:
            on_exit_event(t);
            break;
        }
        resume(tid, PTRACE_CONT, 0);
        return;
    }
    if (t->fb != FB_RESULT)
        restart_notified(t);
    resume(tid, PTRACE_CONT, sig); /* signal-delivery-stop: deliver it */
}

void trace_event(int tid, int status)
{
    LOCK();
    event(tid, status);
    UNLOCK();
}

/* ---------------------------------------------------------------- notifications */

static __thread struct {
    int pid, tid; /* t_undo: a written fd whose close was recorded, until answered */
    long fd;
    int made;     /* a call made by the supervisor (its result was the answer) */
    int wopen;    /* the file opened for the thread is open for writing */
} t_undo = {0, 0, -1, 0, 0};
static __thread struct pt_version t_ver; /* of a file opened for the thread */



/* Leave the thread's notified call to the wait loop (caller holds the lock;
 * kicks the doorbell after unlocking).  0 if it cannot be queued. */
static int hold(struct thr *t, int lfd, uint64_t id)
{
    if (g_nfbq >= FBQ_MAX || req_doorbell() <= 0 || t->p->unseizable)
        return 0;
    SUP_DEBUG("%d: syscall %ld handed to the wait loop", t->tid, t->nr);
    t->fb = FB_WANT; /* no answer yet: the wait loop gives it */
    t->attach = t->p->lazy; /* ... after seizing it */
    t->fb_lfd = lfd;
    t->fb_id = id;
    g_fbq[g_nfbq++] = t->tid;
    return 1;
}

/* Record a call the supervisor made for t: RESULT (or ADDFD for an open
 * whose file is to be handed over). */
static int made_result(struct thr *t, long nr, const uint64_t a[6], struct notif_answer *ans)
{
    if (ans->fd >= 0) { /* recorded now, its fd number patched in when known */
        long flags = (long)(nr == SYS_openat ? a[2] : a[1]);
        ans->cloexec = (flags & O_CLOEXEC) != 0;
        t_undo.wopen = ans->written = (flags & O_ACCMODE) != O_RDONLY;
        if (t_undo.wopen)
            SUP_DEBUG("%d: file opened for writing here (syscall %ld)", t->tid, nr);
        open_result(t, 0, 0, &t_ver, 1);
        return NOTIF_ADDFD;
    }
    on_result(t, ans->rv);
    if (nr != SYS_open && nr != SYS_openat) { /* not to be made twice */
        t_undo.made = 1;
        t->redo_nr = nr;
        t->redo_rv = ans->rv;
        memcpy(t->redo_a, a, sizeof t->redo_a);
    }
    return NOTIF_RESULT;
}

/* May the supervisor make this open (SYS_open, SYS_openat) for t?  One for
 * writing only when t is the process's main thread and has its exit stop:
 * files still open for writing get their versions at that stop
 * (on_exit_event), and only the wait loop can switch it on, at a ptrace
 * stop (a main thread without it takes the wait loop's way once: the
 * fallback's stop switches it on; other threads always do). */
static int may_open(const struct thr *t, long nr, const uint64_t a[6])
{
    if (nr != SYS_open && nr != SYS_openat)
        return 0;
    long flags = (long)(nr == SYS_openat ? a[2] : a[1]);
    return !(flags & PT_OPEN_WRITE_FLAGS) || (!t->p->lazy && t->exit_stop && t->tid == t->p->pid);
}

/* Is the thread still waiting for this notification's answer? */
static int still_valid(int lfd, uint64_t id)
{
    return ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* rt_sigaction(sig, act, ..) installing a handler without SA_RESTART?  A
 * signal for it could then interrupt a call waiting for its notification
 * to be received (the wait is killable only after): natively a close or a
 * stat is never interrupted, so the wait loop must be able to restart it,
 * at the signal's delivery stop: the process is seized. */
static int interrupting_handler(struct thr *t, const uint64_t a[6])
{
    struct {
        uint64_t handler, flags, restorer, mask;
    } act;
    if (!a[1] || mem_read(t->tid, a[1], &act, sizeof act) != (long)sizeof act)
        return a[1] != 0; /* unreadable: the kernel will say; seize to be safe */
    return act.handler > 1 /* SIG_DFL 0, SIG_IGN 1 */ && !(act.flags & SA_RESTART);
}

int trace_notif(int tid, long nr, const uint64_t a[6], int lfd, uint64_t id,
                struct notif_answer *ans)
{
    static __thread char s1[SLEN], s2[SLEN]; /* the paths, for a call made without the lock */
    long *rv = &ans->rv;
    int make = 0, pid = 0, cwd = -1; /* make: 1 emu_run, 2 emu_open */
    struct cwdref *cwdr = NULL;       /* (cwd is its fd, lent while the call is made) */
    int has1 = 0, has2 = 0;
    LOCK();
    struct thr *t = thr_get(tid);
    if (!t)
        t = thr_discover(tid);
    t->seen_lfd = lfd;
    if (t->p->routed)
        routed_first_stop(t);
    int answer = NOTIF_CONTINUE;
    t_undo.fd = -1;
    t_undo.made = 0;
    t_undo.wopen = 0;
    t_undo.tid = tid;
    t_undo.pid = t->p->pid;
    ans->fd = -1;
    sup_track_begin();
    if (nr == SYS_umask && !t->p->cwd_nocache) /* (the call never fails) */
        t->p->umask = (int)(a[0] & 0777);
    if (nr == SYS_unshare && (a[0] & CLONE_FS)) /* (a quiet image's thread too) */
        fs_not_own(t->p);
    if (nr == SYS_landlock_restrict_self) /* its children too, wherever they go */
        __atomic_fetch_or(&sup_hdr()->flags, PT_HDR_LANDLOCK, __ATOMIC_RELEASE);
    if (PTF_LISTED(nr, PT_CRED_SYSCALLS)) {
        t->p->emu = -1; /* for good: its threads' credentials may differ from now on */
    } else if ((nr == SYS_unshare || nr == SYS_setns) && t->p->emu > 0) {
        t->p->emu = 0; /* its user namespace may change: look again */
    }
    if (t->fb != FB_NONE) {
        /* a call after one the wait loop was to take: that one is gone (the
         * thread died or a signal withdrew it before we had it) */
        t->fb = FB_NONE;
    }
    /* not seized yet: a new process, thread or image must start traced */
    int must_seize = t->p->lazy && (PTF_LISTED(nr, PT_FORK_SYSCALLS, SYS_execve, SYS_execveat) ||
                                    (nr == SYS_rt_sigaction && interrupting_handler(t, a)));
    if (t->p->logging) {
        int redo = t->redo && t->redo_nr == nr && !memcmp(t->redo_a, a, sizeof t->redo_a);
        t->redo = 0;
        if (nr == SYS_close && wbit_get(t->p, (long)a[0])) {
            t_undo.pid = t->p->pid;
            t_undo.fd = (long)a[0];
        }
        int want = decode_entry(t, nr, a);
        int mine = want && same_root(t->p) && emu_ok(t->p);
        if (redo) {
            *rv = t->redo_rv; /* made already: the same answer again */
            answer = made_result(t, nr, a, ans);
        } else if (mine && (emu_handles(nr) || may_open(t, nr, a))) {
            /* made below, without the lock (a slow file system stalls no one else) */
            make = emu_handles(nr) ? 1 : 2;
            pid = t->p->pid;
            if (cwd_fd(t->p) >= 0) {
                cwdr = t->p->cwd;
                cwdr->refs++;
                cwd = cwdr->fd;
            }
            emu_umask_hint(t->p->cwd_nocache ? -1 : t->p->umask);
            if ((has1 = t->whole1)) /* a cut path is never acted on */
                memcpy(s1, t->s1, SLEN);
            if ((has2 = t->whole2))
                memcpy(s2, t->s2, SLEN);
        } else if (want && answer_at_entry(t, rv)) {
            on_result(t, *rv);
        } else if (want && hold(t, lfd, id)) {
            answer = NOTIF_HOLD;
        }
    }
    if (must_seize && answer == NOTIF_CONTINUE && !make) {
        t->nr = nr; /* (its result is not recorded: the events are) */
        if (hold(t, lfd, id))
            answer = NOTIF_HOLD;
    }
    UNLOCK();
    if (make) {
        int done = make == 1 ? still_valid(lfd, id) && emu_run(pid, cwd, tid, nr, a, has1 ? s1 : NULL,
                                                           has2 ? s2 : NULL, rv)
                             : emu_open(pid, tid, cwd, nr, a, has1 ? s1 : NULL, &ans->fd, &t_ver, rv);
        LOCK();
        cwd_put(cwdr);
        t = thr_get(tid);
        if (t && emu_umask_seen() >= 0 && t->p->umask < 0 && !t->p->cwd_nocache)
            t->p->umask = emu_umask_seen(); /* (unless a umask call came meanwhile) */
        if (!t) { /* it died meanwhile: nothing to answer or record */
            if (ans->fd >= 0)
                close(ans->fd);
            ans->fd = -1;
            emu_open_undo(1);
        } else if (done) {
            answer = made_result(t, nr, a, ans);
        } else if (answer_at_entry(t, rv)) {
            on_result(t, *rv);
        } else if (still_valid(lfd, id) && hold(t, lfd, id)) {
            answer = NOTIF_HOLD;
        }
        UNLOCK();
    }
    if (answer == NOTIF_HOLD) {
        sup_track_end(1);
        kill(req_doorbell(), SIGWINCH); /* a stop of the doorbell wakes the wait loop */
    }
    return answer;
}

void trace_notif_opened(long fd)
{
    sup_track_set_ret(fd);
    emu_open_undo(0);
    LOCK();
    struct proc *p = proc_get(t_undo.pid);
    if (p) /* written: its close records the version it leaves (its exit stop is on) */
        wbit(p, fd, t_undo.wopen);
    UNLOCK();
}

int trace_notif_open_failed(int err, int lfd, uint64_t id)
{
    emu_open_undo(1); /* a file created for it: natively a failed open creates none */
    LOCK();
    sup_track_end(0);
    sup_track_begin();
    struct thr *t = thr_get(t_undo.tid);
    int answer = 1;
    if (!t) {
    } else if (err == EMFILE || err == ENFILE) { /* still waiting: its state is the open's */
        open_result(t, -1, err, NULL, 0);
    } else if (hold(t, lfd, id)) {
        answer = 0;
    }
    UNLOCK();
    if (!answer) {
        sup_track_end(1);
        kill(req_doorbell(), SIGWINCH);
    }
    return answer;
}

void trace_notif_done(int answered)
{
    emu_open_undo(!answered);
    sup_track_end(answered);
    if (!answered && (t_undo.fd >= 0 || t_undo.made)) { /* withdrawn: the call will come again */
        LOCK();
        struct proc *p = t_undo.fd >= 0 ? proc_get(t_undo.pid) : NULL;
        if (p)
            wbit(p, t_undo.fd, 1);
        struct thr *t = t_undo.made ? thr_get(t_undo.tid) : NULL;
        if (t)
            t->redo = 1;
        UNLOCK();
    }
    t_undo.fd = -1;
    t_undo.made = 0;
}

/* Learn whether our look-ups are p's (caller holds the lock). */
static void prime(struct proc *p)
{
    same_root(p);
    if (emu_no_lsm()) /* (exec keeps these, unless an LSM changes labels at exec) */
        emu_ok(p);
}

void trace_prime(int pid)
{
    LOCK();
    struct proc *p = proc_get(pid);
    if (p && p->logging == 0)
        prime(p);
    UNLOCK();
}

void trace_pending(void)
{
    if (!__atomic_load_n(&g_nfbq, __ATOMIC_RELAXED))
        return;
    LOCK();
    for (int i = 0; i < g_nfbq; i++) {
        struct thr *t = thr_get(g_fbq[i]);
        if (!t || t->fb != FB_WANT)
            continue;
        /* a stop for when it leaves the kernel (its wait is killable only:
         * the interrupt withdraws nothing), then the answer */
        struct seccomp_notif_resp resp;
        memset(&resp, 0, sizeof resp);
        resp.id = t->fb_id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (t->attach) { /* lazy until now: one thread (a clone would have come here first) */
            t->attach = 0;
            if (ptrace(PTRACE_SEIZE, t->tid, 0, (void *)sup_seize_options()) != 0) {
                /* (ptrace worked in this session: most likely another tracer holds it) */
                char exe[PATH_MAX], link[64], why[256];
                int e = errno;
                proc_path(link, t->p->pid, "exe", -1);
                ssize_t n = readlink(link, exe, sizeof exe - 1);
                exe[n > 0 ? n : 0] = 0;
                snprintf(why, sizeof why,
                         "seen through seccomp notifications until it needed ptrace; "
                         "PTRACE_SEIZE failed (%s; another tracer?): its calls from then on "
                         "and its children are not recorded",
                         strerror(e));
                SUP_DEBUG("seize of %d failed: %s; its calls run unrecorded", t->tid, strerror(e));
                if (t->p->logging && e == EPERM) /* (ESRCH: it died meanwhile) */
                    sup_log(t->p->pid, t->tid, PT_OP_UNTRACED, t->p->cls, 0, 0, 0, 0, 0, NULL, exe, why);
                /* quiet from now on, and its children (a dynamic image's own records
                 * are the library's, and no exec of theirs is seen) */
                t->p->logging = 0;
                t->p->unseizable = 1;
                __atomic_store_n(&g_unseizable, 1, __ATOMIC_RELAXED);
                t->fb = FB_NONE;
                ioctl(t->fb_lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
                continue;
            }
            t->p->lazy = 0; /* (still lazy if not: it is forgotten when its listener ends) */
            SUP_DEBUG("seized %d at syscall %ld", t->tid, t->nr);
            if (t->p->lazy_key) /* the next run of this program is seized at its exec */
                __atomic_store_n(pt_seized_slot(sup_hdr(), t->p->lazy_key), t->p->lazy_key,
                                 __ATOMIC_RELAXED);
        }
        if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) != 0) {
            t->fb = FB_NONE; /* gone */
        } else if (ioctl(t->fb_lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) {
            t->fb = FB_NONE; /* withdrawn before we had it: it comes again */
        } else {
            t->fb = FB_RESULT;
        }
    }
    g_nfbq = 0;
    UNLOCK();
}

/*
 * exec.c — exec family, posix_spawn*, system and popen.
 * glibc's execvp/execl* call an internal __execve, so the whole family is
 * re-implemented here on top of the real execve (glibc's PATH search rules
 * included): each real attempt gets an EXEC record before and EXECFAIL
 * after.  Every path puts LD_PRELOAD and PROVTRACE_SESSION back into the
 * child's environment (env -i, clearenv) using stack memory only.
 * A static, Go or non-glibc target is handed to provtrace-supervisor before
 * the exec (route_exec): it PTRACE_SEIZEs this thread, we install the
 * seccomp filter, and the target runs traced with its pid unchanged; if that
 * is impossible the exec is recorded as untraced, with the reason, and runs
 * as it would have.
 */
#include "pt.h"
#include "ptfilter.h"
#include "ptsup.h"

#include <alloca.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define PT_MARK "libprovtrace" /* any build of the library counts as "ours" */
#define LP_EQ PT_ENV_PRELOAD "="
#define SS_EQ PT_ENV_SESSION "="

/* ---------------------------------------------------------------- env */

struct envplan {
    int n;         /* entries in envp */
    int lp;        /* index of LD_PRELOAD=, or -1 */
    int ss;        /* index of PROVTRACE_SESSION=, or -1 */
    int strip;     /* remove our library (target cannot load it) */
    int change_lp; /* LD_PRELOAD entry replaced/added/removed */
    size_t lplen;  /* bytes of the new LD_PRELOAD entry, NUL included (0: drop) */
};

static int is_ours(const char *tok, size_t n)
{
    size_t m = sizeof PT_MARK - 1;
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(tok + i, PT_MARK, m) == 0)
            return 1;
    return 0;
}

/* Bytes needed for the rewritten environment, 0 when envp can be used as is. */
static size_t env_plan(char *const *envp, int cls, struct envplan *pl)
{
    pl->n = 0;
    pl->lp = pl->ss = -1;
    pl->strip = cls == PT_CLASS_FOREIGN;
    pl->change_lp = 0;
    pl->lplen = 0;
    if (!pt_libpath || !pt_session)
        return 0;
    for (int i = 0; envp && envp[i]; i++, pl->n++) {
        if (pl->lp < 0 && strncmp(envp[i], LP_EQ, sizeof LP_EQ - 1) == 0)
            pl->lp = i;
        else if (pl->ss < 0 && strncmp(envp[i], SS_EQ, sizeof SS_EQ - 1) == 0)
            pl->ss = i;
    }
    const char *val = pl->lp >= 0 ? envp[pl->lp] + sizeof LP_EQ - 1 : NULL;
    int has = val && is_ours(val, strlen(val));
    if (pl->strip) {
        if (has) {
            pl->change_lp = 1;
            pl->lplen = sizeof LP_EQ + strlen(val); /* upper bound */
        }
    } else if (!has) {
        pl->change_lp = 1;
        pl->lplen = sizeof LP_EQ + strlen(pt_libpath) + (val && *val ? 1 + strlen(val) : 0);
    }
    int add_ss = pl->ss < 0 && !pl->strip;
    if (!pl->change_lp && !add_ss)
        return 0;
    size_t bytes = (size_t)(pl->n + 3) * sizeof(char *) + pl->lplen;
    if (add_ss)
        bytes += sizeof SS_EQ + strlen(pt_session);
    return bytes;
}

static char **env_build(char *const *envp, const struct envplan *pl, void *mem)
{
    char **out = mem;
    char *s = (char *)(out + pl->n + 3);
    int k = 0;
    char *lpnew = NULL;
    if (pl->change_lp) {
        const char *val = pl->lp >= 0 ? envp[pl->lp] + sizeof LP_EQ - 1 : "";
        char *p = lpnew = s;
        memcpy(p, LP_EQ, sizeof LP_EQ - 1);
        p += sizeof LP_EQ - 1;
        char *start = p;
        if (!pl->strip) {
            size_t n = strlen(pt_libpath);
            memcpy(p, pt_libpath, n);
            p += n;
        }
        /* keep the other entries (separators: space or colon, as ld.so) */
        for (const char *t = val; *t;) {
            size_t n = strcspn(t, " :");
            if (n && !(pl->strip && is_ours(t, n))) {
                if (p != start)
                    *p++ = ':';
                memcpy(p, t, n);
                p += n;
            }
            t += n;
            if (*t)
                t++;
        }
        *p++ = 0;
        s = p;
        if (p == start + 1)
            lpnew = NULL; /* stripped to nothing: drop the variable */
    }
    for (int i = 0; i < pl->n; i++) {
        if (i == pl->lp && pl->change_lp)
            continue;
        out[k++] = envp[i];
    }
    if (lpnew)
        out[k++] = lpnew;
    if (pl->ss < 0 && !pl->strip) {
        char *p = s;
        memcpy(p, SS_EQ, sizeof SS_EQ - 1);
        strcpy(p + sizeof SS_EQ - 1, pt_session);
        out[k++] = p;
    }
    out[k] = NULL;
    return out;
}

/* The environment the child gets: envp, or a rewritten copy on the caller's
 * stack (alloca must run in the frame that makes the call). */
#define PT_FIX_ENV(envp, cls, out)                                                               \
    do {                                                                                         \
        struct envplan pl_;                                                                      \
        size_t need_ = env_plan((envp), (cls), &pl_);                                            \
        (out) = (char *const *)(envp);                                                           \
        if (need_)                                                                               \
            (out) = env_build((envp), &pl_, alloca(need_));                                      \
    } while (0)

/* system()/popen() read environ inside libc: put our variables back there. */
static void fix_environ(void)
{
    if (!pt_libpath || !pt_session)
        return;
    int e = errno;
    const char *lp = getenv(PT_ENV_PRELOAD);
    if (!lp || !is_ours(lp, strlen(lp))) {
        size_t a = strlen(pt_libpath), b = lp ? strlen(lp) : 0;
        char *v = alloca(a + b + 2);
        memcpy(v, pt_libpath, a);
        v[a] = 0;
        if (b) {
            v[a] = ':';
            memcpy(v + a + 1, lp, b + 1);
        }
        setenv(PT_ENV_PRELOAD, v, 1);
    }
    if (!getenv(PT_ENV_SESSION))
        setenv(PT_ENV_SESSION, pt_session, 1);
    errno = e;
}

/* ---------------------------------------------------------------- exec */

/* ---------------------------------------------------------------- routing */

/* Targets the supervisor can trace instead (setuid ones must not lose their
 * privileges to no_new_privs; unknown ones will most likely fail to exec). */
static int wants_route(int cls)
{
    return cls == PT_CLASS_STATIC || cls == PT_CLASS_GO || cls == PT_CLASS_FOREIGN;
}

static void copy_reason(char *dst, size_t cap, const char *a, const char *b)
{
    size_t n = 0;
    for (const char *p = a; p && *p && n + 1 < cap; p++)
        dst[n++] = *p;
    if (b && *b) {
        for (const char *p = "; "; *p && n + 1 < cap; p++)
            dst[n++] = *p;
        for (const char *p = b; *p && n + 1 < cap; p++)
            dst[n++] = *p;
    }
    dst[n] = 0;
}

/* Will the supervisor's PTRACE_SEIZE of this thread work?  Then the filter
 * can go on while it seizes (a filter without its tracer would make the
 * program's calls fail): ptrace works in this session, nobody traces us
 * (the supervisor already does for a descendant of a traced program), and
 * we are dumpable. */
static int seize_will_work(struct pt_log_header *h, const char *status)
{
    if (!(__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) & PT_HDR_PTRACE_OK) ||
        pt_sys(SYS_prctl, PR_GET_DUMPABLE, 0, 0) != 1)
        return 0;
    const char *tp = strstr(status, "\nTracerPid:");
    return tp && tp[11] == '\t' && tp[12] == '0' && tp[13] == '\n';
}

/* Our /proc/self/status into buf (empty if unreadable); 1 if we are in a
 * pid namespace below /proc's (NSpid lists more than one pid): there the
 * supervisor's pid and ours mean nothing to each other. */
static int read_status(char *buf, size_t cap)
{
    buf[0] = 0;
    long fd = pt_sys(SYS_open, (long)"/proc/self/status", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    long n = pt_sys(SYS_read, fd, (long)buf, (long)cap - 1);
    pt_sys(SYS_close, fd, 0, 0);
    buf[n > 0 ? n : 0] = 0;
    const char *ns = strstr(buf, "\nNSpid:");
    const char *end = ns ? strchr(ns + 1, '\n') : NULL;
    for (const char *c = ns ? ns + 8 : NULL; c && end && c < end; c++)
        if (*c == '\t')
            return 1;
    return 0;
}

/* Is our pid the one /proc shows (we are in the pid namespace of the
 * supervisor's /proc)?  /proc/self is made on the fly: no entry of our own
 * pid has to be built, unlike /proc/self/status. */
static int pid_as_proc_sees(long pid)
{
    char buf[24];
    long n = pt_sys(SYS_readlink, (long)"/proc/self", (long)buf, sizeof buf);
    long v = 0;
    if (n <= 0 || n >= (long)sizeof buf)
        return 0;
    for (long i = 0; i < n; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return 0;
        v = v * 10 + (buf[i] - '0');
    }
    return v == pid;
}

/* May this exec (from the main thread: its pid is the image's) be a lazy
 * request?  The session offers it and ptrace works in it, the target is
 * not Go (its runtime starts threads at once: it would be seized anyway),
 * the same program was not seized after a lazy request before in this
 * session (a worker, not a leaf: seized at its exec, its calls are ptrace
 * stops instead of notifications handed to the wait loop), no filter is on
 * us yet (a second one would stack), we are dumpable, and our pid means the
 * same to the supervisor.  Cheap checks only: no /proc file of our own is
 * read (about 30 us per exec).  Whether another tracer holds us matters
 * only if the process is ever seized; the supervisor says so then. */
static int lazy_ok(struct pt_log_header *h, int cls, uint64_t key, long pid)
{
    int f = __atomic_load_n(&h->flags, __ATOMIC_ACQUIRE);
    return (f & PT_HDR_LAZY) && (f & PT_HDR_PTRACE_OK) && cls != PT_CLASS_GO &&
           __atomic_load_n(pt_seized_slot(h, key), __ATOMIC_RELAXED) != key &&
           pt_sys(SYS_prctl, PR_GET_SECCOMP, 0, 0) == 0 && pt_sys(SYS_prctl, PR_GET_DUMPABLE, 0, 0) == 1 &&
           pid_as_proc_sees(pid);
}

/* The value a lazy request marks our image with (ptsup.h): there until the
 * exec replaces the image. */
static __thread uint64_t pt_exec_mark; /* (vfork children of two threads at once) */

/* The lazy request (ptsup.h): connect, send the request (the supervisor
 * looks at us while we install the filter), install the lazy filter, send
 * its listener, close both (with the cookie: the filter is on).  No answer
 * is awaited.  1 when the filter is on; 0 when it is not (the supervisor
 * cannot be reached, or the kernel refused: ask the usual way). */
static int route_lazy(struct pt_sup_req rq, uint64_t key)
{
    struct sockaddr_un sa;
    socklen_t len = pt_sup_addr(pt_session, &sa, 1);
    long s = pt_sys(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0)
        return 0;
    /* any value will do that the next image is most unlikely to hold there */
    pt_exec_mark = (__builtin_ia32_rdtsc() ^ ((uint64_t)(uint32_t)rq.tid << 40) ^ key) | 1;
    rq.flags |= PT_SUP_REQ_LAZY;
    rq.mark_addr = (uint64_t)(uintptr_t)&pt_exec_mark;
    rq.mark = pt_exec_mark;
    rq.key = key;
    int listener = -1;
    if (pt_sys(SYS_connect, s, &sa, len) != 0 ||
        pt_sys6(SYS_sendto, s, (long)&rq, sizeof rq, MSG_NOSIGNAL, 0, 0) != (long)sizeof rq ||
        pt_filter_install(PT_FILTER_LAZY, &listener) != 0) {
        pt_sys(SYS_close, s, 0, 0); /* (the supervisor forgets a request without a listener) */
        return 0;
    }
    if (pt_sup_send_fd((int)s, listener) != 0) /* (a connected peer: no) */
        PT_DEBUG("the lazy filter is on but the supervisor did not get its listener");
    pt_cookie_close(listener);
    pt_cookie_close((int)s);
    return 1;
}

static int route_asked(struct pt_log_header *h, struct pt_sup_req rq, const char **why,
                       char *reason, size_t cap);

/* Ask the session's supervisor to trace this thread from its next exec on.
 * Returns 1 when it does (filter installed or inherited); else 0 and *why.
 * Raw syscalls only: our own socket wrappers must not log this. */
static int route_exec(int cls, uint64_t key, const char **why, char *reason, size_t cap)
{
    struct pt_log_header *h = __atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE);
    if (!h || !pt_session || !(__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) & PT_HDR_ROUTE)) {
        *why = h && h->supervisor_pid ? "not traced in --mode preload"
                                      : "no provtrace-supervisor in this session";
        return 0;
    }
    long tid = pt_sys(SYS_gettid, 0, 0, 0), pid = pt_sys(SYS_getpid, 0, 0, 0);
    /* the main thread keeps its tid across the exec: the supervisor can
     * announce the image at its first stop instead of stopping it at exec */
    int main_thread = tid == pid;
    struct pt_sup_req rq = {PT_SUP_MAGIC, (int32_t)tid, (int32_t)pt_sys(SYS_getppid, 0, 0, 0),
                            (main_thread ? PT_SUP_REQ_ROUTED : 0) | (cls & 0xff) << 8, 0, 0, 0};
    if (main_thread && lazy_ok(h, cls, key, pid) && route_lazy(rq, key))
        return 1;
    return route_asked(h, rq, why, reason, cap);
}

/* The request answered by the supervisor's wait loop, which seizes us first.
 * Out of line: its buffers stay off the stack of every other exec (in a fork
 * child each stack page touched is a copy-on-write fault). */
__attribute__((noinline)) static int route_asked(struct pt_log_header *h, struct pt_sup_req rq,
                                                 const char **why, char *reason, size_t cap)
{
    char status[2048]; /* about 20 us in a new process: its /proc entries are made */
    if (read_status(status, sizeof status)) {
        *why = "in a pid namespace of its own (the supervisor cannot reach it)";
        return 0;
    }
    struct sockaddr_un sa;
    socklen_t len = pt_sup_addr(pt_session, &sa, 0);
    long s = pt_sys(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0) {
        *why = "cannot create a socket to reach the supervisor";
        return 0;
    }
    struct pt_sup_rep rep;
    /* Wake the supervisor's wait loop after sending; send the wake-up again
     * every PT_SUP_RESEND_MS until it answers (30 s at most: a hung one). */
    struct timeval tmo = {0, PT_SUP_RESEND_MS * 1000};
    pt_sys6(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, (long)&tmo, sizeof tmo, 0);
    int sup = __atomic_load_n(&h->supervisor_pid, __ATOMIC_ACQUIRE);
    long r = pt_sys(SYS_connect, s, &sa, len);
    if (r == 0)
        r = pt_sys6(SYS_sendto, s, (long)&rq, sizeof rq, MSG_NOSIGNAL, 0, 0);
    int notify = (__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) & PT_HDR_NOTIFY) != 0;
    int listener = -1, installed = 0;
    long ir = 0;
    if (r == (long)sizeof rq) {
        int early = notify && seize_will_work(h, status);
        for (int tries = 0; tries < 30000 / PT_SUP_RESEND_MS; tries++) {
            pt_sys(SYS_kill, sup, PT_SUP_WAKE, 0);
            if (early && !installed) { /* while the supervisor seizes us */
                installed = 1;
                ir = pt_filter_install(notify, &listener);
                if (listener >= 0)
                    pt_sup_send_fd((int)s, listener);
            }
            r = pt_sys6(SYS_recvfrom, s, (long)&rep, sizeof rep, 0, 0, 0);
            if (r != -EAGAIN && r != -EINTR)
                break;
        }
    }
    if (installed && !(r == (long)sizeof rep && (rep.status == PT_SUP_SEIZED || rep.status == PT_SUP_ALREADY))) {
        /* cannot happen when seize_will_work() said so: the filter is on and
         * nothing traces us; the program's traced calls will fail (ENOSYS) */
        PT_DEBUG("seccomp filter installed but the supervisor did not seize us");
    }
    if (installed || (r == (long)sizeof rep && rep.status == PT_SUP_SEIZED)) {
        if (!installed)
            ir = pt_filter_install(notify, &listener);
        if (listener >= 0) { /* the supervisor serves it; we must not keep it */
            if (!installed)
                pt_sup_send_fd((int)s, listener);
            pt_cookie_close(listener);
        }
        pt_cookie_close((int)s); /* the filter is on: a plain close would be seen */
        r = ir;
        if (r == 0)
            return 1;
        *why = "cannot install the seccomp filter";
        PT_DEBUG("seccomp filter refused after PTRACE_SEIZE");
        return 0;
    }
    pt_sys(SYS_close, s, 0, 0);
    if (r != (long)sizeof rep) {
        *why = r == -EAGAIN ? "the supervisor did not answer" : "the supervisor is not reachable";
        return 0;
    }
    if (rep.status == PT_SUP_ALREADY)
        return 1;
    rep.reason[sizeof rep.reason - 1] = 0;
    copy_reason(reason, cap, rep.reason, NULL);
    *why = reason;
    return 0;
}

static void log_untraced(int cls, const char *path, const char *reason, const char *why)
{
    if (pt_class_traced(cls) || !reason)
        return;
    char buf[384];
    copy_reason(buf, sizeof buf, reason, why);
    pt_log(PT_OP_UNTRACED, cls, 0, 0, 0, 0, 0, NULL, path ? path : "", buf);
}

static void *s_execve, *s_execveat, *s_fexecve;

/* Called before a fork: the child that execs would otherwise look execve up
 * itself, in every child (dlsym: microseconds and a dozen page faults). */
PT_HID void pt_exec_prime(void)
{
    if (!__atomic_load_n(&s_execve, __ATOMIC_RELAXED))
        pt_real(&s_execve, "execve");
}

static int call_real(int kind, int dirfd, const char *path, char *const argv[],
                     char *const envp[], int flags)
{
    switch (kind) {
    case PT_EXK_EXECVE: {
        int (*f)(const char *, char *const[], char *const[]) =
            (int (*)(const char *, char *const[], char *const[]))pt_real(&s_execve, "execve");
        if (f)
            return f(path, argv, envp);
        break;
    }
    case PT_EXK_EXECVEAT: {
        int (*f)(int, const char *, char *const[], char *const[], int) =
            (int (*)(int, const char *, char *const[], char *const[], int))pt_real(&s_execveat,
                                                                                 "execveat");
        if (f)
            return f(dirfd, path, argv, envp, flags);
        break;
    }
    default: {
        int (*f)(int, char *const[], char *const[]) =
            (int (*)(int, char *const[], char *const[]))pt_real(&s_fexecve, "fexecve");
        if (f)
            return f(dirfd, argv, envp);
        break;
    }
    }
    errno = ENOSYS;
    return -1;
}

/* The exec itself once the supervisor traces this thread: the raw system
 * call with PT_EXEC_COOKIE in its spare argument, so the filter lets this
 * one through (this record stands for it) instead of stopping the thread. */
static int exec_traced(int kind, int dirfd, const char *path, char *const argv[],
                       char *const envp[], int flags)
{
    long r;
    if (kind == PT_EXK_EXECVE)
        r = pt_sys6(SYS_execve, (long)path, (long)argv, (long)envp, (long)PT_EXEC_COOKIE, 0, 0);
    else if (kind == PT_EXK_EXECVEAT)
        r = pt_sys6(SYS_execveat, dirfd, (long)path, (long)argv, (long)envp, flags,
                    (long)PT_EXEC_COOKIE);
    else
        r = pt_sys6(SYS_execveat, dirfd, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH,
                    (long)PT_EXEC_COOKIE);
    errno = (int)-r;
    return -1;
}

/* One real exec attempt, logged.  For fexecve, dirfd is the fd. */
PT_HID int pt_exec(int kind, int dirfd, const char *path, char *const argv[], char *const envp[],
                   int flags)
{
    if (!pt_on())
        return call_real(kind, dirfd, path, argv, envp, flags);
    const char *reason;
    int cls = kind == PT_EXK_FEXECVE ? pt_classify(dirfd, "", AT_EMPTY_PATH, &reason)
                                     : pt_classify(dirfd, path, flags, &reason);
    char *const *env2;
    PT_FIX_ENV(envp, cls, env2);
    int argc = pt_vcount(argv), envc = pt_vcount(env2);
    const char *lpath = kind == PT_EXK_FEXECVE ? "" : path;
    int fd = kind == PT_EXK_EXECVE ? AT_FDCWD : dirfd;
    /* The environment matters here only for a target whose inside we may not
     * see (static, Go, foreign, setuid): one the preload library runs in writes
     * its own START, and a PATH candidate that does not exist needs none.
     * Copying it anyway doubled the log bytes of every exec. */
    if (cls == PT_CLASS_DYNAMIC || cls == PT_CLASS_SCRIPT || cls == PT_CLASS_UNKNOWN)
        envc = 0;
    struct pt_ev ev = {PT_OP_EXEC, fd, pt_sys(SYS_getppid, 0, 0, 0), 0, argc, envc, cls, NULL};
    struct pt_seg seg[3] = {{lpath, -1, NULL, 0}, {NULL, 0, argv, argc}, {NULL, 0, env2, envc}};
    pt_emit(&ev, seg, 3);
    const char *why = NULL;
    char whybuf[sizeof(((struct pt_sup_rep *)0)->reason)];
    int routed = wants_route(cls) &&
                 route_exec(cls, pt_lazy_key(lpath, argc > 1 ? argv[1] : NULL), &why, whybuf, sizeof whybuf);
    if (!routed)
        log_untraced(cls, lpath, reason, why);
    int r = routed ? exec_traced(kind, dirfd, path, argv, env2, flags)
                   : call_real(kind, dirfd, path, argv, env2, flags);
    int e = errno;
    pt_log(PT_OP_EXECFAIL, fd, -1, e, 0, 0, 0, NULL, lpath ? lpath : "", NULL);
    errno = e;
    return r;
}

/* glibc's fallback for a file the kernel cannot execute: run it with sh. */
static void script_exec(const char *file, char *const argv[], char *const envp[])
{
    int argc = pt_vcount(argv);
    char **nargv = alloca((size_t)(argc + 3) * sizeof(char *));
    nargv[0] = (char *)"/bin/sh";
    nargv[1] = (char *)file;
    for (int i = 1; i <= argc; i++)
        nargv[i + 1] = i < argc ? argv[i] : NULL;
    if (argc <= 1)
        nargv[2] = NULL;
    pt_exec(PT_EXK_EXECVE, AT_FDCWD, "/bin/sh", nargv, envp, 0);
}

/* __execvpe_common of glibc 2.36, with logging attempts. */
static int do_execvpe(const char *file, char *const argv[], char *const envp[])
{
    if (!file || !*file) {
        errno = ENOENT;
        return -1;
    }
    if (strchr(file, '/')) {
        pt_exec(PT_EXK_EXECVE, AT_FDCWD, file, argv, envp, 0);
        if (errno == ENOEXEC)
            script_exec(file, argv, envp);
        return -1;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    size_t flen = strlen(file);
    if (flen > NAME_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *buf = alloca(strlen(path) + flen + 2);
    int got_eacces = 0;
    for (const char *p = path;;) {
        const char *end = strchrnul(p, ':');
        size_t dl = (size_t)(end - p);
        memcpy(buf, p, dl);
        buf[dl] = '/';
        memcpy(buf + dl + (dl > 0), file, flen + 1);
        pt_exec(PT_EXK_EXECVE, AT_FDCWD, buf, argv, envp, 0);
        if (errno == ENOEXEC)
            script_exec(buf, argv, envp);
        switch (errno) {
        case EACCES:
            got_eacces = 1;
            /* fallthrough */
        case ENOENT:
        case ESTALE:
        case ENOTDIR:
        case ENODEV:
        case ETIMEDOUT:
            break;
        default:
            return -1;
        }
        if (!*end)
            break;
        p = end + 1;
    }
    if (got_eacces)
        errno = EACCES;
    return -1;
}

PT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    return pt_exec(PT_EXK_EXECVE, AT_FDCWD, path, argv, envp, 0);
}

PT_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                       int flags)
{
    return pt_exec(PT_EXK_EXECVEAT, dirfd, path, argv, envp, flags);
}

PT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    return pt_exec(PT_EXK_FEXECVE, fd, NULL, argv, envp, 0);
}

PT_EXPORT int execv(const char *path, char *const argv[])
{
    return pt_exec(PT_EXK_EXECVE, AT_FDCWD, path, argv, environ, 0);
}

PT_EXPORT int execvp(const char *file, char *const argv[])
{
    return do_execvpe(file, argv, environ);
}

PT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    return do_execvpe(file, argv, envp);
}

/* execl*: varargs -> argv on the stack.  Leaves ap positioned after NULL. */
#define PT_COLLECT_ARGV(arg, argv)                                                               \
    int n_ = 0;                                                                                  \
    {                                                                                            \
        /* glibc declares arg nonnull, but execl(p, NULL) happens: hide it */                    \
        const char *a0_ = (arg);                                                                 \
        __asm__("" : "+r"(a0_));                                                                 \
        va_list c_;                                                                              \
        va_start(c_, arg);                                                                       \
        if (a0_)                                                                                 \
            for (n_ = 1; va_arg(c_, char *); n_++)                                               \
                ;                                                                                \
        va_end(c_);                                                                              \
    }                                                                                            \
    char **argv = alloca((size_t)(n_ + 1) * sizeof(char *));                                     \
    va_list ap;                                                                                  \
    va_start(ap, arg);                                                                           \
    argv[0] = (char *)(arg);                                                                     \
    for (int i_ = 1; i_ <= n_; i_++)                                                             \
        argv[i_] = va_arg(ap, char *);                                                           \
    argv[n_] = NULL

PT_EXPORT int execl(const char *path, const char *arg, ...)
{
    PT_COLLECT_ARGV(arg, argv);
    va_end(ap);
    return pt_exec(PT_EXK_EXECVE, AT_FDCWD, path, argv, environ, 0);
}

PT_EXPORT int execlp(const char *file, const char *arg, ...)
{
    PT_COLLECT_ARGV(arg, argv);
    va_end(ap);
    return do_execvpe(file, argv, environ);
}

PT_EXPORT int execle(const char *path, const char *arg, ...)
{
    PT_COLLECT_ARGV(arg, argv);
    /* ap now points just past the terminating NULL (or at it when arg is
     * NULL, which is then the terminator itself): the next one is envp. */
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return pt_exec(PT_EXK_EXECVE, AT_FDCWD, path, argv, envp, 0);
}

/* ---------------------------------------------------------------- spawn */

/* Where posix_spawnp will find file (first executable on PATH), for the
 * ELF check only; raw access() so nothing is logged twice. */
static const char *spawn_target(const char *file, char *buf, size_t cap)
{
    if (strchr(file, '/'))
        return file;
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    size_t flen = strlen(file);
    for (const char *p = path;;) {
        const char *end = strchrnul(p, ':');
        size_t dl = (size_t)(end - p);
        if (dl + flen + 2 <= cap) {
            memcpy(buf, p, dl);
            buf[dl] = '/';
            memcpy(buf + dl + (dl > 0), file, flen + 1);
            if (pt_sys(SYS_access, buf, X_OK, 0) == 0)
                return buf;
        }
        if (!*end)
            return file;
        p = end + 1;
    }
}

/* provtrace-supervisor beside this library (the --shim entry point). */
static int spawn_shim(char *buf, size_t cap, const char **why)
{
    struct pt_log_header *h = __atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE);
    if (!h || !(__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) & PT_HDR_ROUTE)) {
        *why = h && h->supervisor_pid ? "not traced in --mode preload"
                                      : "no provtrace-supervisor in this session";
        return 0;
    }
    const char *slash = pt_libpath ? strrchr(pt_libpath, '/') : NULL;
    static const char name[] = "/provtrace-supervisor";
    size_t d = slash ? (size_t)(slash - pt_libpath) : 0;
    if (!slash || d + sizeof name > cap) {
        *why = "provtrace-supervisor not found beside the library";
        return 0;
    }
    memcpy(buf, pt_libpath, d);
    memcpy(buf + d, name, sizeof name);
    if (pt_sys(SYS_access, buf, X_OK, 0) != 0) {
        *why = "provtrace-supervisor not found beside the library";
        return 0;
    }
    return 1;
}

static int do_real_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                         const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    static void *s_spawn;
    typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                            const posix_spawnattr_t *, char *const[], char *const[]);
    spawn_fn real = (spawn_fn)pt_real(&s_spawn, "posix_spawn");
    return real ? real(pid, path, fa, attr, argv, envp) : ENOSYS;
}

static int do_spawn(int usepath, pid_t *pid, const char *file,
                    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                    char *const argv[], char *const envp[])
{
    static void *s_spawn, *s_spawnp;
    typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                            const posix_spawnattr_t *, char *const[], char *const[]);
    spawn_fn real = (spawn_fn)(usepath ? pt_real(&s_spawnp, "posix_spawnp")
                                       : pt_real(&s_spawn, "posix_spawn"));
    if (!real)
        return ENOSYS;
    if (!pt_on() || !file)
        return real(pid, file, fa, attr, argv, envp);
    int e0 = errno;
    char buf[PATH_MAX];
    const char *target = usepath ? spawn_target(file, buf, sizeof buf) : file;
    const char *reason;
    int cls = pt_classify(AT_FDCWD, target, 0, &reason);
    char *const *env2;
    PT_FIX_ENV(envp, cls, env2);
    pid_t local = 0;
    if (!pid)
        pid = &local;
    /* A static target: spawn the supervisor's shim, which asks to be traced
     * and then execs the target (posix_spawn gives us no hook in the child). */
    const char *why = NULL;
    char **sargv = NULL;
    char shim[PATH_MAX];
    if (wants_route(cls) && target[0] == '/' && spawn_shim(shim, sizeof shim, &why)) {
        int argc0 = pt_vcount(argv);
        sargv = alloca((size_t)(argc0 + 4) * sizeof(char *));
        sargv[0] = shim;
        sargv[1] = (char *)"--shim";
        sargv[2] = (char *)target;
        for (int i = 0; i < argc0; i++)
            sargv[3 + i] = argv[i];
        sargv[3 + argc0] = NULL;
        if (!argc0) { /* the shim needs an argv[0] to pass on */
            sargv[3] = (char *)target;
            sargv[4] = NULL;
        }
    }
    errno = e0;
    int rc = sargv ? do_real_spawn(pid, shim, fa, attr, sargv, env2)
                   : real(pid, file, fa, attr, argv, env2);
    int e = errno;
    int argc = pt_vcount(argv), envc = pt_vcount(env2);
    struct pt_ev ev = {PT_OP_SPAWN, cls, rc, 0, rc == 0 ? *pid : 0, argc, envc, NULL};
    struct pt_seg seg[3] = {{target, -1, NULL, 0}, {NULL, 0, argv, argc}, {NULL, 0, env2, envc}};
    pt_emit(&ev, seg, 3);
    if (!sargv)
        log_untraced(cls, target, reason, why);
    errno = e;
    return rc;
}

PT_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return do_spawn(0, pid, path, fa, attr, argv, envp);
}

PT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return do_spawn(1, pid, file, fa, attr, argv, envp);
}

/* ---------------------------------------------------------------- shell */

PT_EXPORT int system(const char *cmd)
{
    static void *slot;
    int (*real)(const char *) = (int (*)(const char *))pt_real(&slot, "system");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    if (!cmd || !pt_on())
        return real(cmd);
    fix_environ();
    int r = real(cmd);
    int e = errno;
    pt_log(PT_OP_SHELL, -1, r, r < 0 ? e : 0, 0, 0, 0, NULL, cmd, NULL);
    errno = e;
    return r;
}

PT_EXPORT FILE *popen(const char *cmd, const char *mode)
{
    static void *slot;
    FILE *(*real)(const char *, const char *) =
        (FILE * (*)(const char *, const char *)) pt_real(&slot, "popen");
    if (!real) {
        errno = ENOSYS;
        return NULL;
    }
    if (!cmd || !pt_on())
        return real(cmd, mode);
    fix_environ();
    FILE *f = real(cmd, mode);
    int e = errno;
    int fd = f ? fileno(f) : -1;
    if (fd >= 0)
        pt_wbit_set(fd, 0);
    pt_log(PT_OP_SHELL, -1, fd, f ? 0 : e, 1, 0, 0, NULL, cmd, NULL);
    errno = e;
    return f;
}

/*
 * provtrace-supervisor — started once per recording session by the launcher:
 *
 *   provtrace-supervisor --log LOG [--mode auto|preload|ptrace] [--status-fd N] -- CMD ARGS...
 *
 * It is the child subreaper of CMD (orphans and daemonised grandchildren are
 * reparented to it; the session ends when they have ended too), forwards
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT to CMD, and is the ptrace tracer of every
 * executable the preload library cannot see into (static, Go, non-glibc):
 * auto mode traces those on request of the exec wrappers, ptrace mode traces
 * everything from CMD down, preload mode never traces.  It exits with CMD's
 * status (128+N for signal N) and reports on the status fd, one line each:
 *   ptrace ok | ptrace unavailable REASON
 *   pid PID            (CMD started)
 *   status RAW         (CMD's raw wait status)
 *   waiting N PID...   (CMD ended 2 s ago; N background processes remain)
 *   end REAPED LEFT    (done; LEFT still running when told to stop waiting)
 *
 *   provtrace-supervisor --shim PATH ARGV0 ARGS...
 * runs inside a child made by posix_spawn of a static target: asks the
 * session's supervisor to trace it, installs the filter and execs PATH.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <dirent.h>
#include <unistd.h>

#include "ptfilter.h"
#include "ptsup.h"
#include "sup.h"

extern char **environ;

int sup_debug_on;

void sup_dbg(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dprintf(2, "provtrace-debug [%s:%d]> %s\n", file, line, msg);
}

static void die(int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dprintf(2, "provtrace: %s\n", msg);
    exit(code);
}

/* ---------------------------------------------------------------- status */

static int g_status_fd = -1;

static void status_line(const char *fmt, ...)
{
    if (g_status_fd < 0)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    if (write(g_status_fd, buf, (size_t)n) < 0)
        g_status_fd = -1; /* launcher gone: carry on */
}

/* ---------------------------------------------------------------- signals */

static volatile sig_atomic_t g_root = 0, g_root_done, g_stop_waiting, g_alarm, g_wake;
static int g_from_tty;
static const int FORWARDED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void on_signal(int sig)
{
    if (sig == SIGALRM) {
        g_alarm = 1;
        return;
    }
    if (sig == PT_SUP_WAKE) { /* a request waits on the socket */
        g_wake = 1;
        return;
    }
    if (g_root_done) {
        g_stop_waiting = 1;
        return;
    }
    if ((sig == SIGINT || sig == SIGQUIT) && g_from_tty)
        return; /* the terminal sent it to the whole foreground group already */
    if (g_root > 0)
        kill(g_root, sig);
}

/* What the recorded command would have had from us natively: the signal
 * mask and the ignored signals we were started with (a caller may block or
 * ignore some: perf blocks SIGWINCH, nohup ignores SIGHUP, a script's
 * background job ignores SIGINT and SIGQUIT). */
static sigset_t g_orig_mask;
static uint64_t g_orig_ignored; /* bit sig-1 */
static const int CHANGED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGPIPE, PT_SUP_WAKE};

static int ignored_at_start(int sig) { return (g_orig_ignored >> (sig - 1)) & 1; }

static void install_handlers(void)
{
    sigprocmask(SIG_SETMASK, NULL, &g_orig_mask);
    for (unsigned i = 0; i < sizeof CHANGED / sizeof *CHANGED; i++) {
        struct sigaction old;
        if (sigaction(CHANGED[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            g_orig_ignored |= 1ull << (CHANGED[i] - 1);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigset_t ours;
    sigemptyset(&ours);
    for (unsigned i = 0; i < sizeof FORWARDED / sizeof *FORWARDED; i++) {
        if (ignored_at_start(FORWARDED[i]))
            continue; /* ignored by the command too: nothing to pass on */
        sigaction(FORWARDED[i], &sa, NULL);
        sigaddset(&ours, FORWARDED[i]);
    }
    sigaction(SIGALRM, &sa, NULL);
    sigaction(PT_SUP_WAKE, &sa, NULL);
    sigaddset(&ours, SIGALRM);
    sigaddset(&ours, PT_SUP_WAKE);
    sigprocmask(SIG_UNBLOCK, &ours, NULL); /* whatever mask we were given */
    signal(SIGPIPE, SIG_IGN);
}

/* In the command's child, before its exec: its signals as they were given
 * to us.  Signals 32 and 33 (glibc's own) are the exception: glibc's
 * posix_spawn, which the launcher's Python uses, leaves them ignored in the
 * process it starts, and no program can ignore them itself (glibc's and
 * musl's sigaction refuse them), so an ignored one is the launcher's doing:
 * the command gets them as a shell would give them, SIG_DFL. */
static void reset_child_signals(void)
{
    for (unsigned i = 0; i < sizeof CHANGED / sizeof *CHANGED; i++)
        signal(CHANGED[i], ignored_at_start(CHANGED[i]) ? SIG_IGN : SIG_DFL);
    for (int sig = 32; sig <= 33; sig++) {
        struct {
            unsigned long handler, flags, restorer, mask;
        } old, dfl = {0, 0, 0, 0};
        if (syscall(SYS_rt_sigaction, sig, NULL, &old, 8) == 0 && old.handler == (unsigned long)SIG_IGN)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
    }
    sigprocmask(SIG_SETMASK, &g_orig_mask, NULL);
}

/* ---------------------------------------------------------------- children */

/* Our children other than the doorbell (-1: cannot tell). */
static int count_children(int doorbell, int *first, int nfirst)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", getpid());
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0, ok = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char f[320];
        snprintf(f, sizeof f, "/proc/%d/task/%s/children", getpid(), de->d_name);
        FILE *fp = fopen(f, "re");
        if (!fp)
            continue;
        ok = 1;
        int pid;
        while (fscanf(fp, "%d", &pid) == 1)
            if (pid != doorbell) {
                if (n < nfirst)
                    first[n] = pid;
                n++;
            }
        fclose(fp);
    }
    closedir(d);
    return ok ? n : -1;
}

int sup_root_done(void) { return g_root_done; }

/* ---------------------------------------------------------------- waiting */

/* The next event.  While tracees are busy, stops follow each other within
 * microseconds; sleeping in waitpid() between them costs a scheduler wake-up
 * of this process each time (on a VM, an idle vCPU: the main cost of a
 * stop).  So poll for a short while after each event before blocking; the
 * window is SPIN_NS, and 0 when nothing is traced (no busy loop when idle). */
#define SPIN_NS 0 /* off: measured slower on a loaded 2-vCPU VM; PROVTRACE_SPIN_NS=40000 to try */
static uint64_t g_spin_ns = SPIN_NS;

static pid_t wait_next(int *st)
{
    if (sup_tracees > 0 && g_spin_ns) {
        uint64_t t0 = sup_now();
        for (unsigned i = 0;; i++) {
            pid_t w = waitpid(-1, st, __WALL | WNOHANG);
            if (w != 0)
                return w;
            if ((i & 15) == 15 && sup_now() - t0 > g_spin_ns)
                break;
        }
    }
    return waitpid(-1, st, __WALL);
}

/* ---------------------------------------------------------------- root */

static const char *find_in_path(const char *file, char *buf, size_t cap)
{
    if (strchr(file, '/'))
        return file;
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    for (const char *p = path;;) {
        const char *end = strchrnul(p, ':');
        snprintf(buf, cap, "%.*s%s%s", (int)(end - p), p, end > p ? "/" : "", file);
        if (access(buf, X_OK) == 0)
            return buf;
        if (!*end)
            return file;
        p = end + 1;
    }
}

/* environ without our library in LD_PRELOAD (ptrace mode, foreign libc). */
static char **env_without_lib(void)
{
    int n = 0;
    while (environ[n])
        n++;
    char **out = calloc((size_t)n + 1, sizeof *out);
    if (!out)
        return environ;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 || !strstr(environ[i], "libprovtrace")) {
            out[k++] = environ[i];
            continue;
        }
        char *v = malloc(strlen(environ[i]) + 1), *w;
        if (!v)
            continue;
        strcpy(v, "LD_PRELOAD=");
        w = v + 11;
        char *copy = strdup(environ[i] + 11), *save = NULL;
        for (char *tok = strtok_r(copy, " :", &save); tok; tok = strtok_r(NULL, " :", &save)) {
            if (strstr(tok, "libprovtrace"))
                continue;
            if (w != v + 11)
                *w++ = ':';
            w = stpcpy(w, tok);
        }
        free(copy);
        if (w != v + 11)
            out[k++] = v;
        else
            free(v);
    }
    out[k] = NULL;
    return out;
}

static void write_exec_untraced(int pid, const char *path, char **argv, int cls,
                                const char *reason)
{
    int argc = 0, envc = 0;
    while (argv[argc])
        argc++;
    while (environ[envc])
        envc++;
    struct pt_ev ev = {PT_OP_EXEC, AT_FDCWD, getpid(), 0, argc, envc, cls, NULL};
    struct pt_seg seg[3] = {{path, -1, NULL, 0}, {NULL, 0, argv, argc}, {NULL, 0, environ, envc}};
    sup_emit(pid, pid, &ev, seg, 3);
    sup_log(pid, pid, PT_OP_UNTRACED, cls, 0, 0, 0, 0, 0, NULL, path, reason);
}

static int start_root(char **cmd)
{
    char buf[PATH_MAX];
    const char *path = find_in_path(cmd[0], buf, sizeof buf);
    const char *reason = NULL;
    int cls = pt_classify(AT_FDCWD, path, 0, &reason);
    int routable = cls == PT_CLASS_STATIC || cls == PT_CLASS_GO || cls == PT_CLASS_FOREIGN;
    int want = sup_mode == MODE_PTRACE || (sup_mode == MODE_AUTO && routable);
    int trace = want && sup_ptrace_ok;
    char **env = environ;
    if ((trace && sup_mode == MODE_PTRACE) || cls == PT_CLASS_FOREIGN)
        env = env_without_lib();
    int go[2], lsn[2] = {-1, -1}; /* lsn: the notify filter's listener comes back on it */
    if (pipe2(go, O_CLOEXEC) != 0)
        die(70, "pipe: %s", strerror(errno));
    if (trace && notif_enabled() && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, lsn) != 0)
        lsn[0] = lsn[1] = -1;
    pid_t pid = fork();
    if (pid < 0)
        die(70, "fork: %s", strerror(errno));
    if (pid == 0) {
        reset_child_signals();
        if (g_status_fd >= 0)
            close(g_status_fd);
        close(go[1]);
        if (lsn[0] >= 0)
            close(lsn[0]);
        char c = 'U';
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        close(go[0]);
        if (c == 'T') {
            int listener;
            int rc = pt_filter_install(lsn[1] >= 0, &listener);
            if (rc < 0)
                dprintf(2, "provtrace: cannot install the seccomp filter (%s); %s runs untraced\n",
                        strerror(-rc), cmd[0]);
            if (listener >= 0) {
                pt_sup_send_fd(lsn[1], listener);
                pt_cookie_close(listener);
            }
        }
        if (lsn[1] >= 0)
            pt_cookie_close(lsn[1]);
        environ = c == 'T' || cls == PT_CLASS_FOREIGN ? env : environ;
        execvp(cmd[0], cmd);
        int e = errno;
        dprintf(2, "provtrace: %s: %s\n", cmd[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    close(go[0]);
    if (lsn[1] >= 0)
        close(lsn[1]);
    if (lsn[0] >= 0)
        notif_watch(lsn[0]); /* owns it now */
    g_root = pid;
    char c = 'U';
    if (trace) {
        if (ptrace(PTRACE_SEIZE, pid, 0, (void *)sup_seize_options()) == 0) {
            trace_adopt(pid, pid, getpid());
            c = 'T';
        } else {
            snprintf(sup_ptrace_reason, sizeof sup_ptrace_reason,
                     "ptrace is not permitted here (PTRACE_SEIZE: %s)", strerror(errno));
        }
    }
    if (want && c != 'T' && sup_mode == MODE_PTRACE && sup_ptrace_ok)
        status_line("ptrace unavailable %s", sup_ptrace_reason); /* the root alone refused */
    if (routable && c != 'T') {
        char why[512];
        snprintf(why, sizeof why, "%s; %s", reason ? reason : "not preloadable", sup_ptrace_reason);
        write_exec_untraced(pid, path, cmd, cls, why);
    }
    if (write(go[1], &c, 1) != 1)
        SUP_DEBUG("go-ahead write failed");
    close(go[1]);
    status_line("pid %d", pid);
    SUP_DEBUG("started %s as %d (%s)", cmd[0], pid, c == 'T' ? "traced" : "not traced");
    return pid;
}

/* ---------------------------------------------------------------- shim */

static int shim_main(int argc, char **argv)
{
    if (argc < 4)
        die(2, "usage: provtrace-supervisor --shim PATH ARGV0 ARGS...");
    const char *path = argv[2];
    char **targv = argv + 3;
    const char *sess = getenv(PT_ENV_SESSION);
    const char *why = NULL;
    char reason[256];
    int status = PT_SUP_FAILED;
    if (sess && sess[0] == '/') {
        struct sockaddr_un sa;
        socklen_t len = pt_sup_addr(sess, &sa, 0);
        int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct pt_sup_req rq = {PT_SUP_MAGIC, (int32_t)gettid(), (int32_t)getppid(), 0, 0, 0, 0};
        struct pt_sup_rep rep;
        int sup = 0;
        char err[256];
        if (sup_log_open(sess, err, sizeof err) == 0)
            sup = __atomic_load_n(&sup_hdr()->supervisor_pid, __ATOMIC_ACQUIRE);
        struct timeval tv = {0, PT_SUP_RESEND_MS * 1000};
        if (s >= 0)
            setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssize_t got = -1;
        if (sup > 0 && s >= 0 && connect(s, (struct sockaddr *)&sa, len) == 0 &&
            send(s, &rq, sizeof rq, MSG_NOSIGNAL) == (ssize_t)sizeof rq) {
            for (int tries = 0; tries < 15000 && got < 0; tries++) {
                kill(sup, PT_SUP_WAKE);
                got = recv(s, &rep, sizeof rep, 0);
                if (got < 0 && errno != EAGAIN && errno != EINTR)
                    break;
            }
        }
        if (got == (ssize_t)sizeof rep) {
            status = rep.status;
            rep.reason[sizeof rep.reason - 1] = 0;
            snprintf(reason, sizeof reason, "%s", rep.reason);
            why = reason;
        } else {
            why = "the supervisor is not reachable";
        }
        if (status == PT_SUP_SEIZED) {
            int listener;
            int notify = (__atomic_load_n(&sup_hdr()->flags, __ATOMIC_ACQUIRE) & PT_HDR_NOTIFY) != 0;
            if (pt_filter_install(notify, &listener) != 0)
                why = "cannot install the seccomp filter";
            if (listener >= 0) {
                pt_sup_send_fd(s, listener);
                pt_cookie_close(listener);
            }
        }
        if (s >= 0)
            pt_cookie_close(s);
    } else {
        why = "no session";
    }
    if (status < 0 && sess && sup_hdr()) {
        const char *cr = NULL;
        int cls = pt_classify(AT_FDCWD, path, 0, &cr);
        char full[512];
        snprintf(full, sizeof full, "%s; %s", cr ? cr : "not preloadable", why ? why : "");
        sup_log(getpid(), gettid(), PT_OP_UNTRACED, cls, 0, 0, 0, 0, 0, NULL, path, full);
    }
    execve(path, targv, environ);
    dprintf(2, "provtrace: %s: %s\n", path, strerror(errno));
    return errno == ENOENT ? 127 : 126;
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
    die(2, "usage: provtrace-supervisor --log LOG [--mode auto|preload|ptrace] [--status-fd N] "
           "-- CMD [ARGS...]");
}

int main(int argc, char **argv)
{
    const char *dbg = getenv(PT_ENV_DEBUG);
    sup_debug_on = dbg && dbg[0] == '1';
    const char *spin = getenv("PROVTRACE_SPIN_NS"); /* tuning/benchmarks: 0 = never poll */
    if (spin)
        g_spin_ns = strtoull(spin, NULL, 10);
    if (argc > 1 && !strcmp(argv[1], "--shim"))
        return shim_main(argc, argv);
    /* Every exec reads the new image's arguments and environment into a
     * block that is freed right after: keep that memory instead of giving
     * it back to the kernel (brk/munmap) and asking again each time. */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    const char *log = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
            log = argv[++i];
        } else if (!strcmp(argv[i], "--status-fd") && i + 1 < argc) {
            g_status_fd = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            const char *m = argv[++i];
            if (!strcmp(m, "auto"))
                sup_mode = MODE_AUTO;
            else if (!strcmp(m, "preload"))
                sup_mode = MODE_PRELOAD;
            else if (!strcmp(m, "ptrace"))
                sup_mode = MODE_PTRACE;
            else
                usage();
        } else {
            usage();
        }
    }
    if (!log || i >= argc)
        usage();
    if (g_status_fd >= 0)
        fcntl(g_status_fd, F_SETFD, FD_CLOEXEC);
    char err[512];
    if (sup_log_open(log, err, sizeof err) != 0)
        die(70, "%s", err);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    g_from_tty = isatty(0) && tcgetpgrp(0) == getpgrp();
    install_handlers();

    /* Can we ptrace at all?  The doorbell child is the probe. */
    if (sup_mode != MODE_PRELOAD) {
        char why[160];
        if (req_doorbell_setup(why, sizeof why) == 0) {
            sup_ptrace_ok = 1;
            status_line("ptrace ok");
        } else {
            snprintf(sup_ptrace_reason, sizeof sup_ptrace_reason, "ptrace is not permitted here (%s)",
                     why);
            status_line("ptrace unavailable %s", sup_ptrace_reason);
        }
    } else {
        snprintf(sup_ptrace_reason, sizeof sup_ptrace_reason, "not traced in --mode preload");
    }
    struct pt_log_header *h = sup_hdr();
    if (sup_ptrace_ok)
        __atomic_fetch_or(&h->flags, PT_HDR_PTRACE_OK, __ATOMIC_RELEASE);
    if (sup_ptrace_ok && notif_start() == 0)
        __atomic_fetch_or(&h->flags, PT_HDR_NOTIFY, __ATOMIC_RELEASE);
    if (sup_mode == MODE_AUTO) {
        int rc = req_start(log);
        if (rc == 0)
            __atomic_fetch_or(&h->flags, PT_HDR_ROUTE, __ATOMIC_RELEASE);
        else
            SUP_DEBUG("request socket: %s", strerror(-rc));
        /* PROVTRACE_LAZY=0: every routed exec is seized at once (comparisons, tests) */
        const char *lazy = getenv("PROVTRACE_LAZY");
        if (rc == 0 && notif_enabled() && !(lazy && lazy[0] == '0')) {
            rc = notif_lazy_start(log);
            if (rc == 0)
                __atomic_fetch_or(&h->flags, PT_HDR_LAZY, __ATOMIC_RELEASE);
            else
                SUP_DEBUG("lazy request socket: %s", strerror(-rc));
        }
    }
    h->root_pid = getpid();
    __atomic_store_n(&h->supervisor_pid, getpid(), __ATOMIC_RELEASE);

    int root = start_root(argv + i);
    /* Our own fds (a listener, a cwd and a connection per traced program)
     * must not run out before the programs' do; the command already runs
     * with the limits it was given. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    int root_status = 0, detached = 0;
    long reaped = 0;
    for (;;) {
        trace_pending(); /* notified calls the loop must step (the doorbell woke it) */
        if (g_root_done && sup_tracees == 0) {
            int n = count_children(req_doorbell(), NULL, 0);
            if (n == 0 || (n < 0 && !req_doorbell()))
                break;
            if (n < 0) { /* cannot list children: stop the doorbell, wait for ECHILD */
                kill(req_doorbell(), SIGKILL);
            }
        }
        if (g_wake) {
            g_wake = 0;
            req_drain();
        }
        int st;
        pid_t w = wait_next(&st);
        if (w < 0) {
            if (errno == ECHILD)
                break;
            if (errno != EINTR)
                die(70, "waitpid: %s", strerror(errno));
            if (g_alarm && !detached) {
                g_alarm = 0;
                int first[5];
                int n = count_children(req_doorbell(), first, 5);
                if (n > 0) {
                    char pids[80] = "";
                    for (int k = 0; k < n && k < 5; k++)
                        snprintf(pids + strlen(pids), sizeof pids - strlen(pids), " %d", first[k]);
                    status_line("waiting %d%s", n, pids);
                }
            }
            if (g_wake) {
                g_wake = 0;
                req_drain();
            }
            if (g_stop_waiting && !detached) {
                int left = count_children(req_doorbell(), NULL, 0);
                status_line("end %ld %d", reaped, left > 0 ? left : 0);
                g_status_fd = -1;
                trace_set_quiet(); /* keep serving the tracees, log nothing more */
                detached = 1;
            }
            continue;
        }
        if (w == req_doorbell()) {
            if (WIFSTOPPED(st))
                ptrace(PTRACE_CONT, w, 0, 0); /* a stray signal: swallow it */
            continue;
        }
        int traced = trace_known(w);
        trace_event(w, st);
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (w == root && !g_root_done) {
                root_status = st;
                g_root_done = 1;
                status_line("status %d", st);
                alarm(2);
            } else if (!traced) {
                reaped++;
            }
        }
    }
    if (!detached)
        status_line("end %ld 0", reaped);
    if (req_doorbell())
        kill(req_doorbell(), SIGKILL);
    if (detached)
        return 0;
    if (WIFSIGNALED(root_status))
        return 128 + WTERMSIG(root_status);
    return WEXITSTATUS(root_status);
}

/*
 * sup.h — internal interface of provtrace-supervisor.
 *
 * main.c   command line, session log, the recorded command, the wait loop,
 *          signals, the status channel to the launcher, the spawn shim
 * trace.c  ptrace: thread/process tables, stops, syscall decoding -> records
 * notif.c  notify filters: listener fds, the threads that answer them
 * req.c    the request socket (served by the wait loop when PT_SUP_WAKE
 *          interrupts it) and the doorbell child (the ptrace probe)
 * mem.c    reading a tracee: strings, arrays, the new image's stack, /proc
 * log.c    the session log mapping and the record writer (common/ptw.h)
 */
#ifndef SUP_H
#define SUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "provtrace_log.h"
#include "ptw.h"

enum sup_mode { MODE_AUTO, MODE_PRELOAD, MODE_PTRACE };

/* ---- log.c */
int sup_log_open(const char *path, char *err, size_t errcap);
struct pt_log_header *sup_hdr(void);
void sup_emit(int pid, int tid, const struct pt_ev *ev, const struct pt_seg *seg, int nseg);
void sup_log(int pid, int tid, uint16_t op, int fd, long ret, int err, long a1, long a2, long a3,
             const struct pt_version *ver, const char *s1, const char *s2);
int sup_version_path(const char *path, struct pt_version *v);

/* Records this thread writes between begin and end(keep = 0) become padding. */
void sup_track_begin(void);
void sup_track_end(int keep);
void sup_track_set_ret(long ret); /* patch the result of the records tracked so far */
uint64_t sup_now(void);

/* ---- debug (main.c) */
extern int sup_debug_on;
void sup_dbg(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define SUP_DEBUG(...) (sup_debug_on ? sup_dbg(__FILE__, __LINE__, __VA_ARGS__) : (void)0)

/* ---- mem.c */
long mem_read(int pid, uint64_t addr, void *buf, size_t n); /* bytes read, -1 */
long mem_str(int pid, uint64_t addr, char *buf, size_t cap); /* length, -1 */
/* The same; *whole = 1 only when the string ended (NUL) within cap: a
 * longer or unreadable one is kept cut for the record, never acted on. */
long mem_str_whole(int pid, uint64_t addr, char *buf, size_t cap, int *whole);
/* Strings of a NULL-terminated pointer array: *out (malloc'd vector of
 * malloc'd block) and the count; -1 on failure. */
int mem_strv(int pid, uint64_t addr, char ***out, int max);
void mem_strv_free(char **v);
/* argc/argv/envp/auxv of an image at its exec stop (from its stack). */
struct image_info {
    char **argv, **envp; /* point into blob */
    int argc, envc;
    const char *execfn;
    char *blob;
};
int mem_image(int pid, uint64_t sp, struct image_info *ii);
void mem_image_free(struct image_info *ii);
long proc_readlink(int pid, const char *what, char *buf, size_t cap);
void proc_path(char *buf, int pid, const char *what, int fd); /* "/proc/PID/WHAT[/FD]" */

/* ---- trace.c */
extern enum sup_mode sup_mode;
extern int sup_ptrace_ok;
extern char sup_ptrace_reason[192];
extern long sup_tracees; /* live traced threads */
unsigned long sup_seize_options(void);
#define SUP_ROUTED_OPTIONS (sup_seize_options() & ~(unsigned long)PTRACE_O_TRACEEXEC)
/* A thread we just seized (request or root): tracked with logging off until
 * its next exec decides (the exec wrapper's own records cover it till then). */
void trace_adopt(int tid, int pid, int ppid);
/* The same for a PT_SUP_REQ_ROUTED request (seized without
 * PTRACE_O_TRACEEXEC): its image is announced at its first stop. */
void trace_adopt_routed(int tid, int pid, int ppid, int cls);
/* A lazy request (a notification thread; token: its connection's fd, kept
 * open while the listener is served): pid is tracked unseized, its image
 * announced at its first notification. */
struct pt_sup_req;
void trace_adopt_lazy(const struct pt_sup_req *rq, int token);
/* The lazy request token of pid is over (dead: its listener hung up, no
 * process uses the filter; else no listener came): forget pid if it was
 * never seized.  1 if it was forgotten. */
int trace_lazy_gone(int pid, int token, int dead);
/* The listener lfd serves no process any more: the threads seen on it that
 * were never seized are forgotten (how many). */
int trace_listener_gone(int lfd);
/* Is tid known, and traced or under a filter served for it?  A thread of a
 * process that could not be seized is forgotten instead (0): its exec may
 * be seized on its own. */
int trace_known_traceable(int tid);
/* A routed exec asked again by a process already known (its last exec
 * failed): a lazy one announces its image at its next notification. */
void trace_rerouted(int pid, int cls);
int trace_known(int tid);
int trace_is_process(int pid);
/* One waitpid() result for a traced (or unknown) thread. */
void trace_event(int tid, int status);
void trace_set_quiet(void); /* stop logging (the launcher gave up waiting) */
/* Notification id of listener lfd (notification threads).  Returns
 * NOTIF_CONTINUE (answer "continue"), NOTIF_RESULT (answer ans->rv: the
 * supervisor made the call, the notification still awaited), NOTIF_ADDFD
 * (the supervisor opened the file: hand ans->fd to the thread, O_CLOEXEC
 * if ans->cloexec, then trace_notif_opened() or trace_notif_open_failed()),
 * or NOTIF_HOLD (do not answer: the wait loop takes the call over).  After
 * an answer, trace_notif_done(whether it reached the thread). */
enum { NOTIF_HOLD = 0, NOTIF_CONTINUE = 1, NOTIF_RESULT = 2, NOTIF_ADDFD = 3 };
struct notif_answer {
    long rv;
    int fd, cloexec;
    int written; /* ... opened for writing: handed over first, answered after
                    trace_notif_opened() (the thread must not run before) */
};
int trace_notif(int tid, long nr, const uint64_t a[6], int lfd, uint64_t id,
                struct notif_answer *ans);
void trace_notif_opened(long fd);      /* the thread's fd for the file opened for it */
/* It could not take the fd: 1 = answer err (its own open would fail so),
 * 0 = do not answer (the wait loop steps the call instead). */
int trace_notif_open_failed(int err, int lfd, uint64_t id);
void trace_notif_done(int answered);
void trace_pending(void); /* wait loop: interrupt the calls taken over */
/* Just seized pid for an exec: learn now, while it execs, whether our
 * look-ups are its look-ups (root, mounts, user namespace, credentials),
 * so that its first calls do not wait for that. */
void trace_prime(int pid);

/* ---- emul.c */
void emu_thread_init(void); /* a notification thread: its own umask */
/* The umask of the process the next call is made for (-1: unknown, read
 * from /proc), and after the call the one that was read (-1: none). */
void emu_umask_hint(int um);
int emu_umask_seen(void);
int emu_handles(long nr);
int emu_allowed(int pid); /* same user namespace, credentials and LSM label as ours */
int emu_no_lsm(void);     /* we have no LSM label (nothing an exec could change) */
/* Make the call for the thread: 1 and the raw result in *rv, 0 if it cannot.
 * cwdfd: our fd of its cwd (or -1: /proc/PID/cwd is opened). */
int emu_run(int pid, int cwdfd, int tid, long nr, const uint64_t *a, const char *s1, const char *s2,
            long *rv);
/* An open (open, openat) made for the thread: 1 and either *fd (ours, to
 * hand over; *v its version) or *rv = -errno; 0 if it cannot be made here.
 * A file it created is removed by emu_open_undo(1) (the thread did not get
 * it); emu_open_undo(0) keeps it. */
int emu_open(int pid, int tid, int cwdfd, long nr, const uint64_t *a, const char *path, int *fd,
             struct pt_version *v, long *rv);
void emu_open_undo(int remove);
/* /dev/null, zero, full, random or urandom: opening one never waits or acts. */
int emu_harmless_dev(dev_t rdev);

/* ---- notif.c */
int notif_start(void);   /* 0: notify filters are in use (kernel >= 5.5) */
/* Accept lazy requests (ptsup.h) on their own socket, in a thread; 0 or -errno. */
int notif_lazy_start(const char *session);
int notif_enabled(void);
void notif_watch(int conn); /* a listener fd will come on conn (owned from now) */

/* ---- req.c */
int req_start(const char *session); /* listen (non-blocking); 0 or -errno */
void req_drain(void);               /* serve every pending request */
int sup_root_done(void);  /* main.c: the recorded command has ended */
int req_doorbell(void);   /* pid of the doorbell child (0: none) */
int req_doorbell_setup(char *why, size_t cap); /* fork + seize it; 0 ok, -errno */

/* ---- elf.c (shared with the preload library) */
int pt_classify(int dirfd, const char *path, int atflags, const char **reason);
int pt_class_traced(int cls);

#endif

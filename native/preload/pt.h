/*
 * pt.h — internal interface of the preload library (libprovtrace.so).
 * Raw syscalls (we wrap libc's close/open/syscall, so the library must never
 * call those through the PLT), the record writer API, per-process state and
 * the logging funnels that all wrappers share.  Everything here is hidden.
 */
#ifndef PT_H
#define PT_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "provtrace_log.h"
#include "ptw.h"

#if !defined(__x86_64__)
#error "provtrace preload: only x86_64 is supported (raw syscalls, vfork trampoline)"
#endif

#define PT_HID __attribute__((visibility("hidden")))
#define PT_EXPORT __attribute__((visibility("default")))
#define PT_IE __attribute__((tls_model("initial-exec")))
#define PT_LIKELY(x) __builtin_expect(!!(x), 1)
#define PT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Raw syscall returning -errno: never touches the caller's errno and never
 * goes through our own exported syscall()/close()/open() wrappers. */
static inline long pt_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define pt_sys(n, a, b, c) pt_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* The probe flags: the test oracle recognises this open as the tracer's own. */
#define PT_PROBE_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* ---- state (log.c) ---- */
/* The words every new image writes at its start and every fork child writes
 * at once, together (aligned to their size: never across a page): a child
 * makes a private copy of one page of ours, not of three (a copy-on-write
 * fault each, in every child). */
struct pt_hot {
    struct pt_log_header *hdr; /* NULL: logging off */
    const char *libpath;       /* this .so as loaded (for LD_PRELOAD); NULL: unknown */
    const char *session;       /* PROVTRACE_SESSION value; NULL: unknown */
    uint64_t cap;              /* log file size: records must end at or before it */
    uintptr_t self;            /* this library's load address */
    int state;                 /* 0 new, 1 initialising, 2 done */
    int debug_on;
    int exit_logged;
    int nobj_seen;             /* filtered objects already reported */
    int pid;                   /* cached getpid() of this process */
    int start_done;            /* START already written by this image */
    unsigned atfork_runs;      /* our atfork child handler's runs (a fork child sees +1) */
} __attribute__((aligned(128)));
extern PT_HID struct pt_hot pt_g;
#define pt_hdr (pt_g.hdr)
#define pt_state (pt_g.state)
#define pt_debug_on (pt_g.debug_on)
#define pt_libpath (pt_g.libpath)
#define pt_session (pt_g.session)
#define pt_exit_logged (pt_g.exit_logged)
#define pt_nobj_seen (pt_g.nobj_seen)
PT_HID void pt_init(void);

static inline int pt_on(void)
{
    if (PT_UNLIKELY(__atomic_load_n(&pt_state, __ATOMIC_ACQUIRE) != 2))
        pt_init();
    return __atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE) != NULL;
}

/* Lazy dlsym(RTLD_NEXT) into a per-wrapper slot; also triggers lazy init. */
PT_HID void *pt_real(void **slot, const char *name);

PT_HID void pt_exec_prime(void); /* before a fork: resolve what a child execs with */
PT_HID int pt_getpid(void);
PT_HID int pt_in_vfork_child(void);
PT_HID void pt_child_reset(void);
PT_HID extern __thread int pt_t_vfork PT_IE; /* 1 vfork pending, 2 sticky (CLONE_VM) */

PT_HID void pt_dbg(const char *file, int line, const char *msg);
#define PT_DEBUG(msg) pt_dbg(__FILE__, __LINE__, (msg))
PT_HID void pt_count_error(void);

/* ---- records (struct pt_seg / pt_ev and the writer: common/ptw.h) ---- */
PT_HID void pt_emit(const struct pt_ev *ev, const struct pt_seg *seg, int nseg);
/* Shorthand: up to two plain strings (NULL => not written). */
PT_HID void pt_log(uint16_t op, int fd, long ret, int err, long a1, long a2, long a3,
                   const struct pt_version *ver, const char *s1, const char *s2);
PT_HID int pt_vcount(char *const *v);

/* ---- versions and written-fd bitmap ---- */
PT_HID int pt_fd_version(int fd, struct pt_version *v);
PT_HID int pt_path_version(int dirfd, const char *path, int flags, struct pt_version *v);
PT_HID void pt_wbit_set(int fd, int written);
PT_HID int pt_wbit_take(int fd); /* test and clear */
PT_HID int pt_wbit_get(int fd);
PT_HID void pt_flush_written(int in_exit);

/* ---- funnels (fs.c / fd.c) ---- */
PT_HID void pt_log_open(int dirfd, const char *path, int flags, long mode, int api, long ret,
                        int err);
PT_HID void pt_log_close(int fd, long ret, int err, const struct pt_version *v);
PT_HID int pt_fopen_flags(const char *mode);

/* ---- exec / ELF (exec.c, elf.c) ---- */
enum pt_exec_kind { PT_EXK_EXECVE, PT_EXK_EXECVEAT, PT_EXK_FEXECVE };
PT_HID int pt_exec(int kind, int dirfd, const char *path, char *const argv[], char *const envp[],
                   int flags);
PT_HID int pt_classify(int dirfd, const char *path, int atflags, const char **reason);
PT_HID int pt_class_traced(int cls);

/* ---- misc ---- */
PT_HID void pt_log_exit(int status, int api);

#endif

/*
 * log.c — session log writer and per-process state of libprovtrace.so.
 * Maps the launcher-created session file (no fd kept open), reserves space
 * with a per-thread chunk cursor advanced by CAS (so a signal handler that
 * logs in the middle of another record is safe without a re-entrancy flag),
 * and writes the START record of each new process image.
 */
#include "pt.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

PT_HID struct pt_hot pt_g;
#define g_cap (pt_g.cap)
#define g_pid (pt_g.pid)
#define g_start_done (pt_g.start_done)
/* pt_session's text, then pt_libpath's: a new image dirties one page here */
static char g_paths[2 * PATH_MAX];

/* Thread state.  t_cur is the file offset of the next free byte of this
 * thread's chunk; 0 or a chunk boundary means "no room, claim a chunk".
 * One word, so a CAS keeps it consistent against signal handlers. */
static __thread uint64_t t_cur PT_IE;
static __thread int t_tid PT_IE;
PT_HID __thread int pt_t_vfork PT_IE;

extern void *__libc_stack_end; /* ld.so: points at argc on the initial stack */
extern char **environ;

/* ---------------------------------------------------------------- debug */

PT_HID void pt_dbg(const char *file, int line, const char *msg)
{
    if (!pt_debug_on)
        return;
    char buf[512];
    char num[16];
    int n = 0, k = 0;
    unsigned u = (unsigned)line;
    do
        num[k++] = (char)('0' + u % 10);
    while ((u /= 10) && k < 15);
    const char *parts[] = {"provtrace-debug [", file, ":", NULL, "]> ", msg, "\n"};
    for (unsigned i = 0; i < sizeof parts / sizeof *parts; i++) {
        if (!parts[i]) {
            while (k > 0 && n < (int)sizeof buf)
                buf[n++] = num[--k];
            continue;
        }
        for (const char *p = parts[i]; *p && n < (int)sizeof buf; p++)
            buf[n++] = *p;
    }
    pt_sys(SYS_write, 2, buf, n);
}

PT_HID void pt_count_error(void)
{
    struct pt_log_header *h = __atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE);
    if (h)
        __atomic_fetch_add(&h->errors, 1, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- ids */

PT_HID int pt_getpid(void)
{
    if (PT_UNLIKELY(pt_t_vfork)) {
        /* A vfork child shares our memory (and TLS): only the kernel knows
         * who is running.  Once the parent runs again the flag is stale. */
        int p = (int)pt_sys(SYS_getpid, 0, 0, 0);
        if (p == g_pid && pt_t_vfork == 1)
            pt_t_vfork = 0;
        return p;
    }
    return g_pid;
}

PT_HID int pt_in_vfork_child(void)
{
    return pt_t_vfork && (int)pt_sys(SYS_getpid, 0, 0, 0) != g_pid;
}

static int cur_tid(void)
{
    if (PT_UNLIKELY(pt_t_vfork))
        return (int)pt_sys(SYS_gettid, 0, 0, 0);
    int t = t_tid;
    if (PT_UNLIKELY(!t))
        t_tid = t = (int)pt_sys(SYS_gettid, 0, 0, 0);
    return t;
}

/* After fork/_Fork or a non-CLONE_VM clone: new pid, one thread, and the
 * parent's chunk must not be shared with it. */
PT_HID void pt_child_reset(void)
{
    g_pid = (int)pt_sys(SYS_getpid, 0, 0, 0);
    t_tid = 0;
    pt_t_vfork = 0;
    __atomic_store_n(&t_cur, 0, __ATOMIC_RELAXED);
    pt_exit_logged = 0;
}

static void atfork_child(void)
{
    pt_g.atfork_runs++; /* (fork_common: this child is reset already) */
    pt_child_reset();
    /* Forks we do not wrap (daemon(), libc-internal) are only visible here. */
    if (__atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE))
        pt_log(PT_OP_FORK, (int)pt_sys(SYS_getppid, 0, 0, 0), g_pid, 0, PT_FORK_ATFORK, 0, 0,
               NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- writer */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

PT_HID int pt_vcount(char *const *v)
{
    int n = 0;
    if (v)
        while (v[n])
            n++;
    return n;
}

PT_HID void pt_emit(const struct pt_ev *ev, const struct pt_seg *seg, int nseg)
{
    struct pt_log_header *h = __atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE);
    if (!h)
        return;
    uint32_t nstr;
    uint64_t tot = ptw_size(ev, seg, nseg, &nstr);
    if (!tot) {
        __atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED);
        PT_DEBUG("record too large, dropped");
        return;
    }
    uint64_t off = ptw_reserve(h, g_cap, &t_cur, tot);
    if (!off)
        return;
    struct pt_rec *r = (struct pt_rec *)((char *)h + off);
    ptw_fill(r, tot, nstr, ev, seg, nseg, pt_getpid(), cur_tid(), now_ns());
}

PT_HID void pt_log(uint16_t op, int fd, long ret, int err, long a1, long a2, long a3,
                   const struct pt_version *ver, const char *s1, const char *s2)
{
    struct pt_ev ev = {op, fd, ret, err, a1, a2, a3, ver};
    struct pt_seg seg[2] = {{s1, -1, NULL, 0}, {s2, -1, NULL, 0}};
    pt_emit(&ev, seg, s1 ? (s2 ? 2 : 1) : 0);
}

/* ---------------------------------------------------------------- versions */

PT_HID int pt_fd_version(int fd, struct pt_version *v)
{
    struct stat st;
    if (fd < 0 || pt_sys(SYS_fstat, fd, &st, 0) != 0)
        return 0;
    ptw_version_of(&st, v);
    return 1;
}

PT_HID int pt_path_version(int dirfd, const char *path, int flags, struct pt_version *v)
{
    struct stat st;
    if (!path || pt_sys6(SYS_newfstatat, dirfd, (long)path, (long)&st, flags, 0, 0) != 0)
        return 0;
    ptw_version_of(&st, v);
    return 1;
}

/* Bitmap of fds this process opened for writing: their final version is
 * recorded at close (and at exit for those still open). */
#define PT_MAXFD 65536
static uint64_t g_wbits[PT_MAXFD / 64];
/* Which words of g_wbits may be non-zero (set after the word, never cleared
 * before it): exit looks at these, not at 8 KB that are mostly untouched.
 * Sequentially consistent, so a flush that takes a summary bit away sees
 * the word set before it.  (A signal handler that exits between the two
 * stores misses that fd's version at exit; its open is recorded.) */
static uint64_t g_wsum[PT_MAXFD / 64 / 64];

PT_HID void pt_wbit_set(int fd, int written)
{
    if (fd < 0 || fd >= PT_MAXFD || pt_in_vfork_child())
        return;
    uint64_t m = 1ull << (fd & 63);
    if (written) {
        __atomic_fetch_or(&g_wbits[fd >> 6], m, __ATOMIC_SEQ_CST);
        uint64_t s = 1ull << ((fd >> 6) & 63);
        if (!(__atomic_load_n(&g_wsum[fd >> 12], __ATOMIC_SEQ_CST) & s))
            __atomic_fetch_or(&g_wsum[fd >> 12], s, __ATOMIC_SEQ_CST);
    } else if (__atomic_load_n(&g_wbits[fd >> 6], __ATOMIC_RELAXED) & m)
        __atomic_fetch_and(&g_wbits[fd >> 6], ~m, __ATOMIC_RELAXED);
}

PT_HID int pt_wbit_get(int fd)
{
    if (fd < 0 || fd >= PT_MAXFD)
        return 0;
    return (__atomic_load_n(&g_wbits[fd >> 6], __ATOMIC_RELAXED) >> (fd & 63)) & 1;
}

PT_HID int pt_wbit_take(int fd)
{
    if (!pt_wbit_get(fd) || pt_in_vfork_child())
        return 0;
    uint64_t m = 1ull << (fd & 63);
    return (__atomic_fetch_and(&g_wbits[fd >> 6], ~m, __ATOMIC_RELAXED) & m) != 0;
}

/* CLOSE-with-version (ret 0) for every written fd still open. */
PT_HID void pt_flush_written(int in_exit)
{
    (void)in_exit;
    if (!__atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE) || pt_in_vfork_child())
        return;
    for (int k = 0; k < PT_MAXFD / 64 / 64; k++) {
        uint64_t words = __atomic_exchange_n(&g_wsum[k], 0, __ATOMIC_SEQ_CST);
        while (words) {
            int w = k * 64 + __builtin_ctzll(words);
            words &= words - 1;
            uint64_t bits = __atomic_exchange_n(&g_wbits[w], 0, __ATOMIC_SEQ_CST);
            while (bits) {
                int fd = w * 64 + __builtin_ctzll(bits);
                bits &= bits - 1;
                struct pt_version v;
                if (pt_fd_version(fd, &v))
                    pt_log(PT_OP_CLOSE, fd, 0, 0, 0, 0, 0, &v, NULL, NULL);
            }
        }
    }
}

/* Some fd may still be marked written (a word of g_wbits may be non-zero). */
static int any_written(void)
{
    for (int k = 0; k < PT_MAXFD / 64 / 64; k++)
        for (uint64_t words = __atomic_load_n(&g_wsum[k], __ATOMIC_RELAXED); words;
             words &= words - 1)
            if (__atomic_load_n(&g_wbits[k * 64 + __builtin_ctzll(words)], __ATOMIC_RELAXED))
                return 1;
    return 0;
}

/* ---------------------------------------------------------------- START */

struct objscan {
    const char **names;
    int n, max, skip, kept, total;
};

static int obj_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct objscan *o = data;
    o->total++;
    const char *nm = info->dlpi_name;
    if (!nm || !*nm || strstr(nm, "linux-vdso") || info->dlpi_addr == pt_g.self)
        return 0;
    if (o->kept++ >= o->skip && o->n < o->max)
        o->names[o->n++] = nm;
    return 0;
}

/* Names of loaded objects but the main program, the vDSO and us, skipping
 * the first `skip` of those.  Returns how many names were stored; *total =
 * link-map length.  ("Newly added" by skip count: the filtered ones load
 * first.) */
PT_HID int pt_scan_objects(const char **names, int max, int skip, int *total);
PT_HID int pt_scan_objects(const char **names, int max, int skip, int *total)
{
    struct objscan o = {names, 0, max, skip, 0, 0};
    dl_iterate_phdr(obj_cb, &o);
    *total = o.total;
    return o.n;
}

/* This library in the link map: its load address and its name as loaded.
 * (dladdr would find the name too, but it also looks for the nearest
 * symbol: a few microseconds in every process.) */
static int self_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t me = (uintptr_t)&pt_init;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && me >= lo && me - lo < ph->p_memsz) {
            pt_g.self = info->dlpi_addr;
            *(const char **)data = info->dlpi_name;
            return 1;
        }
    }
    return 0;
}

static void write_start(int argc, char **argv, char **envp)
{
    if (g_start_done)
        return;
    g_start_done = 1;
    char cwd[PATH_MAX];
    if (pt_sys(SYS_getcwd, cwd, sizeof cwd, 0) < 0)
        cwd[0] = 0;
    const char *exe = (const char *)getauxval(AT_EXECFN);
    const char *objs[512];
    int total;
    int nobj = pt_scan_objects(objs, 512, 0, &total);
    pt_nobj_seen = nobj;
    int envc = pt_vcount(envp);
    struct pt_ev ev = {PT_OP_START, (int)pt_sys(SYS_getppid, 0, 0, 0), 0, 0, argc, envc, nobj,
                       NULL};
    struct pt_seg seg[5] = {{exe, -1, NULL, 0},
                            {cwd, -1, NULL, 0},
                            {NULL, 0, argv, argc},
                            {NULL, 0, envp, envc},
                            {NULL, 0, (char *const *)objs, nobj}};
    pt_emit(&ev, seg, 5);
    /* A redirection (`cmd > out`) hands this image a written file it did not
     * open itself: mark it so exit records the version the program left. */
    for (int fd = 0; fd <= 2; fd++) {
        long fl = pt_sys(SYS_fcntl, fd, F_GETFL, 0);
        struct pt_version v;
        if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY && pt_fd_version(fd, &v) && S_ISREG(v.mode))
            pt_wbit_set(fd, 1);
    }
}

/* ---------------------------------------------------------------- init */

static int map_session(const char *path)
{
    if (!path || path[0] != '/') {
        PT_DEBUG(path ? "PROVTRACE_SESSION is not absolute" : "PROVTRACE_SESSION unset");
        return -1;
    }
    long fd = pt_sys(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        PT_DEBUG("cannot open session log");
        return -1;
    }
    struct pt_log_header hd;
    struct stat st;
    long n = pt_sys6(SYS_pread64, fd, (long)&hd, sizeof hd, 0, 0, 0);
    int ok = n == (long)sizeof hd && memcmp(hd.magic, PT_LOG_MAGIC, 8) == 0 &&
             hd.version == PT_LOG_VERSION && hd.header_size == PT_HEADER_SIZE &&
             hd.chunk_size == PT_CHUNK_SIZE && hd.cap >= PT_HEADER_SIZE + PT_CHUNK_SIZE &&
             pt_sys(SYS_fstat, fd, &st, 0) == 0 && (uint64_t)st.st_size >= hd.cap;
    void *m = MAP_FAILED;
    if (ok) {
        long r = pt_sys6(SYS_mmap, 0, (long)hd.cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (r < 0 && r > -4096)
            PT_DEBUG("mmap of session log failed");
        else
            m = (void *)r;
    } else {
        PT_DEBUG("session log header invalid");
    }
    pt_sys(SYS_close, fd, 0, 0);
    if (m == MAP_FAILED)
        return -1;
    g_cap = hd.cap;
    __atomic_store_n(&pt_hdr, (struct pt_log_header *)m, __ATOMIC_RELEASE);
    return 0;
}

/* src into g_paths at *off; NULL when it does not fit (unknown rather than
 * truncated). */
static const char *keep_path(size_t *off, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (!n || n >= PATH_MAX)
        return NULL;
    char *dst = g_paths + *off;
    memcpy(dst, src, n + 1);
    *off += n + 1;
    return dst;
}

static void do_init(int argc, char **argv, char **envp)
{
    int s = 0;
    if (!__atomic_compare_exchange_n(&pt_state, &s, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return; /* done, or in progress (another thread, or a signal handler) */
    const char *dbg = getenv(PT_ENV_DEBUG);
    pt_debug_on = dbg && dbg[0] == '1';
    g_pid = (int)pt_sys(SYS_getpid, 0, 0, 0);
    const char *sess = getenv(PT_ENV_SESSION);
    if (map_session(sess) == 0) {
        size_t off = 0;
        const char *self = NULL;
        dl_iterate_phdr(self_cb, &self);
        pt_session = keep_path(&off, sess);
        pt_libpath = keep_path(&off, self);
        pthread_atfork(NULL, NULL, atfork_child);
        if (!argv) {
            /* Lazy init before our constructor: recover argv from the
             * initial stack, whose layout is argc, argv[], NULL, envp[]. */
            long *sp = __libc_stack_end;
            if (sp && sp[0] >= 0 && sp[0] < (1 << 20) && ((char **)(sp + 1))[sp[0]] == NULL) {
                argc = (int)sp[0];
                argv = (char **)(sp + 1);
            } else {
                argc = 0;
            }
            envp = environ;
        }
        write_start(argc, argv, envp);
    }
    __atomic_store_n(&pt_state, 2, __ATOMIC_RELEASE);
}

PT_HID void pt_init(void) { do_init(0, NULL, NULL); }

PT_HID void *pt_real(void **slot, const char *name)
{
    void *p = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (PT_UNLIKELY(!p)) {
        p = dlsym(RTLD_NEXT, name);
        if (!p)
            PT_DEBUG("dlsym(RTLD_NEXT) failed");
        __atomic_store_n(slot, p, __ATOMIC_RELAXED);
    }
    if (PT_UNLIKELY(__atomic_load_n(&pt_state, __ATOMIC_ACQUIRE) != 2))
        pt_init();
    return p;
}

__attribute__((constructor)) static void pt_ctor(int argc, char **argv, char **envp)
{
    do_init(argc, argv, envp);
}

/* Return from main: exit() is called inside libc, not through our wrapper. */
__attribute__((destructor)) static void pt_dtor(void)
{
    if (!__atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE))
        return;
    if (!pt_exit_logged)
        pt_log(PT_OP_EXIT, -1, 0, 0, 0, PT_EXIT_DESTRUCTOR, 0, NULL, NULL, NULL);
    pt_exit_logged = 1;
    /* stdio buffers are flushed after destructors; flush now so the versions
     * of written files are final (the data and its order are unchanged). */
    if (any_written()) {
        fflush(NULL);
        pt_flush_written(1);
    }
}

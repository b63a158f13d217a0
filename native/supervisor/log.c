/*
 * log.c — the supervisor's side of the session log: the same shared mapping
 * and chunk protocol as the preload library (common/ptw.h), one chunk cursor
 * (only the wait-loop thread writes), records stamped with the pid/tid of the
 * traced thread they describe.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sup.h"
#include "pt.h"

static struct pt_log_header *g_hdr;
/* The state preload/elf.c reads, built in here too: its header (the cache of
 * ELF checks is the session's). */
struct pt_hot pt_g;
static uint64_t g_cap;
static __thread uint64_t t_cur; /* chunk cursor of this writer thread */
#define TRACK_MAX 8
static __thread struct pt_rec *t_track[TRACK_MAX];
static __thread int t_ntrack = -1; /* -1: not tracking */

int sup_log_open(const char *path, char *err, size_t errcap)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errcap, "cannot open the session log %s: %s", path, strerror(errno));
        return -1;
    }
    struct pt_log_header hd;
    struct stat st;
    int ok = pread(fd, &hd, sizeof hd, 0) == (ssize_t)sizeof hd &&
             memcmp(hd.magic, PT_LOG_MAGIC, 8) == 0 && hd.version == PT_LOG_VERSION &&
             hd.header_size == PT_HEADER_SIZE && hd.chunk_size == PT_CHUNK_SIZE &&
             hd.cap >= PT_HEADER_SIZE + PT_CHUNK_SIZE && fstat(fd, &st) == 0 &&
             (uint64_t)st.st_size >= hd.cap;
    if (!ok) {
        close(fd);
        snprintf(err, errcap, "%s is not a provtrace session log of this version", path);
        return -1;
    }
    void *m = mmap(NULL, hd.cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(err, errcap, "cannot map the session log: %s", strerror(e));
        return -1;
    }
    g_cap = hd.cap;
    g_hdr = m;
    __atomic_store_n(&pt_hdr, g_hdr, __ATOMIC_RELEASE);
    return 0;
}

struct pt_log_header *sup_hdr(void) { return g_hdr; }

uint64_t sup_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sup_emit(int pid, int tid, const struct pt_ev *ev, const struct pt_seg *seg, int nseg)
{
    if (!g_hdr)
        return;
    uint32_t nstr;
    uint64_t tot = ptw_size(ev, seg, nseg, &nstr);
    if (!tot) {
        __atomic_fetch_add(&g_hdr->dropped, 1, __ATOMIC_RELAXED);
        SUP_DEBUG("record too large, dropped (op %u)", ev->op);
        return;
    }
    uint64_t off = ptw_reserve(g_hdr, g_cap, &t_cur, tot);
    if (!off)
        return;
    struct pt_rec *r = (struct pt_rec *)((char *)g_hdr + off);
    ptw_fill(r, tot, nstr, ev, seg, nseg, pid, tid, sup_now());
    if (t_ntrack >= 0 && t_ntrack < TRACK_MAX)
        t_track[t_ntrack++] = r;
}

void sup_track_begin(void) { t_ntrack = 0; }

void sup_track_set_ret(long ret)
{
    for (int i = 0; i < t_ntrack; i++)
        t_track[i]->ret = ret;
}

void sup_track_end(int keep)
{
    for (int i = 0; !keep && i < t_ntrack; i++)
        __atomic_store_n(&t_track[i]->op, (uint16_t)PT_OP_PAD, __ATOMIC_RELEASE); /* len stays */
    t_ntrack = -1;
}

void sup_log(int pid, int tid, uint16_t op, int fd, long ret, int err, long a1, long a2, long a3,
             const struct pt_version *ver, const char *s1, const char *s2)
{
    struct pt_ev ev = {op, fd, ret, err, a1, a2, a3, ver};
    struct pt_seg seg[2] = {{s1, -1, NULL, 0}, {s2, -1, NULL, 0}};
    sup_emit(pid, tid, &ev, seg, s1 ? (s2 ? 2 : 1) : 0);
}

int sup_version_path(const char *path, struct pt_version *v)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    ptw_version_of(&st, v);
    return 1;
}

/*
 * ptw.h — the session-log record writer, shared by the preload library
 * (libprovtrace.so) and provtrace-supervisor.  Header-only and malloc-free:
 * each user passes its own chunk cursor (a thread-local in the library, a
 * plain variable in the single-threaded supervisor loop) and the pid/tid the
 * record is about (the supervisor writes for the processes it traces).
 *
 * Protocol (see provtrace_log.h): claim PT_CHUNK_SIZE chunks with a CAS on
 * hdr->used, bump the cursor inside the chunk with a CAS (a signal handler
 * may log in the middle of another record), pad the tail of a full chunk,
 * commit a record by a release-store of its length, written last.
 */
#ifndef PTW_H
#define PTW_H

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "provtrace_log.h"

/* A string segment: one string (v == NULL; n = length or -1 for strlen), or
 * a vector of vn strings (v != NULL; NULL entries are written as ""). */
struct pt_seg {
    const char *s;
    long n;
    char *const *v;
    int vn;
};

/* The fixed fields of a record (pid, tid and ts are the writer's business). */
struct pt_ev {
    uint16_t op;
    int32_t fd;
    int64_t ret;
    int32_t err;
    int64_t a1, a2, a3;
    const struct pt_version *ver;
};

#define PTW_MAX_REC (16u << 20)

/* Reserve tot bytes (multiple of 8) using the chunk cursor *cur.  Returns the
 * file offset, or 0 when the log is full (hdr->dropped is counted). */
static inline uint64_t ptw_reserve(struct pt_log_header *h, uint64_t cap, uint64_t *cur,
                                   uint64_t tot)
{
    const uint64_t H = PT_HEADER_SIZE, C = PT_CHUNK_SIZE;
    for (;;) {
        uint64_t c = __atomic_load_n(cur, __ATOMIC_RELAXED);
        if (c >= H && (c - H) % C != 0) {
            uint64_t end = c - (c - H) % C + C;
            if (c + tot <= end) {
                if (__atomic_compare_exchange_n(cur, &c, c + tot, 0, __ATOMIC_RELAXED,
                                                __ATOMIC_RELAXED))
                    return c;
                continue; /* a signal handler logged meanwhile: retry */
            }
            /* Close the chunk; whoever wins the CAS owns the tail and pads it. */
            if (__atomic_compare_exchange_n(cur, &c, end, 0, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED)) {
                struct pt_rec *pad = (struct pt_rec *)((char *)h + c);
                pad->op = PT_OP_PAD;
                pad->nstr = 0;
                __atomic_store_n(&pad->len, (uint32_t)(end - c), __ATOMIC_RELEASE);
            }
            continue;
        }
        uint64_t need = (tot + C - 1) / C * C;
        uint64_t used = __atomic_load_n(&h->used, __ATOMIC_RELAXED);
        do {
            if (H + used + need > cap) {
                __atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED);
                return 0;
            }
        } while (!__atomic_compare_exchange_n(&h->used, &used, used + need, 1, __ATOMIC_RELAXED,
                                              __ATOMIC_RELAXED));
        uint64_t off = H + used;
        /* If a handler installed its own chunk meanwhile, keep its cursor and
         * leave the rest of ours zero (readers skip to the next boundary). */
        __atomic_compare_exchange_n(cur, &c, off + tot, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        return off;
    }
}

/* A file's version (struct pt_version) from what stat said. */
static inline void ptw_version_of(const struct stat *st, struct pt_version *v)
{
    v->dev = st->st_dev;
    v->ino = st->st_ino;
    v->size = st->st_size;
    v->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    v->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
    v->mode = st->st_mode;
    v->pad = 0;
}

/* Total record size (aligned) and string count; 0 if the record is too big. */
static inline uint64_t ptw_size(const struct pt_ev *ev, const struct pt_seg *seg, int nseg,
                                uint32_t *nstr_out)
{
    uint64_t tot = sizeof(struct pt_rec) + (ev->ver ? sizeof(struct pt_version) : 0);
    uint32_t nstr = 0;
    for (int i = 0; i < nseg; i++) {
        if (seg[i].v) {
            for (int j = 0; j < seg[i].vn; j++)
                tot += (seg[i].v[j] ? strlen(seg[i].v[j]) : 0) + 1;
            nstr += (uint32_t)seg[i].vn;
        } else {
            tot += (seg[i].s ? (seg[i].n >= 0 ? (size_t)seg[i].n : strlen(seg[i].s)) : 0) + 1;
            nstr++;
        }
    }
    tot = (tot + PT_REC_ALIGN - 1) & ~(uint64_t)(PT_REC_ALIGN - 1);
    *nstr_out = nstr;
    if (tot > PTW_MAX_REC || nstr > 0xffff)
        return 0;
    return tot;
}

/* Fill the reserved record r (tot bytes) and commit it. */
static inline void ptw_fill(struct pt_rec *r, uint64_t tot, uint32_t nstr, const struct pt_ev *ev,
                            const struct pt_seg *seg, int nseg, int32_t pid, int32_t tid,
                            uint64_t ts)
{
    r->op = (uint16_t)(ev->op | (ev->ver ? PT_OP_HAS_VERSION : 0));
    r->nstr = (uint16_t)nstr;
    r->pid = pid;
    r->tid = tid;
    r->ts = ts;
    r->ret = ev->ret;
    r->err = ev->err;
    r->fd = ev->fd;
    r->a1 = ev->a1;
    r->a2 = ev->a2;
    r->a3 = ev->a3;
    char *p = (char *)(r + 1);
    if (ev->ver) {
        memcpy(p, ev->ver, sizeof *ev->ver);
        p += sizeof *ev->ver;
    }
    for (int i = 0; i < nseg; i++) {
        if (seg[i].v) {
            for (int j = 0; j < seg[i].vn; j++) {
                const char *s = seg[i].v[j] ? seg[i].v[j] : "";
                size_t n = strlen(s);
                memcpy(p, s, n);
                p[n] = 0;
                p += n + 1;
            }
        } else {
            const char *s = seg[i].s ? seg[i].s : "";
            size_t n = seg[i].s ? (seg[i].n >= 0 ? (size_t)seg[i].n : strlen(s)) : 0;
            memcpy(p, s, n);
            p[n] = 0;
            p += n + 1;
        }
    }
    /* The chunk is fresh tmpfs memory (zero) unless a previous pad/record was
     * abandoned there; zero the alignment tail so readers see clean padding. */
    char *endp = (char *)r + tot;
    if (p < endp)
        memset(p, 0, (size_t)(endp - p));
    __atomic_store_n(&r->len, (uint32_t)tot, __ATOMIC_RELEASE);
}

#endif

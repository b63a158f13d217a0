/*
 * mem.c — reading a traced process: memory with process_vm_readv (strings
 * are read up to the end of their page first, so a path next to an unmapped
 * page is still read), pointer vectors (argv/envp of an execve), the stack of
 * a new image (argc, argv, envp, auxv: one or two reads) and /proc links.
 */

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sup.h"

#define PAGE 4096u

long mem_read(int pid, uint64_t addr, void *buf, size_t n)
{
    if (!addr || !n)
        return -1;
    struct iovec l = {buf, n}, r = {(void *)(uintptr_t)addr, n};
    ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);
    return got < 0 ? -1 : (long)got;
}

long mem_str(int pid, uint64_t addr, char *buf, size_t cap)
{
    int whole;
    return mem_str_whole(pid, addr, buf, cap, &whole);
}

long mem_str_whole(int pid, uint64_t addr, char *buf, size_t cap, int *whole)
{
    *whole = 0;
    if (!addr || cap < 2)
        return -1;
    size_t have = 0;
    while (have < cap - 1) {
        size_t room = PAGE - (size_t)((addr + have) % PAGE);
        if (have == 0 && room > 256)
            room = 256; /* most paths are short: do not copy a whole page for them */
        if (room > cap - 1 - have)
            room = cap - 1 - have;
        long got = mem_read(pid, addr + have, buf + have, room);
        if (got <= 0)
            break;
        void *z = memchr(buf + have, 0, (size_t)got);
        if (z) {
            *whole = 1;
            return (long)((char *)z - buf);
        }
        have += (size_t)got;
        if ((size_t)got < room)
            break;
    }
    if (have == 0)
        return -1;
    buf[have] = 0; /* unterminated or too long: keep what was read */
    return (long)have;
}

/* Vector of strings: pointers first (in batches), then every string's first
 * page-bounded piece in one process_vm_readv, the rare long ones after. */
int mem_strv(int pid, uint64_t addr, char ***out, int max)
{
    *out = NULL;
    if (!addr)
        return -1;
    uint64_t *ptr = NULL;
    int n = 0, cap = 0;
    for (;;) {
        if (n + 64 > cap) {
            cap = cap ? cap * 2 : 128;
            uint64_t *np = realloc(ptr, (size_t)cap * sizeof *ptr);
            if (!np)
                goto fail;
            ptr = np;
        }
        long got = mem_read(pid, addr + (uint64_t)n * 8, ptr + n, 64 * 8);
        if (got < 8)
            goto fail;
        int k = (int)(got / 8), end = -1;
        for (int i = 0; i < k; i++)
            if (!ptr[n + i]) {
                end = i;
                break;
            }
        if (end >= 0) {
            n += end;
            break;
        }
        n += k;
        if (n >= max)
            goto fail;
    }
    size_t total = 0;
    size_t *piece = malloc(((size_t)n + 1) * sizeof *piece);
    if (!piece)
        goto fail;
    for (int i = 0; i < n; i++) {
        piece[i] = PAGE - (size_t)(ptr[i] % PAGE);
        total += piece[i];
    }
    char *blob = malloc(total + 1);
    char **v = malloc(((size_t)n + 1) * sizeof *v);
    if (!blob || !v) {
        free(blob);
        free(v);
        free(piece);
        goto fail;
    }
    /* batched read: up to 512 remote pieces per call */
    size_t off = 0;
    for (int i = 0; i < n;) {
        struct iovec lv[512], rv[512];
        int k = 0;
        size_t want = 0;
        for (; i + k < n && k < 512; k++) {
            lv[k].iov_base = blob + off + want;
            lv[k].iov_len = piece[i + k];
            rv[k].iov_base = (void *)(uintptr_t)ptr[i + k];
            rv[k].iov_len = piece[i + k];
            want += piece[i + k];
        }
        ssize_t got = process_vm_readv(pid, lv, (unsigned long)k, rv, (unsigned long)k, 0);
        if (got < (ssize_t)want) { /* some piece unreadable: fall back one by one */
            size_t o = off;
            for (int j = 0; j < k; j++) {
                if (mem_read(pid, ptr[i + j], blob + o, piece[i + j]) != (long)piece[i + j])
                    blob[o] = 0;
                o += piece[i + j];
            }
        }
        off += want;
        i += k;
    }
    off = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        char *s = blob + off;
        if (memchr(s, 0, piece[i])) {
            v[i] = s;
        } else { /* longer than its first page */
            char *big = malloc(131072 + 1);
            if (big && mem_str(pid, ptr[i], big, 131072 + 1) >= 0) {
                v[i] = big;
                bad = 1; /* marks: free individually */
            } else {
                free(big);
                s[piece[i] - 1] = 0;
                v[i] = s;
            }
        }
        off += piece[i];
    }
    v[n] = NULL;
    free(piece);
    free(ptr);
    /* Ownership: v[-] point into blob except long strings; keep blob at the end. */
    char **res = malloc(((size_t)n + 3) * sizeof *res);
    if (!res) {
        for (int i = 0; i < n; i++)
            if (v[i] < blob || v[i] >= blob + total + 1)
                free(v[i]);
        free(v);
        free(blob);
        return -1;
    }
    memcpy(res, v, ((size_t)n + 1) * sizeof *res);
    res[n + 1] = blob; /* hidden: freed by mem_strv_free */
    res[n + 2] = (char *)(uintptr_t)(bad ? total + 1 : 0);
    free(v);
    *out = res;
    return n;
fail:
    free(ptr);
    return -1;
}

void mem_strv_free(char **v)
{
    if (!v)
        return;
    int n = 0;
    while (v[n])
        n++;
    char *blob = v[n + 1];
    size_t span = (size_t)(uintptr_t)v[n + 2];
    if (span)
        for (int i = 0; i < n; i++)
            if (v[i] < blob || v[i] >= blob + span)
                free(v[i]);
    free(blob);
    free(v);
}

/* The new image's stack at its exec stop: [sp] argc, argv[], NULL, envp[],
 * NULL, auxv pairs; the strings lie above, up to the top of the stack. */
int mem_image(int pid, uint64_t sp, struct image_info *ii)
{
    memset(ii, 0, sizeof *ii);
    size_t n = 65536;
    uint64_t *w = NULL;
    long got = 0;
    long argc = 0;
    size_t envp_at = 0, aux_at = 0, nwords = 0;
    for (int tries = 0; tries < 6; tries++, n *= 4) {
        free(w);
        w = malloc(n);
        if (!w)
            return -1;
        got = mem_read(pid, sp, w, n);
        if (got < 16)
            goto fail;
        nwords = (size_t)got / 8;
        argc = (long)w[0];
        if (argc < 0 || (size_t)argc + 2 > nwords) {
            if ((size_t)got < n)
                goto fail;
            continue;
        }
        envp_at = (size_t)argc + 2;
        size_t i = envp_at;
        while (i < nwords && w[i])
            i++;
        if (i >= nwords) {
            if ((size_t)got < n)
                goto fail;
            continue;
        }
        aux_at = i + 1;
        size_t j = aux_at;
        while (j + 1 < nwords && w[j] != AT_NULL)
            j += 2;
        if (j + 1 >= nwords) {
            if ((size_t)got < n)
                goto fail;
            continue;
        }
        break;
    }
    if (!aux_at)
        goto fail;
    int envc = (int)(aux_at - 1 - envp_at);
    uint64_t execfn = 0;
    for (size_t j = aux_at; j + 1 < nwords && w[j] != AT_NULL; j += 2)
        if (w[j] == AT_EXECFN)
            execfn = w[j + 1];
    /* string area: from the lowest string pointer to the end of the stack */
    uint64_t lo = ~0ull, hi = 0;
    for (long i = 0; i < argc; i++) {
        lo = w[1 + i] < lo ? w[1 + i] : lo;
        hi = w[1 + i] > hi ? w[1 + i] : hi;
    }
    for (int i = 0; i < envc; i++) {
        lo = w[envp_at + (size_t)i] < lo ? w[envp_at + (size_t)i] : lo;
        hi = w[envp_at + (size_t)i] > hi ? w[envp_at + (size_t)i] : hi;
    }
    if (execfn) {
        lo = execfn < lo ? execfn : lo;
        hi = execfn > hi ? execfn : hi;
    }
    if (lo == ~0ull) { /* argc 0, no env */
        lo = hi = sp;
    }
    size_t span = (size_t)(hi - lo) + 131072 + PAGE;
    if (hi < lo || hi - lo > (64u << 20))
        goto fail;
    char *blob = malloc(span + 1);
    if (!blob)
        goto fail;
    long sgot = mem_read(pid, lo, blob, span);
    if (sgot <= 0) {
        free(blob);
        goto fail;
    }
    blob[sgot] = 0;
    ii->blob = blob;
    ii->argv = calloc((size_t)argc + 1, sizeof(char *));
    ii->envp = calloc((size_t)envc + 1, sizeof(char *));
    if (!ii->argv || !ii->envp)
        goto fail2;
#define STR_AT(p) ((p) >= lo && (p) - lo < (uint64_t)sgot ? blob + ((p) - lo) : (char *)"")
    for (long i = 0; i < argc; i++)
        ii->argv[i] = STR_AT(w[1 + i]);
    for (int i = 0; i < envc; i++)
        ii->envp[i] = STR_AT(w[envp_at + (size_t)i]);
    ii->execfn = execfn ? STR_AT(execfn) : "";
#undef STR_AT
    ii->argc = (int)argc;
    ii->envc = envc;
    free(w);
    return 0;
fail2:
    mem_image_free(ii);
fail:
    free(w);
    return -1;
}

void mem_image_free(struct image_info *ii)
{
    free(ii->argv);
    free(ii->envp);
    free(ii->blob);
    memset(ii, 0, sizeof *ii);
}

void proc_path(char *buf, int pid, const char *what, int fd)
{
    if (fd >= 0)
        sprintf(buf, "/proc/%d/%s/%d", pid, what, fd);
    else
        sprintf(buf, "/proc/%d/%s", pid, what);
}

long proc_readlink(int pid, const char *what, char *buf, size_t cap)
{
    char p[64];
    proc_path(p, pid, what, -1);
    ssize_t n = readlink(p, buf, cap - 1);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return n;
}

/*
 * postmark.c — a small PostMark-like small-file workload for the provtrace
 * speed benchmark (benchmarks/run.py compiles it into the data directory).
 *
 *   postmark DIR NFILES NTX SEED STATSFILE
 *
 * Creates NFILES files (500..10000 bytes) spread over 10 sub-directories of
 * DIR, then runs NTX transactions, each one "read or append" on a random
 * live file followed by "create or delete" (as PostMark does), then deletes
 * every remaining file.  Plain open/read/write/close/unlink system calls, no
 * stdio on the data path, a fixed xorshift PRNG: the same arguments give the
 * same counts, written as one line to STATSFILE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NSUB 10
#define MINSZ 500
#define MAXSZ 10000
#define APPEND_MAX 2000

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static const char *dir;
static long *pool;
static long npool, cap, next_id;
static long n_created, n_deleted, n_read, n_appended;
static long long bytes_read, bytes_written;
static char buf[MAXSZ];

static void die(const char *what, const char *path) {
    fprintf(stderr, "postmark: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void path_of(long id, char *p, size_t n) {
    snprintf(p, n, "%s/s%02ld/f%07ld", dir, id % NSUB, id);
}

static void write_all(int fd, long len, const char *p) {
    while (len > 0) {
        ssize_t w = write(fd, buf, (size_t)len);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write", p);
        }
        len -= w;
        bytes_written += w;
    }
}

static void create_one(void) {
    char p[4096];
    long id = next_id++;
    path_of(id, p, sizeof p);
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die("create", p);
    write_all(fd, MINSZ + (long)(rnd() % (MAXSZ - MINSZ + 1)), p);
    if (close(fd) != 0) die("close", p);
    if (npool == cap) {
        cap = cap ? 2 * cap : 1024;
        pool = realloc(pool, (size_t)cap * sizeof *pool);
        if (!pool) die("realloc", "pool");
    }
    pool[npool++] = id;
    n_created++;
}

static void delete_at(long i) {
    char p[4096];
    path_of(pool[i], p, sizeof p);
    if (unlink(p) != 0) die("unlink", p);
    pool[i] = pool[--npool];
    n_deleted++;
}

static void read_one(void) {
    char p[4096];
    path_of(pool[rnd() % (uint64_t)npool], p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open", p);
    for (;;) {
        ssize_t r = read(fd, buf, 4096);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("read", p);
        }
        if (r == 0) break;
        bytes_read += r;
    }
    close(fd);
    n_read++;
}

static void append_one(void) {
    char p[4096];
    path_of(pool[rnd() % (uint64_t)npool], p, sizeof p);
    int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) die("open", p);
    write_all(fd, 1 + (long)(rnd() % APPEND_MAX), p);
    if (close(fd) != 0) die("close", p);
    n_appended++;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: postmark DIR NFILES NTX SEED STATSFILE\n");
        return 2;
    }
    dir = argv[1];
    long nfiles = atol(argv[2]), ntx = atol(argv[3]);
    rs ^= (uint64_t)atoll(argv[4]) * 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)('a' + i % 26);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) die("mkdir", dir);
    for (int s = 0; s < NSUB; s++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/s%02d", dir, s);
        if (mkdir(p, 0755) != 0 && errno != EEXIST) die("mkdir", p);
    }
    for (long i = 0; i < nfiles; i++) create_one();
    for (long t = 0; t < ntx; t++) {
        if (npool > 0) {
            if (rnd() & 1) read_one(); else append_one();
        }
        if ((rnd() & 1) || npool == 0) create_one();
        else delete_at((long)(rnd() % (uint64_t)npool));
    }
    while (npool > 0) delete_at(npool - 1);
    FILE *f = fopen(argv[5], "w");
    if (!f) die("open", argv[5]);
    fprintf(f, "created=%ld deleted=%ld read=%ld appended=%ld bytes_read=%lld bytes_written=%lld\n",
            n_created, n_deleted, n_read, n_appended, bytes_read, bytes_written);
    if (fclose(f) != 0) die("close", argv[5]);
    return 0;
}

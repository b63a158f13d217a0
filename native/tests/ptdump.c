/*
 * ptdump.c — print a session log, one record per line (the reference
 * reader: chunks from header_size to header_size+used; len 0 or an invalid
 * record -> next 64 KiB boundary; PAD -> skip len).
 *   ptdump LOG            records
 *   ptdump -h LOG         header only
 * Line: OP pid= tid= ts= ret= err= fd= a1= a2= a3= [v=dev:ino:size:mtime:ctime:mode] "s"...
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provtrace_log.h"

static const char *names[PT_OP__COUNT] = {
    "PAD", "START", "EXEC", "EXECFAIL", "FORK", "VFORK", "CLONE", "SPAWN", "SHELL", "EXIT",
    "WAIT", "OPEN", "CLOSE", "DUP", "SETFD", "PIPE", "STAT", "ACCESS", "READLINK", "REALPATH",
    "UNLINK", "MKDIR", "MKNOD", "RENAME", "LINK", "SYMLINK", "TRUNCATE", "UTIME", "CHMOD", "CHOWN",
    "CHDIR", "DLOPEN", "CONNECT", "BIND", "ACCEPT", "GETADDRINFO", "URING", "UNTRACED"};

static void put_str(const char *s)
{
    putchar(' ');
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 32 || c >= 127)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* 1 if the record at r (len bytes) is well formed. */
static int valid(const struct pt_rec *r, uint32_t len)
{
    unsigned op = r->op & PT_OP_MASK;
    if (len < sizeof *r || len % PT_REC_ALIGN || op == PT_OP_PAD || op >= PT_OP__COUNT)
        return 0;
    const char *p = (const char *)(r + 1), *end = (const char *)r + len;
    if (r->op & PT_OP_HAS_VERSION)
        p += sizeof(struct pt_version);
    for (unsigned i = 0; i < r->nstr; i++) {
        const char *z = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
        if (!z)
            return 0;
        p = z + 1;
    }
    return 1;
}

int main(int argc, char **argv)
{
    int hdr_only = argc > 2 && strcmp(argv[1], "-h") == 0;
    const char *path = argv[argc - 1];
    if (argc < 2) {
        fprintf(stderr, "usage: ptdump [-h] LOG\n");
        return 2;
    }
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || st.st_size < (off_t)PT_HEADER_SIZE) {
        perror("ptdump");
        return 1;
    }
    char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    const struct pt_log_header *h = (const void *)m;
    if (memcmp(h->magic, PT_LOG_MAGIC, 8) || h->version != PT_LOG_VERSION) {
        fprintf(stderr, "ptdump: not a provtrace log\n");
        return 1;
    }
    uint64_t H = h->header_size, C = h->chunk_size;
    uint64_t used = __atomic_load_n(&h->used, __ATOMIC_ACQUIRE);
    uint64_t end = H + used;
    if (end > h->cap)
        end = h->cap;
    if (end > (uint64_t)st.st_size)
        end = (uint64_t)st.st_size;
    printf("# header cap=%llu used=%llu dropped=%llu errors=%llu root_pid=%d\n",
           (unsigned long long)h->cap, (unsigned long long)used,
           (unsigned long long)h->dropped, (unsigned long long)h->errors, h->root_pid);
    if (hdr_only)
        return 0;
    unsigned long long bad = 0;
    for (uint64_t off = H; off < end;) {
        uint64_t cend = H + ((off - H) / C + 1) * C;
        if (cend - off < 8) {
            off = cend;
            continue;
        }
        const struct pt_rec *r = (const void *)(m + off);
        uint32_t len = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);
        if (len == 0) {
            off = cend;
            continue;
        }
        if (r->op == PT_OP_PAD) {
            if (len < 8 || off + len > cend) {
                bad++;
                off = cend;
            } else {
                off += len;
            }
            continue;
        }
        if (off + len > end || !valid(r, len)) {
            bad++;
            off = cend;
            continue;
        }
        printf("%s pid=%d tid=%d ts=%llu ret=%lld err=%d fd=%d a1=%lld a2=%lld a3=%lld",
               names[r->op & PT_OP_MASK], r->pid, r->tid, (unsigned long long)r->ts,
               (long long)r->ret, r->err, r->fd, (long long)r->a1, (long long)r->a2,
               (long long)r->a3);
        const char *p = (const char *)(r + 1);
        if (r->op & PT_OP_HAS_VERSION) {
            const struct pt_version *v = (const void *)p;
            printf(" v=%llu:%llu:%lld:%lld:%lld:%o", (unsigned long long)v->dev,
                   (unsigned long long)v->ino, (long long)v->size, (long long)v->mtime_ns,
                   (long long)v->ctime_ns, v->mode);
            p += sizeof *v;
        }
        for (unsigned i = 0; i < r->nstr; i++) {
            put_str(p);
            p += strlen(p) + 1;
        }
        putchar('\n');
        off += len;
    }
    if (bad)
        printf("# invalid=%llu\n", bad);
    return 0;
}

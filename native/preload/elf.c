/*
 * elf.c — what will run inside an exec target: can LD_PRELOAD see it?
 * Reads the first 4 KiB with raw syscalls (the probe flags identify the
 * tracer's own open to the test oracle): no PT_INTERP => static, a "Go" note
 * => Go (raw syscalls), a non-glibc interpreter => foreign, "#!" => classify
 * the interpreter one level.  ELF results are kept for the whole session,
 * keyed by the file's identity and change times (key_of).
 */
#include "pt.h"

#include <elf.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

PT_HID int pt_class_traced(int cls)
{
    return cls == PT_CLASS_DYNAMIC || cls == PT_CLASS_SCRIPT;
}

/* Cache: one word per slot = (hash with the low 8 bits cleared) | reason
 * code << 3 | class, so a concurrent reader sees an old or a new entry,
 * never a torn one.  In the session header (PT_CLASS_OFF: every process of
 * the session shares it), or in this process before the header is mapped.
 * Only what the ELF headers alone decide is kept (a script's class depends
 * on its interpreter too; setuid is checked at every exec). */
#define CACHE_SLOTS 64
static uint64_t g_cache[CACHE_SLOTS];

static const char *const g_reasons[] = {
    NULL,
    "statically linked (no PT_INTERP)",
    "interpreter is not glibc's ld-linux-x86-64.so.2",
    "Go binary: file I/O uses raw syscalls",
    "not an x86-64 ELF64 executable: LD_PRELOAD cannot load here",
};
#define NREASONS (int)(sizeof g_reasons / sizeof *g_reasons)

static uint64_t *cache_slot(uint64_t key)
{
    struct pt_log_header *h = __atomic_load_n(&pt_hdr, __ATOMIC_ACQUIRE);
    if (h)
        return (uint64_t *)((char *)h + PT_CLASS_OFF) + (key >> 8) % PT_CLASS_SLOTS;
    return &g_cache[(key >> 8) % CACHE_SLOTS]; /* (the low 8 bits are the entry's) */
}

/* The class cached for key (its reason in *reason), or -1. */
static int cache_get(uint64_t key, const char **reason)
{
    uint64_t c = __atomic_load_n(cache_slot(key), __ATOMIC_RELAXED);
    int cls = (int)(c & 7), why = (int)((c >> 3) & 31);
    if ((c & ~0xffull) != key || why >= NREASONS || (cls != PT_CLASS_DYNAMIC && !why))
        return -1;
    *reason = g_reasons[why];
    return cls;
}

static void cache_put(uint64_t key, int cls, const char *reason)
{
    int why = 0;
    while (why < NREASONS && g_reasons[why] != reason)
        why++;
    if (why == NREASONS || (cls != PT_CLASS_DYNAMIC && !why) ||
        !(cls == PT_CLASS_DYNAMIC || cls == PT_CLASS_STATIC || cls == PT_CLASS_GO || cls == PT_CLASS_FOREIGN))
        return;
    __atomic_store_n(cache_slot(key), key | (uint64_t)why << 3 | (uint64_t)cls, __ATOMIC_RELAXED);
}

#define PT_PROBE_STATX_MASK                                                                      \
    (STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_INO | STATX_MTIME | STATX_CTIME | STATX_SIZE)

/* The file as it is: (dev, ino) and its mtime, ctime (no one can set it back)
 * and size, so a file rewritten in place, even with its old mtime, is
 * checked again. */
static uint64_t key_of(const struct stat *st)
{
    uint64_t h = 1469598103934665603ull;
    uint64_t parts[7] = {st->st_dev, st->st_ino, (uint64_t)st->st_mtim.tv_sec,
                         (uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_ctim.tv_sec,
                         (uint64_t)st->st_ctim.tv_nsec, (uint64_t)st->st_size};
    for (int i = 0; i < 7; i++) {
        h ^= parts[i];
        h *= 1099511628211ull;
        h ^= h >> 29;
    }
    return h & ~0xffull;
}

/* A set-id file the loader will not preload into (for this process's ids). */
static int setid(const struct stat *st)
{
    return ((st->st_mode & S_ISUID) && st->st_uid != (uid_t)pt_sys(SYS_geteuid, 0, 0, 0)) ||
           ((st->st_mode & S_ISGID) && st->st_gid != (gid_t)pt_sys(SYS_getegid, 0, 0, 0));
}

static __thread int t_by_name; /* the last check went by the file's name: not cached */

static int is_glibc_loader(const char *interp)
{
    const char *b = strrchr(interp, '/');
    b = b ? b + 1 : interp;
    return strncmp(b, "ld-linux-x86-64.so", 18) == 0;
}

static long pread_raw(int fd, void *buf, size_t n, long off)
{
    return pt_sys6(SYS_pread64, fd, (long)buf, (long)n, off, 0, 0);
}

static int has_go_note(int fd, const Elf64_Phdr *ph)
{
    char buf[1024];
    size_t n = ph->p_filesz < sizeof buf ? ph->p_filesz : sizeof buf;
    long got = pread_raw(fd, buf, n, (long)ph->p_offset);
    for (long o = 0; got > 0 && o + (long)sizeof(Elf64_Nhdr) <= got;) {
        const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(buf + o);
        long name = o + (long)sizeof *nh;
        /* Go writes namesz 4 ("Go\0\0"); the ELF convention would be 3 */
        if ((nh->n_namesz == 3 || nh->n_namesz == 4) && name + 3 <= got &&
            memcmp(buf + name, "Go", 3) == 0)
            return 1;
        o = name + (long)((nh->n_namesz + 3) & ~3u) + (long)((nh->n_descsz + 3) & ~3u);
    }
    return 0;
}

static int classify_elf(int fd, const char *hdr, long n, const char *path, const char **reason)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)hdr;
    if (n < (long)sizeof *eh || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_machine != EM_X86_64) {
        *reason = "not an x86-64 ELF64 executable: LD_PRELOAD cannot load here";
        return PT_CLASS_FOREIGN;
    }
    Elf64_Phdr ph[64];
    size_t cnt = eh->e_phnum < 64 ? eh->e_phnum : 64;
    if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
        pread_raw(fd, ph, cnt * sizeof *ph, (long)eh->e_phoff) != (long)(cnt * sizeof *ph)) {
        *reason = "unreadable program headers";
        return PT_CLASS_UNKNOWN;
    }
    int interp = 0, go = 0;
    char ipath[256];
    for (size_t i = 0; i < cnt; i++) {
        if (ph[i].p_type == PT_INTERP) {
            size_t len = ph[i].p_filesz < sizeof ipath - 1 ? ph[i].p_filesz : sizeof ipath - 1;
            long got = pread_raw(fd, ipath, len, (long)ph[i].p_offset);
            ipath[got > 0 ? got : 0] = 0;
            interp = 1;
        } else if (ph[i].p_type == PT_NOTE && !go) {
            go = has_go_note(fd, &ph[i]);
        }
    }
    if (go) {
        *reason = "Go binary: file I/O uses raw syscalls";
        return PT_CLASS_GO;
    }
    if (!interp) {
        /* ld.so run as a program does honour LD_PRELOAD */
        const char *b = strrchr(path, '/');
        if (is_glibc_loader(b ? b + 1 : path)) {
            t_by_name = 1; /* (another name of the same file would say static) */
            return PT_CLASS_DYNAMIC;
        }
        *reason = "statically linked (no PT_INTERP)";
        return PT_CLASS_STATIC;
    }
    if (!is_glibc_loader(ipath)) {
        *reason = "interpreter is not glibc's ld-linux-x86-64.so.2";
        return PT_CLASS_FOREIGN;
    }
    return PT_CLASS_DYNAMIC;
}

static int classify_open(int dirfd, const char *path, int atflags, int depth, const char **reason);

static int classify_at(int dirfd, const char *path, int atflags, int depth, const char **reason)
{
    if (!((atflags & AT_EMPTY_PATH) && path && !path[0])) {
        struct stat st;
        int cls;
        /* a stat first: an executable seen before in the session needs no open
         * (AT_NO_AUTOMOUNT, meaningless for a file, tells the test oracle it is ours) */
        struct statx sx;
        long r = pt_sys6(SYS_statx, dirfd, (long)path, AT_NO_AUTOMOUNT | (atflags & AT_SYMLINK_NOFOLLOW),
                         PT_PROBE_STATX_MASK, (long)&sx, 0);
        if (r == -ENOENT || r == -ENOTDIR) {
            *reason = NULL;
            return PT_CLASS_UNKNOWN;
        }
        if (r == 0 && (sx.stx_mask & PT_PROBE_STATX_MASK) == PT_PROBE_STATX_MASK) {
            memset(&st, 0, sizeof st); /* what key_of and setid look at */
            st.st_mode = sx.stx_mode;
            st.st_uid = sx.stx_uid;
            st.st_gid = sx.stx_gid;
            st.st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
            st.st_ino = sx.stx_ino;
            st.st_mtim.tv_sec = sx.stx_mtime.tv_sec;
            st.st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
            st.st_ctim.tv_sec = sx.stx_ctime.tv_sec;
            st.st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
            st.st_size = (off_t)sx.stx_size;
            if (S_ISREG(st.st_mode) && !setid(&st) && (cls = cache_get(key_of(&st), reason)) >= 0)
                return cls;
        }
    }
    return classify_open(dirfd, path, atflags, depth, reason);
}

/* Not seen before: open the file and read its headers.  Kept out of
 * classify_at, whose cache hit (the common case, in a fork child whose stack
 * pages are all copy-on-write) then needs a few hundred bytes of stack, not
 * the 9 KB of buffers here. */
__attribute__((noinline)) static int classify_open(int dirfd, const char *path, int atflags,
                                                   int depth, const char **reason)
{
    int oflags = PT_PROBE_FLAGS | ((atflags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
    long fd;
    struct stat st;
    int cls = -1;
    uint64_t key = 0;
    if ((atflags & AT_EMPTY_PATH) && path && !path[0]) {
        char proc[32] = "/proc/self/fd/";
        char num[12];
        int k = 0, n = 14;
        unsigned u = (unsigned)dirfd;
        do
            num[k++] = (char)('0' + u % 10);
        while ((u /= 10) && k < 11);
        while (k)
            proc[n++] = num[--k];
        proc[n] = 0;
        fd = pt_sys(SYS_openat, AT_FDCWD, proc, oflags);
    } else {
        fd = pt_sys(SYS_openat, dirfd, path, oflags);
    }
    if (fd < 0) {
        *reason = fd == -ENOENT || fd == -ENOTDIR ? NULL : "cannot open the executable to check it";
        return PT_CLASS_UNKNOWN;
    }
    if (pt_sys(SYS_fstat, fd, &st, 0) == 0) {
        if (setid(&st)) {
            pt_sys(SYS_close, fd, 0, 0);
            *reason = "setuid/setgid: the loader ignores LD_PRELOAD";
            return PT_CLASS_SETUID;
        }
        key = key_of(&st);
        if ((cls = cache_get(key, reason)) >= 0) {
            pt_sys(SYS_close, fd, 0, 0);
            return cls;
        }
    }
    char hdr[4096];
    t_by_name = 0;
    long n = pread_raw((int)fd, hdr, sizeof hdr, 0);
    if (n >= 4 && memcmp(hdr, ELFMAG, SELFMAG) == 0) {
        cls = classify_elf((int)fd, hdr, n, path ? path : "", reason);
    } else if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
        char interp[256];
        long i = 2, j = 0;
        while (i < n && (hdr[i] == ' ' || hdr[i] == '\t'))
            i++;
        while (i < n && hdr[i] != ' ' && hdr[i] != '\t' && hdr[i] != '\n' && j < 255)
            interp[j++] = hdr[i++];
        interp[j] = 0;
        if (depth > 0 || !j) {
            *reason = depth > 0 ? "nested #! interpreter" : "empty #! line";
            cls = PT_CLASS_UNKNOWN;
        } else {
            cls = classify_at(AT_FDCWD, interp, 0, depth + 1, reason);
            if (cls == PT_CLASS_DYNAMIC)
                cls = PT_CLASS_SCRIPT;
            else if (cls == PT_CLASS_UNKNOWN && !*reason)
                *reason = "#! interpreter not found";
        }
    } else {
        *reason = "neither ELF nor #! script";
        cls = PT_CLASS_UNKNOWN;
    }
    pt_sys(SYS_close, fd, 0, 0);
    if (key && n >= 4 && memcmp(hdr, ELFMAG, SELFMAG) == 0 && !t_by_name)
        cache_put(key, cls, *reason);
    return cls;
}

/* reason is NULL for DYNAMIC/SCRIPT and for a target that does not exist
 * (the exec will fail; nothing to report as untraced). */
PT_HID int pt_classify(int dirfd, const char *path, int atflags, const char **reason)
{
    *reason = NULL;
    return classify_at(dirfd, path, atflags, 0, reason);
}

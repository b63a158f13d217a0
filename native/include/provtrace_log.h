/*
 * provtrace_log.h — THE session log format: the contract between the native
 * recorder (preload library, later the supervisor) and the Python decoder in
 * src/provtrace/ingest/logformat.py, which mirrors every number below.
 * Change a layout or a meaning here => bump PT_LOG_VERSION and the mirror
 * (new codes in a table are additions, not changes).
 *
 * File = one 4 KiB header + a data area of cap - PT_HEADER_SIZE bytes, sparse,
 * on tmpfs, mapped MAP_SHARED by every process of the session.  Writers claim
 * PT_CHUNK_SIZE-byte chunks (or a multiple, for one oversized record) with an
 * atomic fetch_add on hdr->used; inside its chunk a thread bumps a cursor.
 * A record is committed by a release-store of its `len` (written last), so a
 * reader treats len == 0 as "uncommitted: skip to the next chunk boundary".
 */
#ifndef PROVTRACE_LOG_H
#define PROVTRACE_LOG_H

#include <stdint.h>

#define PT_LOG_MAGIC "PTLOG\0\r\n" /* 8 bytes, includes the NUL and CR LF */
#define PT_LOG_VERSION 1u
#define PT_HEADER_SIZE 4096u
#define PT_CHUNK_SIZE 65536u
#define PT_REC_ALIGN 8u

/* Environment variables of a session (set by the launcher, re-injected by
 * exec/spawn wrappers when a program clears its environment). */
#define PT_ENV_SESSION "PROVTRACE_SESSION" /* absolute path of the log file */
#define PT_ENV_PRELOAD "LD_PRELOAD"
#define PT_ENV_DEBUG "PROVTRACE_DEBUG"

/* Header: the first PT_HEADER_SIZE bytes of the file.  Only `used`,
 * `dropped` and `errors` change after creation (atomically), except that
 * provtrace-supervisor, before it starts the command, sets `flags`,
 * `root_pid` (itself: it is the command's parent) and `supervisor_pid`. */
struct pt_log_header {
    char magic[8];          /* PT_LOG_MAGIC */
    uint32_t version;       /* PT_LOG_VERSION */
    uint32_t header_size;   /* PT_HEADER_SIZE */
    uint32_t chunk_size;    /* PT_CHUNK_SIZE */
    uint32_t flags;         /* PT_HDR_* bits */
    uint64_t cap;           /* total file size in bytes (header included) */
    uint64_t used;          /* bytes claimed in the data area, from header_size */
    uint64_t dropped;       /* records not written because the log was full */
    uint64_t errors;        /* internal failures (a wrapper gave up logging) */
    uint64_t start_mono_ns; /* CLOCK_MONOTONIC at session creation */
    uint64_t start_real_ns; /* CLOCK_REALTIME at the same instant */
    int32_t root_pid;       /* launcher pid (parent of the recorded command) */
    int32_t supervisor_pid; /* provtrace-supervisor, 0 if none */
};

/* Bytes PT_SEIZED_OFF.. of the header: PT_SEIZED_SLOTS uint64_t, the
 * programs a lazy request let run unseized that had to be seized after all
 * (keys of ptsup.h's pt_lazy_key, written by the supervisor, read by exec
 * wrappers: those are seized at their exec next time).  Not part of the log. */
#define PT_SEIZED_OFF 2048u
#define PT_SEIZED_SLOTS 64u
/* Bytes PT_CLASS_OFF.. : PT_CLASS_SLOTS uint64_t, what the exec wrappers'
 * ELF check found for an executable (its (dev, ino, mtime) hashed, low 8
 * bits the class and a reason code: preload/elf.c), shared by every process
 * of the session: a shell's children need not read the same headers again
 * at each exec.  Not part of the log. */
#define PT_CLASS_OFF 2560u
#define PT_CLASS_SLOTS 128u

/* hdr->flags */
#define PT_HDR_ROUTE 1u /* exec wrappers hand static/Go/foreign targets to the supervisor */
#define PT_HDR_NOTIFY 2u /* ... with a notify filter (seccomp user notification, ptsup.h) */
#define PT_HDR_PTRACE_OK 4u /* the supervisor can ptrace here (its probe worked) */
#define PT_HDR_LANDLOCK 8u /* a process of the session sandboxed itself (landlock_restrict_self) */
#define PT_HDR_LAZY 16u /* ... routed execs may be lazy requests (ptsup.h) */

/* Record header, 64 bytes, followed by
 *   - a struct pt_version (48 bytes) when (op & PT_OP_HAS_VERSION),
 *   - nstr NUL-terminated strings, packed,
 *   - zero padding up to a multiple of PT_REC_ALIGN; len includes it all. */
struct pt_rec {
    uint32_t len;   /* total bytes; written last with release semantics */
    uint16_t op;    /* PT_OP_* | optional PT_OP_HAS_VERSION */
    uint16_t nstr;  /* number of strings after the fixed part */
    int32_t pid;    /* getpid() of the writer (vfork child: its own pid) */
    int32_t tid;    /* gettid() */
    uint64_t ts;    /* CLOCK_MONOTONIC ns */
    int64_t ret;    /* return value of the call */
    int32_t err;    /* errno after the call when it failed, else 0 */
    int32_t fd;     /* dirfd / fd / ppid / class: see the op table */
    int64_t a1, a2, a3;
};

/* A file's version: what fstat said right after the operation. */
struct pt_version {
    uint64_t dev;
    uint64_t ino;
    int64_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
    uint32_t mode; /* st_mode: type + permission bits */
    uint32_t pad;
};

#define PT_OP_HAS_VERSION 0x8000u
#define PT_OP_MASK 0x7fffu

/* Writers keep used <= cap - header_size (a claim that would pass cap is not
 * made; hdr->dropped counts the record instead).  An unused "-" fd is -1.
 * EXEC: fexecve logs fd = the fd and an empty path; execvp/execlp log one
 * EXEC (+ EXECFAIL) per PATH candidate tried.  UNTRACED is written for
 * STATIC/GO/FOREIGN/SETUID, and for UNKNOWN only when the file exists.
 * DLOPEN "newly loaded objects": link-map entries appended since the last
 * scan (START or previous dlopen).
 * Records of traced (ptrace) processes are written by the supervisor with
 * the traced pid/tid: START ret = PT_TRACER_PTRACE and err = the image's
 * class; EXIT api PT_EXIT_STATUS with a1 = the raw wait status (also for
 * signal deaths); a vfork is a CLONE with CLONE_VM|CLONE_VFORK; CLOSE is
 * written at syscall entry (ret 0 assumed: its result is not worth a stop).
 * UNTRACED reason: "<what the ELF check found>; <why it is not traced>". */

/* Op table.  Columns: fd | ret | a1 | a2 | a3 | strings.
 * "dirfd" is AT_FDCWD (-100) for plain-path calls.                            */
enum pt_op {
    PT_OP_PAD = 0,      /* chunk tail filler: skip len bytes                  */
    PT_OP_START = 1,    /* ppid | tracer | argc | envc | nobj | exe, cwd, argv.., env.., objects.. */
    PT_OP_EXEC = 2,     /* dirfd | ppid | argc | envc | class | path, argv.., env.. (written before exec) */
    PT_OP_EXECFAIL = 3, /* dirfd | -1 | 0 | 0 | 0 | path                         */
    PT_OP_FORK = 4,     /* - | child pid (parent side) | api | 0 | 0 | -      *
                         * api PT_FORK_ATFORK is written by the CHILD (pid = child)
                         * from the atfork handler: fd = parent pid, ret = own pid;
                         * it also covers forks inside libc (daemon()).        */
    PT_OP_VFORK = 5,    /* - | 0 (logged before; child pid is learnt from the child) | 0 | 0 | 0 | - */
    PT_OP_CLONE = 6,    /* - | child pid | clone flags | 0 | 0 | -           */
    PT_OP_SPAWN = 7,    /* class | rc | child pid | argc | envc | path, argv.., env.. */
    PT_OP_SHELL = 8,    /* - | rc | api (0 system, 1 popen) | 0 | 0 | command  */
    PT_OP_EXIT = 9,     /* - | 0 | status | api (PT_EXIT_*) | 0 | -          */
    PT_OP_WAIT = 10,    /* - | child pid | raw wait status | 0 | 0 | -       */
    PT_OP_OPEN = 11,    /* dirfd | fd | O_* flags | mode | api (PT_API_*) | path [, resolved for dlopen] (+version) */
    PT_OP_CLOSE = 12,   /* fd | rc | end | flags | 0 | - (+version of a written fd)
                         * end = 0 for one fd; for close_range/closefrom fd is the
                         * first fd, end = last fd + 1 (0x100000000 = all above),
                         * flags = CLOSE_RANGE_* (CLOEXEC: marks, does not close).
                         * At exit, still-open written fds get CLOSE ret 0 + version. */
    PT_OP_DUP = 13,     /* oldfd | newfd | O_CLOEXEC or 0 | 0 | 0 | -      */
    PT_OP_SETFD = 14,   /* fd | rc | FD_CLOEXEC or 0 | 0 | 0 | -            */
    PT_OP_PIPE = 15,    /* - | rc | fd0 | fd1 | flags | -                    */
    PT_OP_STAT = 16,    /* dirfd (or fd when path empty) | rc | AT_* flags | 0 | api | path */
    PT_OP_ACCESS = 17,  /* dirfd | rc | AT_* flags | mode | api | path          */
    PT_OP_READLINK = 18,/* dirfd | rc | 0 | 0 | 0 | path [, target]             */
    PT_OP_REALPATH = 19,/* - | 0/-1 | 0 | 0 | 0 | path [, resolved]             */
    PT_OP_UNLINK = 20,  /* dirfd | rc | AT_REMOVEDIR or 0 | 0 | api | path     */
    PT_OP_MKDIR = 21,   /* dirfd | rc | 0 | mode | 0 | path                     */
    PT_OP_MKNOD = 22,   /* dirfd | rc | dev | mode | api | path                 */
    PT_OP_RENAME = 23,  /* olddirfd | rc | newdirfd | flags | 0 | old, new       */
    PT_OP_LINK = 24,    /* olddirfd | rc | newdirfd | flags | 0 | old, new       */
    PT_OP_SYMLINK = 25, /* newdirfd | rc | 0 | 0 | 0 | target, linkpath        */
    PT_OP_TRUNCATE = 26,/* dirfd or fd | rc | length | 0 | 0 | [path] (no path: fd) (+version) */
    PT_OP_UTIME = 27,   /* dirfd or fd | rc | AT_* flags | 0 | 0 | [path]      */
    PT_OP_CHMOD = 28,   /* dirfd or fd | rc | AT_* flags | mode | 0 | [path]   */
    PT_OP_CHOWN = 29,   /* dirfd or fd | rc | AT_* flags | uid | gid | [path]  */
    PT_OP_CHDIR = 30,   /* fd (fchdir) or AT_FDCWD | rc | 0 | 0 | 0 | [path]   */
    PT_OP_DLOPEN = 31,  /* - | 0/1 ok | RTLD flags | 0 | 0 | requested, newly loaded objects.. */
    PT_OP_CONNECT = 32, /* sockfd | rc | family | port | 0 | address [, host asked via getaddrinfo] */
    PT_OP_BIND = 33,    /* sockfd | rc | family | port | 0 | address            */
    PT_OP_ACCEPT = 34,  /* sockfd | newfd | family | port | 0 | peer address    */
    PT_OP_GETADDRINFO = 35, /* - | rc | 0 | 0 | 0 | node, service, addresses.. */
    PT_OP_URING = 36,   /* - | rc | entries | 0 | 0 | -  (io_uring_setup: a blind spot) */
    PT_OP_UNTRACED = 37,/* class | 0 | 0 | 0 | 0 | path, reason (an exec that cannot be seen inside) */
    PT_OP__COUNT
};

/* api codes for PT_OP_OPEN (a3) */
enum pt_open_api {
    PT_API_OPEN = 0, PT_API_OPENAT = 1, PT_API_CREAT = 2, PT_API_FOPEN = 3,
    PT_API_FREOPEN = 4, PT_API_OPENDIR = 5, PT_API_FDOPENDIR = 6, PT_API_MKSTEMP = 7,
    PT_API_MKDTEMP = 8, PT_API_TMPFILE = 9, PT_API_SYSCALL = 10, PT_API_OPEN_BY_HANDLE = 11,
    PT_API_SEM_OPEN = 12, /* no fd: ret 0 on success */
};

/* api codes for PT_OP_STAT / PT_OP_ACCESS (a3) */
enum pt_stat_api {
    PT_API_STAT = 0, PT_API_LSTAT = 1, PT_API_FSTATAT = 2, PT_API_STATX = 3,
    PT_API_ACCESS_ = 4, PT_API_FACCESSAT = 5, PT_API_EACCESS = 6,
    PT_API_STATFS = 7, PT_API_XATTR = 8, /* supervisor only: statfs, [l]getxattr/[l]listxattr */
};

/* api codes for PT_OP_UNLINK (a3) */
enum pt_unlink_api { PT_API_UNLINK = 0, PT_API_RMDIR = 1, PT_API_REMOVE = 2 };

/* api codes for PT_OP_MKNOD (a3) */
enum pt_mknod_api { PT_API_MKNOD = 0, PT_API_MKFIFO = 1 };

/* PT_OP_FORK a1 */
enum pt_fork_api { PT_FORK_FORK = 0, PT_FORK__FORK = 1, PT_FORK_ATFORK = 2 };

/* PT_OP_EXIT a2 */
enum pt_exit_api { PT_EXIT_EXIT = 0, PT_EXIT__EXIT = 1, PT_EXIT_DESTRUCTOR = 2, PT_EXIT_STATUS = 3 };

/* PT_OP_START ret: who wrote the record (and traces the image) */
/* PT_TRACER_PTRACE_ROUTED: a START the supervisor writes at the first stop
 * of an image an exec wrapper handed to it (or at its death): it carries the
 * class only (argc = envc = 0, empty exe and cwd); the image's path, argv and
 * environment are those of the wrapper's EXEC just before.  After an EXECFAIL
 * (the exec did not happen) it is to be ignored. */
enum pt_tracer { PT_TRACER_PRELOAD = 0, PT_TRACER_PTRACE = 1, PT_TRACER_PTRACE_ROUTED = 2 };

/* PT_OP_CHMOD a3 (supervisor): 0 chmod family, 1 setxattr/removexattr family */

/* Executable classes (EXEC a3, SPAWN fd, UNTRACED fd): what the ELF check said. */
enum pt_exe_class {
    PT_CLASS_DYNAMIC = 0,  /* glibc-dynamic: the preload library will run in it */
    PT_CLASS_STATIC = 1,   /* no PT_INTERP: LD_PRELOAD cannot see inside        */
    PT_CLASS_GO = 2,       /* Go build-id note: raw syscalls                     */
    PT_CLASS_FOREIGN = 3,  /* PT_INTERP is not glibc's loader (musl, ...)        */
    PT_CLASS_SCRIPT = 4,   /* #! script whose interpreter is glibc-dynamic       */
    PT_CLASS_SETUID = 5,   /* setuid/setgid: the loader ignores LD_PRELOAD       */
    PT_CLASS_UNKNOWN = 6,  /* unreadable or not ELF/script (exec will decide)    */
};

#endif

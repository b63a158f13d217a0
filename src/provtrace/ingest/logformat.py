"""Python mirror of native/include/provtrace_log.h (log format version 1).

Every number here must match the C header; tests/test_logformat.py checks the
mirror against the header text so the two cannot drift apart silently.
"""

from __future__ import annotations

import struct

LOG_MAGIC = b"PTLOG\0\r\n"
LOG_VERSION = 1
HEADER_SIZE = 4096
CHUNK_SIZE = 65536
REC_ALIGN = 8

ENV_SESSION = "PROVTRACE_SESSION"
ENV_PRELOAD = "LD_PRELOAD"

# struct pt_log_header (the fields we read and write)
HEADER = struct.Struct("<8sIIIIQQQQQQii")
OFF_USED = 24
OFF_DROPPED = 32
OFF_ERRORS = 40

# struct pt_rec: len op nstr pid tid ts ret err fd a1 a2 a3
REC = struct.Struct("<IHHiiqqiiqqq")  # ts read signed: it is far below 2**63
# struct pt_version: dev ino size mtime_ns ctime_ns mode pad
VERSION = struct.Struct("<qqqqqII")  # dev, ino stored as signed 64-bit (SQL BIGINT)

OP_HAS_VERSION = 0x8000
OP_MASK = 0x7FFF

OPS = {
    0: "PAD", 1: "START", 2: "EXEC", 3: "EXECFAIL", 4: "FORK", 5: "VFORK", 6: "CLONE",
    7: "SPAWN", 8: "SHELL", 9: "EXIT", 10: "WAIT", 11: "OPEN", 12: "CLOSE", 13: "DUP",
    14: "SETFD", 15: "PIPE", 16: "STAT", 17: "ACCESS", 18: "READLINK", 19: "REALPATH",
    20: "UNLINK", 21: "MKDIR", 22: "MKNOD", 23: "RENAME", 24: "LINK", 25: "SYMLINK",
    26: "TRUNCATE", 27: "UTIME", 28: "CHMOD", 29: "CHOWN", 30: "CHDIR", 31: "DLOPEN",
    32: "CONNECT", 33: "BIND", 34: "ACCEPT", 35: "GETADDRINFO", 36: "URING", 37: "UNTRACED",
}
OP = {name: code for code, name in OPS.items()}
OP_COUNT = 38

OPEN_API = {0: "open", 1: "openat", 2: "creat", 3: "fopen", 4: "freopen", 5: "opendir",
            6: "fdopendir", 7: "mkstemp", 8: "mkdtemp", 9: "tmpfile", 10: "syscall",
            11: "open_by_handle", 12: "sem_open"}
STAT_API = {0: "stat", 1: "lstat", 2: "fstatat", 3: "statx", 4: "access", 5: "faccessat",
            6: "eaccess", 7: "statfs", 8: "xattr"}
UNLINK_API = {0: "unlink", 1: "rmdir", 2: "remove"}
EXIT_API = {0: "exit", 1: "_exit", 2: "return", 3: "status"}

# START ret: who wrote the record (PT_TRACER_*)
TRACER_PRELOAD = 0
TRACER_PTRACE = 1
TRACER_PTRACE_ROUTED = 2  # class only: path, argv and env are the EXEC's
# header flags (PT_HDR_*)
HDR_ROUTE = 1  # exec wrappers route static/Go/foreign targets to the supervisor
HDR_NOTIFY = 2  # ... with a notify filter (seccomp user notification)
HDR_PTRACE_OK = 4  # the supervisor can ptrace in this session
HDR_LANDLOCK = 8  # a process sandboxed itself with Landlock: the supervisor makes no calls for any
HDR_LAZY = 16  # routed execs may go unseized until a call needs ptrace

CLASS = {0: "dynamic", 1: "static", 2: "go", 3: "foreign", 4: "script", 5: "setuid",
         6: "unknown"}

AT_FDCWD = -100


class LogFormatError(Exception):
    """The file is not a provtrace session log this version can read."""

"""The access kinds provtrace reports, derived from an operation and its flags.

One function decides the kind of every path an operation touches.  Ingest uses
it to fill ``file_events.kind``; the strace oracle in the tests maps strace's
system calls onto the same operation names and calls the same function, so the
two sides of the fidelity comparison cannot drift apart.
"""

from __future__ import annotations

import os

READ = "read"
WRITE = "write"
CREATE = "create"
DELETE = "delete"
RENAME = "rename"
EXEC = "exec"
STAT = "stat"
READDIR = "readdir"
META = "meta"  # metadata change: chmod, chown, utime
CHDIR = "chdir"
CLOSE = "close"  # a written file closed: carries the version it left (not an access)

ALL_KINDS = (READ, WRITE, CREATE, DELETE, RENAME, EXEC, STAT, READDIR, META, CHDIR)

_O_PATH = getattr(os, "O_PATH", 0o10000000)
_O_TMPFILE = getattr(os, "O_TMPFILE", 0o20200000)
_ACCMODE = os.O_RDONLY | os.O_WRONLY | os.O_RDWR


def open_kind(flags: int, directory: bool = False) -> str:
    """Kind of a successful open with the given ``O_*`` flags.

    :param directory: the call was ``opendir``/``fdopendir`` (no flags needed).
    """
    if flags & _O_TMPFILE == _O_TMPFILE:
        return CREATE
    if flags & _O_PATH:
        return STAT
    if directory or flags & os.O_DIRECTORY:
        return READDIR
    if flags & os.O_CREAT:
        return CREATE
    if flags & _ACCMODE != os.O_RDONLY or flags & os.O_TRUNC:
        return WRITE
    return READ


def event_kinds(op: str, flags: int = 0, directory: bool = False) -> tuple[str | None, str | None]:
    """Kinds of the first and second path of operation ``op``.

    ``op`` is one of the names in ``file_events.op``: open, exec, stat, access,
    readlink, realpath, unlink, mkdir, mknod, rename, link, symlink, truncate,
    utime, chmod, chown, chdir, load (a shared object mapped by the loader or
    ``dlopen``).  ``None`` means the operation has no such path.
    """
    if op == "open":
        return open_kind(flags, directory), None
    if op == "exec":
        return EXEC, None
    if op == "load":
        return READ, None
    if op in ("stat", "access", "readlink"):
        return STAT, None
    if op == "realpath":
        return STAT, STAT
    if op == "unlink":
        return DELETE, None
    if op in ("mkdir", "mknod"):
        return CREATE, None
    if op == "rename":
        return RENAME, RENAME
    if op == "link":
        return STAT, CREATE
    if op == "symlink":
        return None, CREATE  # the target string is not accessed
    if op == "truncate":
        return WRITE, None
    if op in ("utime", "chmod", "chown"):
        return META, None
    if op == "chdir":
        return CHDIR, None
    raise ValueError(f"unknown operation {op!r}")

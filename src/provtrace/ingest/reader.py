"""Walk a session log and yield its committed records.

The log is a header and a data area of 64 KiB chunks.  A record whose length
is zero (never committed: its writer was killed mid-record) or that fails
validation ends the readable part of its chunk; the reader counts those bytes
as torn and carries on at the next chunk.  Nothing in a damaged log raises
past :func:`read_log` except a header that is not a provtrace log at all.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

from . import logformat as lf


_HEAD = struct.Struct("<IH")  # len, op


class Record(NamedTuple):
    """One decoded record (field meanings: the op table in provtrace_log.h)."""

    op: int
    pid: int
    tid: int
    ts: int
    ret: int
    err: int
    fd: int
    a1: int
    a2: int
    a3: int
    version: tuple[int, int, int, int, int, int] | None  # dev ino size mtime ctime mode
    strings: list[str]


@dataclass
class LogHeader:
    """What the header of a session log says."""

    version: int
    cap: int
    used: int
    dropped: int
    errors: int
    start_mono_ns: int
    start_real_ns: int
    root_pid: int


@dataclass
class ReadStats:
    """Damage found while reading: bytes that could not be decoded."""

    records: int = 0
    torn_bytes: int = 0
    torn_chunks: list[int] = field(default_factory=list)


def parse_header(buf: bytes | mmap.mmap) -> LogHeader:
    """Decode and validate the header; raise :class:`LogFormatError` if unusable."""
    if len(buf) < lf.HEADER.size:
        raise lf.LogFormatError("the session log is truncated (no complete header)")
    (magic, version, header_size, chunk_size, _flags, cap, used, dropped, errors, mono, real,
     root_pid, _sup) = lf.HEADER.unpack_from(buf, 0)
    if magic != lf.LOG_MAGIC:
        raise lf.LogFormatError("not a provtrace session log (bad magic)")
    if version != lf.LOG_VERSION:
        raise lf.LogFormatError(
            f"session log format version {version} is not supported (this provtrace reads {lf.LOG_VERSION})")
    if header_size != lf.HEADER_SIZE or chunk_size != lf.CHUNK_SIZE:
        raise lf.LogFormatError("session log header has unexpected sizes")
    return LogHeader(version, cap, used, dropped, errors, mono, real, root_pid)


def iter_records(buf, header: LogHeader, stats: ReadStats) -> Iterator[Record]:
    """Yield every committed record of the data area, chunk by chunk."""
    end = min(lf.HEADER_SIZE + header.used, len(buf))
    data = buf  # read in place: most of each chunk is an unused zero tail, never copied
    n = end
    unpack_rec = lf.REC.unpack_from
    unpack_ver = lf.VERSION.unpack_from
    unpack_head = _HEAD.unpack_from
    rec_size, ver_size = lf.REC.size, lf.VERSION.size
    chunk = lf.CHUNK_SIZE
    op_count, has_version, op_mask = lf.OP_COUNT, lf.OP_HAS_VERSION, lf.OP_MASK
    off = lf.HEADER_SIZE
    base = lf.HEADER_SIZE
    while off < n:
        chunk_end = min(off - (off - base) % chunk + chunk, n)
        ok = False
        if off + 8 <= n:
            length, op = unpack_head(data, off)
            if length and not length % 8 and off + length <= n:
                code = op & op_mask
                if code == 0:
                    off += length
                    continue
                if code < op_count and length >= rec_size:
                    (_, _, nstr, pid, tid, ts, ret, err, fd, a1, a2, a3) = unpack_rec(data, off)
                    pos = off + rec_size
                    stop = off + length
                    version = None
                    ok = True
                    if op & has_version:
                        if pos + ver_size > stop:
                            ok = False
                        else:
                            version = unpack_ver(data, pos)[:6]
                            pos += ver_size
                    strings: list[str] = []
                    if ok and nstr:
                        parts = data[pos:stop].split(b"\0", nstr)
                        if len(parts) <= nstr:  # fewer NULs than strings: torn or corrupt
                            ok = False
                        else:
                            strings = [p.decode("utf-8", "backslashreplace") for p in parts[:nstr]]
                    if ok:
                        stats.records += 1
                        off = stop
                        yield Record(code, pid, tid, ts, ret, err, fd, a1, a2, a3, version, strings)
                        continue
        # Uncommitted or damaged: the rest of this chunk is unreadable.  An unused
        # chunk tail is all zeros (the common case, checked cheaply by its head);
        # anything else is a torn or corrupt record, whose bytes are counted.
        head = data[off:min(off + 64, chunk_end)]
        if head.count(0) != len(head):
            damaged = len(data[off:chunk_end].rstrip(b"\0"))
            stats.torn_bytes += damaged
            stats.torn_chunks.append(off)
        off = chunk_end


def open_log(path: str | os.PathLike) -> tuple[mmap.mmap | bytes, LogHeader]:
    """Map a session log read-only and parse its header."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise lf.LogFormatError("the session log is empty")
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return buf, parse_header(buf)

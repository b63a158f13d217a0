"""Build session logs in Python, byte for byte in the native format (for tests)."""

from __future__ import annotations

import time

from provtrace.ingest import logformat as lf


def record(op: str, pid: int, ts: int, *, tid: int | None = None, ret: int = 0, err: int = 0, fd: int = -100,
           a1: int = 0, a2: int = 0, a3: int = 0, version: tuple | None = None,
           strings: list[str] | tuple = ()) -> bytes:
    """One encoded record."""
    code = lf.OP[op] | (lf.OP_HAS_VERSION if version is not None else 0)
    body = b""
    if version is not None:
        body += lf.VERSION.pack(*version, 0)
    body += b"".join(s.encode() + b"\0" for s in strings)
    total = lf.REC.size + len(body)
    total += -total % lf.REC_ALIGN
    head = lf.REC.pack(total, code, len(strings), pid, tid if tid is not None else pid, ts, ret, err, fd,
                       a1, a2, a3)
    return (head + body).ljust(total, b"\0")


def build_log(records: list[bytes], root_pid: int = 1, dropped: int = 0, cap_chunks: int = 4) -> bytes:
    """A whole log: header + the records packed into chunks as writers would."""
    data = bytearray()
    chunk = bytearray()
    for rec in records:
        if len(chunk) + len(rec) > lf.CHUNK_SIZE:
            data += chunk.ljust(lf.CHUNK_SIZE, b"\0")
            chunk = bytearray()
        chunk += rec
    if chunk:
        data += chunk.ljust(lf.CHUNK_SIZE, b"\0")
    used = len(data)
    cap = lf.HEADER_SIZE + max(used, cap_chunks * lf.CHUNK_SIZE)
    header = lf.HEADER.pack(lf.LOG_MAGIC, lf.LOG_VERSION, lf.HEADER_SIZE, lf.CHUNK_SIZE, 0, cap, used, dropped,
                            0, time.monotonic_ns(), time.time_ns(), root_pid, 0)
    return (header.ljust(lf.HEADER_SIZE, b"\0") + data).ljust(cap, b"\0")

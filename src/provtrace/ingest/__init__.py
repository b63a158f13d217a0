"""Ingest: decode a session log, replay it, hash versions, write one run."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..store.sqlite import Store
from .logformat import LogFormatError
from .reader import ReadStats, iter_records, open_log
from .replay import replay
from .writer import RunMeta, WriteResult, write_run

__all__ = ["IngestResult", "LogFormatError", "RunMeta", "ingest_log"]


@dataclass
class IngestResult:
    """What one ingest did: the stored run and the damage found in the log."""

    written: WriteResult
    records: int
    dropped: int
    tracer_errors: int
    torn_bytes: int
    unresolved: int
    blind_spots: list[dict]
    seconds: float
    tracers: dict[str, int] = field(default_factory=dict)  # images per tracer: preload, ptrace, untraced


def ingest_log(store: Store, log_path: str | os.PathLike, meta: RunMeta) -> IngestResult:
    """Read the session log at ``log_path`` and store it as a new run described by ``meta``."""
    started = time.perf_counter()
    buf, header = open_log(Path(log_path))
    try:
        stats = ReadStats()
        records = list(iter_records(buf, header, stats))
    finally:
        if hasattr(buf, "close"):
            buf.close()
    meta.mono_offset_ns = header.start_real_ns - header.start_mono_ns
    rep = replay(records, header.root_pid, meta.cwd, meta.lib_path, meta.argv)
    rep.blind_spots.extend(meta.notes or [])
    written = write_run(store, meta, rep, stats.records, header.dropped, stats.torn_bytes, started)
    return IngestResult(written, stats.records, header.dropped, header.errors, stats.torn_bytes,
                        rep.unresolved, rep.blind_spots, time.perf_counter() - started,
                        dict(Counter(x.tracer for x in rep.execs)))

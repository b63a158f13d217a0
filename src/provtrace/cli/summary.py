"""The short run summary printed on stderr after `provtrace record`."""

from __future__ import annotations

import sys


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def print_summary(s: dict) -> None:
    """Print the summary dict of :meth:`provtrace.record.Recorded.summary`."""
    lines = [
        f"provtrace: run {s['run_id']} recorded (exit {s['exit_code']}) in {s['store']}",
        f"  {s['processes']} processes, {s['execs']} execs; files: {s['files_read']} read, "
        f"{s['files_written']} written, {s['files_executed']} executed, {s['libraries']} libraries; "
        f"{s['connections']} connections",
        f"  {s['records']} records, {s['dropped']} dropped; hashed {_size(s['bytes_hashed'])} "
        f"({s['files_hashed']} files); recording {s['record_seconds']:.2f} s, storing {s['ingest_seconds']:.2f} s",
    ]
    if s["torn_bytes"]:
        lines.append(f"  warning: {s['torn_bytes']} bytes of the log were torn (a process died mid-write)")
    if s["dropped"]:
        lines.append(f"  warning: {s['dropped']} records were dropped: the session log was full "
                     "(raise PROVTRACE_LOG_SIZE)")
    seen = set()
    for spot in s["blind_spots"]:
        key = (spot.get("kind"), spot.get("path") or spot.get("detail"))
        if key in seen:
            continue
        seen.add(key)
        if spot.get("kind") == "untraced-exec":
            lines.append(f"  blind spot: {spot.get('path')} is a {spot.get('class')} executable; "
                         "what it did inside is not recorded")
        else:
            lines.append(f"  blind spot: {spot.get('detail')}")
    if s.get("orphans_left"):
        lines.append(f"  note: {s['orphans_left']} background process(es) still running were not waited for")
    sys.stderr.write("\n".join(lines) + "\n")

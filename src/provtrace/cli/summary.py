"""The short run summary printed on stderr after `provtrace record`."""

from __future__ import annotations

import sys

from ..units import human_size


def _ptrace_refused(why: str) -> bool:
    return "ptrace" in why or "traced by another tracer" in why or "supervisor" in why


def print_summary(s: dict) -> None:
    """Print the summary dict of :meth:`provtrace.record.Recorded.summary`."""
    lines = [
        f"provtrace: run {s['run_id']} recorded (exit {s['exit_code']}) in {s['store']}",
        f"  {s['processes']} processes, {s['execs']} execs; files: {s['files_read']} read, "
        f"{s['files_written']} written, {s['files_executed']} executed, {s['libraries']} libraries; "
        f"{s['connections']} connections",
        f"  {s['records']} records, {s['dropped']} dropped; hashed {human_size(s['bytes_hashed'])} "
        f"({s['files_hashed']} files); recording {s['record_seconds']:.2f} s, storing {s['ingest_seconds']:.2f} s",
    ]
    if s["torn_bytes"]:
        lines.append(f"  warning: {s['torn_bytes']} bytes of the log were torn (a process died mid-write)")
    if s["dropped"]:
        lines.append(f"  warning: {s['dropped']} records were dropped: the session log was full "
                     "(raise PROVTRACE_LOG_SIZE)")
    tracers = s.get("tracers") or {}
    if tracers.get("ptrace"):
        lines.append(f"  {tracers['ptrace']} image(s) traced with ptrace by the supervisor "
                     f"(--mode {s.get('mode', 'auto')})")
    seen = set()
    no_ptrace: dict[str, list[str]] = {}  # why ptrace failed -> executables that ran untraced
    for spot in s["blind_spots"]:
        key = (spot.get("kind"), spot.get("path") or spot.get("detail"))
        if key in seen:
            continue
        seen.add(key)
        why = spot.get("why") or ""
        if spot.get("kind") == "untraced-exec" and why.startswith("PTRACE_SEIZE failed"):
            lines.append(f"  blind spot: {spot.get('path')} was recorded only until it needed ptrace: {why}")
        elif spot.get("kind") == "untraced-exec" and _ptrace_refused(why):
            no_ptrace.setdefault(why, []).append(str(spot.get("path")))
        elif spot.get("kind") == "untraced-exec":
            lines.append(f"  blind spot: {spot.get('path')} is a {spot.get('class')} executable; "
                         f"what it did inside is not recorded{f' ({why})' if why else ''}")
        else:
            lines.append(f"  blind spot: {spot.get('detail')}")
    for why, paths in no_ptrace.items():
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        lines.append(f"  blind spot: {why}: {len(paths)} executable(s) LD_PRELOAD cannot see into "
                     f"ran untraced ({shown})")
    if s.get("orphans_left"):
        lines.append(f"  note: {s['orphans_left']} background process(es) still running were not waited for")
    sys.stderr.write("\n".join(lines) + "\n")

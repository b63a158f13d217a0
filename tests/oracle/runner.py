"""Run a command under ``strace`` wrapped around ``provtrace record``.

strace traces the launcher too, so its process ids are the ones provtrace
stores; the trace is then cut down to the recorded command's subtree (the
store's ``creation='root'`` process, else the process whose first successful
exec has the command's argv).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import blindspots, compare, provstore, strace

TRACE_SET = "%file,%process,%network,fchdir,fchmod,fchown,ftruncate,getdents64"
STRACE_FLAGS = ["-f", "-qq", "-v", "-y", "-X", "raw", "-s", "65536", "-e", "signal=none"]


def provtrace_command() -> list[str]:
    """How to start provtrace without a pyenv/virtualenv shim in between."""
    script = Path(sys.executable).parent / "provtrace"
    if script.is_file():
        return [str(script)]
    found = shutil.which("provtrace")
    return [found] if found else [sys.executable, "-m", "provtrace"]


@dataclass
class Recording:
    argv: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes
    store: Path
    trace_file: Path
    full_trace: strace.Trace
    trace: strace.Trace  # the command's subtree only
    run: provstore.PtRun
    root_pid: int
    internal: blindspots.Internal

    def compare(self, name: str) -> compare.Comparison:
        return compare.compare(name, self.trace, self.run, self.internal)


def find_root(trace: strace.Trace, argv: list[str], hint: int | None) -> int:
    if hint is not None and hint in trace.procs:
        return hint
    for pid, proc in sorted(trace.procs.items(), key=lambda kv: kv[1].first_line):
        if proc.parent is not None and proc.execs and proc.execs[0].argv == argv:
            return pid
    raise LookupError(f"no process of the trace exec'd {argv!r}")


def record_with_strace(
    argv: list[str],
    cwd: Path,
    workdir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    stdin: bytes | None = None,
) -> Recording:
    """Run ``strace ... provtrace record -q --store S -- argv`` in ``cwd``.

    The store and the trace go to ``workdir`` (outside ``cwd``, so that
    commands that walk ``cwd`` do not see them)."""
    workdir.mkdir(parents=True, exist_ok=True)
    store = workdir / "store.db"
    trace_file = workdir / "strace.txt"
    for f in (store, trace_file):
        if f.exists():
            f.unlink()
    cmd = [
        "strace", *STRACE_FLAGS, "-o", str(trace_file), "-e", f"trace={TRACE_SET}",
        *provtrace_command(), "record", "-q", "--store", str(store), "--", *argv,
    ]  # fmt: skip
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout
    )
    full = strace.read_trace(trace_file, str(cwd))
    run = provstore.load_run(str(store))
    root = find_root(full, argv, run.root_pid)
    sub = full.restrict(root)
    env0 = full.procs[root].execs[0].env if full.procs[root].execs else None
    return Recording(
        argv, proc.returncode, proc.stdout, proc.stderr, store, trace_file, full, sub, run, root,
        blindspots.Internal.from_env(env0),
    )  # fmt: skip


def record_plain(
    argv: list[str], cwd: Path, store: Path, env: dict[str, str] | None = None, *options: str,
    stdin: bytes | None = None, timeout: float = 600,
) -> subprocess.CompletedProcess:  # fmt: skip
    """``provtrace record -q [options]`` without strace."""
    cmd = [*provtrace_command(), "record", "-q", "--store", str(store), *options, "--", *argv]
    return subprocess.run(
        cmd, cwd=cwd, env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout
    )


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment with a fixed locale and no inherited preload."""
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "PROVTRACE_SESSION")}
    env.update(extra)
    return env

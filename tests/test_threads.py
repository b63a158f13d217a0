"""Concurrency and transparency of the recorder.

- 4 threads x 10,000 opens, plus a signal handler that opens a file while the
  threads are inside their own opens: exactly that many open events.
- A program's stdout, stderr and exit status are the same with and without
  provtrace (``record -q`` prints nothing of its own).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from oracle.corpus import real_python
from oracle.runner import clean_env, record_plain

pytestmark = pytest.mark.oracle


def _open_counts(store: Path, paths: list[str]) -> dict[str, int]:
    con = sqlite3.connect(store)
    try:
        rows = con.execute(
            "SELECT f.path, count(*) FROM file_events e JOIN files f ON f.id = e.file_id"
            " WHERE e.op = 'open' AND e.result >= 0 AND coalesce(e.errno, 0) = 0"
            f" AND f.path IN ({','.join('?' * len(paths))}) GROUP BY f.path",
            paths,
        ).fetchall()
        dropped = con.execute("SELECT sum(dropped) FROM runs").fetchone()[0]
    finally:
        con.close()
    counts = {p: 0 for p in paths}
    counts.update(dict(rows))
    counts["dropped"] = dropped
    return counts


def test_threads_and_signal_handler_opens_are_all_recorded(tmp_path: Path, c_programs: dict[str, Path]) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "target").write_text("t\n")
    (d / "sig").write_text("s\n")
    proc = record_plain([str(c_programs["threads_stress"]), str(d), "4", "10000"], tmp_path, tmp_path / "s.db", clean_env())
    assert proc.returncode == 0, proc.stderr
    m = re.fullmatch(rb"opens=(\d+) worker=(\d+) handler=(\d+) failures=(\d+) signals=\d+\n", proc.stdout)
    assert m, proc.stdout
    total, worker, handler, failures = map(int, m.groups())
    assert (worker, failures) == (40_000, 0)
    assert handler >= 1 and total == worker + handler
    counts = _open_counts(tmp_path / "s.db", [str(d / "target"), str(d / "sig")])
    assert counts == {str(d / "target"): worker, str(d / "sig"): handler, "dropped": 0}


def _identity_cases(programs: dict[str, Path]) -> dict[str, tuple[list[str], bytes | None, int]]:
    """name -> (argv, stdin, the exit status a shell would report)."""
    python = real_python()
    return {
        "exit 3 with stdout and stderr": ([str(programs["outputs"]), "3"], None, 3),
        "every byte value on stdout": ([str(programs["outputs"]), "0"], None, 0),
        "python exit 3": (
            [python, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
            None,
            3,
        ),
        "killed by SIGTERM": (["sh", "-c", "echo before; echo err >&2; kill -TERM $$; echo after"], None, 143),
        "binary stdin to stdout": (["cat"], bytes(range(256)) * 64, 0),
        "pipeline with a failing command": (["bash", "-c", "seq 1 2000 | sort -r | head -3; ls /nonexistent-dir"], None, 2),
    }


@pytest.mark.parametrize(
    "name",
    [
        "exit 3 with stdout and stderr",
        "every byte value on stdout",
        "python exit 3",
        "killed by SIGTERM",
        "binary stdin to stdout",
        "pipeline with a failing command",
    ],
)
def test_output_and_exit_status_are_unchanged(name: str, tmp_path: Path, c_programs: dict[str, Path]) -> None:
    argv, stdin, status = _identity_cases(c_programs)[name]
    env = clean_env()
    native = subprocess.run(argv, cwd=tmp_path, env=env, input=stdin, capture_output=True, timeout=120)
    native_status = native.returncode if native.returncode >= 0 else 128 - native.returncode
    assert native_status == status  # the case does what it says
    recorded = record_plain(argv, tmp_path, tmp_path / "s.db", env, stdin=stdin)
    assert recorded.stdout == native.stdout
    assert recorded.stderr == native.stderr
    assert recorded.returncode == status

"""A full session log drops records (counted, reported); it never hurts the traced program."""

from __future__ import annotations

import json
import shlex
import os
import shutil
import subprocess
import sys

import pytest

# ~64 bytes per stat record: 40,000 stats need ~3 MiB of log.
WORKLOAD = [sys.executable, "-c",
            "import os\nfor i in range(40000): os.path.exists('/nonexistent-%d' % i)\nprint('finished')"]


def _record(tmp_path, env, *extra):
    summary = tmp_path / "summary.json"
    p = subprocess.run([sys.executable, "-m", "provtrace", "record", "--store", str(tmp_path / "s.db"),
                        "--summary-json", str(summary), *extra, "--", *WORKLOAD],
                       capture_output=True, text=True, env=env, timeout=300)
    return p, (json.loads(summary.read_text()) if summary.exists() else None)


def test_small_log_counts_drops_and_the_program_is_unchanged(tmp_path):
    env = dict(os.environ, PROVTRACE_LOG_SIZE=str(1 << 20))
    p, summary = _record(tmp_path, env)
    assert p.returncode == 0 and p.stdout == "finished\n", p.stderr
    assert summary["dropped"] > 0
    assert "records were dropped: the session log was full" in p.stderr
    # what fitted was stored
    assert summary["records"] > 1000


def _can_unshare() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="unprivileged user namespaces are not available here")
def test_log_on_a_tiny_tmpfs_is_capped_not_sigbus(tmp_path):
    shm = tmp_path / "shm"
    shm.mkdir()
    # 40 MiB of tmpfs: the log is capped at 20 MiB; 700,000 stats need ~50 MiB, more than the
    # whole tmpfs: an uncapped sparse log would SIGBUS the program there.
    workload = [sys.executable, "-c",
                "import os\nfor i in range(700000): os.path.exists('/nonexistent-%d' % i)\nprint('finished')"]
    inner = (f"mount -t tmpfs -o size=40m tmpfs {shm} && PROVTRACE_LOG_DIR={shm} "
             f"{sys.executable} -m provtrace record --store {tmp_path}/s.db --summary-json {tmp_path}/sum.json "
             f"-- {shlex.join(workload)}")
    p = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", inner],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout == "finished\n", p.stderr  # no SIGBUS (exit 135)
    summary = json.loads((tmp_path / "sum.json").read_text())
    assert summary["dropped"] > 0

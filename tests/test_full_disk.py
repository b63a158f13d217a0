"""A full disk while storing a run: clear error, the session log is kept, nothing is lost.

The store lives on a 400 KiB tmpfs mounted inside an unprivileged user and mount
namespace (no root needed), so SQLite really gets ENOSPC.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    p = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    return p.returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="unprivileged user namespaces are not available here")
def test_full_disk_keeps_the_log_and_ingest_recovers(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    script = (
        f"mount -t tmpfs -o size=400k tmpfs {small} && "
        # a first small run fits: it must survive the failed second one
        f"{sys.executable} -m provtrace record -q --store {small}/s.db -- true && "
        f"{sys.executable} -m provtrace record --store {small}/s.db -- "
        f"sh -c 'for i in $(seq 1 3000); do echo $i > {work}/f$i; done; exit 4'; "
        f"echo rc=$?; "
        f"{sys.executable} -m provtrace sql --store {small}/s.db 'SELECT count(*) AS n FROM runs'; "
        f"cp {small}/s.db* {tmp_path}/ 2>/dev/null; true"
    )
    p = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                       capture_output=True, text=True, timeout=300)
    err_lines = [line for line in p.stderr.splitlines() if line.startswith("provtrace: error:")]
    assert len(err_lines) == 1, p.stderr
    assert "storing the run failed: database or disk is full" in err_lines[0] and "kept in" in err_lines[0]
    assert "Traceback" not in p.stderr
    assert "rc=4" in p.stdout  # the command's own exit status, unchanged
    assert p.stdout.strip().splitlines()[-1] == "1"  # the earlier run is intact
    kept = re.search(r"kept in (\S+) \(retry: provtrace ingest (\S+)\)", err_lines[0])
    assert kept, err_lines[0]
    # the kept log stores fine once there is room
    q = subprocess.run([sys.executable, "-m", "provtrace", "ingest", "--store", str(tmp_path / "big.db"),
                        kept.group(2)], capture_output=True, text=True)
    assert q.returncode == 0, q.stderr
    rows = subprocess.run([sys.executable, "-m", "provtrace", "sql", "--store", str(tmp_path / "big.db"), "--json",
                           "SELECT r.exit_code, count(DISTINCT e.file_id) AS files FROM runs r JOIN file_events e "
                           "ON e.run_id = r.id WHERE e.kind = 'create' GROUP BY r.id"],
                          capture_output=True, text=True, check=True).stdout
    assert json.loads(rows) == [{"exit_code": 4, "files": 3000}]

"""Ingest semantics on hand-built logs: fd tables, *at paths, cwd, processes, versions."""

from __future__ import annotations

import os

import pytest

from logbuilder import build_log, record as R
from provtrace.ingest import RunMeta, ingest_log
from provtrace.store import open_store

ROOT = 4242  # launcher pid in these logs
PID = 5000


def _ingest(tmp_path, recs, root_status=0, store=None):
    log = tmp_path / "session.log"
    log.write_bytes(build_log(recs, root_pid=ROOT))
    db = store or open_store(tmp_path / "store.db")
    meta = RunMeta(argv=["prog"], cwd=str(tmp_path), start_ns=1, end_ns=2, exit_code=0, signal=None,
                   root_pid=PID, root_status=root_status)
    return db, ingest_log(db, log, meta)


def _start(pid, ts, cwd, argv=("prog",), ppid=ROOT, objs=()):
    return R("START", pid, ts, fd=ppid, a1=len(argv), a2=0, a3=len(objs),
             strings=["/usr/bin/prog", cwd, *argv, *objs])


def _events(db, run_id=1):
    return db.query("SELECT e.op, e.kind, f.path, g.path AS path2, e.result, p.pid FROM file_events e "
                    "LEFT JOIN files f ON f.id = e.file_id LEFT JOIN files g ON g.id = e.file2_id "
                    "JOIN processes p ON p.id = e.process_id WHERE e.run_id = ? ORDER BY e.seq", (run_id,))


def test_openat_with_dirfd_resolves_path(tmp_path):
    d = str(tmp_path)
    db, _ = _ingest(tmp_path, [
        _start(PID, 1, d),
        R("OPEN", PID, 2, ret=7, a1=os.O_RDONLY | os.O_DIRECTORY, strings=["sub/dir"]),
        R("OPEN", PID, 3, fd=7, ret=8, a1=os.O_WRONLY | os.O_CREAT, strings=["../x/./out.txt"]),
        R("STAT", PID, 4, fd=7, strings=["file"]),
    ])
    paths = [(e["op"], e["kind"], e["path"]) for e in _events(db)]
    assert ("open", "readdir", f"{d}/sub/dir") in paths
    assert ("open", "create", f"{d}/sub/x/out.txt") in paths
    assert ("stat", "stat", f"{d}/sub/dir/file") in paths


def test_fd_table_is_inherited_on_fork_and_cloexec_dropped_at_exec(tmp_path):
    d = str(tmp_path)
    db, _ = _ingest(tmp_path, [
        _start(PID, 1, d),
        R("OPEN", PID, 2, ret=5, a1=os.O_RDONLY | os.O_DIRECTORY, strings=["keep"]),
        R("OPEN", PID, 3, ret=6, a1=os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, strings=["gone"]),
        R("FORK", PID, 4, ret=PID + 1),
        R("OPEN", PID + 1, 5, fd=6, ret=9, a1=os.O_RDONLY, strings=["a"]),  # before exec: fd 6 valid
        R("EXEC", PID + 1, 6, ret=PID, a1=1, strings=["/usr/bin/prog", "prog"]),
        _start(PID + 1, 7, d, ppid=PID),
        R("OPEN", PID + 1, 8, fd=5, ret=9, a1=os.O_RDONLY, strings=["b"]),  # inherited, not cloexec
        R("OPEN", PID + 1, 9, fd=6, ret=10, a1=os.O_RDONLY, strings=["c"]),  # fd 6 closed at exec
    ])
    ev = _events(db)
    paths = {e["path"] for e in ev if e["op"] == "open"}
    assert f"{d}/gone/a" in paths and f"{d}/keep/b" in paths
    assert not any(p and p.endswith("/c") for p in paths)  # unresolvable: not invented
    procs = db.query("SELECT pid, creation, parent_id FROM processes ORDER BY id")
    assert [(p["pid"], p["creation"]) for p in procs] == [(PID, "root"), (PID + 1, "fork")]
    assert procs[1]["parent_id"] is not None


def test_chdir_and_rename_follow_the_process(tmp_path):
    d = str(tmp_path)
    db, _ = _ingest(tmp_path, [
        _start(PID, 1, d),
        R("CHDIR", PID, 2, strings=["work"]),
        R("RENAME", PID, 3, a1=-100, strings=["a.tmp", "/abs/a.txt"]),
        R("UNLINK", PID, 4, a1=0x200, strings=["olddir"]),
        R("SYMLINK", PID, 5, strings=["target", "link"]),
    ])
    ev = _events(db)
    assert ("rename", f"{d}/work/a.tmp", "/abs/a.txt") in [(e["op"], e["path"], e["path2"]) for e in ev]
    assert ("unlink", "delete", f"{d}/work/olddir") in [(e["op"], e["kind"], e["path"]) for e in ev]
    assert ("symlink", "target", f"{d}/work/link") in [(e["op"], e["path"], e["path2"]) for e in ev]


def test_exit_statuses_and_signal_deaths(tmp_path):
    d = str(tmp_path)
    db, _ = _ingest(tmp_path, [
        _start(PID, 1, d),
        R("FORK", PID, 2, ret=PID + 1),
        R("FORK", PID, 3, ret=PID + 2),
        R("EXIT", PID + 1, 4, a1=3),
        R("WAIT", PID, 5, ret=PID + 1, a1=3 << 8),
        R("WAIT", PID, 6, ret=PID + 2, a1=9),  # killed by SIGKILL
    ], root_status=0)
    procs = {p["pid"]: p for p in db.query("SELECT pid, exit_code, signal FROM processes")}
    assert procs[PID + 1]["exit_code"] == 3 and procs[PID + 1]["signal"] is None
    assert procs[PID + 2]["signal"] == 9 and procs[PID + 2]["exit_code"] is None
    assert procs[PID]["exit_code"] == 0


def test_static_exec_is_recorded_as_untraced_blind_spot(tmp_path):
    d = str(tmp_path)
    db, res = _ingest(tmp_path, [
        _start(PID, 1, d),
        R("EXEC", PID, 2, ret=ROOT, a1=2, a3=1, strings=["/bin/busybox", "busybox", "true"]),
        R("UNTRACED", PID, 3, fd=1, strings=["/bin/busybox", "statically linked"]),
    ])
    execs = db.query("SELECT seq, argv, tracer, exe_class FROM execs ORDER BY seq")
    assert [(x["tracer"], x["exe_class"]) for x in execs] == [("preload", "dynamic"), ("untraced", "static")]
    assert execs[1]["argv"] == '["busybox", "true"]'
    assert res.blind_spots and res.blind_spots[0]["path"] == "/bin/busybox"


def test_versions_are_hashed_when_the_file_is_unchanged(tmp_path):
    f = tmp_path / "input.dat"
    f.write_bytes(b"x" * 1000)
    st = os.stat(f)
    v = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)
    db, res = _ingest(tmp_path, [
        _start(PID, 1, str(tmp_path)),
        R("OPEN", PID, 2, ret=3, a1=os.O_RDONLY, strings=["input.dat"], version=v),
    ])
    row = db.query("SELECT v.hash, v.size FROM file_events e JOIN versions v ON v.id = e.version_id "
                   "JOIN files f ON f.id = e.file_id WHERE f.path = ?", (str(f),))
    from blake3 import blake3

    assert row == [{"hash": "blake3:" + blake3(b"x" * 1000).hexdigest(), "size": 1000}]


def test_secret_env_values_are_redacted(tmp_path):
    d = str(tmp_path)
    recs = [R("START", PID, 1, fd=ROOT, a1=1, a2=3, strings=[
        "/usr/bin/prog", d, "prog", "API_TOKEN=abc", "HOME=/home/u", "PROVTRACE_SESSION=/dev/shm/x"])]
    db, _ = _ingest(tmp_path, recs)
    env = db.query("SELECT env FROM envs")[0]["env"]
    assert '"API_TOKEN": "<redacted>"' in env and '"HOME": "/home/u"' in env
    assert "PROVTRACE_SESSION" not in env and "abc" not in env


def test_runs_accumulate_and_ids_do_not_collide(tmp_path):
    d = str(tmp_path)
    db, first = _ingest(tmp_path, [_start(PID, 1, d), R("STAT", PID, 2, strings=["x"])])
    _, second = _ingest(tmp_path, [_start(PID, 1, d), R("STAT", PID, 2, strings=["y"])], store=db)
    assert (first.written.run_id, second.written.run_id) == (1, 2)
    assert db.query("SELECT count(*) AS n FROM processes")[0]["n"] == 2
    assert {e["path"] for e in _events(db, 2) if e["op"] == "stat"} == {f"{d}/y"}

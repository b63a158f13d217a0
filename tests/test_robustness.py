"""Bad input gets one clear line and a non-zero exit; nothing stored is lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from hypothesis import HealthCheck, given, settings, strategies as st

from logbuilder import build_log, record as R
from provtrace.cli import cli
from provtrace.cli.common import run_cli
from provtrace.ingest import LogFormatError, RunMeta, ingest_log
from provtrace.store import NewerStoreError, open_store

ROOT, PID = 10, 11


def _good_records(d: str) -> list[bytes]:
    recs = [R("START", PID, 1, fd=ROOT, a1=1, a2=1, a3=0, strings=["/bin/prog", d, "prog", "HOME=/h"])]
    for i in range(200):
        recs.append(R("OPEN", PID, 10 + i, ret=3, a1=os.O_WRONLY | os.O_CREAT, strings=[f"out{i}.txt"]))
        recs.append(R("CLOSE", PID, 1000 + i, fd=3))
    recs.append(R("FORK", PID, 5000, ret=PID + 1))
    recs.append(R("EXEC", PID + 1, 5001, ret=PID, a1=1, strings=["/bin/true", "true"]))
    return recs


def _meta(d: str) -> RunMeta:
    return RunMeta(argv=["prog"], cwd=d, start_ns=1, end_ns=2, exit_code=0, signal=None, root_pid=PID,
                   root_status=0)


def _cli(args, capsys):
    code = run_cli(cli, args)
    out, err = capsys.readouterr()
    return code, out, err


def _seed_store(tmp_path):
    """A store holding one good run."""
    d = str(tmp_path)
    log = tmp_path / "good.log"
    log.write_bytes(build_log(_good_records(d), root_pid=ROOT))
    db = open_store(tmp_path / "store.db")
    ingest_log(db, log, _meta(d))
    return db


def _events(db) -> int:
    return db.query("SELECT count(*) AS n FROM file_events WHERE run_id = 1")[0]["n"]


def _fresh(tmp_path):
    """A new directory per hypothesis example (tmp_path is shared between examples)."""
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(dir=tmp_path))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=200_000))
def test_truncated_logs_ingest_what_is_whole(tmp_path, cut):
    tmp_path = _fresh(tmp_path)
    db = _seed_store(tmp_path)
    before = _events(db)
    whole = build_log(_good_records(str(tmp_path)), root_pid=ROOT)
    log = tmp_path / "cut.log"
    log.write_bytes(whole[:cut])
    try:
        res = ingest_log(db, log, _meta(str(tmp_path)))
    except LogFormatError as exc:  # only a missing/short header may be refused, with a message
        assert cut < 4096 and str(exc)
    else:
        assert res.records <= len(_good_records(str(tmp_path)))
    assert db.query("SELECT count(*) AS n FROM file_events WHERE run_id = 1")[0]["n"] == before
    db.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(min_value=4096, max_value=4096 + 65536 - 1),
                                st.integers(min_value=0, max_value=255)), min_size=1, max_size=40))
def test_corrupted_logs_never_raise_and_keep_the_store(tmp_path, flips):
    tmp_path = _fresh(tmp_path)
    db = _seed_store(tmp_path)
    before = _events(db)
    data = bytearray(build_log(_good_records(str(tmp_path)), root_pid=ROOT))
    for pos, value in flips:
        data[pos] = value
    log = tmp_path / "bad.log"
    log.write_bytes(bytes(data))
    res = ingest_log(db, log, _meta(str(tmp_path)))
    assert res.written.run_id == 2
    assert db.query("SELECT count(*) AS n FROM file_events WHERE run_id = 1")[0]["n"] == before
    db.close()


def test_torn_record_is_reported(tmp_path):
    recs = _good_records(str(tmp_path))
    data = bytearray(build_log(recs, root_pid=ROOT))
    # Make the 3rd record look uncommitted-but-written: zero its length, keep its bytes.
    off = 4096 + len(recs[0]) + len(recs[1])
    data[off:off + 4] = b"\0\0\0\0"
    log = tmp_path / "torn.log"
    log.write_bytes(bytes(data))
    db = open_store(tmp_path / "s.db")
    res = ingest_log(db, log, _meta(str(tmp_path)))
    assert res.torn_bytes > 0
    assert res.records == 2  # what came before the tear in that chunk
    assert res.written.run_id == 1


def test_not_a_log_is_refused_with_a_message(tmp_path):
    log = tmp_path / "x.log"
    log.write_bytes(b"hello world" * 1000)
    db = open_store(tmp_path / "s.db")
    try:
        ingest_log(db, log, _meta(str(tmp_path)))
    except LogFormatError as exc:
        assert "not a provtrace session log" in str(exc)
    else:
        raise AssertionError("garbage was accepted as a log")


def test_unknown_run_id_is_one_line_and_nonzero(tmp_path, capsys):
    _seed_store(tmp_path).close()
    code, out, err = _cli(["show", "--store", str(tmp_path / "store.db"), "99"], capsys)
    assert code == 1
    assert err.strip() == f"provtrace: error: no run 99 in {tmp_path / 'store.db'}"
    code, _, err = _cli(["show", "--store", str(tmp_path / "store.db"), "banana"], capsys)
    assert code == 1 and "not a run id" in err and len(err.strip().splitlines()) == 1


def test_empty_store_and_missing_store(tmp_path, capsys):
    open_store(tmp_path / "empty.db").close()
    code, _, err = _cli(["show", "--store", str(tmp_path / "empty.db"), "last"], capsys)
    assert code == 1 and "no runs yet" in err
    code, _, err = _cli(["runs", "--store", str(tmp_path / "nothing.db")], capsys)
    assert code == 1 and "no provtrace store" in err


def test_newer_store_is_refused_and_left_untouched(tmp_path, capsys):
    db = _seed_store(tmp_path)
    db.conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    size = os.path.getsize(tmp_path / "store.db")
    code, _, err = _cli(["runs", "--store", str(tmp_path / "store.db")], capsys)
    assert code == 1 and "newer provtrace" in err and len(err.strip().splitlines()) == 1
    code, _, err = _cli(["record", "--store", str(tmp_path / "store.db"), "--", "true"], capsys)
    assert code == 1 and "newer provtrace" in err
    try:
        open_store(tmp_path / "store.db")
    except NewerStoreError:
        pass
    else:
        raise AssertionError("newer store opened")
    conn = sqlite3.connect(tmp_path / "store.db")
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    assert os.path.getsize(tmp_path / "store.db") == size


def test_older_store_is_migrated(tmp_path, monkeypatch):
    from provtrace.store import sqlite as backend

    _seed_store(tmp_path).close()
    calls = []

    def add_column(conn):
        calls.append(1)
        conn.execute("ALTER TABLE runs ADD COLUMN note TEXT")

    monkeypatch.setattr(backend, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(backend, "MIGRATIONS", {1: add_column})
    db = open_store(tmp_path / "store.db")
    assert calls == [1]
    assert db.query("SELECT value FROM meta WHERE key = 'schema_version'")[0]["value"] == "2"
    assert db.query("SELECT id, note FROM runs") == [{"id": 1, "note": None}]


def test_not_a_store_is_refused(tmp_path, capsys):
    (tmp_path / "junk.db").write_bytes(b"this is not sqlite" * 100)
    code, _, err = _cli(["runs", "--store", str(tmp_path / "junk.db")], capsys)
    assert code == 1 and "not a readable provtrace store" in err


def test_missing_command_exits_127_and_writes_nothing(tmp_path):
    store = tmp_path / "s.db"
    p = subprocess.run([sys.executable, "-m", "provtrace", "record", "--store", str(store), "--",
                        "no-such-command-xyz"], capture_output=True, text=True)
    assert p.returncode == 127
    assert p.stderr.strip() == "provtrace: error: no-such-command-xyz: command not found"
    assert not store.exists() or sqlite3.connect(store).execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_sql_is_read_only(tmp_path, capsys):
    _seed_store(tmp_path).close()
    code, _, err = _cli(["sql", "--store", str(tmp_path / "store.db"), "DELETE FROM runs"], capsys)
    assert code == 1 and "read-only" in err
    code, out, _ = _cli(["sql", "--store", str(tmp_path / "store.db"), "--csv", "SELECT id FROM runs"], capsys)
    assert code == 0 and out.splitlines() == ["id", "1"]


def test_indexes_added_later_reach_existing_stores(tmp_path):
    db = _seed_store(tmp_path)
    db.conn.execute("DROP INDEX file_events_file")
    # a store made before file_events_version_kind replaced file_events_version
    db.conn.execute("DROP INDEX file_events_version_kind")
    db.conn.execute("CREATE INDEX file_events_version ON file_events(version_id)")
    db.close()
    db = open_store(tmp_path / "store.db")
    names = {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"file_events_file", "file_events_version_kind"} <= names
    assert "file_events_version" not in names

"""Write a replayed session into the store: one transaction, bulk inserts.

Ids of runs, processes, execs and events are assigned here, inside the write
transaction, so the same code shape works for any SQL backend.  Files and
versions are shared between runs and deduplicated through temporary tables.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from dataclasses import dataclass, field

from blake3 import blake3

from .. import kinds as K
from ..hashing import StatKey, hash_versions, is_racy, stat_key
from ..store.sqlite import Store
from .replay import Replay

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|KEY|CREDENTIAL|PRIVATE|AUTH|COOKIE|SESSION_ID", re.I)
REDACTED = "<redacted>"
UNHASHED_PREFIXES = ("/proc/", "/sys/", "/dev/")
OUTPUT_KINDS = (K.WRITE, K.CREATE, K.CLOSE)


@dataclass
class RunMeta:
    """What the launcher knows about a run."""

    argv: list[str]
    cwd: str
    start_ns: int
    end_ns: int
    exit_code: int | None
    signal: int | None
    env_mode: str = "redacted"
    label: str | None = None
    username: str | None = None
    root_pid: int | None = None  # pid of the recorded command
    root_status: int | None = None  # raw wait status of the command
    record_seconds: float | None = None
    lib_path: str | None = None
    provtrace_version: str = "0"
    mono_offset_ns: int = 0  # CLOCK_REALTIME - CLOCK_MONOTONIC at session start
    machine: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # blind spots known to the launcher, not in the log


@dataclass
class WriteResult:
    """Counts reported in the run summary."""

    run_id: int
    processes: int = 0
    execs: int = 0
    files_read: int = 0
    files_written: int = 0
    files_executed: int = 0
    libraries: int = 0
    connections: int = 0
    events: int = 0
    bytes_hashed: int = 0
    files_hashed: int = 0


def clean_env(env: list[str] | None, mode: str, lib_path: str | None) -> dict[str, str] | None:
    """The environment as stored: tracer variables removed, secrets redacted."""
    if env is None or mode == "none":
        return None
    out: dict[str, str] = {}
    for item in env:
        name, sep, value = item.partition("=")
        if not sep or name == "PROVTRACE_SESSION":
            continue
        if name == "LD_PRELOAD":
            kept = [p for p in value.replace(":", " ").split() if not p.endswith("/libprovtrace.so")
                    and p != lib_path]
            if not kept:
                continue
            value = " ".join(kept)
        if mode != "full" and SECRET_NAME.search(name):
            value = REDACTED
        out[name] = value
    return out


class _Ids:
    """Writer-assigned ids: the next free id of each table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def next(self, table: str) -> int:
        row = self.store.conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()
        return int(row[0])


def _machine_id(conn, machine: dict) -> int | None:
    if not machine:
        return None
    fp = blake3(json.dumps(machine, sort_keys=True).encode()).hexdigest()[:32]
    row = conn.execute("SELECT id FROM machines WHERE fingerprint = ?", (fp,)).fetchone()
    if row:
        return int(row[0])
    conn.execute(
        "INSERT INTO machines (fingerprint, hostname, os, kernel, arch, cpu_model, cores, mem_bytes, gpus) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (fp, machine.get("hostname", "?"), machine.get("os"), machine.get("kernel"), machine.get("arch"),
         machine.get("cpu_model"), machine.get("cores"), machine.get("mem_bytes"),
         json.dumps(machine.get("gpus") or [])))
    return int(conn.execute("SELECT id FROM machines WHERE fingerprint = ?", (fp,)).fetchone()[0])


def _file_ids(conn, paths: set[str]) -> dict[str, int]:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS tmp_paths (path TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM tmp_paths")
    conn.executemany("INSERT INTO tmp_paths (path) VALUES (?)", ((p,) for p in paths))
    conn.execute("INSERT INTO files (path) SELECT t.path FROM tmp_paths t "
                 "WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.path = t.path)")
    return dict((p, i) for i, p in conn.execute(
        "SELECT f.id, f.path FROM files f JOIN tmp_paths t ON t.path = f.path"))


def _version_ids(conn, rows: dict[tuple, str | None]) -> dict[tuple, int]:
    """rows: (file_id, dev, ino, size, mtime, ctime, mode) -> hash.  Returns key -> version id."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS tmp_versions (file_id INTEGER, dev BIGINT, ino BIGINT, "
                 "size BIGINT, mtime_ns BIGINT, ctime_ns BIGINT, mode INTEGER, hash TEXT)")
    conn.execute("DELETE FROM tmp_versions")
    conn.executemany("INSERT INTO tmp_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (k + (h,) for k, h in rows.items()))
    join = ("v.file_id = t.file_id AND v.dev = t.dev AND v.ino = t.ino AND v.size = t.size "
            "AND v.mtime_ns = t.mtime_ns AND v.ctime_ns = t.ctime_ns")
    conn.execute("INSERT INTO versions (file_id, dev, ino, size, mtime_ns, ctime_ns, mode, hash) "
                 "SELECT DISTINCT t.file_id, t.dev, t.ino, t.size, t.mtime_ns, t.ctime_ns, t.mode, t.hash "
                 f"FROM tmp_versions t WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE {join})")
    out: dict[tuple, int] = {}
    for row in conn.execute(f"SELECT v.id, t.file_id, t.dev, t.ino, t.size, t.mtime_ns, t.ctime_ns, t.mode "
                            f"FROM versions v JOIN tmp_versions t ON {join}"):
        out[tuple(row[1:])] = int(row[0])
    # Versions first stored without a hash (content unknown then) get it now.
    conn.executemany("UPDATE versions SET hash = ? WHERE id = ? AND hash IS NULL",
                     ((h, out[k]) for k, h in rows.items() if h is not None and k in out))
    return out


def _cached_hashes(conn, wanted: dict[StatKey, str]) -> dict[StatKey, str]:
    """Hashes already known for these stat keys (one query through a temp table)."""
    if not wanted:
        return {}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS tmp_keys (dev BIGINT, ino BIGINT, size BIGINT, "
                 "mtime_ns BIGINT, ctime_ns BIGINT)")
    conn.execute("DELETE FROM tmp_keys")
    conn.executemany("INSERT INTO tmp_keys VALUES (?, ?, ?, ?, ?)", wanted.keys())
    rows = conn.execute("SELECT c.dev, c.ino, c.size, c.mtime_ns, c.ctime_ns, c.hash FROM tmp_keys t "
                        "JOIN hash_cache c ON c.dev = t.dev AND c.ino = t.ino AND c.size = t.size "
                        "AND c.mtime_ns = t.mtime_ns AND c.ctime_ns = t.ctime_ns")
    return {tuple(r[:5]): r[5] for r in rows}


class _Stats:
    """Current stat of paths, looked up at most once each."""

    def __init__(self) -> None:
        self.cache: dict[str, os.stat_result | None] = {}

    def get(self, path: str) -> os.stat_result | None:
        try:
            return self.cache[path]
        except KeyError:
            try:
                st = os.stat(path)
            except OSError:
                st = None
            self.cache[path] = st
            return st


def write_run(store: Store, meta: RunMeta, rep: Replay, records: int, dropped: int, torn_bytes: int,
              ingest_started: float) -> WriteResult:
    """Store one replayed session as a new run; return what the summary needs."""
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = _write(store, meta, rep, records, dropped, torn_bytes)
        conn.execute("UPDATE runs SET ingest_seconds = ? WHERE id = ?",
                     (time.perf_counter() - ingest_started, result.run_id))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
            conn.execute("ROLLBACK")
        raise
    return result


def _root_status(meta: RunMeta, rep: Replay) -> None:
    for proc in rep.procs:
        if proc.pid == meta.root_pid and proc.creation == "root":
            if meta.root_status is not None:
                status = meta.root_status
                if os.WIFSIGNALED(status):
                    proc.signal, proc.exit_code = os.WTERMSIG(status), None
                elif os.WIFEXITED(status):
                    proc.exit_code, proc.signal = os.WEXITSTATUS(status), None
            if proc.end_ns is None:
                proc.end_ns = proc.start_ns
            break


def _write(store: Store, meta: RunMeta, rep: Replay, records: int, dropped: int, torn_bytes: int) -> WriteResult:
    conn = store.conn
    ids = _Ids(store)
    _root_status(meta, rep)
    machine_id = _machine_id(conn, meta.machine)
    run_id = ids.next("runs")
    res = WriteResult(run_id)

    # --- paths and versions -----------------------------------------------------
    paths: set[str] = set()
    for ev in rep.events:
        if ev.path:
            paths.add(ev.path)
        if ev.path2:
            paths.add(ev.path2)
    for ex in rep.execs:
        if ex.path:
            paths.add(ex.path)
    file_ids = _file_ids(conn, paths)

    stats = _Stats()
    versions: dict[tuple, str | None] = {}
    wanted: dict[StatKey, str] = {}  # versions whose content should be hashed -> a path
    event_version: dict[int, tuple] = {}  # event index -> version key
    exec_version: dict[int, tuple] = {}
    output_paths: dict[str, int] = {}  # path -> index of its last output event

    def add_version(path: str, v: tuple, want_hash: bool) -> tuple:
        key = (file_ids[path], v[0], v[1], v[2], v[3], v[4], v[5])
        versions.setdefault(key, None)
        if want_hash and stat.S_ISREG(v[5]) and not path.startswith(UNHASHED_PREFIXES):
            wanted.setdefault(tuple(v[:5]), path)
        return key

    def current_version(path: str) -> tuple | None:
        st = stats.get(path)
        if st is None or not stat.S_ISREG(st.st_mode):
            return None
        return stat_key(st) + (st.st_mode,)

    for i, ev in enumerate(rep.events):
        path = ev.path
        if path is None or ev.result < 0:
            continue
        kind = ev.kind
        if ev.version is not None:
            event_version[i] = add_version(path, ev.version, kind in (K.READ, K.CLOSE, K.EXEC))
        elif kind == K.READ and ev.op == "load":
            v = current_version(path)
            if v is not None:
                event_version[i] = add_version(path, v, True)
        if kind in OUTPUT_KINDS or (ev.op == "open" and kind == K.WRITE):
            output_paths[path] = i
        elif ev.op in ("rename",) and ev.path2:
            output_paths.pop(path, None)
            output_paths[ev.path2] = i

    for j, ex in enumerate(rep.execs):
        if ex.path:
            v = current_version(ex.path)
            if v is not None:
                exec_version[j] = add_version(ex.path, v, True)

    # Outputs: the version each written file was left in, hashed.
    end_events = []
    for path, i in output_paths.items():
        v = current_version(path)
        if v is None:
            continue
        key = add_version(path, v, True)
        ev = rep.events[i]
        if event_version.get(i) != key:
            end_events.append((ev, path, key))
    cached = _cached_hashes(conn, wanted)
    hashes, res.bytes_hashed, res.files_hashed = hash_versions(wanted, cached)
    for key in versions:
        versions[key] = hashes.get(key[1:6])
    now = time.time_ns()
    fresh = [(k + (h,)) for k, h in hashes.items() if k not in cached and not is_racy(k, now)]
    if fresh:
        conn.executemany("INSERT INTO hash_cache (dev, ino, size, mtime_ns, ctime_ns, hash) VALUES "
                         "(?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", fresh)
    version_ids = _version_ids(conn, versions)

    # --- run, processes, execs ----------------------------------------------------
    conn.execute(
        "INSERT INTO runs (id, label, argv, cwd, username, machine_id, start_ns, end_ns, exit_code, signal, "
        "env_mode, records, dropped, torn_bytes, blind_spots, record_seconds, bytes_hashed, provtrace_version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, meta.label, json.dumps(meta.argv), meta.cwd, meta.username, machine_id, meta.start_ns,
         meta.end_ns, meta.exit_code, meta.signal, meta.env_mode, records, dropped, torn_bytes,
         json.dumps(rep.blind_spots), meta.record_seconds, res.bytes_hashed, meta.provtrace_version))

    proc_base = ids.next("processes")
    conn.executemany(
        "INSERT INTO processes (id, run_id, pid, parent_id, ppid, creation, start_ns, end_ns, exit_code, signal) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((proc_base + p.index, run_id, p.pid, proc_base + p.parent.index if p.parent else None, p.ppid,
          p.creation, _wall(meta, p.start_ns), _wall(meta, p.end_ns), p.exit_code, p.signal) for p in rep.procs))
    res.processes = len(rep.procs)

    env_ids: dict[str, int] = {}
    env_rows: dict[str, str] = {}
    exec_env: list[str | None] = []
    seen_env: dict[tuple, str | None] = {}  # most execs share one environment: clean it once
    for ex in rep.execs:
        raw = tuple(ex.env) if ex.env is not None else None
        if raw in seen_env:
            exec_env.append(seen_env[raw])
            continue
        env = clean_env(ex.env, meta.env_mode, meta.lib_path)
        h = None
        if env is not None:
            text = json.dumps(env, sort_keys=True)
            h = blake3(text.encode()).hexdigest()[:32]
            env_rows[h] = text
        seen_env[raw] = h
        exec_env.append(h)
    if env_rows:
        conn.executemany("INSERT INTO envs (hash, env) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
                         env_rows.items())
        for h in env_rows:
            env_ids[h] = int(conn.execute("SELECT id FROM envs WHERE hash = ?", (h,)).fetchone()[0])

    exec_base = ids.next("execs")
    conn.executemany(
        "INSERT INTO execs (id, run_id, process_id, seq, ts_ns, file_id, version_id, argv, env_id, cwd, tracer, "
        "exe_class) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((exec_base + ex.index, run_id, proc_base + ex.proc.index, ex.seq, _wall(meta, ex.ts),
          file_ids.get(ex.path), version_ids.get(exec_version.get(j)), json.dumps(ex.argv),
          env_ids.get(exec_env[j]) if exec_env[j] else None, ex.cwd, ex.tracer, ex.exe_class)
         for j, ex in enumerate(rep.execs)))
    res.execs = len(rep.execs)

    # --- events -------------------------------------------------------------------
    ev_base = ids.next("file_events")
    rows = []
    for i, ev in enumerate(rep.events):
        rows.append((ev_base + i, run_id, proc_base + ev.proc.index,
                     exec_base + ev.image.index if ev.image is not None else None, ev.seq, _wall(meta, ev.ts),
                     ev.op, ev.kind, file_ids.get(ev.path) if ev.path else None,
                     file_ids.get(ev.path2) if ev.path2 else None, ev.flags, ev.mode, ev.fd, ev.result,
                     ev.errno, version_ids.get(event_version.get(i)), ev.api))
    n = len(rows)
    for k, (ev, path, key) in enumerate(end_events):
        rows.append((ev_base + n + k, run_id, proc_base + ev.proc.index,
                     exec_base + ev.image.index if ev.image is not None else None, ev.seq, _wall(meta, ev.ts),
                     "close", K.CLOSE, file_ids[path], None, None, None, None, 0, 0, version_ids.get(key),
                     "end-of-run"))
    conn.executemany(
        "INSERT INTO file_events (id, run_id, process_id, exec_id, seq, ts_ns, op, kind, file_id, file2_id, "
        "flags, mode, fd, result, errno, version_id, api) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)", rows)
    res.events = len(rows)

    net_base = ids.next("net_events")
    conn.executemany(
        "INSERT INTO net_events (id, run_id, process_id, exec_id, seq, ts_ns, op, family, address, port, host, fd, "
        "result, errno) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((net_base + i, run_id, proc_base + ne.proc.index,
          exec_base + ne.image.index if ne.image is not None else None, ne.seq, _wall(meta, ne.ts), ne.op,
          ne.family, ne.address, ne.port, ne.host, ne.fd, ne.result, ne.errno) for i, ne in enumerate(rep.net)))
    res.connections = sum(1 for ne in rep.net if ne.op in ("connect", "accept") and ne.result >= 0)

    ok = [ev for ev in rep.events if ev.result >= 0 and ev.path]
    res.files_read = len({ev.path for ev in ok if ev.kind == K.READ and ev.op == "open"})
    res.libraries = len({ev.path for ev in ok if ev.op == "load"})
    res.files_written = len({ev.path for ev in ok if ev.kind in (K.WRITE, K.CREATE) and ev.op == "open"})
    res.files_executed = len({ex.path for ex in rep.execs if ex.path})
    return res


def _wall(meta: RunMeta, ts: int | None) -> int | None:
    """Monotonic ns of a record -> wall-clock ns since the epoch."""
    if ts is None:
        return None
    wall = ts + meta.mono_offset_ns
    return wall if -(1 << 63) <= wall < (1 << 63) else None

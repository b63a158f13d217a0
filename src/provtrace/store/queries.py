"""Typed read-back queries: the run notebook, one run in detail, read-only SQL, and the
processes of a run with their execs (:func:`load_processes`: the model analysis and export share)."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from .errors import StoreError
from .sqlite import Store


def list_runs(store: Store, limit: int | None = None) -> list[dict[str, Any]]:
    """One row per run, newest last: id, label, argv, start, duration, exit, processes, files."""
    sql = """
        SELECT r.id, r.label, r.argv, r.cwd, r.start_ns, r.end_ns, r.exit_code, r.signal,
               (SELECT count(*) FROM processes p WHERE p.run_id = r.id) AS processes,
               (SELECT count(DISTINCT e.file_id) FROM file_events e
                 WHERE e.run_id = r.id AND e.kind IN ('read', 'write', 'create') AND e.op = 'open'
                   AND e.result >= 0) AS files
        FROM runs r ORDER BY r.id"""
    rows = store.query(sql)
    for row in rows:
        row["argv"] = json.loads(row["argv"])
        row["duration_s"] = (row["end_ns"] - row["start_ns"]) / 1e9 if row["end_ns"] else None
    return rows[-limit:] if limit else rows


def _files(store: Store, run_id: int, where: str) -> list[dict[str, Any]]:
    sql = f"""
        SELECT f.path, max(v.size) AS size, max(v.hash) AS hash
        FROM file_events e JOIN files f ON f.id = e.file_id
        LEFT JOIN versions v ON v.id = e.version_id
        WHERE e.run_id = ? AND e.result >= 0 AND ({where})
        GROUP BY f.path ORDER BY f.path"""
    return store.query(sql, (run_id,))


def run_detail(store: Store, run_id: int) -> dict[str, Any]:
    """Everything `provtrace show` prints: run, process tree, files, connections, env."""
    run = store.query("SELECT * FROM runs WHERE id = ?", (run_id,))[0]
    run["argv"] = json.loads(run["argv"])
    run["blind_spots"] = json.loads(run["blind_spots"] or "[]")
    machine = store.query("SELECT hostname, os, kernel, arch, cpu_model, cores, mem_bytes FROM machines "
                          "WHERE id = ?", (run["machine_id"],))
    procs = store.query("SELECT id, pid, parent_id, ppid, creation, start_ns, end_ns, exit_code, signal "
                        "FROM processes WHERE run_id = ? ORDER BY id", (run_id,))
    execs = store.query("""
        SELECT x.id, x.process_id, x.seq, x.argv, x.cwd, x.tracer, x.exe_class, f.path, v.hash
        FROM execs x LEFT JOIN files f ON f.id = x.file_id LEFT JOIN versions v ON v.id = x.version_id
        WHERE x.run_id = ? ORDER BY x.id""", (run_id,))
    by_proc: dict[int, list] = {}
    for x in execs:
        x["argv"] = json.loads(x["argv"])
        by_proc.setdefault(x["process_id"], []).append(x)
    for p in procs:
        p["execs"] = by_proc.get(p["id"], [])
    env_row = store.query("""
        SELECT en.env FROM execs x JOIN envs en ON en.id = x.env_id
        WHERE x.run_id = ? ORDER BY x.id LIMIT 1""", (run_id,))
    written = "e.kind IN ('write', 'create', 'close') AND e.op IN ('open', 'close')"
    return {
        "run": run,
        "machine": machine[0] if machine else None,
        "processes": procs,
        "files": {
            "read": _files(store, run_id, "e.kind = 'read' AND e.op = 'open' AND e.file_id NOT IN "
                                          f"(SELECT e.file_id FROM file_events e WHERE e.run_id = {run_id} "
                                          f"AND {written})"),
            "written": _files(store, run_id, written),
            "executed": store.query("""
                SELECT f.path, max(v.size) AS size, max(v.hash) AS hash
                FROM execs x JOIN files f ON f.id = x.file_id LEFT JOIN versions v ON v.id = x.version_id
                WHERE x.run_id = ? GROUP BY f.path ORDER BY f.path""", (run_id,)),
            "deleted": _files(store, run_id, "e.kind = 'delete'"),
            "libraries": _files(store, run_id, "e.op = 'load'"),
        },
        "connections": store.query("SELECT op, family, address, port, host, result, errno FROM net_events "
                                   "WHERE run_id = ? AND op != 'getaddrinfo' ORDER BY seq", (run_id,)),
        "env": json.loads(env_row[0]["env"]) if env_row else None,
    }


def readonly_sql(store: Store, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one statement on a read-only connection; return (column names, rows)."""
    if not store.readonly:
        raise StoreError("readonly_sql needs a store opened read-only")
    try:
        cur = store.conn.execute(sql)
    except sqlite3.Warning as exc:
        raise StoreError(f"SQL error: {exc}") from None
    except sqlite3.Error as exc:
        msg = str(exc)
        if "readonly" in msg or "read-only" in msg:
            msg = "the sql command is read-only (use SELECT)"
        raise StoreError(f"SQL error: {msg}") from None
    cols = [c[0] for c in cur.description or ()]
    try:
        return cols, cur.fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"SQL error: {exc}") from None


# --- processes and execs -------------------------------------------------------------


@dataclass(slots=True)
class Version:
    """A content version of a file (a ``versions`` row) and the path of its file.

    ``dev``, ``ino`` and ``ctime_ns`` are filled where a stat comparison needs them
    (the versions of execs); None elsewhere.
    """

    id: int
    path: str
    size: int | None
    hash: str | None
    mode: int | None
    mtime_ns: int | None
    dev: int | None = None
    ino: int | None = None
    ctime_ns: int | None = None

    @property
    def stat_key(self) -> tuple | None:
        """(dev, ino, size, mtime_ns, ctime_ns), when known."""
        return None if self.dev is None else (self.dev, self.ino, self.size, self.mtime_ns, self.ctime_ns)


def program_name(argv: list[str], path: str | None) -> str:
    """The program's short name: the basename of argv[0] (the interpreter, for a script), else of its path."""
    name = os.path.basename(argv[0]) if argv and argv[0] else os.path.basename(path or "")
    return name.lstrip("-")  # a login shell's argv[0] is "-bash"


@dataclass(eq=False, slots=True)
class Exec:
    """A program image loaded in a process (an ``execs`` row), with its executable's version."""

    id: int
    process_id: int
    seq: int  # 0: the image the process started with
    ts_ns: int | None
    argv: list[str]
    cwd: str | None
    env_id: int | None
    tracer: str
    exe_class: str | None
    path: str | None
    file_id: int | None
    version: Version | None
    script: Any = None  # analysis: the read of the script an interpreter ran (python fit.py -> fit.py)

    @property
    def hash(self) -> str | None:
        """The executable's content hash."""
        return self.version.hash if self.version else None

    @property
    def size(self) -> int | None:
        """The executable's size."""
        return self.version.size if self.version else None

    @property
    def stat_key(self) -> tuple | None:
        """The executable's (dev, ino, size, mtime_ns, ctime_ns), when known."""
        return self.version.stat_key if self.version else None

    @property
    def name(self) -> str:
        """Short program name (``python3``, ``sort``)."""
        return program_name(self.argv, self.path)

    @property
    def label(self) -> str:
        """The command line, as a shell would show it."""
        return shlex.join(self.argv) if self.argv else (self.path or "?")


@dataclass(eq=False, slots=True)
class Process:
    """A process of a run with its execs, in order, and (where its loader links them) its children."""

    id: int
    run_id: int
    pid: int
    parent_id: int | None
    creation: str | None
    start_ns: int | None
    end_ns: int | None
    exit_code: int | None
    signal: int | None
    execs: list[Exec] = field(default_factory=list)
    children: list[Process] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The commands this process ran (``(forked)`` if it never exec'd)."""
        return " ; ".join(x.label for x in self.execs) if self.execs else "(forked, no exec)"


def load_processes(store: Store, column: str, value: int) -> list[Process]:
    """The processes whose ``column`` (``id``, ``run_id`` or ``parent_id``) is ``value``, by id, with their execs.

    Children are not linked: callers that load a whole run do that, in the order they need.
    """
    if column not in ("id", "run_id", "parent_id"):
        raise ValueError(f"cannot load processes by {column!r}")
    procs = [Process(*r) for r in store.iter_query(
        "SELECT id, run_id, pid, parent_id, creation, start_ns, end_ns, exit_code, signal "
        f"FROM processes WHERE {column} = ? ORDER BY id", (value,))]
    if not procs:
        return procs
    by_id = {p.id: p for p in procs}
    versions: dict[int, Version] = {}  # one object per version (a build's 1,000 compilers share one)
    for r in store.iter_query(
            "SELECT x.id, x.process_id, x.seq, x.ts_ns, x.argv, x.cwd, x.env_id, x.tracer, x.exe_class, f.path, "
            "x.file_id, v.id, vf.path, v.size, v.hash, v.mode, v.mtime_ns, v.dev, v.ino, v.ctime_ns "
            "FROM processes p JOIN execs x ON x.process_id = p.id LEFT JOIN files f ON f.id = x.file_id "
            "LEFT JOIN versions v ON v.id = x.version_id LEFT JOIN files vf ON vf.id = v.file_id "
            f"WHERE p.{column} = ? ORDER BY x.process_id, x.seq", (value,)):
        version = None
        if r[11] is not None and r[12] is not None:
            version = versions.get(r[11])
            if version is None:
                version = versions[r[11]] = Version(*r[11:])
        by_id[r[1]].execs.append(Exec(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], r[8], r[9],
                                      r[10], version))
    return procs

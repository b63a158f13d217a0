"""Typed read-back queries: the run notebook, one run in detail, read-only SQL."""

from __future__ import annotations

import json
import sqlite3
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

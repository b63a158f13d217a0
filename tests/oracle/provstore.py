"""Read what provtrace recorded for one run, straight from the SQLite store.

Plain ``sqlite3`` on purpose: the oracle must not trust provtrace's own query
layer to tell it what provtrace recorded.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field


@dataclass
class PtEvent:
    pid: int
    seq: int
    op: str
    kind: str
    path: str | None
    path2: str | None
    flags: int
    ok: bool
    api: str | None

    def describe(self) -> str:
        second = f" -> {self.path2}" if self.path2 else ""
        return f"op={self.op} flags={self.flags:#o} api={self.api} seq={self.seq}{second}"


@dataclass
class PtExec:
    pid: int
    seq: int
    path: str | None
    argv: list[str]
    tracer: str
    exe_class: str | None


@dataclass
class PtNet:
    pid: int
    op: str
    family: str | None
    address: str | None
    port: int | None
    ok: bool


@dataclass
class PtRun:
    run_id: int
    root_pid: int | None
    exit_code: int | None
    signal: int | None
    dropped: int
    blind_spots: list
    procs: dict[int, str | None] = field(default_factory=dict)  # pid -> creation
    parents: dict[int, int | None] = field(default_factory=dict)  # pid -> parent pid
    events: list[PtEvent] = field(default_factory=list)
    execs: list[PtExec] = field(default_factory=list)
    net: list[PtNet] = field(default_factory=list)

    def realpaths(self) -> dict[int, list[tuple[str, str | None]]]:
        out: dict[int, list[tuple[str, str | None]]] = {}
        for ev in self.events:
            if ev.op == "realpath" and ev.path:
                out.setdefault(ev.pid, []).append((ev.path, ev.path2))
        return out


def _failed(result: int | None, errno: int | None) -> bool:
    return (result is not None and result < 0) or bool(errno)


def load_run(store: str, run_id: int | None = None) -> PtRun:
    """The run ``run_id`` (default: the latest) of the store at ``store``."""
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        if run_id is None:
            row = con.execute("SELECT max(id) FROM runs").fetchone()
            if row is None or row[0] is None:
                raise LookupError(f"no run in {store}")
            run_id = int(row[0])
        exit_code, signal, dropped, blind = con.execute(
            "SELECT exit_code, signal, dropped, blind_spots FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        run = PtRun(run_id, None, exit_code, signal, dropped or 0, json.loads(blind or "[]"))
        for pid, creation, ppid in con.execute(
            "SELECT p.pid, p.creation, q.pid FROM processes p LEFT JOIN processes q ON q.id = p.parent_id"
            " WHERE p.run_id = ?",
            (run_id,),
        ):
            run.procs[pid] = creation
            run.parents[pid] = ppid
            if creation == "root":
                run.root_pid = pid
        for pid, seq, op, kind, path, path2, flags, result, errno, api in con.execute(
            "SELECT p.pid, e.seq, e.op, e.kind, f1.path, f2.path, e.flags, e.result, e.errno, e.api"
            " FROM file_events e JOIN processes p ON p.id = e.process_id"
            " LEFT JOIN files f1 ON f1.id = e.file_id LEFT JOIN files f2 ON f2.id = e.file2_id"
            " WHERE e.run_id = ? ORDER BY e.seq",
            (run_id,),
        ):
            run.events.append(
                PtEvent(pid, seq, op, kind, path, path2, flags or 0, not _failed(result, errno), api)
            )
        for pid, seq, path, argv, tracer, exe_class in con.execute(
            "SELECT p.pid, x.seq, f.path, x.argv, x.tracer, x.exe_class FROM execs x"
            " JOIN processes p ON p.id = x.process_id LEFT JOIN files f ON f.id = x.file_id"
            " WHERE x.run_id = ? ORDER BY p.pid, x.seq",
            (run_id,),
        ):
            run.execs.append(PtExec(pid, seq, path, json.loads(argv), tracer, exe_class))
        for pid, op, family, address, port, result, errno in con.execute(
            "SELECT p.pid, n.op, n.family, n.address, n.port, n.result, n.errno FROM net_events n"
            " JOIN processes p ON p.id = n.process_id WHERE n.run_id = ? ORDER BY n.seq",
            (run_id,),
        ):
            ok = not _failed(result, errno) or (op == "connect" and errno == 115)  # EINPROGRESS
            run.net.append(PtNet(pid, op, family, address, port, ok))
        return run
    finally:
        con.close()


def rows(store, sql: str, *args) -> list[tuple]:
    """All rows of one query on a store file (opened and closed here)."""
    con = sqlite3.connect(store)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()

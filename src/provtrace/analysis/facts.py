"""Provenance facts read from the store: processes, execs, file events, and the links between them.

:class:`Prov` answers the questions every analysis asks — what did this process read
and write, which exec ran it, who wrote the version it read (in this run or an
earlier one, joined by content hash), which scripts launched it — with one indexed query per process, memoised.  Lineage and
status walk it; graph, classification and diff load whole runs with :meth:`Prov.run_events`.

An event is a plain tuple, :data:`Ev`, whose fields are named by position
(``e[E_PATH]``), as ``stat.ST_MTIME`` names those of ``os.stat_result``: a run has
100k events, and the garbage collector stops scanning a plain tuple after its first
look but rescans namedtuples and objects in every full collection.

Two rules the store does not spell out, decided here once:

* **Effective exec.**  A forked child that opens a file before it execs (a shell
  redirect, ``cmd > out``) is recorded under its parent's image; the data is then
  written by the program it execs.  Such events belong to the process's first own exec.
* **Pipes.**  The store does not record pipes yet, so data passed through ``a | b``
  is not followed (fork timing cannot tell a pipeline from sequential commands).
  Should ingest store pipe ends as pseudo-files named ``pipe:...``, they join like
  files, in either order within the run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Iterable

from ..store import Store
from ..store.queries import Exec, Process, load_processes
from .errors import EmptyStoreError
from .paths import is_interpreter, is_system, resolve

WRITERS_PER_HASH = 500  # the newest writers of one content considered (re-runs write the same content)
BULK_AFTER = 20  # per-process event loads in one run before loading the whole run at once
IO_KINDS = ("read", "write", "create", "close", "delete", "rename")
_SKIP_OPS = ("mkdir", "mknod", "symlink", "link")

_EVENT_COLS = """e.id, e.run_id, e.process_id, e.exec_id, e.seq, e.ts_ns, e.op, e.kind, e.api, e.file_id,
    f.path, e.file2_id, e.version_id, v.hash, v.size, v.dev, v.ino, v.mtime_ns, v.ctime_ns"""
_EVENT_FROM = """FROM file_events e JOIN files f ON f.id = e.file_id
    LEFT JOIN versions v ON v.id = e.version_id"""
_IO_FILTER = (f"e.kind IN {IO_KINDS!r} AND e.op NOT IN {_SKIP_OPS!r} "
              "AND (e.result IS NULL OR e.result >= 0)")
# A whole run is read without joins (a join per row is most of the query's time), then the
# files and versions it names, once each, by id in batches under SQLite's parameter limit.
_RUN_EVENT_COLS = ("e.id, e.process_id, e.exec_id, e.seq, e.ts_ns, e.op, e.kind, e.api, e.file_id, e.file2_id, "
                   "e.version_id")
_VERSION_COLS = "v.hash, v.size, v.dev, v.ino, v.mtime_ns, v.ctime_ns"
_NO_VERSION = (None,) * 6
IDS_PER_QUERY = 900


Ev = tuple
"""One file event with its path and the version it carries (None when it carries none), in the
order of ``_EVENT_COLS``: id, run_id, process_id, exec_id, seq, ts_ns, op, kind, api, file_id,
path, file2_id, version_id, hash, size, dev, ino, mtime_ns, ctime_ns."""
(E_ID, E_RUN, E_PROC, E_EXEC, E_SEQ, E_TS, E_OP, E_KIND, E_API, E_FILE, E_PATH, E_FILE2, E_VERSION, E_HASH,
 E_SIZE, E_DEV, E_INO, E_MTIME, E_CTIME) = range(19)
# kind "read": a successful read of content (open for reading, or a shared object mapped);
# WRITE_KINDS: an open for writing/creating, or the close that carries the version left.
WRITE_KINDS = frozenset(("write", "create", "close"))


def stat_key_of(e: Ev) -> tuple | None:
    """(dev, ino, size, mtime_ns, ctime_ns) of the version an event carries, when known."""
    if e[E_VERSION] is None or e[E_DEV] is None:
        return None
    return (e[E_DEV], e[E_INO], e[E_SIZE], e[E_MTIME], e[E_CTIME])


def content_key(e: Ev) -> str | None:
    """Identity of the content an event carries: its hash, else the stat version (same file, same tuple)."""
    if e[E_HASH]:
        return e[E_HASH]
    return f"version:{e[E_VERSION]}" if e[E_VERSION] is not None else None


def first_reads(events: Iterable[Ev]) -> list[Ev]:
    """The distinct versions read among events (first read of each path and content)."""
    seen: set = set()
    out = []
    for e in events:
        if e[E_KIND] == "read":
            k = (e[E_PATH], e[E_HASH] or content_key(e))
            if k not in seen:
                seen.add(k)
                out.append(e)
    return out


@dataclass
class RunInfo:
    """The run row, decoded, with its machine's host name."""

    id: int
    argv: list[str]
    cwd: str
    label: str | None
    start_ns: int
    end_ns: int | None
    exit_code: int | None
    signal: int | None
    machine_id: int | None
    hostname: str | None
    username: str | None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return dict(self.__dict__)


class Prov:
    """Memoised, indexed access to the provenance in a store (read-only)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._runs: dict[int, RunInfo] = {}
        self._procs: dict[int, Process] = {}
        self._events: dict[int, list[Ev]] = {}
        self._children: dict[int, list[Process]] = {}
        self._writers: dict[tuple, list[tuple[Ev, int]]] = {}
        self._loads_per_run: dict[int, int] = {}
        self._run_events: dict[int, list[Ev]] = {}
        self._run_procs: dict[int, list[Process]] = {}
        self._prefetched: set[tuple[int, bool]] = set()

    # --- runs, processes, execs ----------------------------------------------

    def require_runs(self) -> None:
        """Raise :class:`EmptyStoreError` when the store has no run."""
        if self.store.conn.execute("SELECT 1 FROM runs LIMIT 1").fetchone() is None:
            raise EmptyStoreError("the store has no runs yet (record one with `provtrace record -- CMD`)")

    def run(self, run_id: int) -> RunInfo:
        """The run with that id (memoised)."""
        info = self._runs.get(run_id)
        if info is None:
            row = self.store.query(
                "SELECT r.id, r.argv, r.cwd, r.label, r.start_ns, r.end_ns, r.exit_code, r.signal, r.machine_id, "
                "m.hostname, r.username FROM runs r LEFT JOIN machines m ON m.id = r.machine_id WHERE r.id = ?",
                (run_id,))[0]
            row["argv"] = json.loads(row["argv"])
            info = self._runs[run_id] = RunInfo(**row)
        return info

    def _load_procs(self, column: str, value: int) -> list[Process]:
        procs = load_processes(self.store, column, value)
        for p in procs:
            self._procs.setdefault(p.id, p)
        return [self._procs[p.id] for p in procs]

    def process(self, process_id: int) -> Process:
        """The process with that id, with its execs (memoised)."""
        proc = self._procs.get(process_id)
        if proc is None:
            proc = self._load_procs("id", process_id)[0]
        return proc

    def run_processes(self, run_id: int) -> list[Process]:
        """Every process of a run, in creation order (memoised)."""
        procs = self._run_procs.get(run_id)
        if procs is not None:
            return procs
        procs = self._run_procs[run_id] = self._load_procs("run_id", run_id)
        kids: dict[int, list[Process]] = {p.id: [] for p in procs}
        for p in procs:
            if p.parent_id in kids:
                kids[p.parent_id].append(p)
        self._children.update(kids)
        return procs

    def children(self, process_id: int) -> list[Process]:
        """The processes this one started, in creation order."""
        kids = self._children.get(process_id)
        if kids is None:
            kids = self._children[process_id] = self._load_procs("parent_id", process_id)
        return kids

    # --- events ---------------------------------------------------------------

    def events(self, process_id: int) -> list[Ev]:
        """Successful reads, writes, closes, deletes and renames of one process, in order."""
        evs = self._events.get(process_id)
        if evs is None:
            run_id = self.process(process_id).run_id
            n = self._loads_per_run[run_id] = self._loads_per_run.get(run_id, 0) + 1
            if n >= BULK_AFTER and run_id not in self._run_events:
                self.run_events(run_id)  # many processes of one run wanted: one query for all
                return self._events[process_id]
            evs = self._events[process_id] = list(self.store.iter_query(
                f"SELECT {_EVENT_COLS} {_EVENT_FROM} WHERE e.process_id = ? AND {_IO_FILTER} ORDER BY e.seq",
                (process_id,)))
            self._attach_scripts(self.process(process_id), evs)
        return evs

    def run_events(self, run_id: int) -> list[Ev]:
        """Every I/O event of a run (as :meth:`events`), in order; fills the per-process memo."""
        evs = self._run_events.get(run_id)
        if evs is not None:
            return evs
        rows = list(self.store.iter_query(
            f"SELECT {_RUN_EVENT_COLS} FROM file_events e WHERE e.run_id = ? AND e.file_id IS NOT NULL "
            f"AND {_IO_FILTER}", (run_id,)))
        rows.sort(key=itemgetter(3, 0))  # (seq, id): cheaper here than ORDER BY in SQL
        paths = dict(self._rows_by_id("SELECT id, path FROM files WHERE id IN ({})", {r[8] for r in rows}))
        versions = {r[0]: r[1:] for r in self._rows_by_id(
            f"SELECT v.id, {_VERSION_COLS} FROM versions v WHERE v.id IN ({{}})", {r[10] for r in rows} - {None})}
        no_version = _NO_VERSION
        evs = self._run_events[run_id] = [
            (i, run_id, p, x, seq, ts, op, kind, api, f, paths[f], f2, v) + versions.get(v, no_version)
            for i, p, x, seq, ts, op, kind, api, f, f2, v in rows if f in paths]
        per: dict[int, list[Ev]] = {p.id: [] for p in self.run_processes(run_id)}
        for e in evs:
            per.setdefault(e[E_PROC], []).append(e)
        for pid, lst in per.items():
            if pid not in self._events:
                self._events[pid] = lst
                self._attach_scripts(self.process(pid), lst)
        return evs

    def _rows_by_id(self, sql: str, ids: set[int]) -> list[tuple]:
        """The rows of ``sql`` (``... WHERE id IN ({})``) for many ids, in batches."""
        wanted = sorted(ids)
        out: list[tuple] = []
        for i in range(0, len(wanted), IDS_PER_QUERY):
            chunk = wanted[i:i + IDS_PER_QUERY]
            out += self.store.iter_query(sql.format(",".join("?" * len(chunk))), tuple(chunk))
        return out

    def effective_exec(self, proc: Process, ev: Ev) -> Exec | None:
        """The program image an event belongs to (pre-exec redirects go to the exec that follows)."""
        if len(proc.execs) < 2:
            return proc.execs[0] if proc.execs else None
        best = proc.execs[0]
        for x in proc.execs:
            if x.id == ev[E_EXEC]:
                return x
            if x.ts_ns is not None and ev[E_TS] is not None and x.ts_ns <= ev[E_TS]:
                best = x
        return best

    def _attach_scripts(self, proc: Process, evs: list[Ev]) -> None:
        """Find the script each interpreter exec ran: the first argv path it read."""
        for x in proc.execs:
            if x.script is not None or not is_interpreter(x.path):
                continue
            read = {e[E_PATH]: e for e in evs if e[E_KIND] == "read" and e[E_EXEC] == x.id}
            for arg in x.argv[1:]:
                if arg.startswith("-") or not arg:
                    continue
                e = read.get(resolve(x.cwd, arg))
                if e is not None:
                    x.script = e
                    break

    def reads(self, process_id: int) -> list[Ev]:
        """Distinct versions a process read (first read of each path and content)."""
        return first_reads(self.events(process_id))

    def writes(self, process_id: int) -> list[Ev]:
        """The versions a process left in files it wrote: the last write event of each path."""
        last: dict[str, Ev] = {}
        for e in self.events(process_id):
            if e[E_KIND] in WRITE_KINDS:
                prev = last.get(e[E_PATH])
                if prev is None or e[E_KIND] == "close" or prev[E_KIND] != "close":
                    last[e[E_PATH]] = e
        return list(last.values())

    # --- links ------------------------------------------------------------------

    def writer_of(self, ev: Ev) -> Ev | None:
        """The write that produced the version ``ev`` read, in this run or an earlier one.

        Joined by content hash across runs (the latest writer before the reader's run,
        preferring the same run, then the same path); an empty or unhashed version falls
        back to the last writer of the same path earlier in the same run.
        """
        found = self._writer_by_hash(ev) if ev[E_HASH] and ev[E_SIZE] else None
        return found if found is not None else self._writer_in_run(ev)

    def prefetch_writers(self, evs: Iterable[Ev]) -> None:
        """Look up the writers of many hashed versions at once (what :meth:`writer_of` would query one by one)."""
        wanted = sorted({e[E_HASH] for e in evs
                         if e[E_HASH] and e[E_SIZE] and ("hash", e[E_HASH]) not in self._writers})
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            for h in chunk:
                self._writers[("hash", h)] = []
            marks = ",".join("?" * len(chunk))
            for r in self.store.iter_query(
                    f"SELECT * FROM (SELECT {_EVENT_COLS}, r.start_ns, ROW_NUMBER() OVER (PARTITION BY v.hash "
                    "ORDER BY r.start_ns DESC, e.seq DESC) AS nth FROM versions v "
                    "JOIN file_events e ON e.version_id = v.id JOIN files f ON f.id = e.file_id "
                    f"JOIN runs r ON r.id = e.run_id WHERE v.hash IN ({marks}) AND e.kind = 'close') "
                    f"WHERE nth <= {WRITERS_PER_HASH}", chunk):
                self._writers[("hash", r[E_HASH])].append((r[:-2], r[-2]))

    def prefetch_for(self, process_id: int, system: bool = False) -> None:
        """Prefetch writers of what a process read — of what its whole run read, once it is bulk-loaded."""
        run_id = self.process(process_id).run_id
        if run_id in self._run_events:
            if (run_id, system) in self._prefetched:
                return
            self._prefetched.add((run_id, system))
            evs: Iterable[Ev] = self._run_events[run_id]
        else:
            evs = self.events(process_id)
        self.prefetch_writers(e for e in evs if e[E_KIND] == "read" and (system or not is_system(e[E_PATH])))

    def _writer_by_hash(self, ev: Ev) -> Ev | None:
        cands = self._writers.get(("hash", ev[E_HASH]))
        if cands is None:  # every close that left this content, newest run first (bounded)
            cands = self._writers[("hash", ev[E_HASH])] = [
                (r[:-1], r[-1]) for r in self.store.iter_query(
                    f"SELECT {_EVENT_COLS}, r.start_ns FROM versions v JOIN file_events e ON e.version_id = v.id "
                    "JOIN files f ON f.id = e.file_id JOIN runs r ON r.id = e.run_id "
                    f"WHERE v.hash = ? AND e.kind = 'close' ORDER BY r.start_ns DESC, e.seq DESC LIMIT {WRITERS_PER_HASH}",
                    (ev[E_HASH],))]
        if not cands:
            return None
        run_id, start = ev[E_RUN], self.run(ev[E_RUN]).start_ns
        best, best_rank = None, ()
        for w, w_start in cands:
            if w[E_PROC] == ev[E_PROC] or w_start > start or (w[E_RUN] == run_id and w[E_SEQ] > ev[E_SEQ]):
                continue
            rank = (w[E_RUN] == run_id, w[E_PATH] == ev[E_PATH], w_start, w[E_SEQ])
            if best is None or rank > best_rank:
                best, best_rank = w, rank
        return best

    def _writer_in_run(self, ev: Ev) -> Ev | None:
        run_id = ev[E_RUN]
        key = ("path", ev[E_FILE], run_id)
        cands = self._writers.get(key)
        if cands is None and run_id not in self._run_events:
            n = self._loads_per_run[run_id] = self._loads_per_run.get(run_id, 0) + 1
            if n >= BULK_AFTER:
                self.run_events(run_id)
        if cands is None and run_id in self._run_events:  # whole run in memory: index its writes once
            if ("indexed", run_id) not in self._writers:
                self._writers[("indexed", run_id)] = []
                for w in self._run_events[run_id]:
                    if w[E_KIND] in WRITE_KINDS:
                        self._writers.setdefault(("path", w[E_FILE], run_id), []).append((w, 0))
            cands = self._writers.setdefault(key, [])
        if cands is None:
            cands = self._writers[key] = [(r, 0) for r in self.store.iter_query(
                f"SELECT {_EVENT_COLS} {_EVENT_FROM} WHERE e.file_id = ? AND e.run_id = ? "
                "AND e.kind IN ('write', 'create', 'close') AND (e.result IS NULL OR e.result >= 0) "
                "ORDER BY e.seq, e.id", (ev[E_FILE], run_id))]
        pipe = ev[E_PATH].startswith("pipe:")  # pipe ends are concurrent: any order
        found = None
        for w, _ in cands:
            if w[E_PROC] != ev[E_PROC] and (pipe or w[E_SEQ] <= ev[E_SEQ]):
                found = w
        return found

    def launchers(self, process_id: int) -> list[Process]:
        """The ancestors of a process, parent first, up to the recorded command."""
        out = []
        proc = self.process(process_id)
        seen = {proc.id}
        while proc.parent_id is not None and proc.parent_id not in seen:
            proc = self.process(proc.parent_id)
            seen.add(proc.id)
            out.append(proc)
        return out

    def scripts(self, proc: Process) -> list[Ev]:
        """Scripts run by the interpreters this process exec'd."""
        self.events(proc.id)
        return [x.script for x in proc.execs if x.script is not None]

    def exec_writes(self, proc: Process, exe: Exec | None) -> Iterable[Ev]:
        """Writes of a process attributed to one of its execs (all, if ``exe`` is None)."""
        for e in self.writes(proc.id):
            if exe is None or self.effective_exec(proc, e) is exe:
                yield e


def version_on_disk(path: str) -> os.stat_result | None:
    """``os.stat`` of a path, or None if it is gone or unreadable."""
    try:
        return os.stat(path)
    except OSError:
        return None

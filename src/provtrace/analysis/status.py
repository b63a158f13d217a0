"""Staleness (`provtrace status`): like ``make -n``, from recorded provenance instead of rules.

A recorded output is **stale** when something it was made from now differs on disk
from the version that made it: a file its writer read, the writer's executable or
script, the script of a process that launched the writer (``bash analyse.sh``), or —
transitively — an input that is itself a recorded output and is stale.  It is
**missing** when it is gone, **modified** when the file on disk is not the version
recorded (changed outside a recorded run), **current** otherwise.

"Differs" is decided by the stat tuple first (dev, inode, size, mtime, ctime); a file
whose tuple changed is hashed, and only a different content hash counts.  System
files (libraries, interpreter modules, /etc) are not inputs here unless ``system``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from ..hashing import hash_file, stat_key
from ..store import Store
from .errors import UnknownPathError
from .facts import _EVENT_COLS, E_HASH, E_KIND, E_PATH, E_PROC, E_RUN, E_SEQ, WRITE_KINDS, Ev, Prov, stat_key_of
from .paths import is_system

STATES = ("stale", "missing", "modified", "current")


@dataclass
class OutputStatus:
    """One recorded output and whether it is up to date."""

    path: str
    state: str
    run_id: int
    hash: str | None
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StatusReport:
    """The answer of :func:`status`."""

    outputs: list[OutputStatus]

    @property
    def ok(self) -> bool:
        """True when every output is current."""
        return all(o.state == "current" for o in self.outputs)

    def counts(self) -> dict[str, int]:
        """Outputs per state."""
        return {s: sum(o.state == s for o in self.outputs) for s in STATES}

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"ok": self.ok, "counts": self.counts(), "outputs": [asdict(o) for o in self.outputs]}


class _Checker:
    def __init__(self, store: Store, prov: Prov, system: bool) -> None:
        self.store = store
        self.prov = prov
        self.system = system
        self.disk: dict[tuple, str] = {}
        self.steps: dict[int, list[dict[str, Any]]] = {}

    def on_disk(self, path: str, skey: tuple | None, digest: str | None) -> str:
        """'same', 'changed' or 'missing': the file now versus a recorded version."""
        memo = (path, skey, digest)
        if memo in self.disk:
            return self.disk[memo]
        try:
            st = os.stat(path)
        except OSError:
            result = "missing"
        else:
            now = stat_key(st)
            if skey is not None and now == skey:
                result = "same"
            elif digest is None:
                result = "changed"
            else:
                cached = self.store.conn.execute(
                    "SELECT hash FROM hash_cache WHERE dev = ? AND ino = ? AND size = ? AND mtime_ns = ? "
                    "AND ctime_ns = ?", now).fetchone()
                current = cached[0] if cached else (hash_file(path) or (None,))[0]
                result = "same" if current == digest else "changed"
        self.disk[memo] = result
        return result

    def step(self, process_id: int) -> list[dict[str, Any]]:
        """Reasons the outputs of this process are stale (empty: current)."""
        if process_id in self.steps:
            return self.steps[process_id]
        self.steps[process_id] = []  # a cycle counts as current
        prov = self.prov
        proc = prov.process(process_id)
        reasons: list[dict[str, Any]] = []
        for x in proc.execs:
            if x.path and self.on_disk(x.path, x.stat_key, x.hash) != "same":
                reasons.append({"path": x.path, "why": "executable " + self.on_disk(x.path, x.stat_key, x.hash)})
        prov.prefetch_for(process_id, self.system)
        deps = [(e, "input") for e in prov.reads(process_id)]
        deps += [(s, "script of launcher") for p in prov.launchers(process_id) for s in prov.scripts(p)]
        first_write: dict[str, int] = {}
        for e in prov.events(process_id):
            if e[E_KIND] in WRITE_KINDS:
                first_write.setdefault(e[E_PATH], e[E_SEQ])
        seen = set()
        for ev, what in deps:
            path = ev[E_PATH]
            if path in seen or ev[E_SEQ] > first_write.get(path, ev[E_SEQ]):
                continue
            seen.add(path)
            if not self.system and is_system(path):
                continue
            reasons.extend(self.dep(ev, what))
        self.steps[process_id] = reasons
        return reasons

    def dep(self, ev: Ev, what: str) -> list[dict[str, Any]]:
        path = ev[E_PATH]
        state = self.on_disk(path, stat_key_of(ev), ev[E_HASH])
        writer = self.prov.writer_of(ev)
        if state == "same" or (state == "missing" and writer is not None and not ev[E_HASH]):
            if writer is not None and self.step(writer[E_PROC]):
                return [{"path": path, "why": f"{what} is stale"}]
            return []
        return [{"path": path, "why": f"{what} {state}"}]


def _outputs(store: Store, prefixes: list[str], run_id: int | None) -> dict[str, Ev]:
    """The latest recorded write of each output path (under the prefixes, or of one run)."""
    where, params = [], []
    if run_id is not None:
        where.append("e.run_id = ?")
        params.append(run_id)
    else:
        ors = []
        for p in prefixes:
            ors.append("(f.path = ? OR (f.path >= ? AND f.path < ?))")
            base = p.rstrip("/")
            params += [p, base + "/", base + "0"]
        where.append("(" + " OR ".join(ors) + ")")
    rows = store.iter_query(
        f"SELECT {_EVENT_COLS}, r.start_ns FROM file_events e JOIN files f ON f.id = e.file_id "
        "JOIN versions v ON v.id = e.version_id JOIN runs r ON r.id = e.run_id "
        f"WHERE e.kind = 'close' AND v.hash IS NOT NULL AND {' AND '.join(where)} "
        "ORDER BY r.start_ns, e.seq", params)
    latest: dict[str, Ev] = {}
    for r in rows:
        latest[r[E_PATH]] = r[:-1]
    return latest


def status(store: Store, paths: list[str] | None = None, run: int | None = None, system: bool = False) -> StatusReport:
    """Which recorded outputs are stale, missing, modified or current.

    :param paths: files or directories whose recorded outputs to check (default: the
        current directory).
    :param run: check the outputs of this run instead.
    :param system: count system files (libraries, interpreter modules, /etc) as inputs.
    """
    prov = Prov(store)
    prov.require_runs()
    prefixes = [os.path.abspath(p) for p in (paths or [os.getcwd()])]
    outputs = _outputs(store, prefixes, run)
    if paths and run is None:
        for p in prefixes:
            if not any(o == p or o.startswith(p.rstrip("/") + "/") for o in outputs):
                raise UnknownPathError(f"no recorded run wrote {p}" + (" or anything below it" if os.path.isdir(p) else ""))
    checker = _Checker(store, prov, system)
    result = []
    for path in sorted(outputs):
        ev = outputs[path]
        if not system and is_system(path):
            continue
        disk = checker.on_disk(path, stat_key_of(ev), ev[E_HASH])
        reasons = checker.step(ev[E_PROC])
        if disk == "missing":
            state = "missing"
        elif disk == "changed":
            state = "modified"
        else:
            state = "stale" if reasons else "current"
        result.append(OutputStatus(path, state, ev[E_RUN], ev[E_HASH], reasons if state != "current" else []))
    return StatusReport(result)

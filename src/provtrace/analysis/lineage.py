"""Lineage (`provtrace why PATH`): which process of which run made a file, from what, recursively.

The file on disk is matched to a recorded version by content hash.  Its writer is
found (the process, the exec, the run), then the versions that process read, and
for each of those, recursively, its own writer — across runs, since a version
written by run 3 and read by run 5 carries the same hash in both.  The scripts of
the processes that launched the writer (``bash analyse.sh``) are part of the answer.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from ..hashing import hash_file, stat_key
from ..store import Store
from .errors import UnknownPathError
from .facts import (_EVENT_COLS, _EVENT_FROM, E_HASH, E_KIND, E_PATH, E_PROC, E_RUN, E_SEQ, E_SIZE, WRITE_KINDS,
                    Ev, Exec, Process, Prov)
from .paths import is_config, is_system


@dataclass
class VersionNode:
    """A version of a file in the lineage tree, and how it was made (if a recorded run made it)."""

    path: str
    hash: str | None
    size: int | None
    role: str                      # output | script | config | read | launcher-script
    run_id: int | None = None      # run in which it was read or written
    made_by: "Step | None" = None
    note: str | None = None        # "not written by any recorded run", "shown above", "depth limit"
    exists: bool | None = None     # the file is still on disk


@dataclass
class Step:
    """A process that wrote a version, with what it read and what launched it."""

    run_id: int
    run_argv: list[str]
    host: str | None
    process_id: int
    pid: int
    start_ns: int | None
    exit_code: int | None
    command: list[str]
    executable: str | None
    executable_hash: str | None
    cwd: str | None
    launched_by: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[VersionNode] = field(default_factory=list)
    note: str | None = None


@dataclass
class Lineage:
    """The answer of :func:`why`: the state of the file on disk and one tree per version asked."""

    path: str
    state: str                     # current | differs | missing
    message: str
    versions: list[VersionNode]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return asdict(self)


class _Walker:
    def __init__(self, prov: Prov, depth: int | None, system: bool) -> None:
        self.prov = prov
        self.depth = depth
        self.system = system
        self.expanded: set[int] = set()
        self.launchers_shown: set[int] = set()

    def node(self, ev: Ev, role: str, level: int) -> VersionNode:
        node = VersionNode(ev[E_PATH], ev[E_HASH], ev[E_SIZE], role, ev[E_RUN])
        writer = self.prov.writer_of(ev) if ev[E_KIND] == "read" else ev
        if writer is None:
            node.note = "not written by any recorded run"
        else:
            node.made_by = self.step(self.prov.process(writer[E_PROC]), writer, level + 1)
        return node

    def step(self, proc: Process, writer: Ev | None, level: int) -> Step:
        prov = self.prov
        run = prov.run(proc.run_id)
        exe: Exec | None = prov.effective_exec(proc, writer) if writer else (proc.execs[-1] if proc.execs else None)
        if exe is None:  # a forked shell that never exec'd: it runs its parent's image
            exe = next((x for p in prov.launchers(proc.id) for x in reversed(p.execs)), None)
        step = Step(run.id, run.argv, run.hostname, proc.id, proc.pid, proc.start_ns, proc.exit_code,
                    exe.argv if exe else [], exe.path if exe else None, exe.hash if exe else None,
                    exe.cwd if exe else None)
        if proc.id in self.expanded:
            step.note = "shown above"
            return step
        if self.depth is not None and level > self.depth:
            step.note = "depth limit"
            return step
        self.expanded.add(proc.id)
        for launcher in prov.launchers(proc.id):
            scripts = []
            if launcher.id not in self.launchers_shown:  # a launcher's scripts are listed once
                self.launchers_shown.add(launcher.id)
                scripts = [self.node(s, "launcher-script", level) for s in prov.scripts(launcher)
                           if self.system or not is_system(s[E_PATH])]
            step.launched_by.append({"process_id": launcher.id, "pid": launcher.pid,
                                     "command": launcher.execs[-1].argv if launcher.execs else [],
                                     "scripts": scripts})
        script_paths = {s[E_PATH] for s in prov.scripts(proc)}
        first_write: dict[str, int] = {}
        for e in prov.events(proc.id):
            if e[E_KIND] in WRITE_KINDS:
                first_write.setdefault(e[E_PATH], e[E_SEQ])
        reads = prov.reads(proc.id)
        prov.prefetch_for(proc.id, self.system)
        for ev in reads:
            path = ev[E_PATH]
            if ev[E_SEQ] > first_write.get(path, ev[E_SEQ]):
                continue  # its own output, read back
            if not self.system and is_system(path):
                continue
            role = "script" if path in script_paths else "config" if is_config(path) else "read"
            step.inputs.append(self.node(ev, role, level))
        return step


def _current_state(store: Store, path: str, file_id: int) -> tuple[str, str | None, int | None]:
    """(state, hash, size) of the file on disk versus the recorded versions of its path."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing", None, None
    rows = store.query("SELECT hash FROM versions WHERE file_id = ? AND dev = ? AND ino = ? AND size = ? "
                       "AND mtime_ns = ? AND ctime_ns = ? AND hash IS NOT NULL", (file_id, *stat_key(st)))
    if rows:
        return "current", rows[0]["hash"], st.st_size
    hashed = hash_file(path)
    if hashed is None:
        return "missing", None, None
    return "unknown", hashed[0], hashed[1]


def _recorded_versions(store: Store, file_id: int) -> list[Ev]:
    """One event per hashed version of a file, newest first (a write if one exists, else a read)."""
    rows = store.iter_query(
        f"SELECT {_EVENT_COLS} {_EVENT_FROM} JOIN runs r ON r.id = e.run_id "
        "WHERE e.file_id = ? AND e.kind IN ('close', 'read') AND v.hash IS NOT NULL "
        "AND (e.result IS NULL OR e.result >= 0) ORDER BY r.start_ns DESC, e.seq DESC", (file_id,))
    best: dict[str, Ev] = {}
    order: list[str] = []
    for ev in rows:
        prev = best.get(ev[E_HASH])
        if prev is None:
            order.append(ev[E_HASH])
            best[ev[E_HASH]] = ev
        elif prev[E_KIND] != "close" and ev[E_KIND] == "close":
            best[ev[E_HASH]] = ev
    return [best[h] for h in order]


def find_file_id(store: Store, path: str) -> tuple[str, int]:
    """The recorded (path, file id) for a user-given path; :class:`UnknownPathError` if none."""
    for candidate in dict.fromkeys((os.path.abspath(path), os.path.realpath(path))):
        row = store.conn.execute("SELECT id FROM files WHERE path = ?", (candidate,)).fetchone()
        if row:
            return candidate, int(row[0])
    raise UnknownPathError(f"no recorded run read or wrote {os.path.abspath(path)}")


def why(store: Store, path: str, depth: int | None = None, all_versions: bool = False,
        system: bool = False) -> Lineage:
    """The lineage of a file: the version on disk, its writer, and recursively its inputs.

    :param depth: how many producing steps to follow back (None: all).
    :param all_versions: a tree for every recorded version of the path, newest first.
    :param system: keep system files (libraries, interpreter modules, /etc, /proc, /dev).
    """
    prov = Prov(store)
    prov.require_runs()
    abspath, file_id = find_file_id(store, path)
    versions = _recorded_versions(store, file_id)
    if not versions:
        raise UnknownPathError(f"{abspath} was touched by recorded runs, but no content of it was recorded "
                               "(it was only probed, or never hashed)")
    state, disk_hash, _ = _current_state(store, abspath, file_id)
    chosen = versions
    if disk_hash is not None and any(v[E_HASH] == disk_hash for v in versions):
        state = "current"
        message = "the file on disk is the recorded version shown"
        if not all_versions:
            chosen = [next(v for v in versions if v[E_HASH] == disk_hash)]
    else:
        if state == "missing":
            message = "the file no longer exists; showing the last recorded version"
        else:
            state = "differs"
            message = ("the file on disk matches no recorded version (changed outside a recorded run); "
                       "showing the last recorded version")
        if not all_versions:
            chosen = versions[:1]
    walker = _Walker(prov, depth, system)
    nodes = []
    for ev in chosen:
        node = walker.node(ev, "output" if ev[E_KIND] == "close" else "read", 0)
        node.exists = state != "missing"
        nodes.append(node)
    return Lineage(abspath, state, message, nodes)


def lineage_paths(lineage: Lineage) -> set[str]:
    """Every path named in a lineage tree (convenient for tests and scripts)."""
    out: set[str] = set()

    def visit_node(n: VersionNode) -> None:
        out.add(n.path)
        if n.made_by:
            visit_step(n.made_by)

    def visit_step(s: Step) -> None:
        for launcher in s.launched_by:
            for n in launcher["scripts"]:
                visit_node(n)
        for n in s.inputs:
            visit_node(n)

    for v in lineage.versions:
        visit_node(v)
    return out

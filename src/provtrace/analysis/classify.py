"""What each file a run touched was to it (`provtrace show RUN --detail`).

Every file gets exactly one role, decided in this order:

``executable``
    exec'd by the run, or the script an interpreter ran (``python3 fit.py``).
``system``
    shared objects mapped by the loader or ``dlopen``, interpreter modules, locale
    and zone data, ``/proc``, ``/sys``, ``/dev``, byte-code caches (see :func:`.paths.is_system`).
``output``
    written (or renamed into place) by the run and still present when it ended.
``transient``
    written by the run and gone when it ended (removed, or renamed away).
``configuration``
    read, not written: under ``/etc``, a dotfile, or ``*.conf``/``*.toml``/``*.yaml``/``*.ini``...
``input``
    read, not written, not one of the above: it existed before the run.
``deleted``
    existed before the run, removed by it without being read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..store import Store
from .facts import E_FILE2, E_HASH, E_KIND, E_OP, E_PATH, E_SEQ, E_SIZE, WRITE_KINDS, Ev, Prov, RunInfo
from .paths import is_config, is_system, resolve

ROLES = ("input", "output", "transient", "configuration", "system", "executable", "deleted")
_PSEUDO = ("/dev/", "/proc/", "/sys/")
_LOADER_FILES = ("/etc/ld.so.cache", "/etc/ld.so.preload")


@dataclass
class FileRole:
    """One file of a run and its role, with the version that matters for that role."""

    path: str
    role: str
    size: int | None = None
    hash: str | None = None
    read: bool = False
    written: bool = False
    existed_before: bool = False  # its first event in the run was not a write
    present_at_end: bool = True


@dataclass
class ExecParams:
    """One exec of a run: its command line and parameters."""

    process_id: int
    pid: int
    argv: list[str]
    executable: str | None
    hash: str | None
    cwd: str | None
    script: str | None
    parameters: list[str] = field(default_factory=list)


@dataclass
class RunFiles:
    """The answer of :func:`classify_run`."""

    run: RunInfo
    files: dict[str, list[FileRole]]
    execs: list[ExecParams]

    def by_path(self) -> dict[str, FileRole]:
        """Every classified file, by path."""
        return {f.path: f for group in self.files.values() for f in group}

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"run": self.run.as_dict(), "files": {k: [asdict(f) for f in v] for k, v in self.files.items()},
                "execs": [asdict(x) for x in self.execs]}


class _PathState:
    __slots__ = ("first", "read", "written", "present", "read_ev", "write_ev", "loaded", "deleted")

    def __init__(self) -> None:
        self.first: str | None = None
        self.read = self.written = self.loaded = self.deleted = False
        self.present = True
        self.read_ev: Ev | None = None
        self.write_ev: Ev | None = None


def _scan(prov: Prov, events: list[Ev]) -> dict[str, _PathState]:
    states: dict[str, _PathState] = {}
    renames = [e for e in events if e[E_KIND] == "rename" and e[E_FILE2] is not None]
    dest = {}
    if renames:
        ids = sorted({e[E_FILE2] for e in renames})
        marks = ",".join("?" * len(ids))
        dest = {r[0]: r[1] for r in prov.store.iter_query(f"SELECT id, path FROM files WHERE id IN ({marks})", ids)}
    for e in events:
        kind = e[E_KIND]
        st = states.get(e[E_PATH])
        if st is None:
            st = states[e[E_PATH]] = _PathState()
        if kind == "read":
            st.first = st.first or "read"
            st.read = True
            st.loaded = st.loaded or e[E_OP] == "load"
            if st.read_ev is None or (not st.read_ev[E_HASH] and e[E_HASH]):
                st.read_ev = e
        elif kind in WRITE_KINDS:
            st.first = st.first or "write"
            st.written = True
            st.present = True
            if kind == "close" and (e[E_HASH] or st.write_ev is None or st.write_ev[E_KIND] != "close"):
                st.write_ev = e
            elif st.write_ev is None:
                st.write_ev = e
        elif kind == "delete":
            st.first = st.first or "delete"
            st.deleted = True
            st.present = False
        elif kind == "rename" and e[E_FILE2] in dest:
            st.first = st.first or "read"
            st.present = False
            to = states.setdefault(dest[e[E_FILE2]], _PathState())
            to.first = to.first or "write"
            to.written = to.present = True
            to.write_ev = st.write_ev or st.read_ev
    return states


def classify_run(store: Store, run_id: int, prov: Prov | None = None) -> RunFiles:
    """Classify every file run ``run_id`` touched, and list its execs with their parameters."""
    prov = prov or Prov(store)
    events = prov.run_events(run_id)
    procs = prov.run_processes(run_id)
    executables: dict[str, tuple] = {}
    execs: list[ExecParams] = []
    for p in procs:
        for x in p.execs:
            s = x.script
            script = s[E_PATH] if s is not None else None
            params = x.argv[1:]
            if s is not None:
                idx = next((i for i, a in enumerate(x.argv[1:], 1) if resolve(x.cwd, a) == s[E_PATH]), None)
                params = x.argv[idx + 1:] if idx is not None else params
                executables.setdefault(s[E_PATH], (s[E_SIZE], s[E_HASH]))
            if x.path:
                executables.setdefault(x.path, (x.size, x.hash))
            execs.append(ExecParams(p.id, p.pid, x.argv, x.path, x.hash, x.cwd, script, params))
    states = _scan(prov, events)
    files: dict[str, list[FileRole]] = {r: [] for r in ROLES}
    for path, st in sorted(states.items()):
        if not path.startswith("/"):
            continue  # pipes (pipe:<pid>:<ts>) carry data between processes but are not files
        ev = st.write_ev if st.written else st.read_ev
        if st.written and not st.present and st.read_ev and (ev is None or st.read_ev[E_SEQ] > ev[E_SEQ]):
            ev = st.read_ev  # a transient file: the last content seen (a later read) says more
        fr = FileRole(path, "", ev[E_SIZE] if ev else None, ev[E_HASH] if ev else None, st.read, st.written,
                      st.first != "write", st.present)
        if path in executables:
            fr.role = "executable"
            fr.size, fr.hash = executables.pop(path)
        elif path.startswith(_PSEUDO) or (is_system(path) and st.written and not path.startswith("/etc/")):
            fr.role = "system"
        elif st.written:
            fr.role = "output" if st.present else "transient"
        elif st.loaded or path in _LOADER_FILES or (is_system(path) and not path.startswith("/etc/")):
            fr.role = "system"
        elif st.read and is_config(path):
            fr.role = "configuration"
        elif st.read:
            fr.role = "input"
        elif st.deleted:
            fr.role = "deleted"
        else:
            continue
        files[fr.role].append(fr)
    for path, (sz, h) in sorted(executables.items()):  # exec'd but never opened by path
        files["executable"].append(FileRole(path, "executable", sz, h, existed_before=True))
    files["executable"].sort(key=lambda f: f.path)
    return RunFiles(prov.run(run_id), files, execs)

"""One recorded run loaded for exporting: processes, actors, file accesses, versions.

Every export format sees a run the same way, built here from the store's tables:

* an **actor** is what did something: one program image (an ``execs`` row), or a
  process that never exec'd (a forked shell subshell), which runs its parent's image;
* file operations a forked child did *before* its exec — the shell opening the files
  of ``< in`` and ``> out`` redirections — belong to the image the child then
  became (``python3 generate.py`` wrote ``work/raw.csv``, not ``bash``);
* a path is ``user`` data or not (``system``: the OS, software installs, caches;
  ``pseudo``: /proc, /sys, /dev) — :func:`path_class`;
* inputs are files read before the run wrote them; outputs are written files still
  present at the end (their final version carries a hash).

Example::

    with open_store("provtrace.db", readonly=True) as store:
        run = load_run(store, store.resolve_run("last"))
        print([v.path for v in run.outputs()])
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..store import Store
from ..store.queries import Exec, Process, Version, load_processes

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "ash", "busybox", "yash", "posh"})
DRIVERS = SHELLS | {"make", "gmake", "remake"}

PSEUDO_PREFIXES = ("/proc/", "/sys/", "/dev/")
SYSTEM_PREFIXES = ("/usr/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/bin/", "/sbin/", "/etc/", "/opt/",
                   "/var/lib/", "/var/cache/", "/run/", "/snap/", "/nix/store/", "/gnu/store/")
_ENV_PARTS = ("/site-packages/", "/dist-packages/", "/__pycache__/", "/node_modules/", "/conda-meta/",
              "/.pyenv/", "/.conda/", "/.cache/", "/.local/lib/", "/.rustup/", "/.cargo/registry/",
              "/miniconda3/", "/anaconda3/", "/miniforge3/", "/.julia/packages/", "/R/library/")
_PY_STDLIB = re.compile(r"/lib(64)?/python\d+(\.\d+)?t?/")
_SYSTEM_SUFFIXES = (".pyc", ".pth")


def path_class(path: str) -> str:
    """``user`` (the person's data and code), ``system`` (OS, installed software, caches) or ``pseudo``.

    Example: ``path_class("/usr/lib/x86_64-linux-gnu/libc.so.6") == "system"``,
    ``path_class("/home/me/data/raw.csv") == "user"``.
    """
    if not path.startswith("/") or path.startswith(PSEUDO_PREFIXES) or path in ("/proc", "/sys", "/dev"):
        return "pseudo"  # also the store's pseudo-files: pipe:<pid>:<ts>, <stdout>
    if path.startswith(SYSTEM_PREFIXES):
        return "system"
    if any(part in path for part in _ENV_PARTS) or _PY_STDLIB.search(path) or path.endswith(_SYSTEM_SUFFIXES):
        return "system"
    if path.endswith("/pyvenv.cfg"):  # read by every interpreter of a virtualenv at start-up
        return "system"
    return "user"


# --- the model (processes, execs and versions are the store's: see load_processes) ---


@dataclass(slots=True)
class Access:
    """One file operation that matters for dataflow, attributed to an actor."""

    seq: int
    actor: Actor
    kind: str  # read | load | write | close | delete | exec
    path: str
    version: Version | None
    flags: int | None
    pre_exec: bool  # done by a forked child before its exec (a shell redirection)


@dataclass(eq=False, slots=True)
class Actor:
    """What did something: one program image, or a process that never exec'd.

    ``inputs`` maps each path the actor read to the version it saw first; ``outputs``
    maps each path it wrote to the version it left (the last close, or the version
    found at the end of the run).
    """

    key: str  # "x<exec id>" or "p<process id>"
    process: Process
    image: Exec | None  # None for a process that never exec'd
    program: Exec | None  # the image that ran: its own, or the parent's for exec-less forks
    start_ns: int | None
    end_ns: int | None
    inputs: dict[str, Version | None] = field(default_factory=dict)
    outputs: dict[str, Version | None] = field(default_factory=dict)
    redirects: list[Access] = field(default_factory=list)
    pipes: list[tuple[str, str, int | None]] = field(default_factory=list)  # (pipe name, read|write, fd)
    informed_by: Actor | None = None

    @property
    def argv(self) -> list[str] | None:
        """The recorded command line, or None for an exec-less fork."""
        return self.image.argv if self.image else None

    @property
    def cwd(self) -> str | None:
        """Working directory at exec."""
        return self.image.cwd if self.image else None

    @property
    def name(self) -> str:
        """Short program name; ``(subshell of bash)`` style for exec-less forks."""
        if self.image is not None:
            return self.image.name
        return f"(fork of {self.program.name})" if self.program else "(fork)"

    @property
    def is_driver(self) -> bool:
        """A shell or make: it runs other commands rather than transforming data itself."""
        return self.program is not None and self.program.name in DRIVERS

    @property
    def is_shell(self) -> bool:
        """The program running is a shell (pipelines are only inferred under shells)."""
        return self.program is not None and self.program.name in SHELLS


@dataclass
class RunInfo:
    """Everything an export needs about one run."""

    run: dict
    machine: dict | None
    processes: dict[int, Process]
    root: Process | None
    actors: list[Actor]
    accesses: list[Access]
    versions: dict[int, Version]
    envs: dict[int, dict]
    final: dict[str, Version | None] = field(default_factory=dict)  # path -> version left at the end
    deleted: set[str] = field(default_factory=set)  # written paths gone at the end
    first_kind: dict[str, str] = field(default_factory=dict)  # path -> read | write (first data access)
    writers: dict[str, list[Actor]] = field(default_factory=dict)
    readers: dict[str, list[Actor]] = field(default_factory=dict)
    has_pipes: bool = False  # the store recorded pipe ends (op 'pipe'): pipelines are known, not inferred

    @property
    def id(self) -> int:
        """The run id."""
        return int(self.run["id"])

    def actor_for(self, key: str) -> Actor:
        """The actor with this key (``x<exec id>`` or ``p<process id>``)."""
        return self._by_key[key]

    def process_actors(self, proc: Process) -> list[Actor]:
        """The actors of a process, in exec order."""
        return self._by_process.get(proc.id, [])

    def is_output(self, path: str) -> bool:
        """Written by the run and still present at its end (the final version was hashed)."""
        v = self.final.get(path)
        return path in self.writers and path not in self.deleted and v is not None and v.hash is not None

    def is_input(self, path: str) -> bool:
        """Read by the run before (or without) the run writing it."""
        return self.first_kind.get(path) == "read"

    def outputs(self, include_system: bool = False) -> list[Version]:
        """Final versions of the run's outputs (user files unless ``include_system``), by path."""
        return [self.final[p] for p in sorted(self.writers)  # type: ignore[misc]
                if self.is_output(p) and (include_system or path_class(p) == "user")]

    def inputs(self, include_system: bool = False) -> list[Version | None]:
        """First-read versions of the run's inputs, by path."""
        out = []
        for p in sorted(self.readers):
            if self.is_input(p) and (include_system or path_class(p) == "user"):
                out.append(self._first_read[p])
        return out

    def env(self, image: Exec | None) -> dict | None:
        """The stored (redacted unless --env full) environment of an image."""
        if image is None or image.env_id is None:
            return None
        return self.envs.get(image.env_id)

    # filled by load_run
    _by_key: dict[str, Actor] = field(default_factory=dict, repr=False)
    _by_process: dict[int, list[Actor]] = field(default_factory=dict, repr=False)
    _first_read: dict[str, Version | None] = field(default_factory=dict, repr=False)


# --- loading ---------------------------------------------------------------------

_EVENT_SQL = """
    SELECT e.seq, e.process_id, e.exec_id, e.op, e.kind, f.path, f2.path,
           CASE WHEN e.op = 'pipe' THEN e.fd ELSE e.flags END, e.version_id, v.size, v.hash, v.mode, v.mtime_ns
    FROM file_events e JOIN files f ON f.id = e.file_id LEFT JOIN files f2 ON f2.id = e.file2_id
    LEFT JOIN versions v ON v.id = e.version_id
    WHERE e.run_id = ? AND e.result >= 0
      AND e.op IN ('open', 'load', 'close', 'truncate', 'rename', 'unlink', 'link', 'symlink', 'exec', 'pipe')
    ORDER BY e.seq, e.id"""

_S_IFMT, _S_IFREG = 0o170000, 0o100000


def _regular(v: Version | None) -> bool:
    return v is None or v.mode is None or (v.mode & _S_IFMT) == _S_IFREG


def load_run(store: Store, run_id: int) -> RunInfo:
    """Load run ``run_id`` (an existing id: see :meth:`Store.resolve_run`) for exporting.

    Example::

        run = load_run(store, store.resolve_run("last"))
        for actor in run.actors:
            print(actor.name, sorted(actor.inputs), sorted(actor.outputs))
    """
    run = store.query("SELECT * FROM runs WHERE id = ?", (run_id,))[0]
    run["argv"] = json.loads(run["argv"])
    machine = store.query("SELECT * FROM machines WHERE id = ?", (run["machine_id"],))
    processes = {p.id: p for p in load_processes(store, "run_id", run_id)}
    images = {x.id: x for p in processes.values() for x in p.execs}
    versions = {x.version.id: x.version for x in images.values() if x.version is not None}
    root = None
    for p in processes.values():
        parent = processes.get(p.parent_id) if p.parent_id is not None else None
        if parent is not None:
            parent.children.append(p)
        elif root is None:
            root = p
    for p in processes.values():
        p.children.sort(key=lambda c: (c.start_ns or 0, c.id))
    envs = {}
    for env_id in {x.env_id for x in images.values() if x.env_id is not None}:
        rows = store.query("SELECT env FROM envs WHERE id = ?", (env_id,))
        if rows:
            envs[env_id] = json.loads(rows[0]["env"])

    info = RunInfo(run=run, machine=machine[0] if machine else None, processes=processes, root=root,
                   actors=[], accesses=[], versions=versions, envs=envs)
    _build_actors(info, images)
    _read_events(info, store, images)
    return info


def _build_actors(info: RunInfo, images: dict[int, Exec]) -> None:
    """One actor per image, one per exec-less process; chain them (exec, fork)."""

    def current_program(proc: Process | None, t: int | None) -> Exec | None:
        # The image running in ``proc`` at time ``t`` (a fork runs its parent's image until it execs).
        while proc is not None:
            running = [im for im in proc.execs if im.ts_ns is None or t is None or im.ts_ns <= t]
            if running:
                return running[-1]
            if proc.execs:
                t = proc.start_ns
            proc = info.processes.get(proc.parent_id) if proc.parent_id is not None else None
        return None

    def walk(proc: Process, parent_actor: Actor | None) -> None:
        acts: list[Actor] = []
        if proc.execs:
            for i, im in enumerate(proc.execs):
                start = proc.start_ns if i == 0 and proc.start_ns is not None else im.ts_ns
                end = proc.execs[i + 1].ts_ns if i + 1 < len(proc.execs) else proc.end_ns
                acts.append(Actor(f"x{im.id}", proc, im, im, start, end))
        else:
            acts.append(Actor(f"p{proc.id}", proc, None, current_program(proc, proc.start_ns),
                              proc.start_ns, proc.end_ns))
        acts[0].informed_by = parent_actor
        for prev, nxt in zip(acts, acts[1:]):
            nxt.informed_by = prev
        info.actors.extend(acts)
        info._by_process[proc.id] = acts
        for a in acts:
            info._by_key[a.key] = a
        for child in proc.children:
            walk(child, _actor_at(acts, child.start_ns))

    if info.root is not None:
        walk(info.root, None)
    for proc in info.processes.values():  # orphans not reachable from the root
        if proc.id not in info._by_process:
            walk(proc, None)


def _actor_at(acts: list[Actor], t: int | None) -> Actor:
    """The actor of a process that was running at time ``t``."""
    best = acts[0]
    for a in acts:
        if a.start_ns is not None and t is not None and a.start_ns <= t:
            best = a
    return best


def _read_events(info: RunInfo, store: Store, images: dict[int, Exec]) -> None:
    """Attribute each data event to its actor; derive per-path and per-actor facts."""
    by_key = info._by_key
    by_process = info._by_process
    versions = info.versions
    last_write_seq: dict[str, int] = {}
    last_delete_seq: dict[str, int] = {}
    for seq, pid, exec_id, op, kind, path, path2, flags, version_id, size, digest, mode, mtime in store.iter_query(
            _EVENT_SQL, (info.id,)):
        acts = by_process.get(pid)
        if not acts:
            continue
        img = images.get(exec_id) if exec_id is not None else None
        pre_exec = img is None or img.process_id != pid
        actor = acts[0] if pre_exec else by_key.get(f"x{exec_id}", acts[0])
        version = None
        if version_id is not None:
            version = versions.get(version_id)
            if version is None:
                version = versions[version_id] = Version(version_id, path, size, digest, mode, mtime)
        if op == "pipe":
            actor.pipes.append((path, kind, flags))
            info.has_pipes = True
            continue
        if op in ("open", "load") and kind == "read":
            ak = "load" if op == "load" else "read"
        elif (op == "open" and kind in ("write", "create")) or op == "truncate":
            ak = "write"
        elif op == "close":
            ak = "close"
        elif op == "exec":
            ak = "exec"
        elif op == "unlink":
            ak = "delete"
        elif op in ("rename", "link", "symlink"):
            if op == "rename":
                _note_delete(info, actor, seq, path, last_delete_seq)
            if path2:
                acc = Access(seq, actor, "write", path2, None, flags, False)
                info.accesses.append(acc)
                _note_write(info, actor, acc, last_write_seq)
            continue
        else:
            continue
        acc = Access(seq, actor, ak, path, version, flags, pre_exec and bool(actor.image))
        info.accesses.append(acc)
        if ak in ("read", "load"):
            if not _regular(version):
                continue
            actor.inputs.setdefault(path, version)
            info.first_kind.setdefault(path, "read")
            if path not in info._first_read:
                info._first_read[path] = version
            readers = info.readers.setdefault(path, [])
            if not readers or readers[-1] is not actor:
                readers.append(actor)
            if acc.pre_exec:
                actor.redirects.append(acc)
        elif ak in ("write", "close"):
            if not _regular(version):
                continue
            _note_write(info, actor, acc, last_write_seq)
            if ak == "close" or version is not None and path not in actor.outputs:
                actor.outputs[path] = version
            if acc.pre_exec and ak == "write":
                actor.redirects.append(acc)
        elif ak == "delete":
            _note_delete(info, actor, seq, path, last_delete_seq)
    for path, seq in last_delete_seq.items():
        if seq >= last_write_seq.get(path, -1) and path in info.writers:
            info.deleted.add(path)


def _note_write(info: RunInfo, actor: Actor, acc: Access, last_write_seq: dict[str, int]) -> None:
    path = acc.path
    info.first_kind.setdefault(path, "write")
    writers = info.writers.setdefault(path, [])
    if not writers or writers[-1] is not actor:
        if actor in writers:
            writers.remove(actor)
        writers.append(actor)
    actor.outputs.setdefault(path, acc.version)
    if acc.version is not None and (acc.kind == "close" or path not in info.final
                                    or info.final[path] is None):
        info.final[path] = acc.version
    elif path not in info.final:
        info.final[path] = None
    last_write_seq[path] = acc.seq


def _note_delete(info: RunInfo, actor: Actor, seq: int, path: str, last_delete_seq: dict[str, int]) -> None:
    info.accesses.append(Access(seq, actor, "delete", path, None, None, False))
    last_delete_seq[path] = seq


# --- inferred shell pipelines ----------------------------------------------------


def pipelines(info: RunInfo) -> list[list[Process]]:
    """Groups of sibling processes that a shell ran as one pipeline (``a | b | c``).

    When the store recorded pipe ends (``file_events.op = 'pipe'``), A and B are linked
    exactly when B (or a process below it) read a pipe that A (or below) wrote.  Stores
    without them (older recordings) get an inference between consecutive children
    A, B of a shell, linked when

    * their lifetimes overlap: a shell waits for a simple command before it starts the
      next, so overlap means it did not wait; or
    * the data can only have gone through a pipe: B read no user file (its input came
      from stdin) and A wrote no user file (its output went to stdout), and neither
      redirected that stream to a file (no ``> f`` on A, no ``< f`` on B) — this catches
      ``tail f | sort > out`` even when ``tail`` exited before ``sort`` was started.

    A member that redirected its output to a file ends the group (only a pipeline's last
    command can do that).  Background jobs (``a & b``) or ``cat notes; date > stamp``
    can be taken for pipelines; their files come out the same either way.
    Only groups of two or more are returned.
    """
    groups: list[list[Process]] = []
    for proc in info.processes.values():
        acts = info.process_actors(proc)
        if not acts or not acts[-1].is_shell or len(proc.children) < 2:
            continue
        current: list[Process] = []
        for child in proc.children:  # sorted by start time
            if not (current and _piped(info, current[-1], child)):
                if len(current) > 1:
                    groups.append(current)
                current = []
            current.append(child)
        if len(current) > 1:
            groups.append(current)
    return groups


def _piped(info: RunInfo, a: Process, b: Process) -> bool:
    if info.has_pipes:
        return bool(_pipe_names(info, a, "write") & _pipe_names(info, b, "read"))
    if _redirects(info, a, "write"):
        return False
    if a.end_ns is not None and b.start_ns is not None and b.start_ns < a.end_ns:
        return True
    return not _redirects(info, b, "read") and not _touches(info, a, "outputs") and not _touches(info, b, "inputs")


def _pipe_names(info: RunInfo, proc: Process, kind: str) -> set[str]:
    return {name for p in subtree(proc) for actor in info.process_actors(p)
            for name, k, _fd in actor.pipes if k == kind}


def _redirects(info: RunInfo, proc: Process, kind: str) -> bool:
    acts = info.process_actors(proc)
    return bool(acts) and any(r.kind == kind and not r.path.startswith("/dev/") for r in acts[0].redirects)


def _touches(info: RunInfo, proc: Process, which: str) -> bool:
    """Whether the process or its descendants read (``inputs``) or wrote (``outputs``) a user file."""
    for p in subtree(proc):
        for actor in info.process_actors(p):
            for path in getattr(actor, which):
                if path_class(path) == "user" and not (which == "inputs" and actor.image is not None
                                                       and path == actor.image.path):
                    return True
    return False


def subtree(proc: Process) -> Iterator[Process]:
    """The process and all its descendants, depth first."""
    stack = [proc]
    while stack:
        p = stack.pop()
        yield p
        stack.extend(reversed(p.children))


def load_runs(store: Store, refs: Iterable[str | int]) -> list[RunInfo]:
    """Resolve run references (ids or ``last``) and load each run once, in the given order."""
    seen: dict[int, RunInfo] = {}
    for ref in refs:
        run_id = store.resolve_run(ref)
        if run_id not in seen:
            seen[run_id] = load_run(store, run_id)
    return list(seen.values())

"""Which accesses strace saw may legitimately be absent from provtrace's record.

Every category here is a *documented* blind spot (docs/blind-spots.md says why
each one cannot be seen from an LD_PRELOAD library on glibc 2.36).  A category
matches on the path AND on the access being plausibly glibc-internal (kind,
operation, and where needed what else the same process did); it is not a
catch-all.  Anything that matches no category is an unexplained miss.

Separately, :func:`tracer_internal` recognises provtrace's own accesses (its
preload library, its session log, its ELF probe before an exec): they are
removed from both sides before comparing, and are not blind spots.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field

from .strace import PathEvent, Trace, normalise

LOADER = "loader"
LOCALE = "locale"
GETTEXT = "gettext"
NSS = "nss"
TIMEZONE = "timezone"
REALPATH_WALK = "realpath-walk"
GLIBC_PROC_SYS = "glibc-proc-sys"
SEM_TEMP = "sem-open-temp"

CATEGORIES = (LOADER, LOCALE, GETTEXT, NSS, TIMEZONE, REALPATH_WALK, GLIBC_PROC_SYS, SEM_TEMP)

# sem_open(O_CREAT) builds the semaphore in a temporary /dev/shm/sem.XXXXXX, links it to
# its final name and unlinks the temporary: all inside libc.
_SEM_TEMP = re.compile(r"^/dev/shm/sem\.[A-Za-z0-9]{6}$")

_READS = ("read", "stat")
_LIB_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/")

_LOADER_FILES = frozenset({"/etc/ld.so.cache", "/etc/ld.so.preload"})

_NSS_FILES = frozenset(
    {
        "/etc/nsswitch.conf",
        "/etc/passwd",
        "/etc/group",
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/host.conf",
        "/etc/hosts",
        "/etc/resolv.conf",
        "/etc/gai.conf",
        "/etc/services",
        "/etc/protocols",
        "/etc/networks",
        "/etc/netgroup",
    }
)

# glibc reads these with __open_nocancel, never through the PLT:
#   get_nprocs (sysconf(_SC_NPROCESSORS_ONLN), malloc arenas, os.cpu_count)
#   get_nprocs_conf, pthread_getattr_np on the main thread, malloc's heap
#   shrinking check.
_GLIBC_PROC_SYS = {
    "/sys/devices/system/cpu/online": ("read",),
    "/sys/devices/system/cpu/possible": ("read",),
    "/sys/devices/system/cpu": ("readdir",),
    "/proc/stat": ("read",),
    "/proc/self/maps": ("read",),
    "/proc/sys/vm/overcommit_memory": ("read",),
    "/proc/sys/kernel/ngroups_max": ("read",),
}

_GETTEXT_MO = re.compile(r"^/usr/share/locale(?:-langpack)?/[^/]+/LC_MESSAGES/[^/]+\.mo$")


@dataclass
class Context:
    """What else is known about the process that made an access."""

    # pid -> paths the process opened or probed (failed calls included)
    touched: dict[int, set[str]] = field(default_factory=dict)
    # pid -> [(input path, resolved path or None)] of realpath() calls provtrace logged
    realpaths: dict[int, list[tuple[str, str | None]]] = field(default_factory=dict)
    # pid -> {symlink path: target} from the process's successful readlinks
    links: dict[int, dict[str, str]] = field(default_factory=dict)
    # pid -> path sets of readlink runs (see realpath_groups)
    walks: dict[int, list[frozenset[str]]] = field(default_factory=dict)

    @classmethod
    def build(cls, trace: Trace, realpaths: dict[int, list[tuple[str, str | None]]]) -> "Context":
        ctx = cls(realpaths=realpaths, walks=realpath_groups(trace))
        for ev in trace.events:
            if ev.path:
                ctx.touched.setdefault(ev.pid, set()).add(ev.path)
            if ev.op == "readlink" and ev.ok and ev.path and ev.target is not None:
                ctx.links.setdefault(ev.pid, {})[ev.path] = ev.target
        return ctx


def realpath_walk(path: str, links: dict[str, str], limit: int = 40) -> set[str]:
    """The paths glibc's realpath() calls readlink() on for an absolute ``path``,
    given which of them are symlinks (``links``): every component prefix, and
    after each symlink the prefixes of its expansion."""
    seen: set[str] = set()
    resolved = "/"
    rest = [c for c in path.split("/") if c]
    hops = 0
    while rest:
        comp = rest.pop(0)
        if comp == ".":
            continue
        if comp == "..":
            resolved = posixpath.dirname(resolved) or "/"
            continue
        cand = posixpath.join(resolved, comp)
        seen.add(cand)
        target = links.get(cand)
        if target is None or hops >= limit:
            resolved = cand
            continue
        hops += 1
        if target.startswith("/"):
            resolved = "/"
        rest = [c for c in target.split("/") if c] + rest
    return seen


def classify(ev: PathEvent, kind: str, path: str, ctx: Context) -> str | None:
    """The blind-spot category of an access provtrace did not report, or None."""
    p = path
    base = posixpath.basename(p)
    if p in _LOADER_FILES and kind in _READS:
        return LOADER
    if kind in _READS + ("readdir",):
        if p.startswith("/usr/lib/locale/") or p == "/usr/share/locale/locale.alias":
            return LOCALE
        if re.match(r"^/usr/lib(?:64)?/(?:[^/]+-linux-gnu/)?gconv/", p):
            return LOCALE  # iconv modules, loaded by glibc's internal dlopen
    if kind in _READS and _GETTEXT_MO.match(p):
        return GETTEXT
    if kind in _READS and p in _NSS_FILES:
        return NSS
    if kind == "read" and p.startswith(_LIB_DIRS) and base.startswith("libnss_"):
        return NSS  # NSS service modules, loaded by glibc's internal dlopen
    if p == "/" and kind == "stat" and "/etc/nsswitch.conf" in ctx.touched.get(ev.pid, ()):
        return NSS  # nss_database_check_reload_and_get: chroot detection
    if kind in _READS and (p == "/etc/localtime" or p.startswith("/usr/share/zoneinfo/")):
        return TIMEZONE
    if ev.op in ("readlink", "access") and kind == "stat" and _in_realpath_walk(ev, p, ctx):
        return REALPATH_WALK
    if kind in _GLIBC_PROC_SYS.get(p, ()):
        return GLIBC_PROC_SYS
    if kind in ("create", "write", "stat", "delete") and _SEM_TEMP.match(p) and any(
            q.startswith("/dev/shm/sem.") and q != p for q in ctx.touched.get(ev.pid, ())):
        return SEM_TEMP
    return None


def _in_realpath_walk(ev: PathEvent, path: str, ctx: Context) -> bool:
    """A readlink (or an AT_EACCESS faccessat) that glibc's realpath() made
    inside a realpath() call provtrace logged in the same process: the path is
    on the walk from the logged input, or it is in the same run of readlinks as
    the logged input or result."""
    pid = ev.pid
    logged = [p for pair in ctx.realpaths.get(pid, ()) for p in pair if p]
    if ev.op == "readlink":
        links = ctx.links.get(pid, {})
        if any(path in realpath_walk(start, links) for start in logged):
            return True
    for group in ctx.walks.get(pid, ()):
        if path in group and any(p in group for p in logged):
            return True
    return False


# --- tracer-internal accesses ------------------------------------------------

# The exec wrapper's ELF check: open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK).
ELF_PROBE_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK
ELF_PROBE_STATX_FLAG = 0x800  # AT_NO_AUTOMOUNT
_O_LARGEFILE = 0o100000
_X_OK = 1


@dataclass
class Internal:
    """provtrace's own files, from the recorded command's environment."""

    session_dir: str | None
    preload: frozenset[str]

    @classmethod
    def from_env(cls, env: list[str] | None) -> "Internal":
        values = dict(item.partition("=")[::2] for item in env or ())
        session = values.get("PROVTRACE_SESSION")
        preload = frozenset(normalise(p) for p in re.split(r"[ :]", values.get("LD_PRELOAD", "")) if p)
        return cls(posixpath.dirname(normalise(session)) if session else None, preload)

    def is_internal_path(self, path: str | None) -> bool:
        if not path:
            return False
        if path in self.preload or re.search(r"/libprovtrace[^/]*\.so$", path):
            return True
        if self.session_dir and (path == self.session_dir or path.startswith(self.session_dir + "/")):
            return True
        return bool(re.search(r"/provtrace-[^/]+/[^/]+\.log$", path))


def script_interp(path: str) -> str | None:
    """The interpreter named on a ``#!`` line, or None."""
    try:
        with open(path, "rb") as f:
            line = f.readline(256)
    except OSError:
        return None
    if not line.startswith(b"#!"):
        return None
    parts = line[2:].strip().split(None, 1)
    return normalise(os.fsdecode(parts[0])) if parts else None


def _by_tid(trace: Trace) -> dict[int, list[PathEvent]]:
    out: dict[int, list[PathEvent]] = {}
    for ev in trace.events:
        if not ev.evidence_only:
            out.setdefault(ev.tid, []).append(ev)
    return out


def tracer_lines(trace: Trace) -> set[int]:
    """Line numbers of the calls provtrace's wrappers make for themselves.

    - the ELF check before an exec: a ``statx`` with AT_NO_AUTOMOUNT (its
      cache of earlier checks is looked up first), then an open with exactly
      ELF_PROBE_FLAGS, of a path the same process (or a child it creates:
      posix_spawn) then execs, or of the ``#!`` interpreter of such a path;
    - the wrapper's own PATH search: ``access(p, X_OK)`` immediately followed,
      in the same thread, by the ELF check of ``p``;
    - the version stat after ``truncate(p)``: a stat of ``p`` immediately
      following a successful ``truncate(p)`` in the same thread.
    """
    later: dict[tuple[int, str], int] = {}
    for ex in trace.execs:
        owners = [ex.pid]
        proc = trace.procs.get(ex.pid)
        if proc and proc.parent is not None:
            owners.append(proc.parent)
        targets = [ex.path]
        interp = script_interp(ex.path) if ex.ok else None
        if interp:
            targets.append(interp)
        for owner in owners:
            for target in targets:
                key = (owner, target)
                later[key] = max(later.get(key, -1), ex.line)
    out: set[int] = set()
    for seq in _by_tid(trace).values():
        for i, ev in enumerate(seq):
            probe = ev.op == "open" and ev.flags & ~_O_LARGEFILE == ELF_PROBE_FLAGS
            probe = probe or (ev.syscall == "statx" and ev.flags & ELF_PROBE_STATX_FLAG)
            if probe and ev.path:
                if later.get((ev.pid, ev.path), -1) > ev.line:
                    out.add(ev.line)
                    prev = seq[i - 1] if i else None
                    if prev and prev.op == "access" and prev.path == ev.path and prev.syscall == "access":
                        out.add(prev.line)
            elif ev.op == "stat" and i and seq[i - 1].op == "truncate" and seq[i - 1].ok and seq[i - 1].path == ev.path:
                out.add(ev.line)
    return out


def realpath_groups(trace: Trace) -> dict[int, list[frozenset[str]]]:
    """pid -> the path sets of runs of consecutive ``readlink`` / ``faccessat(...,
    AT_EACCESS)`` calls in one thread, split where a walk starts again at a
    first component: what one glibc realpath() call does."""
    out: dict[int, list[frozenset[str]]] = {}
    for seq in _by_tid(trace).values():
        run: list[PathEvent] = []
        for ev in seq + [None]:  # type: ignore[list-item]
            walking = ev is not None and ev.path and (ev.op == "readlink" or (ev.op == "access" and ev.flags & 0x200))
            # a walk starts over at the first component ("/usr"): a new realpath() call
            restart = walking and run and ev.op == "readlink" and ev.path.count("/") == 1
            if run and (not walking or restart):
                out.setdefault(run[0].pid, []).append(frozenset(e.path for e in run if e.path))
                run = []
            if walking:
                run.append(ev)
    return out

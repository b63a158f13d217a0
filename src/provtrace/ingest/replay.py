"""Replay decoded records into processes, execs and resolved file events.

Records are replayed in timestamp order.  Per process the replay keeps what the
kernel kept: the fd table (inherited on fork, close-on-exec honoured at the new
image) and the cwd, so that every ``*at(dirfd, relative)`` path becomes an
absolute, normalised path.  The output is plain Python objects; writing them to
the store is :mod:`provtrace.ingest.writer`'s job.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from typing import Iterable

from .. import kinds as K
from . import logformat as lf
from .reader import Record

O_CLOEXEC = os.O_CLOEXEC
O_ACCMODE = os.O_RDONLY | os.O_WRONLY | os.O_RDWR
AT_REMOVEDIR = 0x200
FAMILIES = {1: "unix", 2: "inet", 10: "inet6"}
LIB_NAME = "libprovtrace.so"
FORK_ATFORK = 2  # PT_FORK_ATFORK
EXIT_DESTRUCTOR = 2  # PT_EXIT_DESTRUCTOR
EXIT_STATUS = 3  # PT_EXIT_STATUS: the supervisor saw the process end; a1 = raw wait status
CLONE_VFORK = 0x4000
CLOSE_RANGE_CLOEXEC = 4

Version = tuple  # (dev, ino, size, mtime_ns, ctime_ns, mode)


@dataclass(slots=True)
class Exec:
    """One program image loaded in a process."""

    proc: "Proc"
    seq: int
    ts: int
    path: str
    argv: list[str]
    env: list[str] | None
    cwd: str
    tracer: str  # preload | ptrace | untraced
    exe_class: str
    index: int = -1  # position in Replay.execs


@dataclass(slots=True)
class Proc:
    """One process (a pid over one lifetime)."""

    pid: int
    ppid: int
    creation: str
    start_ns: int
    index: int
    parent: "Proc | None" = None
    end_ns: int | None = None
    exit_code: int | None = None
    signal: int | None = None
    cwd: str = "/"
    fds: dict = field(default_factory=dict)  # fd -> [path, cloexec, written, type]
    image: Exec | None = None  # the image running now (may be the parent's after fork)
    nexec: int = 0
    pending: dict | None = None  # EXEC seen, outcome not yet known
    hosts: dict = field(default_factory=dict)  # address -> host name asked for


@dataclass(slots=True)
class FileEvent:
    """One file operation with its paths resolved."""

    proc: Proc
    image: Exec | None
    seq: int
    ts: int
    op: str
    kind: str
    path: str | None
    path2: str | None
    flags: int | None
    mode: int | None
    fd: int | None
    result: int
    errno: int
    version: Version | None
    api: str | None


@dataclass(slots=True)
class NetEvent:
    """One network operation."""

    proc: Proc
    image: Exec | None
    seq: int
    ts: int
    op: str
    family: str | None
    address: str | None
    port: int | None
    host: str | None
    fd: int | None
    result: int
    errno: int


@dataclass
class Replay:
    """Everything the replay produced for one session."""

    procs: list[Proc] = field(default_factory=list)
    execs: list[Exec] = field(default_factory=list)
    events: list[FileEvent] = field(default_factory=list)
    net: list[NetEvent] = field(default_factory=list)
    blind_spots: list[dict] = field(default_factory=list)
    unresolved: int = 0


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return False


def _norm(path: str) -> str:
    return posixpath.normpath(path) if ("/." in path or "//" in path or path.endswith("/")) else path


class Replayer:
    """Turns records into a :class:`Replay` (see the module docstring)."""

    def __init__(self, root_pid: int, initial_cwd: str, lib_path: str | None = None,
                 root_argv: list[str] | None = None) -> None:
        self.root_pid = root_pid
        self.root_argv = root_argv
        self.initial_cwd = initial_cwd
        self.lib_path = lib_path
        self.out = Replay()
        self.live: dict[int, Proc] = {}
        self.parent_hint: dict[int, int] = {}
        self.creation_hint: dict[int, str] = {}
        self.seq = 0
        self._handlers = {
            lf.OP["START"]: self._start, lf.OP["EXEC"]: self._exec, lf.OP["EXECFAIL"]: self._execfail,
            lf.OP["FORK"]: self._fork, lf.OP["CLONE"]: self._fork, lf.OP["SPAWN"]: self._spawn,
            lf.OP["EXIT"]: self._exit, lf.OP["WAIT"]: self._wait, lf.OP["OPEN"]: self._open,
            lf.OP["CLOSE"]: self._close, lf.OP["DUP"]: self._dup, lf.OP["SETFD"]: self._setfd,
            lf.OP["PIPE"]: self._pipe, lf.OP["STAT"]: self._path_op, lf.OP["ACCESS"]: self._path_op,
            lf.OP["READLINK"]: self._path_op, lf.OP["REALPATH"]: self._realpath,
            lf.OP["UNLINK"]: self._path_op, lf.OP["MKDIR"]: self._path_op, lf.OP["MKNOD"]: self._path_op,
            lf.OP["RENAME"]: self._two_path_op, lf.OP["LINK"]: self._two_path_op,
            lf.OP["SYMLINK"]: self._symlink, lf.OP["TRUNCATE"]: self._path_op,
            lf.OP["UTIME"]: self._path_op, lf.OP["CHMOD"]: self._path_op, lf.OP["CHOWN"]: self._path_op,
            lf.OP["CHDIR"]: self._chdir, lf.OP["DLOPEN"]: self._dlopen, lf.OP["CONNECT"]: self._net,
            lf.OP["BIND"]: self._net, lf.OP["ACCEPT"]: self._net, lf.OP["GETADDRINFO"]: self._gai,
            lf.OP["URING"]: self._uring, lf.OP["UNTRACED"]: self._untraced,
        }

    # --- driver ---------------------------------------------------------------

    def run(self, records: Iterable[Record]) -> Replay:
        """Replay all records (any order; they are sorted by timestamp here)."""
        recs = sorted(records, key=lambda r: r.ts)
        self._prepass(recs)
        handlers = self._handlers
        for rec in recs:
            proc = self._proc_for(rec)
            handler = handlers.get(rec.op)
            if handler is not None:
                try:
                    handler(rec, proc)
                except (IndexError, ValueError, TypeError):
                    # A record whose fields do not fit its op (corrupt but well framed).
                    self.out.unresolved += 1
        self._finish()
        return self.out

    def _prepass(self, recs: list[Record]) -> None:
        """Learn who created whom before replaying (a child may log before its parent)."""
        vfork_parents: set[int] = set()
        shell_parents: set[int] = set()
        for r in recs:
            op = r.op
            if op == 4 and r.a1 == 2:  # FORK written by the child from the atfork handler
                self.parent_hint.setdefault(r.pid, r.fd)
                self.creation_hint.setdefault(r.pid, "fork")
            elif op == 4 and r.ret > 0:  # FORK, parent side
                self.parent_hint.setdefault(int(r.ret), r.pid)
                self.creation_hint.setdefault(int(r.ret), "fork")
            elif op == 6 and r.ret > 0:  # CLONE (the supervisor writes a vfork as CLONE_VFORK)
                self.parent_hint.setdefault(r.ret, r.pid)
                self.creation_hint.setdefault(r.ret, "vfork" if r.a1 & CLONE_VFORK else "clone")
            elif op == 7 and r.a1 > 0:  # SPAWN
                self.parent_hint.setdefault(int(r.a1), r.pid)
                self.creation_hint.setdefault(int(r.a1), "spawn")
            elif op == 5:
                vfork_parents.add(r.pid)
            elif op == 8:
                shell_parents.add(r.pid)
            elif op == 1 and r.pid not in self.parent_hint:  # START: fd = ppid
                self.parent_hint[r.pid] = r.fd
            elif op == 2 and r.pid not in self.parent_hint:  # EXEC: ret = ppid
                self.parent_hint[r.pid] = int(r.ret)
        for pid, ppid in self.parent_hint.items():
            if pid in self.creation_hint:
                continue
            if ppid == self.root_pid:
                self.creation_hint[pid] = "root"
            elif ppid in vfork_parents:
                self.creation_hint[pid] = "vfork"
            elif ppid in shell_parents:
                self.creation_hint[pid] = "shell"

    def _new_proc(self, pid: int, ts: int, first_op: int | None) -> Proc:
        ppid = self.parent_hint.get(pid, 0)
        parent = self.live.get(ppid)
        creation = self.creation_hint.get(pid, "unknown")
        if parent is None and ppid != self.root_pid and creation == "unknown":
            creation = "orphan"
        proc = Proc(pid=pid, ppid=ppid, creation=creation, start_ns=ts, index=len(self.out.procs),
                    parent=parent)
        if parent is not None:
            proc.cwd = parent.cwd
            proc.image = parent.image
            proc.fds = {fd: list(e) for fd, e in parent.fds.items()}
        else:
            proc.cwd = self.initial_cwd
            if creation == "root":
                proc.fds = {0: ["<stdin>", False, False, "tty"], 1: ["<stdout>", False, False, "tty"],
                            2: ["<stderr>", False, False, "tty"]}
        self.out.procs.append(proc)
        self.live[pid] = proc
        return proc

    def _proc_for(self, rec: Record) -> Proc:
        proc = self.live.get(rec.pid)
        if proc is None:
            proc = self._new_proc(rec.pid, rec.ts, rec.op)
        return proc

    def _child(self, pid: int, ts: int, creation: str, parent: Proc) -> Proc:
        """The process record for child ``pid`` announced by its parent."""
        proc = self.live.get(pid)
        if proc is not None and proc.end_ns is not None and proc.parent is not parent:
            proc = None  # pid reuse: an earlier process with the same pid has ended
        if proc is None:
            self.parent_hint[pid] = parent.pid
            self.creation_hint[pid] = creation
            proc = self._new_proc(pid, ts, None)
        return proc

    # --- helpers --------------------------------------------------------------

    def _resolve(self, proc: Proc, dirfd: int, path: str) -> str | None:
        if path.startswith("/"):
            return _norm(path)
        if dirfd == lf.AT_FDCWD:
            base = proc.cwd
        else:
            entry = proc.fds.get(dirfd)
            if entry is None or not entry[0].startswith("/"):
                self.out.unresolved += 1
                return None
            base = entry[0]
        if not path:
            return base
        return posixpath.normpath(base + "/" + path)

    def _fd_path(self, proc: Proc, fd: int) -> str | None:
        entry = proc.fds.get(fd)
        if entry is None or not entry[0].startswith("/"):
            return None
        return entry[0]

    def _event(self, rec: Record, proc: Proc, op: str, kind: str | None, path: str | None,
               path2: str | None = None, flags: int | None = None, mode: int | None = None,
               fd: int | None = None, api: str | None = None, version: Version | None = None,
               result: int | None = None) -> None:
        self.seq += 1
        self.out.events.append(FileEvent(
            proc, proc.image, self.seq, rec.ts, op, kind or op, path, path2, flags, mode, fd,
            rec.ret if result is None else result, rec.err, version if version is not None else rec.version,
            api))

    def _is_own(self, path: str) -> bool:
        return path.endswith("/" + LIB_NAME) or (self.lib_path is not None and path == self.lib_path)

    # --- process lifecycle ----------------------------------------------------

    def _start(self, rec: Record, proc: Proc) -> None:
        s = rec.strings
        argc, envc, nobj = int(rec.a1), int(rec.a2), int(rec.a3)
        if rec.ret == lf.TRACER_PTRACE_ROUTED:  # the class only: the rest is the EXEC's
            if proc.pending is None or not proc.pending.get("path"):
                return  # the exec it stood for failed (EXECFAIL came first)
            s = [s[0] if s else "", s[1] if len(s) > 1 else "", *proc.pending["argv"],
                 *(proc.pending["env"] or [])]
            argc, envc, nobj = len(proc.pending["argv"]), len(proc.pending["env"] or []), 0
        cwd = s[1] if len(s) > 1 and s[1].startswith("/") else proc.cwd
        proc.cwd = cwd
        exe = s[0] if s else ""
        path = self._resolve(proc, lf.AT_FDCWD, exe) if exe else None
        argv = s[2:2 + argc]
        env = s[2 + argc:2 + argc + envc]
        objs = s[2 + argc + envc:2 + argc + envc + nobj]
        exe_class = "dynamic"
        # ret: who wrote it: the preload library in the image, or the supervisor tracing it
        ptraced = rec.ret in (lf.TRACER_PTRACE, lf.TRACER_PTRACE_ROUTED)
        pending = proc.pending
        if pending is not None and pending.get("path"):
            # The argv given to execve: for a #! script the new image's own argv is the
            # one the kernel built for the interpreter.
            path, argv, exe_class = pending["path"], pending["argv"], pending["class"]
            if exe_class not in ("dynamic", "script"):
                exe_class = "dynamic"
        elif proc.creation == "root" and proc.nexec == 0 and self.root_argv:
            argv = list(self.root_argv)  # the launcher's execve
            if path and _is_script(path):
                exe_class = "script"
        if ptraced and exe_class != "script":
            exe_class = lf.CLASS.get(rec.err, "unknown")  # what ran: the supervisor's check
        self._image(rec, proc, path or "", argv, env, cwd, "ptrace" if ptraced else "preload", exe_class)
        proc.pending = None
        # close-on-exec: the new image no longer has those fds
        proc.fds = {fd: e for fd, e in proc.fds.items() if not e[1]}
        self._pipe_ends(rec, proc)
        for i, obj in enumerate(objs):
            if not obj or self._is_own(obj) or "linux-vdso" in obj:
                continue
            api = "interp" if "/ld-linux" in obj or "/ld-musl" in obj else "loader"
            self._event(rec, proc, "load", K.READ, self._resolve(proc, lf.AT_FDCWD, obj), api=api,
                        result=0, version=None)

    def _image(self, rec: Record, proc: Proc, path: str, argv: list[str], env: list[str] | None,
               cwd: str, tracer: str, exe_class: str) -> Exec:
        image = Exec(proc, proc.nexec, rec.ts, path, argv, env, cwd, tracer, exe_class,
                     len(self.out.execs))
        proc.nexec += 1
        proc.image = image
        self.out.execs.append(image)
        self._event(rec, proc, "exec", K.EXEC, path, result=0, version=None)
        return image

    def _exec(self, rec: Record, proc: Proc) -> None:
        s = rec.strings
        argc, envc = int(rec.a1), int(rec.a2)
        path = self._resolve(proc, rec.fd, s[0]) if s else None
        if rec.fd != lf.AT_FDCWD and s and not s[0]:
            path = self._fd_path(proc, rec.fd)  # fexecve / execveat(fd, "", AT_EMPTY_PATH)
        proc.pending = {"path": path, "argv": s[1:1 + argc], "env": s[1 + argc:1 + argc + envc],
                        "class": lf.CLASS.get(int(rec.a3), "unknown"), "ts": rec.ts}

    def _execfail(self, rec: Record, proc: Proc) -> None:
        pending = proc.pending or {}
        path = pending.get("path")
        if path is None and rec.strings:
            path = self._resolve(proc, rec.fd, rec.strings[0])
        self._event(rec, proc, "exec", K.EXEC, path, result=-1 if rec.ret >= 0 else rec.ret)
        proc.pending = None

    def _settle_pending(self, proc: Proc, rec: Record | None = None) -> None:
        """An EXEC with neither START nor EXECFAIL after it: the image is not preloadable."""
        p = proc.pending
        proc.pending = None
        if p is None or p.get("path") is None:
            return
        fake = Record(lf.OP["EXEC"], proc.pid, 0, p["ts"], 0, 0, lf.AT_FDCWD, 0, 0, 0, None, [])
        self._image(fake, proc, p["path"], p["argv"], p["env"], proc.cwd, "untraced", p["class"])
        proc.fds = {fd: e for fd, e in proc.fds.items() if not e[1]}

    def _fork(self, rec: Record, proc: Proc) -> None:
        if rec.op == lf.OP["FORK"] and rec.a1 == FORK_ATFORK:
            return  # the child announcing itself: _proc_for already created it
        if rec.ret > 0:
            creation = "fork"
            if rec.op == lf.OP["CLONE"]:
                creation = "vfork" if rec.a1 & CLONE_VFORK else "clone"
            self._child(int(rec.ret), rec.ts, creation, proc)

    def _spawn(self, rec: Record, proc: Proc) -> None:
        pid = int(rec.a1)
        if rec.ret != 0 or pid <= 0:
            return
        child = self._child(pid, rec.ts, "spawn", proc)
        s = rec.strings
        argc, envc = int(rec.a2), int(rec.a3)
        if child.nexec == 0 and child.pending is None:
            child.pending = {"path": self._resolve(proc, lf.AT_FDCWD, s[0]) if s else None,
                             "argv": s[1:1 + argc], "env": s[1 + argc:1 + argc + envc],
                             "class": lf.CLASS.get(rec.fd, "unknown"), "ts": rec.ts}

    def _exit(self, rec: Record, proc: Proc) -> None:
        if rec.a2 == EXIT_STATUS:  # the tracer's view: exact, signal deaths included
            status = int(rec.a1)
            if status & 0x7F == 0:
                proc.exit_code, proc.signal = (status >> 8) & 0xFF, None
            elif status & 0xFF != 0x7F:
                proc.exit_code, proc.signal = None, status & 0x7F
            proc.end_ns = rec.ts
            return
        # A return from main is logged by a destructor that cannot see the status: the
        # parent's WAIT (or the launcher) supplies it.
        if proc.exit_code is None and rec.a2 != EXIT_DESTRUCTOR:
            proc.exit_code = int(rec.a1) & 0xFF
        proc.end_ns = rec.ts

    def _wait(self, rec: Record, proc: Proc) -> None:
        child = self.live.get(int(rec.ret))
        if child is None:
            return
        status = int(rec.a1)
        if status & 0x7F == 0:
            child.exit_code = (status >> 8) & 0xFF
        elif status & 0xFF != 0x7F:
            child.signal = status & 0x7F
            child.exit_code = None
        if child.end_ns is None:
            child.end_ns = rec.ts

    # --- file operations ------------------------------------------------------

    def _open(self, rec: Record, proc: Proc) -> None:
        flags = int(rec.a1)
        api = lf.OPEN_API.get(int(rec.a3), "open")
        directory = api in ("opendir", "fdopendir")
        if rec.strings:
            path = self._resolve(proc, rec.fd, rec.strings[0])
        else:
            path = self._fd_path(proc, rec.fd)
        kind = K.open_kind(flags, directory)
        self._event(rec, proc, "open", kind, path, flags=flags, mode=int(rec.a2), fd=int(rec.ret), api=api)
        if rec.ret >= 0 and path is not None and api != "sem_open":
            written = flags & O_ACCMODE != os.O_RDONLY
            proc.fds[int(rec.ret)] = [path, bool(flags & O_CLOEXEC), written, "dir" if directory else "file"]

    def _close(self, rec: Record, proc: Proc) -> None:
        if rec.a1:  # close_range / closefrom: [fd, a1)
            if rec.ret < 0:
                return
            doomed = [fd for fd in proc.fds if rec.fd <= fd < rec.a1]
            for fd in doomed:
                if rec.a2 & CLOSE_RANGE_CLOEXEC:
                    proc.fds[fd][1] = True
                else:
                    del proc.fds[fd]
            return
        entry = proc.fds.pop(rec.fd, None)
        if rec.version is not None and entry is not None and entry[0].startswith("/"):
            self._event(rec, proc, "close", K.CLOSE, entry[0], fd=rec.fd, api="close")

    def _dup(self, rec: Record, proc: Proc) -> None:
        if rec.ret < 0:
            return
        entry = proc.fds.get(rec.fd)
        if entry is None:
            proc.fds.pop(int(rec.ret), None)
            return
        proc.fds[int(rec.ret)] = [entry[0], bool(rec.a1 & O_CLOEXEC), entry[2], entry[3]]

    def _setfd(self, rec: Record, proc: Proc) -> None:
        entry = proc.fds.get(rec.fd)
        if entry is not None and rec.ret >= 0:
            entry[1] = bool(rec.a1 & 1)

    def _pipe(self, rec: Record, proc: Proc) -> None:
        if rec.ret == 0:
            cloexec = bool(rec.a3 & O_CLOEXEC)
            name = f"pipe:{proc.pid}:{rec.ts}"  # unique: the creating pid and the instant
            proc.fds[int(rec.a1)] = [name, cloexec, False, "pipe"]
            proc.fds[int(rec.a2)] = [name, cloexec, True, "pipe"]

    def _pipe_ends(self, rec: Record, proc: Proc) -> None:
        """A new image holding pipe ends: it reads from / writes to those pipes.

        Reads and writes themselves are not logged; a program started with a pipe on
        an fd (as `a | b` arranges) is taken to use it.  Pipes are stored as
        pseudo-files named ``pipe:<pid>:<ts>`` with op ``pipe``.
        """
        seen = set()
        for fd, entry in sorted(proc.fds.items()):
            if entry[3] != "pipe" or not entry[0].startswith("pipe:"):
                continue
            key = (entry[0], entry[2])
            if key in seen:
                continue
            seen.add(key)
            self._event(rec, proc, "pipe", K.WRITE if entry[2] else K.READ, entry[0], fd=fd, api="pipe",
                        result=0, version=None)

    _PATH_OPS = {16: "stat", 17: "access", 18: "readlink", 20: "unlink", 21: "mkdir", 22: "mknod",
                 26: "truncate", 27: "utime", 28: "chmod", 29: "chown"}

    def _path_op(self, rec: Record, proc: Proc) -> None:
        op = self._PATH_OPS[rec.op]
        if rec.strings and rec.strings[0]:
            path = self._resolve(proc, rec.fd, rec.strings[0])
        elif rec.op == 16 or rec.op == 17:
            return  # fstat-like call on an fd: no path was named
        else:
            path = self._fd_path(proc, rec.fd)
        api = None
        if op in ("stat", "access"):
            api = lf.STAT_API.get(int(rec.a3))
        elif op == "unlink":
            api = "rmdir" if rec.a1 & AT_REMOVEDIR else lf.UNLINK_API.get(int(rec.a3), "unlink")
        kind = K.event_kinds(op, int(rec.a1))[0]
        mode = int(rec.a2) if op in ("mkdir", "mknod", "chmod", "access") else None
        self._event(rec, proc, op, kind, path, flags=int(rec.a1), mode=mode, api=api)

    def _realpath(self, rec: Record, proc: Proc) -> None:
        s = rec.strings
        if not s:
            return
        path = self._resolve(proc, lf.AT_FDCWD, s[0])
        resolved = s[1] if len(s) > 1 and s[1] else None
        self._event(rec, proc, "realpath", K.STAT, path, resolved)

    def _two_path_op(self, rec: Record, proc: Proc) -> None:
        s = rec.strings
        if len(s) < 2:
            return
        op = "rename" if rec.op == lf.OP["RENAME"] else "link"
        old = self._resolve(proc, rec.fd, s[0])
        new = self._resolve(proc, int(rec.a1), s[1])
        self._event(rec, proc, op, K.event_kinds(op)[0], old, new, flags=int(rec.a2))
        if op == "rename" and rec.ret == 0 and old and new:
            for entry in proc.fds.values():  # open fds follow the file to its new name
                if entry[0] == old:
                    entry[0] = new

    def _symlink(self, rec: Record, proc: Proc) -> None:
        s = rec.strings
        if len(s) < 2:
            return
        link = self._resolve(proc, rec.fd, s[1])
        self._event(rec, proc, "symlink", K.CREATE, s[0], link)

    def _chdir(self, rec: Record, proc: Proc) -> None:
        if rec.strings and rec.strings[0]:
            path = self._resolve(proc, lf.AT_FDCWD, rec.strings[0])
        else:
            path = self._fd_path(proc, rec.fd)
        self._event(rec, proc, "chdir", K.CHDIR, path)
        if rec.ret == 0 and path is not None:
            proc.cwd = path

    def _dlopen(self, rec: Record, proc: Proc) -> None:
        for obj in rec.strings[1:]:
            if obj and not self._is_own(obj):
                self._event(rec, proc, "load", K.READ, self._resolve(proc, lf.AT_FDCWD, obj), api="dlopen",
                            result=0)

    # --- network and blind spots ---------------------------------------------

    def _net(self, rec: Record, proc: Proc) -> None:
        op = {32: "connect", 33: "bind", 34: "accept"}[rec.op]
        address = rec.strings[0] if rec.strings else None
        host = rec.strings[1] if len(rec.strings) > 1 and rec.strings[1] else proc.hosts.get(address)
        self.seq += 1
        self.out.net.append(NetEvent(proc, proc.image, self.seq, rec.ts, op, FAMILIES.get(int(rec.a1)),
                                     address, int(rec.a2) or None, host, rec.fd, rec.ret, rec.err))
        if op == "accept" and rec.ret >= 0:
            proc.fds[int(rec.ret)] = ["<socket>", False, False, "socket"]

    def _gai(self, rec: Record, proc: Proc) -> None:
        s = rec.strings
        node = s[0] if s else None
        for addr in s[2:]:
            if node:
                proc.hosts[addr] = node
        self.seq += 1
        self.out.net.append(NetEvent(proc, proc.image, self.seq, rec.ts, "getaddrinfo", None,
                                     ",".join(s[2:]) or None, None, node, None, rec.ret, rec.err))

    def _uring(self, rec: Record, proc: Proc) -> None:
        exe = proc.image.path if proc.image else "?"
        self.out.blind_spots.append({"kind": "io_uring", "pid": proc.pid,
                                     "detail": f"{exe} set up io_uring: its file I/O is invisible"})

    def _untraced(self, rec: Record, proc: Proc) -> None:
        s = rec.strings
        path = self._resolve(proc, lf.AT_FDCWD, s[0]) if s and s[0] else "?"
        reason = s[1] if len(s) > 1 else lf.CLASS.get(rec.fd, "unknown")
        # "<what the ELF check found>; <why the supervisor could not trace it>"
        why = reason.partition("; ")[2]
        self.out.blind_spots.append({"kind": "untraced-exec", "pid": proc.pid, "path": path,
                                     "class": lf.CLASS.get(rec.fd, "unknown"), "detail": f"{path}: {reason}",
                                     "why": why})

    def _finish(self) -> None:
        for proc in self.out.procs:
            if proc.pending is not None:
                self._settle_pending(proc)


def replay(records: Iterable[Record], root_pid: int, initial_cwd: str, lib_path: str | None = None,
           root_argv: list[str] | None = None) -> Replay:
    """Replay ``records`` of a session whose launcher had pid ``root_pid``.

    :param root_argv: the argv the launcher gave to execve for the recorded command.
    """
    return Replayer(root_pid, initial_cwd, lib_path, root_argv).run(records)

"""Parse ``strace -f -y`` output into processes, path events, execs and connects.

The trace is expected to come from::

    strace -f -qq -v -y -X raw -s 65536 -e signal=none -o TRACE \\
           -e trace=%file,%process,%network,fchdir,fchmod,fchown,ftruncate,getdents64 CMD

``-y`` decorates every fd with its path (``3</tmp/d>``, and ``-100</cwd>`` for
``AT_FDCWD``), so ``*at`` calls resolve without an fd table; ``-X raw`` prints
flags as numbers; ``-v`` prints argv and environment in full.  Symbolic flags
(``O_WRONLY|O_CREAT``) are accepted too, for hand-written samples.

Two stages: :func:`parse_lines` joins ``<unfinished ...>``/``resumed`` halves
into :class:`Syscall` objects; :func:`analyze` replays them in order with a per
process cwd (inherited over fork/clone/vfork, shared by ``CLONE_FS`` threads)
and produces a :class:`Trace`.
"""

from __future__ import annotations

import ipaddress
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Iterable

AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
CLONE_VM = 0x100
CLONE_FS = 0x200
CLONE_VFORK = 0x4000
CLONE_THREAD = 0x10000

_O_PATH = getattr(os, "O_PATH", 0o10000000)

# Symbolic names strace prints without -X raw.  O_LARGEFILE is 0 in Python on
# 64-bit hosts but strace shows the kernel bit.
_SYMBOLS: dict[str, int] = {
    name: getattr(os, name) for name in dir(os) if name.startswith("O_") and isinstance(getattr(os, name), int)
}
_SYMBOLS.update(
    {
        "O_LARGEFILE": 0o100000,
        "O_TMPFILE": getattr(os, "O_TMPFILE", 0o20200000),
        "AT_FDCWD": AT_FDCWD,
        "AT_SYMLINK_NOFOLLOW": 0x100,
        "AT_REMOVEDIR": 0x200,
        "AT_SYMLINK_FOLLOW": 0x400,
        "AT_NO_AUTOMOUNT": 0x800,
        "AT_EMPTY_PATH": AT_EMPTY_PATH,
        "AT_EACCESS": 0x200,
        "AT_STATX_SYNC_AS_STAT": 0,
        "AT_STATX_FORCE_SYNC": 0x2000,
        "AT_STATX_DONT_SYNC": 0x4000,
        "F_OK": 0,
        "R_OK": 4,
        "W_OK": 2,
        "X_OK": 1,
        "CLONE_VM": CLONE_VM,
        "CLONE_FS": CLONE_FS,
        "CLONE_FILES": 0x400,
        "CLONE_SIGHAND": 0x800,
        "CLONE_PIDFD": 0x1000,
        "CLONE_PTRACE": 0x2000,
        "CLONE_VFORK": CLONE_VFORK,
        "CLONE_PARENT": 0x8000,
        "CLONE_THREAD": CLONE_THREAD,
        "CLONE_NEWNS": 0x20000,
        "CLONE_SYSVSEM": 0x40000,
        "CLONE_SETTLS": 0x80000,
        "CLONE_PARENT_SETTID": 0x100000,
        "CLONE_CHILD_CLEARTID": 0x200000,
        "CLONE_DETACHED": 0x400000,
        "CLONE_UNTRACED": 0x800000,
        "CLONE_CHILD_SETTID": 0x1000000,
        "CLONE_CLEAR_SIGHAND": 0x100000000,
        "CLONE_INTO_CGROUP": 0x200000000,
        "SIGCHLD": 17,
        "AF_UNIX": 1,
        "AF_LOCAL": 1,
        "AF_INET": 2,
        "AF_INET6": 10,
    }
)
for _name in ("S_IFREG", "S_IFCHR", "S_IFBLK", "S_IFIFO", "S_IFSOCK", "S_IFDIR", "S_IFLNK"):
    _SYMBOLS[_name] = getattr(__import__("stat"), _name)

_FAMILIES = {1: "unix", 2: "inet", 10: "inet6"}


# --- low-level lexing -------------------------------------------------------

_SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "a": 7, "b": 8, "\\": 92, '"': 34, "'": 39, "?": 63}


def unescape(text: str) -> str:
    """Decode the inside of a strace C string (``\\n``, ``\\x7f``, ``\\74``...).

    Returns a ``str`` the way :func:`os.fsdecode` would for the raw bytes.
    """
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 == n:
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        e = text[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2 :])
            out.append(int(m.group(0), 16))  # type: ignore[union-attr]
            i += 2 + len(m.group(0))  # type: ignore[union-attr]
        elif e in "01234567":
            m = re.match(r"[0-7]{1,3}", text[i + 1 :])
            out.append(int(m.group(0), 8) & 0xFF)  # type: ignore[union-attr]
            i += 1 + len(m.group(0))  # type: ignore[union-attr]
        else:
            out += e.encode("utf-8", "surrogateescape")
            i += 2
    return os.fsdecode(bytes(out))


def split_args(text: str, start: int = 0, closer: str | None = ")") -> tuple[list[str], int]:
    """Split a strace argument list at its top-level commas.

    Scanning starts at ``start`` (just after the opening bracket) and stops at
    the matching ``closer`` (or the end of text when ``closer`` is None).
    Returns the stripped argument texts and the index of the closer.
    Strings, ``/* comments */`` and ``<fd decorations>`` are skipped whole.
    """
    args: list[str] = []
    depth = 0
    i = start
    begin = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c == "<" and i > start and (text[i - 1].isalnum() or text[i - 1] == "]"):
            j = text.find(">", i + 1)  # '>' inside a decoration is escaped as \76
            i = n if j < 0 else j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0 and c == closer:
                break
            depth -= 1
        elif c == "," and depth == 0:
            args.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    last = text[begin:i].strip()
    if last or args:
        args.append(last)
    return args, i


def parse_string(tok: str) -> str | None:
    """The value of a quoted strace string, None for NULL or a pointer."""
    tok = tok.strip()
    if tok.endswith("..."):  # truncated by -s: refuse to guess
        raise ValueError(f"truncated string in trace: {tok[:80]}")
    if len(tok) >= 2 and tok[0] == '"' and tok[-1] == '"':
        return unescape(tok[1:-1])
    if tok.startswith('@"') and tok.endswith('"'):  # abstract unix socket
        return "@" + unescape(tok[2:-1])
    return None


def parse_int(tok: str) -> int:
    """An integer argument: ``0x80000``, ``0666`` (octal), ``0x1200000|17``,
    ``O_WRONLY|O_CREAT|O_TRUNC``, ``-100``; ``/* comments */`` are ignored."""
    tok = re.sub(r"/\*.*?\*/", "", tok).strip()
    if "<" in tok:  # an fd with its decoration
        tok = tok[: tok.index("<")]
    total = 0
    for part in tok.split("|"):
        part = part.strip()
        if not part:
            continue
        if part in _SYMBOLS:
            total |= _SYMBOLS[part]
        elif re.fullmatch(r"-?0[0-7]+", part):
            total |= int(part, 8)
        else:
            total |= int(part, 0)
    return total


def parse_fd(tok: str) -> tuple[int, str | None]:
    """An fd argument and its ``-y`` decoration: ``3</tmp/x>`` -> (3, "/tmp/x")."""
    tok = tok.strip()
    m = re.fullmatch(r"(-?\d+|AT_FDCWD)(?:<(.*)>)?(?:\(deleted\))?", tok, re.S)
    if not m:
        raise ValueError(f"not an fd: {tok!r}")
    num = AT_FDCWD if m.group(1) == "AT_FDCWD" else int(m.group(1))
    deco = m.group(2)
    if deco is None:
        return num, None
    deco = unescape(deco)
    if deco.endswith(" (deleted)"):
        deco = deco[: -len(" (deleted)")]
    return num, deco


def parse_str_array(tok: str) -> list[str] | None:
    """``["ls", "-l"]`` -> ["ls", "-l"]; None for NULL / an abbreviated pointer."""
    tok = tok.strip()
    if not tok.startswith("["):
        return None
    items, end = split_args(tok, 1, "]")
    out = []
    for item in items:
        if item == "...":
            raise ValueError("abbreviated array in trace (run strace with -v)")
        s = parse_string(item)
        if s is None:
            raise ValueError(f"not a string in array: {item!r}")
        out.append(s)
    return out


def parse_struct(tok: str) -> dict[str, str]:
    """``{flags=0x4100, exit_signal=17}`` -> {"flags": "0x4100", ...}."""
    tok = tok.strip()
    if not tok.startswith("{"):
        return {}
    items, _ = split_args(tok, 1, "}")
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


# --- stage 1: lines to syscalls ----------------------------------------------


@dataclass
class Syscall:
    """One completed system call as strace printed it."""

    tid: int
    name: str
    args: list[str]
    ret: int | None  # None when strace printed '?'
    errno: str | None
    ret_deco: str | None  # -y decoration of the returned fd
    start: int  # line number of the entry (the <unfinished ...> half if split)
    end: int  # line number of the completion
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.ret is not None and self.ret >= 0 and self.errno is None


_LINE = re.compile(r"^(\d+)\s+(.*)$", re.S)
_RESUMED = re.compile(r"^<\.\.\. ([A-Za-z0-9_?]+) resumed>\s?(.*)$", re.S)
_UNFINISHED = " <unfinished ...>"
_RET = re.compile(
    r"^\s*=\s*(\?|-?\d+|0x[0-9a-fA-F]+)(?:<(.*?)>(?:\(deleted\))?)?(?:\s+([A-Z][A-Z0-9_]+)\b.*)?(?:\s+\(.*\))?\s*$",
    re.S,
)


def parse_call(tid: int, text: str, start: int, end: int) -> Syscall | None:
    """Parse ``name(args) = ret ...``; None for lines that are not calls.

    :raises ValueError: a call whose result cannot be parsed."""
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\(", text)
    if not m:
        return None
    args, close = split_args(text, m.end(), ")")
    rest = text[close + 1 :]
    r = _RET.match(rest)
    if not r:  # never drop a call silently: it could be the access that matters
        raise ValueError(f"cannot parse the result of strace line {end + 1}: {text[:300]!r}")
    ret_text, deco, err = r.group(1), r.group(2), r.group(3)
    ret = None if ret_text == "?" else int(ret_text, 0)
    if ret is not None and ret >= 0:
        err = None
    if deco is not None:
        deco = unescape(deco)
    return Syscall(tid, m.group(1), args, ret, err, deco, start, end, text)


def parse_lines(lines: Iterable[str]) -> list[Syscall]:
    """Join split calls and parse every line of a ``strace -f -o`` file."""
    pending: dict[int, tuple[str, int]] = {}
    calls: list[Syscall] = []
    for lineno, line in enumerate(lines):
        line = line.rstrip("\n")
        m = _LINE.match(line)
        if not m:
            continue
        tid, body = int(m.group(1)), m.group(2)
        if body.startswith(("+++", "---")):
            continue
        r = _RESUMED.match(body)
        if r:
            if tid not in pending:
                continue  # the entry happened before strace attached
            head, start = pending.pop(tid)
            body = head + r.group(2)
        elif body.endswith(_UNFINISHED):
            pending[tid] = (body[: -len(_UNFINISHED)], lineno)
            continue
        else:
            start = lineno
        call = parse_call(tid, body, start, lineno)
        if call is not None:
            calls.append(call)
    return calls


# --- stage 2: the model ---------------------------------------------------------


@dataclass
class PathEvent:
    """A path access strace saw.  ``op`` uses provtrace's operation names."""

    pid: int  # thread group id
    tid: int
    syscall: str
    op: str
    path: str | None  # absolute and normalised; None if the op has no first path
    path2: str | None = None
    flags: int = 0
    ok: bool = True
    errno: str | None = None
    line: int = 0
    target: str | None = None  # readlink result, symlink target
    evidence_only: bool = False  # fd-based: proves an access, not a required one


@dataclass
class Exec:
    pid: int
    tid: int
    path: str
    argv: list[str]
    env: list[str] | None
    ok: bool
    errno: str | None
    line: int


@dataclass
class NetEvent:
    pid: int
    op: str  # connect | bind | accept
    family: str | None
    address: str | None
    port: int | None
    ok: bool
    errno: str | None
    line: int


@dataclass
class Proc:
    pid: int
    parent: int | None  # thread group id of the creator
    creator: str | None  # fork | vfork | clone | clone3 syscall name
    clone_flags: int = 0
    inherited_argv: list[str] | None = None  # image at creation (None: unknown)
    argv: list[str] | None = None  # current image
    first_line: int = 0
    first_exec_line: int | None = None  # first successful exec
    execs: list[Exec] = field(default_factory=list)  # successful ones, in order


@dataclass
class Trace:
    procs: dict[int, Proc]
    events: list[PathEvent]
    execs: list[Exec]  # every execve, failed ones included
    net: list[NetEvent]
    tid_to_pid: dict[int, int]

    def subtree(self, root: int) -> set[int]:
        """``root`` and every process created below it (by clone lineage)."""
        children: dict[int, list[int]] = {}
        for p in self.procs.values():
            if p.parent is not None:
                children.setdefault(p.parent, []).append(p.pid)
        out, todo = set(), [root]
        while todo:
            pid = todo.pop()
            if pid in out:
                continue
            out.add(pid)
            todo.extend(children.get(pid, ()))
        return out

    def restrict(self, root: int) -> "Trace":
        """Only what ``root`` did from its first successful exec on, and its descendants."""
        pids = self.subtree(root)
        since = self.procs[root].first_exec_line or 0

        def keep(pid: int, line: int) -> bool:
            return pid in pids and (pid != root or line >= since)

        procs = {pid: p for pid, p in self.procs.items() if pid in pids}
        return Trace(
            procs,
            [e for e in self.events if keep(e.pid, e.line)],
            [e for e in self.execs if keep(e.pid, e.line)],
            [e for e in self.net if keep(e.pid, e.line)],
            {t: p for t, p in self.tid_to_pid.items() if p in pids},
        )


def normalise(path: str) -> str:
    path = posixpath.normpath(path)
    return "/" + path.lstrip("/") if path.startswith("//") else path


# (op, (dirfd index | None, path index), second path spec | None, flags index | None)
_PathSpec = tuple[int | None, int]
_SPECS: dict[str, tuple[str, _PathSpec | None, _PathSpec | None, int | None]] = {
    "open": ("open", (None, 0), None, 1),
    "openat": ("open", (0, 1), None, 2),
    "creat": ("open", (None, 0), None, None),
    "openat2": ("open", (0, 1), None, None),
    "stat": ("stat", (None, 0), None, None),
    "lstat": ("stat", (None, 0), None, None),
    "stat64": ("stat", (None, 0), None, None),
    "lstat64": ("stat", (None, 0), None, None),
    "newfstatat": ("stat", (0, 1), None, 3),
    "fstatat64": ("stat", (0, 1), None, 3),
    "statx": ("stat", (0, 1), None, 2),
    "statfs": ("stat", (None, 0), None, None),
    "statfs64": ("stat", (None, 0), None, None),
    "getxattr": ("stat", (None, 0), None, None),
    "lgetxattr": ("stat", (None, 0), None, None),
    "listxattr": ("stat", (None, 0), None, None),
    "llistxattr": ("stat", (None, 0), None, None),
    "setxattr": ("chmod", (None, 0), None, None),
    "lsetxattr": ("chmod", (None, 0), None, None),
    "removexattr": ("chmod", (None, 0), None, None),
    "lremovexattr": ("chmod", (None, 0), None, None),
    "access": ("access", (None, 0), None, None),
    "faccessat": ("access", (0, 1), None, None),
    "faccessat2": ("access", (0, 1), None, 3),
    "readlink": ("readlink", (None, 0), None, None),
    "readlinkat": ("readlink", (0, 1), None, None),
    "unlink": ("unlink", (None, 0), None, None),
    "rmdir": ("unlink", (None, 0), None, None),
    "unlinkat": ("unlink", (0, 1), None, None),
    "mkdir": ("mkdir", (None, 0), None, None),
    "mkdirat": ("mkdir", (0, 1), None, None),
    "mknod": ("mknod", (None, 0), None, None),
    "mknodat": ("mknod", (0, 1), None, None),
    "rename": ("rename", (None, 0), (None, 1), None),
    "renameat": ("rename", (0, 1), (2, 3), None),
    "renameat2": ("rename", (0, 1), (2, 3), None),
    "link": ("link", (None, 0), (None, 1), None),
    "linkat": ("link", (0, 1), (2, 3), 4),
    "symlink": ("symlink", None, (None, 1), None),
    "symlinkat": ("symlink", None, (1, 2), None),
    "truncate": ("truncate", (None, 0), None, None),
    "truncate64": ("truncate", (None, 0), None, None),
    "utime": ("utime", (None, 0), None, None),
    "utimes": ("utime", (None, 0), None, None),
    "futimesat": ("utime", (0, 1), None, None),
    "utimensat": ("utime", (0, 1), None, 3),
    "chmod": ("chmod", (None, 0), None, None),
    "fchmodat": ("chmod", (0, 1), None, None),
    "fchmodat2": ("chmod", (0, 1), None, 3),
    "chown": ("chown", (None, 0), None, None),
    "lchown": ("chown", (None, 0), None, None),
    "fchownat": ("chown", (0, 1), None, 4),
    "chdir": ("chdir", (None, 0), None, None),
}

# fd-based calls: (op, flags).  They prove an access to the fd's file (used to
# accept what provtrace reports) but are not required of provtrace.
_FD_CALLS = {
    "fchmod": ("chmod", 0),
    "fchown": ("chown", 0),
    "ftruncate": ("truncate", 0),
    "getdents64": ("open", os.O_RDONLY | os.O_DIRECTORY),
    "getdents": ("open", os.O_RDONLY | os.O_DIRECTORY),
}

_CREAT_FLAGS = os.O_CREAT | os.O_WRONLY | os.O_TRUNC
_FORKS = ("fork", "vfork", "clone", "clone3")


def parse_sockaddr(tok: str) -> tuple[str | None, str | None, int | None]:
    """(family, address, port) from a strace sockaddr struct, raw or symbolic."""
    s = parse_struct(tok)
    if "sa_family" not in s:
        return None, None, None
    fam = _FAMILIES.get(parse_int(s["sa_family"]))
    if fam == "unix":
        path = s.get("sun_path")
        return fam, parse_string(path) if path else None, None
    if fam not in ("inet", "inet6"):
        return fam, None, None
    port_key, addr_key = ("sin_port", "sin_addr") if fam == "inet" else ("sin6_port", "sin6_addr")
    port_tok, addr_tok = s.get(port_key, ""), s.get(addr_key, "")
    port: int | None = None
    m = re.fullmatch(r"htons\((\d+)\)", port_tok)
    if m:
        port = int(m.group(1))
    elif port_tok.startswith('"'):
        port = int.from_bytes(os.fsencode(parse_string(port_tok) or ""), "big")
    address: str | None = None
    m = re.search(r'"([^"]*)"', addr_tok)
    if addr_tok.startswith(("inet_addr", "inet_pton")) and m:
        address = m.group(1)
    elif addr_tok.startswith('"'):
        raw = os.fsencode(parse_string(addr_tok) or "")
        address = str(ipaddress.ip_address(raw))
    return fam, address, port


class _Analyzer:
    def __init__(self, initial_cwd: str | None):
        self.initial_cwd = initial_cwd
        self.procs: dict[int, Proc] = {}
        self.tid_to_pid: dict[int, int] = {}
        self.cwd: dict[int, list[str | None]] = {}  # tid -> shared cell
        self.events: list[PathEvent] = []
        self.execs: list[Exec] = []
        self.net: list[NetEvent] = []

    # -- processes and cwd

    def ensure(self, tid: int, line: int) -> int:
        if tid not in self.tid_to_pid:  # first sight of an untracked tid
            self.tid_to_pid[tid] = tid
            self.procs[tid] = Proc(tid, None, None, first_line=line)
            self.cwd[tid] = [self.initial_cwd]
        return self.tid_to_pid[tid]

    def spawn(self, call: Syscall) -> None:
        parent_pid = self.ensure(call.tid, call.start)
        child = call.ret
        assert child is not None
        flags = 0
        if call.name == "clone":
            kv = {a.partition("=")[0]: a.partition("=")[2] for a in call.args}
            flags = parse_int(kv.get("flags", "0"))
        elif call.name == "clone3":
            st = parse_struct(call.args[0]) if call.args else {}
            flags = parse_int(st.get("flags", "0"))
        elif call.name == "vfork":
            flags = CLONE_VM | CLONE_VFORK
        cell = self.cwd[call.tid]
        self.cwd[child] = cell if flags & CLONE_FS else [cell[0]]
        if flags & CLONE_THREAD:
            self.tid_to_pid[child] = parent_pid
            return
        self.tid_to_pid[child] = child
        parent = self.procs[parent_pid]
        self.procs[child] = Proc(
            child, parent_pid, call.name, flags, inherited_argv=parent.argv, argv=parent.argv, first_line=call.start
        )

    def base(self, tid: int, tok: str | None) -> str | None:
        if tok is None:
            return self.cwd[tid][0]
        num, deco = parse_fd(tok)
        if num == AT_FDCWD:
            if deco is not None:
                self.cwd[tid][0] = deco
            return self.cwd[tid][0]
        return deco

    def resolve(self, tid: int, spec: tuple[int | None, int], args: list[str]) -> str | None:
        dir_i, path_i = spec
        base = self.base(tid, args[dir_i] if dir_i is not None else None)
        path = parse_string(args[path_i])
        if path is None:
            return None
        if path == "" and dir_i is not None:
            return base  # AT_EMPTY_PATH: the fd itself
        if path.startswith("/"):
            return normalise(path)
        if base is None:
            return "?/" + path
        return normalise(posixpath.join(base, path))

    # -- calls

    def feed(self, call: Syscall) -> None:
        tid = call.tid
        pid = self.ensure(tid, call.start)
        name, args = call.name, call.args
        # refresh cwd from any AT_FDCWD decoration, whatever the call
        for a in args[:1]:
            if a.startswith(("-100<", "AT_FDCWD<")):
                self.base(tid, a)
        if name in ("execve", "execveat"):
            self.exec_(call, pid)
        elif name == "fchdir":
            _, deco = parse_fd(args[0])
            if call.ok and deco:
                self.cwd[tid][0] = deco
            self.events.append(PathEvent(pid, tid, name, "chdir", deco, ok=call.ok, errno=call.errno, line=call.end))
        elif name in _SPECS:
            self.path_call(call, pid)
        elif name in _FD_CALLS and args:
            op, flags = _FD_CALLS[name]
            _, deco = parse_fd(args[0])
            if deco and deco.startswith("/"):
                self.events.append(
                    PathEvent(pid, tid, name, op, deco, flags=flags, ok=call.ok, line=call.end, evidence_only=True)
                )
        elif name in ("connect", "bind", "accept", "accept4") and len(args) >= 2:
            fam, addr, port = parse_sockaddr(args[1])
            ok = call.ok or (name == "connect" and call.errno == "EINPROGRESS")
            op = "accept" if name.startswith("accept") else name
            self.net.append(NetEvent(pid, op, fam, addr, port, ok, call.errno, call.end))

    def exec_(self, call: Syscall, pid: int) -> None:
        args = call.args
        if call.name == "execve":
            path = self.resolve(call.tid, (None, 0), args)
            argv, env = parse_str_array(args[1]), parse_str_array(args[2])
        else:
            path = self.resolve(call.tid, (0, 1), args)
            argv, env = parse_str_array(args[2]), parse_str_array(args[3])
        ex = Exec(pid, call.tid, path or "?", argv or [], env, call.ok, call.errno, call.end)
        self.execs.append(ex)
        self.events.append(PathEvent(pid, call.tid, call.name, "exec", path, ok=call.ok, errno=call.errno, line=call.end))
        if call.ok:
            proc = self.procs[pid]
            proc.execs.append(ex)
            proc.argv = ex.argv
            if proc.first_exec_line is None:
                proc.first_exec_line = call.end

    def path_call(self, call: Syscall, pid: int) -> None:
        op, spec1, spec2, flags_i = _SPECS[call.name]
        args = call.args
        path1 = self.resolve(call.tid, spec1, args) if spec1 else None
        path2 = self.resolve(call.tid, spec2, args) if spec2 else None
        flags = 0
        if flags_i is not None and flags_i < len(args):
            flags = parse_int(args[flags_i])
        if call.name == "creat":
            flags = _CREAT_FLAGS
        elif call.name == "openat2":
            flags = parse_int(parse_struct(args[2]).get("flags", "0"))
        if call.name in ("newfstatat", "fstatat64", "statx") and parse_string(args[1]) == "":
            return  # fstat on an fd: no path
        if call.name == "utimensat" and parse_string(args[1]) is None:
            _, deco = parse_fd(args[0])  # futimens(fd)
            if deco:
                self.events.append(PathEvent(pid, call.tid, call.name, op, deco, ok=call.ok, line=call.end, evidence_only=True))
            return
        target = None
        if op == "readlink" and call.ok and spec1:
            target = parse_string(args[spec1[1] + 1])
        elif op == "symlink":
            target = parse_string(args[0])
        if op == "chdir" and call.ok and path1:
            self.cwd[call.tid][0] = path1
        self.events.append(
            PathEvent(pid, call.tid, call.name, op, path1, path2, flags, call.ok, call.errno, call.end, target)
        )


def analyze(calls: list[Syscall], initial_cwd: str | None = None) -> Trace:
    """Replay the calls in order.  A new process inherits its creator's state at
    the moment the creating call was entered (its children can run before the
    creating call's ``resumed`` line)."""
    an = _Analyzer(initial_cwd)
    actions: list[tuple[int, int, Syscall]] = []
    for call in calls:
        if call.name in _FORKS and call.ret is not None and call.ret > 0:
            actions.append((call.start, 0, call))
        actions.append((call.end, 1, call))
    actions.sort(key=lambda a: (a[0], a[1]))
    for _, kind, call in actions:
        if kind == 0:
            an.spawn(call)
        else:
            an.feed(call)
    return Trace(an.procs, an.events, an.execs, an.net, an.tid_to_pid)


def read_trace(path: str | os.PathLike[str], initial_cwd: str | None = None) -> Trace:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return analyze(parse_lines(f), initial_cwd)

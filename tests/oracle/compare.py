"""Compare what strace saw with what provtrace recorded, for one run.

Unit of comparison: (pid, absolute path, kind), kinds from provtrace's own
:func:`provtrace.kinds.event_kinds` on both sides.  Only successful calls are
required of provtrace (failed probes are recorded by provtrace but not
compared: strace and provtrace disagree legitimately on what a failed libc
call maps to, e.g. one ``execvp`` = many failed ``execve``).

- **miss**: strace saw it, provtrace did not.  Must fall in a blind-spot
  category (:mod:`oracle.blindspots`), else it is *unexplained*.
- **extra**: provtrace reported it and nothing in the trace shows it happened.
  Evidence is wider than the required set: fd-based calls (``getdents64``,
  ``fchmod``...), ``readlink`` failing with EINVAL (the path exists and was
  looked up, as inside ``realpath``) and what ``execve`` implies in the kernel
  (the program and its ``PT_INTERP`` / ``#!`` interpreter are read).
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field

from provtrace.kinds import event_kinds

from . import blindspots
from .provstore import PtEvent, PtRun
from .strace import PathEvent, Trace, normalise

Key = tuple[int, str, str]  # pid, path, kind

_KNOWN_OPS = {
    "open", "exec", "stat", "access", "readlink", "realpath", "unlink", "mkdir", "mknod", "rename",
    "link", "symlink", "truncate", "utime", "chmod", "chown", "chdir", "load",
}  # fmt: skip

# Rows that record no access of their own: a close carries the version of a
# file written through the fd, whose open is already an event.
_BOOKKEEPING_OPS = {"close", "pipe"}

NSCD_SOCKETS = {"/var/run/nscd/socket", "/run/nscd/socket"}


# --- kernel-implied accesses of an execve --------------------------------------


def elf_interp(path: str) -> str | None:
    """PT_INTERP of a 64-bit little-endian ELF file, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None
            phoff, = struct.unpack_from("<Q", head, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            for i in range(phnum):
                p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", table, i * phentsize)
                if p_type == 3:  # PT_INTERP
                    f.seek(p_offset)
                    return f.read(p_filesz).rstrip(b"\0").decode()
    except OSError:
        return None
    return None


def exec_implied(path: str) -> list[tuple[str, str]]:
    """(path, kind) the kernel reads for ``execve(path)``: the file, a ``#!``
    interpreter (exec'd), and the ELF interpreter of whatever runs."""
    out = [(path, "read")]
    interp = blindspots.script_interp(path)
    elf = path
    if interp:
        out += [(normalise(interp), "exec"), (normalise(interp), "read")]
        elf = interp
    ld = elf_interp(elf)
    if ld:
        out.append((normalise(ld), "read"))
    return out


# --- the two sides -----------------------------------------------------------------


def strace_keys(trace: Trace, internal: blindspots.Internal) -> tuple[dict[Key, PathEvent], set[Key], int]:
    """Required keys (successful path calls), extra evidence keys, and the
    number of tracer-internal accesses dropped."""
    probes = blindspots.tracer_lines(trace)
    required: dict[Key, PathEvent] = {}
    evidence: set[Key] = set()
    dropped = 0
    for ev in trace.events:
        if not ev.ok:
            if ev.op == "readlink" and ev.errno == "EINVAL" and ev.path:
                evidence.add((ev.pid, ev.path, "stat"))
            continue
        if ev.line in probes or internal.is_internal_path(ev.path) or internal.is_internal_path(ev.path2):
            dropped += 1
            continue
        kinds = event_kinds(ev.op, ev.flags)
        for path, kind in zip((ev.path, ev.path2), kinds):
            if not path or not kind:
                continue
            key = (ev.pid, path, kind)
            if ev.evidence_only:
                evidence.add(key)
            else:
                required.setdefault(key, ev)
        if ev.op == "exec" and ev.path:
            evidence.update((ev.pid, p, k) for p, k in exec_implied(ev.path))
    return required, evidence, dropped


def provtrace_keys(run: PtRun, internal: blindspots.Internal) -> tuple[dict[Key, PtEvent], list[str]]:
    """Keys of provtrace's successful events, and complaints about stored kinds."""
    keys: dict[Key, PtEvent] = {}
    problems: list[str] = []
    for ev in run.events:
        if not ev.ok or ev.op in _BOOKKEEPING_OPS:
            continue
        if internal.is_internal_path(ev.path) or internal.is_internal_path(ev.path2):
            continue
        if ev.op == "open":
            kinds: tuple[str | None, str | None] = (ev.kind, None)
        elif ev.op in _KNOWN_OPS:
            kinds = event_kinds(ev.op, ev.flags)
            if ev.kind not in kinds:
                problems.append(f"pid {ev.pid} {ev.path}: stored kind {ev.kind!r}, event_kinds says {kinds} ({ev.describe()})")
        else:
            kinds = (ev.kind, None)
        for path, kind in zip((ev.path, ev.path2), kinds):
            if path and kind:
                keys.setdefault((ev.pid, path, kind), ev)
    return keys, problems


# --- execs, processes, network ---------------------------------------------------


def compare_execs(trace: Trace, run: PtRun) -> tuple[list[str], set[Key]]:
    """Per process, strace's successful execve argv lists against provtrace's
    execs rows.  A leading seq-0 row may stand for the image inherited at fork."""
    problems: list[str] = []
    keys: set[Key] = set()
    by_pid: dict[int, list] = {}
    for x in run.execs:
        by_pid.setdefault(x.pid, []).append(x)
    for pid in sorted(set(trace.procs) | set(by_pid)):
        proc = trace.procs.get(pid)
        seen = [(e.path, e.argv) for e in proc.execs] if proc else []
        rows = sorted(by_pid.get(pid, []), key=lambda x: x.seq)
        if proc and len(rows) == len(seen) + 1 and rows[0].seq == 0 and rows[0].argv == proc.inherited_argv:
            rows = rows[1:]
        if [r.argv for r in rows] != [argv for _, argv in seen]:
            problems.append(
                f"pid {pid}: strace execve argv {[a for _, a in seen]!r}\n"
                f"           provtrace execs    {[(r.seq, r.argv) for r in rows]!r}"
            )
        for r in rows:
            if r.path:
                keys.add((pid, normalise(r.path), "exec"))
    return problems, keys


def compare_processes(trace: Trace, run: PtRun) -> list[str]:
    problems = []
    missing = sorted(set(trace.procs) - set(run.procs))
    extra = sorted(set(run.procs) - set(trace.procs))
    if missing:
        problems.append(f"processes strace saw, provtrace did not: {missing}")
    if extra:
        problems.append(f"processes provtrace recorded that strace never saw: {extra}")
    for pid, proc in sorted(trace.procs.items()):
        if pid == run.root_pid or pid not in run.procs:
            continue
        if run.parents.get(pid) != proc.parent:
            problems.append(f"pid {pid}: parent {run.parents.get(pid)} in provtrace, {proc.parent} per strace")
    return problems


def compare_net(trace: Trace, run: PtRun) -> tuple[list[str], int, Counter]:
    """Successful connects both ways (exact); provtrace's binds/accepts must be in the trace."""
    problems: list[str] = []
    blind: Counter = Counter()
    seen = {(n.pid, n.op, n.family, n.address, n.port) for n in trace.net if n.ok}
    seen_loose = {k[:4] for k in seen}
    got = {(n.pid, n.op, n.family, n.address, n.port) for n in run.net if n.ok and n.op in ("connect", "bind", "accept")}
    matched = 0
    for key in sorted(seen, key=str):
        if key[1] != "connect":
            continue
        if key in got:
            matched += 1
        elif key[2] == "unix" and key[3] in NSCD_SOCKETS:
            blind[blindspots.NSS] += 1
        else:
            problems.append(f"connect strace saw, provtrace did not: pid {key[0]} {key[2]} {key[3]} port {key[4]}")
    for key in sorted(got, key=str):
        ok = key in seen if key[1] == "connect" else key[:4] in seen_loose
        if not ok:
            problems.append(f"{key[1]} provtrace reported, strace never saw: pid {key[0]} {key[2]} {key[3]} port {key[4]}")
    return problems, matched, blind


# --- the comparison -------------------------------------------------------------------


@dataclass
class Comparison:
    name: str
    required: int = 0
    matched: int = 0
    internal: int = 0
    blind: dict[str, list[Key]] = field(default_factory=dict)
    unexplained: list[tuple[Key, PathEvent, str]] = field(default_factory=list)
    extras: list[tuple[Key, PtEvent, str]] = field(default_factory=list)
    exec_problems: list[str] = field(default_factory=list)
    process_problems: list[str] = field(default_factory=list)
    net_problems: list[str] = field(default_factory=list)
    kind_problems: list[str] = field(default_factory=list)
    connects: int = 0
    dropped_records: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.unexplained or self.extras or self.exec_problems or self.process_problems
            or self.net_problems or self.kind_problems or self.dropped_records
        )  # fmt: skip

    def summary(self) -> dict:
        return {
            "name": self.name,
            "strace": self.required,
            "matched": self.matched,
            "blind": {k: len(v) for k, v in sorted(self.blind.items())},
            "unexplained": len(self.unexplained),
            "extras": len(self.extras),
            "internal": self.internal,
            "connects": self.connects,
            "exec_problems": len(self.exec_problems),
            "process_problems": len(self.process_problems),
            "net_problems": len(self.net_problems),
            "kind_problems": len(self.kind_problems),
        }

    def report(self, limit: int = 60) -> str:
        blind = ", ".join(f"{k} {len(v)}" for k, v in sorted(self.blind.items())) or "none"
        lines = [
            f"== {self.name}: {self.required} accesses seen by strace, {self.matched} matched, "
            f"blind: {blind}; {len(self.unexplained)} UNEXPLAINED, {len(self.extras)} EXTRA "
            f"({self.internal} tracer-internal dropped)"
        ]
        if self.dropped_records:
            lines.append(f"provtrace dropped {self.dropped_records} records")
        if self.unexplained:
            lines.append("UNEXPLAINED misses (strace saw them, provtrace did not, no blind spot applies):")
            for (pid, path, kind), ev, note in self.unexplained[:limit]:
                lines.append(f"  pid {pid} {kind:8} {path}   [{ev.syscall} flags={ev.flags:#o} line {ev.line + 1}]{note}")
        if self.extras:
            lines.append("EXTRAS (provtrace reported them, nothing in the trace shows them):")
            for (pid, path, kind), ev, note in self.extras[:limit]:
                lines.append(f"  pid {pid} {kind:8} {path}   [{ev.describe()}]{note}")
        for title, items in (
            ("EXEC argv mismatches", self.exec_problems),
            ("PROCESS tree mismatches", self.process_problems),
            ("NETWORK mismatches", self.net_problems),
            ("STORED KIND mismatches", self.kind_problems),
        ):
            if items:
                lines.append(f"{title}:")
                lines.extend("  " + p for p in items[:limit])
        return "\n".join(lines)


def compare(name: str, trace: Trace, run: PtRun, internal: blindspots.Internal) -> Comparison:
    """``trace`` must already be restricted to the recorded command's subtree."""
    cmp = Comparison(name, dropped_records=run.dropped)
    required, evidence, cmp.internal = strace_keys(trace, internal)
    got, cmp.kind_problems = provtrace_keys(run, internal)
    cmp.exec_problems, exec_keys = compare_execs(trace, run)
    for key in exec_keys:
        got.setdefault(key, PtEvent(key[0], -1, "exec", "exec", key[1], None, 0, True, "execs-table"))
    cmp.process_problems = compare_processes(trace, run)
    cmp.net_problems, cmp.connects, net_blind = compare_net(trace, run)
    ctx = blindspots.Context.build(trace, run.realpaths())
    cmp.required = len(required)
    by_path_kind: dict[tuple[str, str], list[int]] = {}
    for pid, path, kind in got:
        by_path_kind.setdefault((path, kind), []).append(pid)
    strace_kinds: dict[tuple[int, str], set[str]] = {}
    for pid, path, kind in list(required) + list(evidence):
        strace_kinds.setdefault((pid, path), set()).add(kind)
    for key, ev in sorted(required.items()):
        if key in got:
            cmp.matched += 1
            continue
        pid, path, kind = key
        category = blindspots.classify(ev, kind, path, ctx)
        if category:
            cmp.blind.setdefault(category, []).append(key)
            continue
        others = sorted(p for p in by_path_kind.get((path, kind), []) if p != pid)
        note = f"  (provtrace has it under pid {others})" if others else ""
        cmp.unexplained.append((key, ev, note))
    for cat, n in net_blind.items():
        cmp.blind.setdefault(cat, []).extend([(0, "nscd-socket", "connect")] * n)
    for key, ev in sorted(got.items(), key=lambda kv: kv[0]):
        if key in required or key in evidence:
            continue
        pid, path, kind = key
        kinds = strace_kinds.get((pid, path))
        note = f"  (strace saw kinds {sorted(kinds)} of this path in this pid)" if kinds else ""
        cmp.extras.append((key, ev, note))
    return cmp

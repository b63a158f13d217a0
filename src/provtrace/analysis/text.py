"""Plain-text renderings of analysis results (the CLI prints these; --json prints the dicts)."""

from __future__ import annotations

import datetime as dt
import os
import shlex
from typing import TYPE_CHECKING, Any

from ..units import human_size
from .lineage import Lineage, Step, VersionNode

if TYPE_CHECKING:
    from .classify import RunFiles
    from .diff import RunDiff
    from .status import StatusReport


def when(ns: int | None) -> str:
    """Local time of a nanosecond timestamp, or '-'."""
    if not ns:
        return "-"
    return dt.datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def short_hash(h: str | None, n: int = 12) -> str:
    """``blake3:0123456789ab`` -> ``0123456789ab`` (or '-' when unknown)."""
    return h.split(":", 1)[-1][:n] if h else "-"


def rel(path: str, base: str | None) -> str:
    """A path relative to ``base`` when it lies below it."""
    if base and (path == base or path.startswith(base.rstrip("/") + "/")):
        return os.path.relpath(path, base)
    return path


def size(n: int | None) -> str:
    """Human size: 512 B, 3.1 KiB, ..."""
    return human_size(n)


# --- why -------------------------------------------------------------------------

def render_lineage(lin: Lineage) -> str:
    """The lineage as an indented tree."""
    out = [f"{lin.path}", f"  {lin.message}"]
    for node in lin.versions:
        out.append("")
        _node(node, "", True, out, top=True)
    return "\n".join(out)


def _node(n: VersionNode, prefix: str, last: bool, out: list[str], top: bool = False) -> None:
    branch = "" if top else ("└─ " if last else "├─ ")
    what = {"output": "version", "launcher-script": "script"}.get(n.role, n.role)
    note = f"  ({n.note})" if n.note and not n.made_by else ""
    out.append(f"{prefix}{branch}{what} {n.path}  {short_hash(n.hash)}  {size(n.size)}{note}")
    child_prefix = prefix + ("" if top else ("   " if last else "│  "))
    if n.made_by:
        _step(n.made_by, child_prefix, out)


def _step(s: Step, prefix: str, out: list[str]) -> None:
    cmd = shlex.join(s.command) if s.command else "?"
    head = f"{prefix}└─ written by run {s.run_id}, pid {s.pid}: {cmd}"
    if s.note:
        out.append(f"{head}  ({s.note})")
        return
    out.append(head)
    p = prefix + "   "
    out.append(f"{p}  exe {s.executable or '?'} {short_hash(s.executable_hash)}  cwd {s.cwd or '?'}")
    out.append(f"{p}  run {s.run_id}: {shlex.join(s.run_argv)}  host {s.host or '?'}  {when(s.start_ns)}"
               f"  exit {'-' if s.exit_code is None else s.exit_code}")
    if s.launched_by:
        chain = " <- ".join(shlex.join(launcher["command"]) or "?" for launcher in s.launched_by)
        out.append(f"{p}  launched by {chain}")
    children: list[VersionNode] = [n for launcher in s.launched_by for n in launcher["scripts"]] + list(s.inputs)
    for i, c in enumerate(children):
        _node(c, p, i == len(children) - 1, out)


# --- show --detail -----------------------------------------------------------------

_ROLE_TITLES = {"input": "inputs (existed before, read, not written)",
                "output": "outputs (written, still present)",
                "transient": "transient files (written, gone by the end)",
                "configuration": "configuration",
                "executable": "executables and scripts",
                "system": "system dependencies",
                "deleted": "deleted (existed before, removed)"}


def render_classification(rf: "RunFiles", system: bool = False) -> str:
    """Files of a run by role, then each exec with its parameters."""
    r = rf.run
    out = [f"run {r.id}: {shlex.join(r.argv)}  (cwd {r.cwd}, host {r.hostname or '?'}, {when(r.start_ns)})"]
    for role in ("input", "configuration", "output", "transient", "executable", "deleted", "system"):
        files = rf.files[role]
        out.append("")
        out.append(f"{_ROLE_TITLES[role]} ({len(files)}):")
        if role == "system" and not system:
            if files:
                out.append("  (listed with --system, or in --json)")
            continue
        for f in files:
            out.append(f"  {size(f.size):>10}  {short_hash(f.hash, 16):16}  {rel(f.path, r.cwd)}")
    out.append("")
    out.append(f"execs ({len(rf.execs)}):")
    for x in rf.execs:
        script = f" script {rel(x.script, r.cwd)}" if x.script else ""
        params = shlex.join(x.parameters) if x.parameters else "(none)"
        out.append(f"  pid {x.pid}: {x.executable or '?'}{script}  parameters: {params}")
    return "\n".join(out)


# --- status ------------------------------------------------------------------------

def render_status(report: "StatusReport", base: str | None = None) -> str:
    """One line per output: state, path, and why when not current."""
    out = []
    for o in report.outputs:
        why = "; ".join(f"{rel(r['path'], base)}: {r['why']}" for r in o.reasons)
        out.append(f"{o.state:8} {rel(o.path, base)}  (run {o.run_id})" + (f"  <- {why}" if why else ""))
    c = report.counts()
    out.append(", ".join(f"{c[s]} {s}" for s in ("stale", "missing", "modified", "current")))
    return "\n".join(out)


# --- diff --------------------------------------------------------------------------

def _files_section(out: list[str], title: str, sec: dict[str, list]) -> None:
    for what in ("changed", "added", "removed"):
        for d in sec.get(what, []):
            a, b = short_hash(d.get("a")), short_hash(d.get("b"))
            detail = {"changed": f"{a} -> {b}", "added": f"only in B ({b})", "removed": f"only in A ({a})"}[what]
            out.append(f"  {title} {what}: {d['path']}  {detail}")


def render_diff(d: "RunDiff") -> str:
    """The differences between two runs, one per line, and their first divergence."""
    out = [f"diff run {d.a} (A) -> run {d.b} (B)"]
    if d.same:
        out.append("  no differences: same command, environment, machine, executables, inputs and outputs")
    if d.argv:
        out.append(f"  command: {shlex.join(d.argv['a'])}  ->  {shlex.join(d.argv['b'])}")
    for what in ("changed", "added", "removed"):
        for e in d.env[what]:
            out.append(f"  env {what}: {e['name']} {e.get('a', '')!s} -> {e.get('b', '')!s}".rstrip(" ->"))
    for k, v in d.machine.items():
        out.append(f"  machine {k}: {v['a']} -> {v['b']}")
    _files_section(out, "executable", d.executables)
    _files_section(out, "input", d.inputs)
    _files_section(out, "output", d.outputs)
    if d.outputs.get("unchanged"):
        out.append(f"  outputs unchanged: {', '.join(u['path'] for u in d.outputs['unchanged'])}")
    for a in d.processes["changed_argv"]:
        out.append(f"  parameters: {shlex.join(a['a'])}  ->  {shlex.join(a['b'])}")
    for argv in d.processes["only_in_a"]:
        out.append(f"  process only in A: {shlex.join(argv)}")
    for argv in d.processes["only_in_b"]:
        out.append(f"  process only in B: {shlex.join(argv)}")
    if d.exit["run"]:
        out.append(f"  exit status: {d.exit['run']['a']} -> {d.exit['run']['b']}")
    for p in d.exit["processes"]:
        out.append(f"  exit status of {shlex.join(p['command'])}: {p['a']} -> {p['b']}")
    fd = d.first_divergence
    if fd:
        reasons = ", ".join(sorted(fd["reasons"]))
        out.append(f"  first divergence (run {fd['run'].upper()}): {shlex.join(fd['argv'])}  [{reasons}]")
    return "\n".join(out)


# --- query -------------------------------------------------------------------------

def render_rows(rows: list[dict[str, Any]]) -> str:
    """Rows as tab-separated lines under a header (times shown as local dates)."""
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    out = ["\t".join(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r[c]
            if c.endswith("_ns") and isinstance(v, int):
                v = when(v)
            elif isinstance(v, list):
                v = shlex.join(v)
            cells.append("" if v is None else str(v))
        out.append("\t".join(cells))
    return "\n".join(out)

"""Makefile export: one rule per recorded step that produced user files.

What a *step* is.  A rule must re-run a command that rebuilds its targets by itself,
so the process tree is cut at the commands a driver (a shell or make) started:

* a child of a driver that is not itself a driver (``python3 fit.py ...``, ``gcc``)
  is one step with everything below it (``gcc``'s ``cc1``/``as`` are part of it);
* a driver below a driver (``bash sub.sh``, a ``( ... )`` subshell) is split further;
* consecutive children of a shell that ran at the same time form one pipeline step,
  ``tail ... | awk ... | sort ... > clean.csv`` — pipes are not recorded, so this is
  inferred (see :func:`provtrace.export.runinfo.pipelines`); the file a pipeline
  writes is usually opened by the *shell* in the last command's process before it
  exec'd (the ``> clean.csv`` redirection), which the store attributes to that
  command, and the recipe re-creates the redirection;
* when a driver writes user files itself (``echo x > f`` in a script, ``( a; b ) > f``),
  or a pipeline has a member that never exec'd (a ``while`` loop), no finer rule can
  rebuild those files, so the step falls back to the nearest process above that has a
  command line of its own (often the whole script) — coarser, but correct.

Recipe = the step's recorded argv (shell-quoted) run in its recorded cwd, plus the
``<``/``>``/``>>``/``2>`` redirections its shell set up.  Targets = the user files it
left (grouped targets ``&:`` when several, GNU make >= 4.3); prerequisites = the user
files and scripts it read that it did not write itself.  Files one step writes and a
later step reads are declared ``.SECONDARY`` (intermediate, but kept); files that were
gone by the end of the run (temporary files a later step read) are ``.INTERMEDIATE``:
make deletes them again after use, as the run did, and does not rebuild them alone.  Rules appear in dataflow order and
``all`` lists every target in that order.

Example::

    with open_store("provtrace.db", readonly=True) as store:
        write_makefile(store, ["last"], "Makefile")
    # then: rm results/*; make -f Makefile
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from .. import __version__
from ..store import Store
from .output import check_writable_file, write_text
from .runinfo import Actor, Process, RunInfo, load_runs, path_class, pipelines, subtree

_SAFE_ROOT = re.compile(r"^/[A-Za-z0-9_./+@%-]*$")
_O_APPEND = os.O_APPEND


@dataclass
class Step:
    """A unit a rule re-runs: one process (with its subtree) or a pipeline of sibling processes."""

    run: RunInfo
    members: list[Process]
    fallback: bool = False  # chosen because no finer rule could rebuild some file
    outputs: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    written: set[str] = field(default_factory=set)
    transient: set[str] = field(default_factory=set)  # targets the run removed again (temporary files)

    @property
    def actors(self) -> list[Actor]:
        """Every actor of the step's processes and their descendants."""
        return [a for m in self.members for p in subtree(m) for a in self.run.process_actors(p)]

    @property
    def start_ns(self) -> int:
        """When the step started."""
        return self.members[0].start_ns or 0

    def heads(self) -> list[Actor]:
        """The actor whose command line each member re-runs (its first image)."""
        return [self.run.process_actors(m)[0] for m in self.members]


def plan_steps(run: RunInfo) -> list[Step]:
    """The steps of a run that wrote user files, in the order they started, with inputs and outputs.

    Example::

        for step in plan_steps(load_run(store, 3)):
            print(step.outputs, "<-", step.inputs)
    """
    groups = {g[0].id: g for g in pipelines(run)}
    in_group = {p.id for g in groups.values() for p in g[1:]}

    def writes_user_outputs(procs: Iterable[Process]) -> bool:
        return any(run.is_output(path) and path_class(path) == "user"
                   for m in procs for p in subtree(m) for a in run.process_actors(p) for path in a.outputs)

    def steps_of(proc: Process) -> list[Step] | None:
        acts = run.process_actors(proc)
        if not acts:
            return None
        if not acts[-1].is_driver:
            return [Step(run, [proc])] if acts[0].image is not None else None
        found: list[Step] = []
        ok = not any(run.is_output(p) and path_class(p) == "user" for a in acts for p in a.outputs)
        for child in proc.children if ok else ():
            if child.id in in_group:
                continue
            group = groups.get(child.id)
            if group is not None:
                if all(run.process_actors(m) and run.process_actors(m)[0].image is not None for m in group):
                    found.append(Step(run, group))
                elif writes_user_outputs(group):
                    ok = False
                continue
            sub = steps_of(child)
            if sub is None:
                if writes_user_outputs([child]):
                    ok = False
                continue
            found.extend(sub)
        if ok:
            return found
        return [Step(run, [proc], fallback=True)] if acts[0].image is not None else None

    steps = (steps_of(run.root) if run.root is not None else None) or []
    if run.root is not None and not steps and writes_user_outputs([run.root]):
        steps = [Step(run, [run.root], fallback=True)]
    steps.sort(key=lambda s: s.start_ns)
    _fill(run, steps)
    return steps


def _fill(run: RunInfo, steps: list[Step]) -> None:
    """Outputs (the last step that wrote a file owns it), inputs and scripts of each step.

    A file that one step wrote and a later step read, but that was gone at the end of
    the run (``work/ok.tmp``, removed by ``rm``), is a target too: a *transient* one.
    """
    owner: dict[str, Step] = {}
    for step in steps:
        for actor in step.actors:
            for path in actor.outputs:
                if path_class(path) == "user":
                    step.written.add(path)
                    owner[path] = step
    read_later: set[str] = set()
    for step in steps:
        reads: dict[str, None] = {}
        for actor in step.actors:
            for path in actor.inputs:
                if path_class(path) == "user" and path not in step.written:
                    reads[path] = None
            if actor.image is not None and actor.image.path and path_class(actor.image.path) == "user":
                reads.setdefault(actor.image.path, None)  # a script or a program of the project
        step.inputs = sorted(reads)
        read_later.update(p for p in reads if p in owner and owner[p] is not step)
    for step in steps:
        step.outputs = sorted(p for p in step.written if owner.get(p) is step
                              and (run.is_output(p) or p in read_later))
        step.transient = {p for p in step.outputs if not run.is_output(p)}


# --- rendering -------------------------------------------------------------------


def _quote(arg: str) -> str:
    """Shell-quote one argument; control characters need bash's $'...' quoting."""
    if any(ord(c) < 32 or ord(c) == 127 for c in arg):
        body = "".join({"\n": "\\n", "\t": "\\t", "\\": "\\\\", "'": "\\'"}.get(c) or
                       (f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c) for c in arg)
        return f"$'{body}'"
    return shlex.quote(arg)


def _rel(path: str, cwd: str | None) -> str:
    if cwd and path.startswith(cwd.rstrip("/") + "/"):
        return path[len(cwd.rstrip("/")) + 1:]
    return path


def _command(actor: Actor) -> str:
    """``argv`` plus the redirections the shell set up for it, relative to its cwd."""
    assert actor.image is not None
    parts = [_quote(a) for a in actor.image.argv]
    reads = [r for r in actor.redirects if r.kind == "read"]
    writes = [r for r in actor.redirects if r.kind == "write" and not r.path.startswith("/dev/")]
    if reads:
        parts.append("< " + _quote(_rel(reads[0].path, actor.cwd)))
    for fd, w in zip(("", "2"), writes):
        op = ">>" if w.flags is not None and w.flags & _O_APPEND else ">"
        parts.append(f"{fd}{op} " + _quote(_rel(w.path, actor.cwd)))
    return " ".join(parts)


def recipe(step: Step) -> str:
    """The shell command that re-runs a step: ``cd CWD && cmd [| cmd ...]``."""
    heads = step.heads()
    cwd = heads[0].cwd or step.run.run["cwd"]
    parts = []
    for h in heads:
        cmd = _command(h)
        if h.cwd and h.cwd != cwd:
            cmd = f"(cd {_quote(h.cwd)} && {cmd})"
        parts.append(cmd)
    return f"cd {_quote(cwd)} && " + " | ".join(parts)


class _Names:
    """Make-safe spelling of paths, with $(ROOT) for the recorded working directory."""

    def __init__(self, root: str | None) -> None:
        self.root = root if root and _SAFE_ROOT.match(root) and root != "/" else None

    def path(self, path: str) -> str:
        if self.root and path == self.root:
            return "$(ROOT)"
        if self.root and path.startswith(self.root.rstrip("/") + "/"):
            path = "$(ROOT)/" + _escape(path[len(self.root.rstrip("/")) + 1:])
            return path
        return _escape(path)

    def line(self, text: str) -> str:
        """A recipe line: make variables are written $$ except our own $(ROOT)."""
        text = text.replace("$", "$$")
        if self.root:
            text = text.replace(_quote(self.root) + " ", "$(ROOT) ").replace(f"{self.root}/", "$(ROOT)/")
        return text


def _oneline(text: str) -> str:
    """Text safe inside a make comment: one line (a newline would end the comment)."""
    return "".join(c if c >= " " and c != "\x7f" else repr(c)[1:-1] for c in text)


def _escape(path: str) -> str:
    """Escape a path for a make target / prerequisite list."""
    out = path.replace("$", "$$")
    for ch in "\\ :#;=%*?[]":
        out = out.replace(ch, "\\" + ch)
    return out


def render_makefile(runs: list[RunInfo]) -> str:
    """The Makefile text for ``runs`` (later runs' steps replace earlier ones for the same file).

    Example::

        print(render_makefile([load_run(store, 3)]))
    """
    steps = [s for run in runs for s in plan_steps(run)]
    # A file written by several runs is rebuilt by the step of the last one.
    owner: dict[str, Step] = {}
    for s in steps:
        for p in s.outputs:
            owner[p] = s
    for s in steps:
        s.outputs = [p for p in s.outputs if owner[p] is s]
    steps = [s for s in steps if s.outputs]
    order = _dataflow_order(steps, owner)

    first = runs[0].run if runs else {"cwd": None}
    names = _Names(first.get("cwd"))
    consumed = {p for s in order for p in s.inputs if p in owner}
    transient = [p for s in order for p in s.outputs if p in s.transient]
    finals = [p for s in order for p in s.outputs if p not in s.transient]
    header = [f"# Makefile exported by provtrace {__version__} from "
              + ", ".join(f"run {r.id} ({_oneline(shlex.join(r.run['argv']))})" for r in runs) + "."]
    for r in runs:
        when = dt.datetime.fromtimestamp(r.run["start_ns"] / 1e9).strftime("%Y-%m-%d %H:%M:%S")
        host = (r.machine or {}).get("hostname", "?")
        header.append(f"#   run {r.id}: recorded in {_oneline(r.run['cwd'])} by {r.run.get('username')} on {host}, "
                      f"{when}")
    header += [
        "# Each rule re-runs one recorded step (its argv, in its recorded cwd); targets are the user",
        "# files it wrote, prerequisites the user files and scripts it read. Commands run with your",
        "# current environment (PATH decides which python3 runs), not the recorded one.",
        "# Needs GNU make >= 4.3 (grouped targets '&:').",
        "",
    ]
    lines = header
    if names.root:
        lines += [f"ROOT := {names.root}", ""]
    if any("$'" in recipe(s) for s in order):
        lines += ["SHELL := /bin/bash", ""]
    lines += [".PHONY: all", "all: " + " ".join(names.path(p) for p in finals), "", ".DELETE_ON_ERROR:"]
    secondary = [p for p in finals if p in consumed]
    if secondary:
        lines.append(".SECONDARY: " + " ".join(names.path(p) for p in secondary))
    if transient:
        lines.append(".INTERMEDIATE: " + " ".join(names.path(p) for p in transient))
    lines.append("")
    dirs: dict[str, None] = {}
    for n, s in enumerate(order, 1):
        lines += _rule(n, s, names, owner, order)
        for p in s.outputs:
            dirs[os.path.dirname(p)] = None
    for d in dirs:
        lines += [f"{names.path(d)}:", "\tmkdir -p " + names.line(_quote(d)), ""]
    notes = _notes(runs, owner)
    if notes:
        lines += notes
    return "\n".join(lines).rstrip("\n") + "\n"


def _rule(n: int, s: Step, names: _Names, owner: dict[str, Step], order: list[Step]) -> list[str]:
    pos = {id(x): i for i, x in enumerate(order)}
    heads = s.heads()
    what = " | ".join(shlex.join(h.image.argv) for h in heads if h.image)
    comment = [f"# step {n}: {_oneline(what)[:200]}  (run {s.run.id}, pid {', '.join(str(m.pid) for m in s.members)})"]
    if len(s.members) > 1:
        how = "recorded pipes" if s.run.has_pipes else "inferred: pipes were not recorded in this store"
        comment.append(f"#   a shell pipeline ({how})")
    if s.fallback:
        comment.append("#   the whole command: a shell in it wrote files itself, so no finer rule can rebuild them")
    prereqs = []
    for p in s.inputs:
        producer = owner.get(p)
        if producer is not None and pos.get(id(producer), -1) > pos[id(s)]:
            comment.append(f"#   also read {_oneline(p)}, which a later step rewrites")
            continue
        prereqs.append(p)
    targets = " ".join(names.path(p) for p in s.outputs)
    sep = " &:" if len(s.outputs) > 1 else ":"
    dirs = sorted({os.path.dirname(p) for p in s.outputs})
    order_only = " | " + " ".join(names.path(d) for d in dirs)
    return comment + [f"{targets}{sep} " + " ".join(names.path(p) for p in prereqs) + order_only,
                      "\t" + names.line(recipe(s)), ""]


def _dataflow_order(steps: list[Step], owner: dict[str, Step]) -> list[Step]:
    """Topological order by file dependencies; ties (and cycles) broken by start time."""
    index = {id(s): i for i, s in enumerate(steps)}
    deps: dict[int, set[int]] = {i: set() for i in range(len(steps))}
    for i, s in enumerate(steps):
        for p in s.inputs:
            producer = owner.get(p)
            if producer is not None and id(producer) in index and index[id(producer)] < i:
                deps[i].add(index[id(producer)])
    done: list[int] = []
    placed: set[int] = set()
    while len(done) < len(steps):
        ready = [i for i in range(len(steps)) if i not in placed and deps[i] <= placed]
        i = min(ready) if ready else min(i for i in range(len(steps)) if i not in placed)
        done.append(i)
        placed.add(i)
    return [steps[i] for i in done]


def _notes(runs: list[RunInfo], owner: dict[str, Step]) -> list[str]:
    missing = sorted(p for r in runs for p in r.writers
                     if r.is_output(p) and path_class(p) == "user" and p not in owner)
    if not missing:
        return []
    return ["# Outputs of the run that no rule rebuilds:"] + [f"#   {_oneline(p)}" for p in missing] + [""]


def write_makefile(store: Store, runs: Iterable[str | int], out: str | os.PathLike | IO[str] | None = None) -> None:
    """Export runs (ids or ``last``) as a Makefile to ``out`` (a path, a stream, or stdout).

    :raises UnknownRunError: a run reference names no run.
    :raises OutputPathError: ``out`` cannot be written.

    Example::

        write_makefile(store, ["last"], "Makefile")
    """
    if isinstance(out, (str, os.PathLike)):
        check_writable_file(out)
    write_text(render_makefile(load_runs(store, runs)), out)

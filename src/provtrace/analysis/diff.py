"""Run diff (`provtrace diff A B`): what differs between two runs, and where their dataflow parts.

Compared: the command line, the environment (names and values, secret-looking values
redacted), the machine, executables and scripts (by hash), inputs and configuration
(added, removed, changed), outputs (changed, unchanged, only in one run), processes
present in one run only, parameters and exit statuses of the processes both ran.

Processes and execs are matched by (executable, script, occurrence), so a changed
parameter shows as a changed command line, not as two different processes.  The
**first divergence** is the earliest exec of B whose inputs differ from its match in A:
a file it read, its executable or script, or its command line — skipping launchers
whose only difference is a parameter they pass down to a child that differs too.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..store import Store
from .classify import RunFiles, classify_run
from .facts import E_HASH, E_PATH, Exec, Process, Prov
from .paths import is_system

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|KEY|CREDENTIAL|PRIVATE|AUTH|COOKIE|SESSION", re.I)
REDACTED = "<redacted>"


@dataclass
class RunDiff:
    """The answer of :func:`diff_runs` (every section is JSON-able)."""

    a: int
    b: int
    argv: dict[str, Any] | None
    env: dict[str, Any]
    machine: dict[str, Any]
    executables: dict[str, list]
    inputs: dict[str, list]
    outputs: dict[str, list]
    processes: dict[str, list]
    exit: dict[str, Any]
    first_divergence: dict[str, Any] | None
    same: bool = field(default=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return dict(self.__dict__)


def _compare(a: dict[str, Any], b: dict[str, Any], key: str = "path") -> dict[str, list]:
    return {
        "added": [{key: k, "b": b[k]} for k in sorted(b.keys() - a.keys())],
        "removed": [{key: k, "a": a[k]} for k in sorted(a.keys() - b.keys())],
        "changed": [{key: k, "a": a[k], "b": b[k]} for k in sorted(a.keys() & b.keys()) if a[k] != b[k]],
    }


def _env(store: Store, prov: Prov, run_id: int) -> dict[str, str]:
    procs = prov.run_processes(run_id)
    env_id = next((x.env_id for p in procs for x in p.execs if x.env_id is not None), None)
    if env_id is None:
        return {}
    row = store.conn.execute("SELECT env FROM envs WHERE id = ?", (env_id,)).fetchone()
    env = json.loads(row[0]) if row else {}
    return {k: (REDACTED if SECRET_NAME.search(k) else v) for k, v in env.items()}


def _machine(store: Store, machine_id: int | None) -> dict[str, Any]:
    rows = store.query("SELECT hostname, os, kernel, arch, cpu_model, cores, mem_bytes, gpus FROM machines "
                       "WHERE id = ?", (machine_id,))
    return rows[0] if rows else {}


def _exec_key(x: Exec) -> tuple:
    return (x.path, x.script[E_PATH] if x.script else (x.argv[0] if x.argv else None))


def _match_execs(pa: list[Process], pb: list[Process]) -> tuple[list[tuple[Exec, Exec | None]], list[Exec]]:
    """Pairs (exec of B, its match in A or None), in B's order; and A's execs with no match."""
    seen: Counter = Counter()
    index: dict[tuple, Exec] = {}
    for p in pa:
        for x in p.execs:
            k = _exec_key(x)
            index[(k, seen[k])] = x
            seen[k] += 1
    seen = Counter()
    pairs = []
    used = set()
    for p in pb:
        for x in p.execs:
            k = _exec_key(x)
            match = index.get((k, seen[k]))
            seen[k] += 1
            if match is not None:
                used.add(match.id)
            pairs.append((x, match))
    only_a = [x for p in pa for x in p.execs if x.id not in used]
    return pairs, only_a


def _exec_inputs(prov: Prov, proc: Process, x: Exec) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for e in prov.reads(proc.id):
        if not is_system(e[E_PATH]) and prov.effective_exec(proc, e) is x:
            out.setdefault(e[E_PATH], e[E_HASH])
    return out


def _divergence(prov: Prov, pa: list[Process], pb: list[Process]) -> dict[str, Any] | None:
    pairs, only_a = _match_execs(pa, pb)
    procs = {p.id: p for p in pa + pb}
    differing = []
    for xb, xa in sorted(pairs, key=lambda pair: (pair[0].ts_ns or 0, pair[0].id)):
        if xa is None:
            differing.append((xb, {"only_in": "b"}))
            continue
        why: dict[str, Any] = {}
        if xa.hash != xb.hash:
            why["executable"] = {"path": xb.path, "a": xa.hash, "b": xb.hash}
        if xa.argv != xb.argv:
            why["argv"] = {"a": xa.argv, "b": xb.argv}
        ia = _exec_inputs(prov, procs[xa.process_id], xa)
        ib = _exec_inputs(prov, procs[xb.process_id], xb)
        files = _compare(ia, ib)
        if any(files.values()):
            why["inputs"] = files
        if why:
            differing.append((xb, why))
    if not differing and only_a:
        x = min(only_a, key=lambda x: (x.ts_ns or 0, x.id))
        return {"run": "a", "process_id": x.process_id, "argv": x.argv, "executable": x.path,
                "reasons": {"only_in": "a"}}
    if not differing:
        return None
    ancestors = {p.id: p.parent_id for p in pb}

    def has_differing_descendant(x: Exec) -> bool:
        for other, _ in differing:
            pid = ancestors.get(other.process_id)
            while pid is not None:
                if pid == x.process_id:
                    return True
                pid = ancestors.get(pid)
        return False

    chosen = differing[0]
    for x, why in differing:
        if set(why) == {"argv"} and has_differing_descendant(x):
            continue  # a launcher passing a changed parameter down
        chosen = (x, why)
        break
    x, why = chosen
    return {"run": "b", "process_id": x.process_id, "pid": procs[x.process_id].pid, "argv": x.argv,
            "executable": x.path, "reasons": why}


def _processes(pa: list[Process], pb: list[Process]) -> tuple[dict[str, list], dict[str, Any]]:
    pairs, only_a = _match_execs(pa, pb)
    procs = {p.id: p for p in pa + pb}
    changed_args = []
    exits = []
    for xb, xa in pairs:
        if xa is None:
            continue
        if xa.argv != xb.argv:
            changed_args.append({"a": xa.argv, "b": xb.argv})
        ea, eb = procs[xa.process_id], procs[xb.process_id]
        if (ea.exit_code, ea.signal) != (eb.exit_code, eb.signal):
            exits.append({"command": xb.argv, "a": [ea.exit_code, ea.signal], "b": [eb.exit_code, eb.signal]})
    return ({"only_in_a": [x.argv for x in only_a], "only_in_b": [xb.argv for xb, xa in pairs if xa is None],
             "changed_argv": changed_args}, {"processes": exits})


def _hashes(rf: RunFiles, *roles: str) -> dict[str, str | None]:
    return {f.path: f.hash for r in roles for f in rf.files[r]}


def diff_runs(store: Store, a: int, b: int) -> RunDiff:
    """Everything that differs between runs ``a`` and ``b`` (ids), and where they first diverge."""
    prov = Prov(store)
    fa, fb = classify_run(store, a, prov), classify_run(store, b, prov)
    ra, rb = fa.run, fb.run
    pa, pb = prov.run_processes(a), prov.run_processes(b)
    env = _compare(_env(store, prov, a), _env(store, prov, b), key="name")
    ma, mb = _machine(store, ra.machine_id), _machine(store, rb.machine_id)
    machine = {k: {"a": ma.get(k), "b": mb.get(k)} for k in sorted(ma.keys() | mb.keys()) if ma.get(k) != mb.get(k)}
    outs_a, outs_b = _hashes(fa, "output"), _hashes(fb, "output")
    outputs = _compare(outs_a, outs_b)
    outputs["unchanged"] = [{"path": k} for k in sorted(outs_a.keys() & outs_b.keys()) if outs_a[k] == outs_b[k]]
    processes, exits = _processes(pa, pb)
    exits["run"] = None if (ra.exit_code, ra.signal) == (rb.exit_code, rb.signal) else {
        "a": [ra.exit_code, ra.signal], "b": [rb.exit_code, rb.signal]}
    result = RunDiff(
        a, b,
        argv=None if ra.argv == rb.argv else {"a": ra.argv, "b": rb.argv},
        env=env,
        machine=machine,
        executables=_compare(_hashes(fa, "executable"), _hashes(fb, "executable")),
        inputs=_compare(_hashes(fa, "input", "configuration"), _hashes(fb, "input", "configuration")),
        outputs=outputs,
        processes=processes,
        exit=exits,
        first_divergence=_divergence(prov, pa, pb),
    )
    result.same = not (result.argv or any(result.env.values()) or machine or any(result.executables.values())
                       or any(result.inputs.values()) or any(v for k, v in outputs.items() if k != "unchanged")
                       or any(processes.values()) or exits["processes"] or exits["run"])
    return result


def describe_argv(argv: list[str]) -> str:
    """A command line as a shell would show it."""
    return shlex.join(argv)

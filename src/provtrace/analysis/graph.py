"""The dataflow graph of one or more runs (`provtrace graph`), as a networkx DiGraph.

Nodes are processes (or execs, ``level="exec"``) and file versions; edges are
``read`` (version -> process), ``write`` and ``delete`` (process -> version), ``exec``
(executable -> process), ``fork``/``spawn``/... (parent -> child) and ``next-version``
(one version of a path -> the next).  A version read by a later run is the node its
writer made (joined by content hash), so several runs form one graph.

System files (libraries, interpreter modules, locale, /etc, /proc, /dev) are left
out unless ``system``.  Beyond ``group_threshold`` file nodes, files are grouped by
directory (the deepest directory level that brings them under the threshold), and
processes running the same program in one run are grouped the same way, so that
graphs of thousands of nodes stay readable and Graphviz lays them out in seconds.
"""

from __future__ import annotations

import os
from typing import Any

import networkx as nx

from ..store import Store
from .facts import E_HASH, E_KIND, E_PATH, E_PROC, E_SEQ, E_SIZE, E_VERSION, WRITE_KINDS, Ev, Exec, Process, Prov
from .paths import is_system

LEVELS = ("process", "exec")
GROUP_THRESHOLD = 150


class _Builder:
    def __init__(self, prov: Prov, level: str, system: bool) -> None:
        self.prov = prov
        self.level = level
        self.system = system
        self.g = nx.DiGraph()
        self.by_hash: dict[tuple[str, str], str] = {}   # (path, hash) -> node
        self.last_of_path: dict[str, str] = {}

    # --- nodes ----------------------------------------------------------------

    def edge(self, u: str, v: str, kind: str) -> None:
        if self.g.has_edge(u, v):
            self.g[u][v]["count"] += 1
        else:
            self.g.add_edge(u, v, kind=kind, count=1)

    def unit_of_proc(self, proc: Process, x: Exec | None) -> str:
        if self.level == "exec" and x is not None:
            node = f"x{x.id}"
            if node not in self.g:
                self.g.add_node(node, kind="exec", label=x.label, run=proc.run_id, pid=proc.pid,
                                executable=x.path, hash=x.hash, cwd=x.cwd, exit_code=proc.exit_code)
            return node
        node = f"p{proc.id}"
        if node not in self.g:
            self.g.add_node(node, kind="process", label=proc.label, run=proc.run_id, pid=proc.pid,
                            executable=proc.execs[-1].path if proc.execs else None,
                            exit_code=proc.exit_code, creation=proc.creation)
        return node

    def version(self, path: str, digest: str | None, size: int | None, run_id: int, tag: str,
                role: str | None = None) -> str:
        """The node of a version: the existing one for (path, hash), else a new one chained to the last."""
        if digest and (path, digest) in self.by_hash:
            return self.by_hash[(path, digest)]
        node = f"f:{path}@{digest.split(':', 1)[-1][:16]}" if digest else f"f:{path}#{run_id}:{tag}"
        if node not in self.g:
            self.g.add_node(node, kind="file", label=os.path.basename(path) or path, path=path, hash=digest,
                            size=size, run=run_id, system=is_system(path), role=role)
            prev = self.last_of_path.get(path)
            if prev is not None and prev != node:
                self.edge(prev, node, "next-version")
            self.last_of_path[path] = node
        if digest:
            self.by_hash[(path, digest)] = node
        return node

    def set_hash(self, node: str, path: str, digest: str | None, size: int | None) -> None:
        if digest:
            self.g.nodes[node]["hash"] = digest
            self.g.nodes[node]["size"] = size
            self.by_hash.setdefault((path, digest), node)

    # --- a run ------------------------------------------------------------------

    def add_run(self, run_id: int) -> None:
        prov = self.prov
        events = prov.run_events(run_id)
        procs = prov.run_processes(run_id)
        by_id = {p.id: p for p in procs}
        for p in procs:
            first = self.unit_of_proc(p, p.execs[0] if p.execs else None)
            for a, b in zip(p.execs, p.execs[1:]):
                self.edge(self.unit_of_proc(p, a), self.unit_of_proc(p, b), "exec")
            for x in p.execs:
                if x.path and (self.system or not is_system(x.path)):
                    exe = self.version(x.path, x.hash, x.size, run_id, f"exe{x.id}", role="executable")
                    self.edge(exe, self.unit_of_proc(p, x), "exec")
            parent = by_id.get(p.parent_id) if p.parent_id is not None else None
            if parent is not None:
                px = None
                for x in parent.execs:
                    if x.ts_ns is None or p.start_ns is None or x.ts_ns <= p.start_ns:
                        px = x
                self.edge(self.unit_of_proc(parent, px), first, p.creation or "fork")
        current: dict[str, list] = {}  # path -> [node, writing unit, read by another since] in this run
        for e in events:
            path, kind = e[E_PATH], e[E_KIND]
            if not self.system and is_system(path):
                continue
            proc = by_id[e[E_PROC]]
            unit = self.unit_of_proc(proc, prov.effective_exec(proc, e))
            if kind == "read":
                self.read(e, unit, current, run_id)
            elif kind in WRITE_KINDS:
                self.write(e, unit, current, run_id)
            elif kind == "delete" and path in current:
                self.g.nodes[current[path][0]]["deleted"] = True
                self.edge(unit, current[path][0], "delete")

    def read(self, e: Ev, unit: str, current: dict, run_id: int) -> None:
        path, digest = e[E_PATH], e[E_HASH]
        cur = current.get(path)
        if cur is not None and (not digest or self.g.nodes[cur[0]].get("hash") in (None, digest)):
            if cur[1] == unit:
                return  # its own output, read back
            node = cur[0]
            cur[2] = True
        else:
            node = self.version(path, digest, e[E_SIZE], run_id, f"v{e[E_VERSION]}")
        self.edge(node, unit, "read")

    def write(self, e: Ev, unit: str, current: dict, run_id: int) -> None:
        path = e[E_PATH]
        cur = current.get(path)
        if cur is not None and cur[1] == unit and not cur[2]:
            node = cur[0]
        else:
            node = self.version(path, None, e[E_SIZE], run_id, f"s{e[E_SEQ]}")
            current[path] = [node, unit, False]
            self.edge(unit, node, "write")
        if e[E_KIND] == "close":
            self.set_hash(node, path, e[E_HASH], e[E_SIZE])


def build_graph(store: Store, runs: list[int], level: str = "process", system: bool = False,
                group_threshold: int | None = GROUP_THRESHOLD) -> nx.DiGraph:
    """The dataflow graph of the given runs (ids), oldest first so reads join earlier writes.

    :param level: ``process`` or ``exec`` nodes.
    :param system: keep system files.
    :param group_threshold: group files by directory beyond this many file nodes (None: never).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    prov = Prov(store)
    b = _Builder(prov, level, system)
    for run_id in sorted(set(runs), key=lambda r: (prov.run(r).start_ns, r)):
        b.add_run(run_id)
    g = b.g
    g.graph.update(runs=sorted(set(runs)), level=level, system=system, grouped=False)
    if group_threshold is not None:
        g = group_processes(group_by_directory(g, group_threshold), group_threshold)
    return g


def group_processes(g: nx.DiGraph, threshold: int) -> nx.DiGraph:
    """Replace processes (or execs) running the same program in the same run by one node, past ``threshold``.

    ``make -j`` starting 1,000 compilers becomes one ``cc`` node with a count: Graphviz
    lays out a few hundred nodes in seconds, not thousands.
    """
    units = [n for n, d in g.nodes(data=True) if d["kind"] in ("process", "exec")]
    if len(units) <= threshold:
        return g
    members: dict[tuple, list[str]] = {}
    for n in units:
        d = g.nodes[n]
        members.setdefault((d["kind"], d.get("run"), d.get("executable"), (d.get("label") or "").split(" ")[0]),
                           []).append(n)
    mapping = {}
    out = nx.DiGraph(**g.graph)
    out.graph["grouped"] = True
    for (kind, run, exe, first), ns in members.items():
        if len(ns) < 2:
            continue
        gid = f"g:{run}:{exe}:{first}"
        out.add_node(gid, kind=kind, label=f"{first} ({len(ns)} processes)", run=run, executable=exe, processes=len(ns),
                     pid=None)
        for n in ns:
            mapping[n] = gid
    return _contract(g, out, mapping)


def _contract(g: nx.DiGraph, out: nx.DiGraph, mapping: dict[str, str]) -> nx.DiGraph:
    """Copy ``g`` into ``out`` with nodes renamed by ``mapping``, merging edges (counts add up)."""
    for n, data in g.nodes(data=True):
        if n not in mapping:
            out.add_node(n, **data)
    for u, v, data in g.edges(data=True):
        mu, mv = mapping.get(u, u), mapping.get(v, v)
        if mu == mv:
            continue
        if out.has_edge(mu, mv):
            out[mu][mv]["count"] += data["count"]
        else:
            out.add_edge(mu, mv, **data)
    return out


def group_by_directory(g: nx.DiGraph, threshold: int) -> nx.DiGraph:
    """Replace file nodes by one node per directory when there are more than ``threshold``.

    The directory level is the deepest at which the number of groups is within the
    threshold; a directory with a single file keeps that file's own node.
    """
    files = [n for n, d in g.nodes(data=True) if d["kind"] == "file"]
    if len(files) <= threshold:
        return g
    dirs = {n: os.path.dirname(g.nodes[n]["path"]) for n in files}
    depth = max(d.count("/") for d in dirs.values())
    while True:
        cut = {n: "/".join(d.split("/")[:depth + 1]) or "/" for n, d in dirs.items()}
        if len(set(cut.values())) <= threshold or depth <= 1:
            break
        depth -= 1
    members: dict[str, list[str]] = {}
    for n, d in cut.items():
        members.setdefault(d, []).append(n)
    mapping = {}
    out = nx.DiGraph(**g.graph)
    out.graph["grouped"] = True
    for d, ns in members.items():
        if len(ns) == 1:
            continue
        gid = f"d:{d}"
        paths = {g.nodes[n]["path"] for n in ns}
        out.add_node(gid, kind="group", label=f"{d}/ ({len(paths)} files)", path=d, files=len(paths),
                     versions=len(ns), system=all(g.nodes[n].get("system") for n in ns))
        for n in ns:
            mapping[n] = gid
    return _contract(g, out, mapping)


def graph_json(g: nx.DiGraph) -> dict[str, Any]:
    """Nodes and edges as plain lists (what ``--format json`` prints)."""
    return {
        **{k: v for k, v in g.graph.items()},
        "nodes": [{"id": n, **d} for n, d in g.nodes(data=True)],
        "edges": [{"source": u, "target": v, **d} for u, v, d in g.edges(data=True)],
    }

"""Writing a dataflow graph out: Graphviz dot, SVG (through ``dot``), JSON, GraphML."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from typing import Any

import networkx as nx

from .errors import GraphvizMissingError
from .graph import graph_json

FORMATS = ("dot", "svg", "json", "graphml")
_EDGE_STYLE = {
    "read": 'color="#1f77b4"', "write": 'color="#d62728" penwidth=1.5', "exec": 'color="#7f7f7f" style=dashed',
    "delete": 'color="#d62728" style=dotted', "next-version": 'color="#bbbbbb" style=dotted arrowhead=empty',
}
_NODE_STYLE = {
    "process": 'shape=box style="rounded,filled" fillcolor="#fdf3d0"',
    "exec": 'shape=box style="rounded,filled" fillcolor="#fdf3d0"',
    "file": 'shape=note style=filled fillcolor="#e8f0fb"',
    "group": 'shape=folder style=filled fillcolor="#dfe8d8"',
}


def _q(text: Any) -> str:
    """A DOT double-quoted string."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def _label(n: str, d: dict[str, Any]) -> str:
    label = d.get("label") or n
    if len(label) > 60:
        label = label[:57] + "..."
    if d["kind"] in ("process", "exec"):
        return f"{label}\nrun {d.get('run')}" + (f" pid {d['pid']}" if d.get("pid") else "")
    if d["kind"] == "file" and d.get("hash"):
        return f"{label}\n{d['hash'].split(':', 1)[-1][:8]}"
    return label


def to_dot(g: nx.DiGraph) -> str:
    """Graphviz DOT text: processes as boxes, files as notes, directory groups as folders."""
    runs = ", ".join(map(str, g.graph.get("runs", [])))
    out = ["digraph provenance {", f"  label={_q('provtrace: runs ' + runs)}; labelloc=t;",
           "  rankdir=LR; fontname=Helvetica; node [fontname=Helvetica fontsize=10];",
           "  edge [fontname=Helvetica fontsize=8];"]
    for n, d in g.nodes(data=True):
        style = _NODE_STYLE.get(d["kind"], "")
        tooltip = d.get("path") or d.get("label") or n
        extra = ' color="#999999" fontcolor="#666666"' if d.get("system") else ""
        extra += " peripheries=2" if d.get("deleted") else ""
        out.append(f"  {_q(n)} [label={_q(_label(n, d))} tooltip={_q(tooltip)} {style}{extra}];")
    for u, v, d in g.edges(data=True):
        kind = d.get("kind", "")
        style = _EDGE_STYLE.get(kind, 'color="#2ca02c"')
        grouped = any(g.nodes[n]["kind"] == "group" or g.nodes[n].get("processes") for n in (u, v))
        text = f"{kind} x{d.get('count', 1)}" if grouped else kind
        label = f" label={_q(text)}" if grouped or kind not in ("read", "write", "exec") else ""
        out.append(f"  {_q(u)} -> {_q(v)} [{style}{label}];")
    out.append("}")
    return "\n".join(out) + "\n"


def to_svg(g: nx.DiGraph, timeout: float = 120) -> str:
    """SVG drawn by Graphviz ``dot``; :class:`GraphvizMissingError` if it is not installed."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissingError("SVG output needs Graphviz's `dot`, which is not installed: "
                                   "apt-get install graphviz (or brew install graphviz); "
                                   "--format dot and --format json work without it")
    proc = subprocess.run([dot, "-Tsvg"], input=to_dot(g), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise GraphvizMissingError(f"dot failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else proc.returncode}")
    return proc.stdout


def to_graphml(g: nx.DiGraph) -> str:
    """GraphML text (attributes that are None are left out, as GraphML requires)."""
    clean = nx.DiGraph()
    for n, d in g.nodes(data=True):
        clean.add_node(n, **{k: v for k, v in d.items() if v is not None})
    for u, v, d in g.edges(data=True):
        clean.add_edge(u, v, **{k: x for k, x in d.items() if x is not None})
    buf = io.BytesIO()
    nx.write_graphml(clean, buf)
    return buf.getvalue().decode()


def render(g: nx.DiGraph, fmt: str) -> str:
    """The graph in one of :data:`FORMATS`."""
    if fmt == "dot":
        return to_dot(g)
    if fmt == "svg":
        return to_svg(g)
    if fmt == "json":
        return json.dumps(graph_json(g), indent=1)
    if fmt == "graphml":
        return to_graphml(g)
    raise ValueError(f"format must be one of {FORMATS}")

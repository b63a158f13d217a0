"""W3C PROV export: PROV-JSON, PROV-N, PROV-XML and PROV-O (Turtle), in the ``prov`` package's model.

The mapping (docs/exports.md has the full table):

* every actor — a program image (``execs`` row), or a forked process that never
  exec'd — is a ``prov:Activity`` with its start and end time, argv, cwd, pid and
  exit status; a run is an activity too, which started the recorded command;
* every file version read or written is a ``prov:Entity`` with its path, size and
  BLAKE3 hash; its id is derived from the content hash and the path
  (``ptf:<first 24 hex digits of the hash>-<8 hex digits of the path's hash>``), so
  the same file content gets the same id in every export and every run;
* ``used`` (inputs, and the executable with ``prov:role pt:executable``),
  ``wasGeneratedBy`` (the version each actor left), ``wasDerivedFrom`` (each output
  from the data inputs of the actor that wrote it), ``wasInformedBy`` (exec chains,
  fork/spawn parents, and inferred shell pipelines with ``pt:via "pipe"``),
  ``wasStartedBy`` (the run started the recorded command), ``wasAssociatedWith``
  (the user; provtrace as the recording agent of the run).  An actor with more than
  ``MAX_DERIVATIONS`` (input, output) pairs — ``cp -r`` of a big tree — derives each
  output only from the inputs with the same file name (``pt:derivations "by-name"``).

System files (OS, installed software, caches) are left out unless ``include_system``;
/proc, /sys and /dev never appear.  Executables always appear, as the ``used``
entity with the role ``pt:executable``.

The statements are built as plain records (:class:`ProvGraph`): :func:`build_prov`
turns them into a ``prov`` ProvDocument with the ``prov`` API; :func:`write_prov`
writes them with :mod:`.prov_text`, whose output ``prov`` reads back into an equal
document (checked by the tests), at a fraction of ``prov``'s cost on big runs.

Example::

    from provtrace.export import write_prov
    with open_store("provtrace.db", readonly=True) as store:
        write_prov(store, ["last"], "run.provn", fmt="provn")
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from blake3 import blake3

from .. import __version__
from ..store import Store
from .errors import ExportError
from .output import check_writable_file, require, write_text
from .prov_text import FORMAL, QName, to_json, to_provn, to_turtle, to_xml
from .runinfo import Actor, RunInfo, Version, load_runs, path_class, pipelines

NS_TERMS = "urn:provtrace:ns#"
NS_FILE = "urn:provtrace:file:"
NS_RUN = "urn:provtrace:run:"

FORMATS = {"json": "json", "provn": "provn", "xml": "xml", "ttl": "turtle"}
ALIASES = {"prov-json": "json", "prov-n": "provn", "prov-xml": "xml", "turtle": "ttl", "prov-o": "ttl",
           "rdf": "ttl", "n": "provn"}
# An actor with more (data input x output) pairs than this (``cp -r`` of 10,000 files) derives each
# output only from the inputs of the same file name, and says so (pt:derivations "by-name").
MAX_DERIVATIONS = 50_000
EXTENSIONS = {".json": "json", ".provn": "provn", ".xml": "xml", ".ttl": "ttl", ".provx": "xml"}


def prov_format(name: str | None, path: str | os.PathLike | None = None) -> str:
    """Normalise a format name (``json``, ``provn``, ``xml``, ``ttl`` and aliases), or guess it from ``path``.

    :raises ExportError: an unknown format.
    """
    if name:
        key = ALIASES.get(name.lower(), name.lower())
        if key not in FORMATS:
            raise ExportError(f"unknown PROV format {name!r} (use json, provn, xml or ttl)")
        return key
    if path is not None:
        ext = os.path.splitext(str(path))[1].lower()
        if ext in EXTENSIONS:
            return EXTENSIONS[ext]
    return "json"


def _time(ns: int | None) -> str | None:
    if ns is None:
        return None
    return dt.datetime.fromtimestamp(ns // 1000 / 1e6, dt.timezone.utc).isoformat()


def entity_id(path: str, version: Version | None) -> str:
    """Local part of a file version's entity id: stable, derived from the content hash and the path.

    Example: ``entity_id("/d/raw.csv", v)`` -> ``"8865cc7751dc522f96aa1eb5-5e1f0a3c"``.
    """
    where = blake3(path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    if version is not None and version.hash:
        return f"{version.hash.split(':', 1)[-1][:24]}-{where}"
    if version is not None:  # content unknown (overwritten or deleted later): the stat tuple identifies it
        key = f"{version.size}:{version.mtime_ns}".encode()
        return f"v{blake3(key).hexdigest()[:16]}-{where}"
    return f"unknown-{where}"


@dataclass(slots=True)
class Rec:
    """One PROV statement: its kind (``entity``, ``used``, ...), identifier, formal arguments in
    PROV-N order (qualified names as ``prefix:local`` strings, times as ISO 8601), and other attributes."""

    kind: str
    ident: str | None
    args: tuple
    attrs: list[tuple[str, object]] = field(default_factory=list)


@dataclass
class ProvGraph:
    """A PROV document as plain records, ready for :mod:`.prov_text` or :func:`to_prov_document`."""

    namespaces: list[tuple[str, str]]
    records: list[Rec] = field(default_factory=list)

    def add(self, kind: str, ident: str | None, *args: object, attrs: list | None = None) -> None:
        """Append a statement."""
        self.records.append(Rec(kind, ident, args, attrs or []))


class _Builder:
    """Accumulates one ProvGraph from one or more runs."""

    def __init__(self, include_system: bool) -> None:
        self.g = ProvGraph([("pt", NS_TERMS), ("ptf", NS_FILE), ("ptr", NS_RUN)])
        self.include_system = include_system
        self.entities: set[str] = set()
        self.agents: set[str] = set()
        self.tool = f"pt:provtrace-{__version__}"
        self.g.add("agent", self.tool, attrs=[("prov:type", QName("prov:SoftwareAgent")),
                                              ("prov:label", f"provtrace {__version__}"),
                                              ("pt:version", __version__)])
        self.agents.add(self.tool)
        self._class: dict[str, str] = {}

    def path_class(self, path: str) -> str:
        cls = self._class.get(path)
        if cls is None:
            cls = self._class[path] = path_class(path)
        return cls

    def wanted(self, path: str) -> bool:
        cls = self.path_class(path)
        return cls == "user" or (cls == "system" and self.include_system)

    def entity(self, path: str, version: Version | None, kind: str = "File") -> str:
        ident = f"ptf:{entity_id(path, version)}"
        if ident not in self.entities:
            self.entities.add(ident)
            attrs: list = [("prov:type", QName(f"pt:{kind}")), ("prov:label", os.path.basename(path) or path),
                           ("pt:path", path)]
            if version is not None:
                if version.size is not None:
                    attrs.append(("pt:size", int(version.size)))
                if version.hash:
                    attrs.append(("pt:hash", version.hash))
            self.g.add("entity", ident, attrs=attrs)
        return ident

    def user(self, name: str | None) -> str:
        ident = f"pt:user-{_safe(name or 'unknown')}"
        if ident not in self.agents:
            self.agents.add(ident)
            self.g.add("agent", ident, attrs=[("prov:type", QName("prov:Person")), ("prov:label", name or "unknown")])
            self.g.add("actedOnBehalfOf", None, self.tool, ident, None)
        return ident

    def add_run(self, run: RunInfo) -> None:
        g, r = self.g, run.run
        user = self.user(r.get("username"))
        run_act = f"ptr:{run.id}"
        attrs: list = [("prov:type", QName("pt:Run")),
                       ("prov:label", f"provtrace run {run.id}: {shlex.join(r['argv'])}"),
                       ("pt:argv", json.dumps(r["argv"])), ("pt:cwd", r["cwd"])]
        if r.get("exit_code") is not None:
            attrs.append(("pt:exitCode", int(r["exit_code"])))
        if r.get("label"):
            attrs.append(("pt:runLabel", r["label"]))
        if run.machine:
            attrs.append(("pt:host", run.machine.get("hostname") or ""))
        g.add("activity", run_act, _time(r["start_ns"]), _time(r["end_ns"]), attrs=attrs)
        # Identified, so that PROV-O keeps the two qualified associations of the run apart.
        g.add("wasAssociatedWith", f"ptr:{run.id}-user", run_act, user, None)
        g.add("wasAssociatedWith", f"ptr:{run.id}-recorder", run_act, self.tool, None,
              attrs=[("prov:role", QName("pt:recorder"))])

        ids = {a.key: f"ptr:{run.id}-{a.key}" for a in run.actors}
        for actor in run.actors:
            self._actor(run, actor, ids[actor.key], user)
            if actor.informed_by is not None:
                how = "exec" if actor.informed_by.process is actor.process else (actor.process.creation or "fork")
                g.add("wasInformedBy", None, ids[actor.key], ids[actor.informed_by.key], attrs=[("pt:via", how)])
        if run.root is not None and run.process_actors(run.root):
            g.add("wasStartedBy", None, ids[run.process_actors(run.root)[0].key], None, run_act,
                  _time(r["start_ns"]))
        for group in pipelines(run):
            for left, right in zip(group, group[1:]):
                la, ra = run.process_actors(left), run.process_actors(right)
                g.add("wasInformedBy", None, ids[ra[0].key], ids[la[-1].key],
                      attrs=[("pt:via", "pipe"), ("pt:inferred", "yes")])

    def _actor(self, run: RunInfo, actor: Actor, ident: str, user: str) -> None:
        g, proc = self.g, actor.process
        inputs = [(p, v) for p, v in actor.inputs.items() if self.wanted(p)]
        outputs = [(p, v) for p, v in actor.outputs.items() if self.wanted(p)]
        n_data = sum(1 for p, _ in inputs if self.path_class(p) == "user")
        by_name = n_data * len(outputs) > MAX_DERIVATIONS
        attrs: list = [("prov:type", QName("pt:Process" if actor.image is None else "pt:Exec")),
                       ("pt:pid", int(proc.pid))]
        if actor.image is not None:
            attrs.append(("prov:label", shlex.join(actor.image.argv) or actor.name))
            attrs.append(("pt:argv", json.dumps(actor.image.argv)))
            if actor.image.cwd:
                attrs.append(("pt:cwd", actor.image.cwd))
            if actor.image.path:
                attrs.append(("pt:program", actor.image.path))
            attrs.append(("pt:tracer", actor.image.tracer))
        else:
            attrs.append(("prov:label", actor.name))
        last = actor is run.process_actors(proc)[-1]
        if proc.exit_code is not None and last:
            attrs.append(("pt:exitCode", int(proc.exit_code)))
        if proc.signal is not None and last:
            attrs.append(("pt:signal", int(proc.signal)))
        if by_name:
            attrs.append(("pt:derivations", "by-name"))
        g.add("activity", ident, _time(actor.start_ns), _time(actor.end_ns), attrs=attrs)
        g.add("wasAssociatedWith", None, ident, user, None)
        if actor.image is not None and actor.image.path:
            exe = self.entity(actor.image.path, actor.image.version, "Executable")
            g.add("used", None, ident, exe, _time(actor.image.ts_ns), attrs=[("prov:role", QName("pt:executable"))])
        data_inputs: list[tuple[str, str]] = []
        for path, version in inputs:
            ent = self.entity(path, version)
            g.add("used", None, ident, ent, None)
            if self.path_class(path) == "user":
                data_inputs.append((path, ent))
        named: dict[str, list[str]] = {}
        if by_name:
            for in_path, in_ent in data_inputs:
                named.setdefault(os.path.basename(in_path), []).append(in_ent)
        for path, version in outputs:
            ent = self.entity(path, version)
            g.add("wasGeneratedBy", None, ent, ident, None)
            if self.path_class(path) != "user":
                continue
            if by_name:
                sources = named.get(os.path.basename(path), [])
            else:
                sources = [e for p, e in data_inputs if p != path]
            for in_ent in sources:
                g.add("wasDerivedFrom", None, ent, in_ent, ident, None, None)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "unknown"


def build_graph(runs: Iterable[RunInfo], include_system: bool = False) -> ProvGraph:
    """The PROV statements describing ``runs``, as plain records (fast; no ``prov`` objects)."""
    builder = _Builder(include_system)
    for run in runs:
        builder.add_run(run)
    return builder.g


def to_prov_document(graph: ProvGraph):
    """The same statements as a ``prov.model.ProvDocument``, built with the ``prov`` API."""
    require("prov", "prov", "the PROV export")
    from prov.model import ProvDocument

    doc = ProvDocument()
    for prefix, uri in graph.namespaces:
        doc.add_namespace(prefix, uri)

    def value(v: object) -> object:
        return doc.valid_qualified_name(str(v)) if isinstance(v, QName) else v

    for rec in graph.records:
        attrs = [(k, value(v)) for k, v in rec.attrs] or None
        a: list[Any] = [dt.datetime.fromisoformat(x) if isinstance(x, str) and name in ("startTime", "endTime", "time")
                        else x for name, x in zip(FORMAL[rec.kind], rec.args)]
        ident: Any = rec.ident
        if rec.kind in ("entity", "agent"):
            getattr(doc, rec.kind)(ident, attrs)
        elif rec.kind == "activity":
            doc.activity(ident, a[0], a[1], attrs)
        elif rec.kind == "wasStartedBy":
            doc.wasStartedBy(a[0], a[1], a[2], a[3], identifier=rec.ident, other_attributes=attrs)
        elif rec.kind == "wasDerivedFrom":
            doc.wasDerivedFrom(a[0], a[1], a[2], a[3], a[4], identifier=rec.ident, other_attributes=attrs)
        else:
            getattr(doc, rec.kind)(*a, identifier=rec.ident, other_attributes=attrs)
    return doc


def build_prov(runs: Iterable[RunInfo], include_system: bool = False):
    """A ``prov.model.ProvDocument`` describing ``runs`` (the ``prov`` package's object model).

    Fine for small runs; for big ones (10^5 events) use :func:`write_prov`, which writes
    the same statements without building ``prov`` objects.

    Example::

        doc = build_prov([load_run(store, 3)])
        print(doc.get_provn())
    """
    return to_prov_document(build_graph(runs, include_system))


def serialize_prov(graph: ProvGraph, fmt: str = "json") -> str:
    """Text of ``graph`` in ``json``, ``provn``, ``xml`` or ``ttl`` (PROV-O as Turtle)."""
    fmt = prov_format(fmt)
    return {"json": to_json, "provn": to_provn, "xml": to_xml, "ttl": to_turtle}[fmt](graph)


def write_prov(store: Store, runs: Iterable[str | int], out: str | os.PathLike | IO[str] | None = None,
               fmt: str | None = None, include_system: bool = False) -> str:
    """Export runs (ids or ``last``) as W3C PROV to ``out`` (a path, a stream, or stdout); return the format.

    :param fmt: ``json`` (PROV-JSON, default), ``provn``, ``xml`` or ``ttl``; guessed from ``out``'s extension.
    :param include_system: also describe system files (libraries, installed software).
    :raises UnknownRunError: a run reference names no run.
    :raises OutputPathError: ``out`` cannot be written.

    Example::

        write_prov(store, [3, 4], "runs.ttl")
    """
    fmt = prov_format(fmt, out if isinstance(out, (str, os.PathLike)) else None)
    if isinstance(out, (str, os.PathLike)):
        check_writable_file(out)
    graph = build_graph(load_runs(store, runs), include_system)
    write_text(serialize_prov(graph, fmt), out)
    return fmt


__all__ = ["ProvGraph", "Rec", "build_graph", "build_prov", "entity_id", "prov_format", "serialize_prov",
           "to_prov_document", "write_prov"]

"""Streaming writers for PROV-JSON, PROV-N, PROV-XML and PROV-O (Turtle).

The ``prov`` package builds a full object graph and serialises it at roughly 50 µs
per record, and its Turtle goes through rdflib (minutes for 100,000 events), which
breaks the export budget of a few seconds.  These writers turn the plain records of
:class:`provtrace.export.prov.ProvGraph` into text directly, in the conventions of
``prov``'s own serialisers: the test suite checks that ``prov`` reads every PROV-JSON,
PROV-N and PROV-XML file written here back into a document equal to the one
:func:`provtrace.export.prov.build_prov` builds with the ``prov`` API, and that rdflib
parses the Turtle.

Example::

    text = to_provn(graph)          # graph: a ProvGraph
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .prov import ProvGraph, Rec

PROV_NS = "http://www.w3.org/ns/prov#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"

# Formal (positional) attributes of each record kind, in PROV-N order.
FORMAL = {
    "entity": (),
    "activity": ("startTime", "endTime"),
    "agent": (),
    "used": ("activity", "entity", "time"),
    "wasGeneratedBy": ("entity", "activity", "time"),
    "wasDerivedFrom": ("generatedEntity", "usedEntity", "activity", "generation", "usage"),
    "wasInformedBy": ("informed", "informant"),
    "wasAssociatedWith": ("activity", "agent", "plan"),
    "wasStartedBy": ("activity", "trigger", "starter", "time"),
    "actedOnBehalfOf": ("delegate", "responsible", "activity"),
}
_TIMES = {"startTime", "endTime", "time"}
_INT32 = 2 ** 31


class QName(str):
    """An attribute value that is a qualified name (``pt:File``), not a string literal."""


def _int_type(v: int) -> str:
    return "xsd:int" if -_INT32 <= v < _INT32 else "xsd:long"


_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BAD_TEXT = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Lone surrogates (undecodable file names) become U+FFFD: UTF-8 cannot carry them."""
    return _BAD_TEXT.sub("\ufffd", text)


# --- PROV-JSON --------------------------------------------------------------------------


def _json_value(v: object) -> object:
    if isinstance(v, QName):
        return {"$": str(v), "type": "xsd:QName"}
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {"$": str(v), "type": _int_type(v)}
    return v


def to_json(graph: ProvGraph, indent: int | None = 1) -> str:
    """PROV-JSON text of ``graph`` (indented, unless it has 10,000 records or more: the indenting
    encoder is pure Python and ten times slower)."""
    if len(graph.records) >= 10_000:
        indent = None
    doc: dict = {"prefix": dict(graph.namespaces)}
    blank = 0
    for rec in graph.records:
        section = doc.setdefault(rec.kind, {})
        if rec.ident is None:
            blank += 1
            key = f"_:id{blank}"
        else:
            key = rec.ident
        body: dict = {}
        for name, value in zip(FORMAL[rec.kind], rec.args):
            if value is not None:
                body[f"prov:{name}"] = value
        for name, value in rec.attrs:
            v = _json_value(value)
            if name in body:
                prev = body[name]
                body[name] = (prev if isinstance(prev, list) else [prev]) + [v]
            else:
                body[name] = v
        section[key] = body
    return json.dumps(doc, indent=indent) + "\n"


# --- PROV-N -----------------------------------------------------------------------------


def _n_string(s: str) -> str:
    s = _clean(s).replace("\\", "\\\\").replace('"', '\\"')
    return f'"""{s}"""' if "\n" in s or "\r" in s else f'"{s}"'


def _n_value(v: object) -> str:
    if isinstance(v, QName):
        return f"'{v}'"
    if isinstance(v, bool):
        return f'"{str(v).lower()}" %% xsd:boolean'
    if isinstance(v, int):
        return str(v) if _int_type(v) == "xsd:int" else f'"{v}" %% xsd:long'
    return _n_string(str(v))


def _n_record(rec: Rec) -> str:
    args = ["-" if a is None else str(a) for a in rec.args]
    head = f"{rec.ident}; " if rec.ident is not None and rec.kind not in ("entity", "activity", "agent") else ""
    if rec.kind in ("entity", "activity", "agent"):
        args = [str(rec.ident)] + args
    inner = head + ", ".join(args)
    if rec.attrs:
        inner += ", [" + ", ".join(f"{k}={_n_value(v)}" for k, v in rec.attrs) + "]"
    return f"  {rec.kind}({inner})"


def to_provn(graph: ProvGraph) -> str:
    """PROV-N text of ``graph``."""
    lines = ["document"]
    lines += [f"  prefix {p} <{uri}>" for p, uri in graph.namespaces]
    lines.append("")
    lines += map(_n_record, graph.records)
    lines.append("endDocument")
    return "\n".join(lines) + "\n"


# --- PROV-XML ---------------------------------------------------------------------------


def _x(s: str) -> str:
    s = _BAD_XML.sub("\ufffd", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _xa(s: str) -> str:
    return _x(s).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _x_record(rec: Rec) -> Iterator[str]:
    ident = f' prov:id="{_xa(rec.ident)}"' if rec.ident is not None else ""
    yield f"  <prov:{rec.kind}{ident}>"
    for name, value in zip(FORMAL[rec.kind], rec.args):
        if value is None:
            continue
        if name in _TIMES:
            yield f"    <prov:{name}>{_x(value)}</prov:{name}>"
        else:
            yield f'    <prov:{name} prov:ref="{_xa(value)}"/>'
    for name, value in rec.attrs:
        if isinstance(value, QName):
            yield f'    <{name} xsi:type="xsd:QName">{_x(value)}</{name}>'
        elif isinstance(value, bool):
            yield f'    <{name} xsi:type="xsd:boolean">{str(value).lower()}</{name}>'
        elif isinstance(value, int):
            yield f'    <{name} xsi:type="{_int_type(value)}">{value}</{name}>'
        else:
            yield f"    <{name}>{_x(str(value))}</{name}>"
    yield f"  </prov:{rec.kind}>"


def to_xml(graph: ProvGraph) -> str:
    """PROV-XML text of ``graph``."""
    ns = " ".join(f'xmlns:{p}="{_xa(uri)}"' for p, uri in graph.namespaces)
    lines = ["<?xml version='1.0' encoding='UTF-8'?>",
             f'<prov:document {ns} xmlns:prov="{PROV_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">']
    for rec in graph.records:
        lines.extend(_x_record(rec))
    lines.append("</prov:document>")
    return "\n".join(lines) + "\n"


# --- PROV-O as Turtle -------------------------------------------------------------------

# (qualified property, class, property naming the second argument) of each relation; the
# unqualified starting-point property is always written too.
_QUALIFIED = {
    "used": ("used", "qualifiedUsage", "Usage", "entity"),
    "wasGeneratedBy": ("wasGeneratedBy", "qualifiedGeneration", "Generation", "activity"),
    "wasDerivedFrom": ("wasDerivedFrom", "qualifiedDerivation", "Derivation", "entity"),
    "wasInformedBy": ("wasInformedBy", "qualifiedCommunication", "Communication", "activity"),
    "wasAssociatedWith": ("wasAssociatedWith", "qualifiedAssociation", "Association", "agent"),
    "wasStartedBy": ("wasStartedBy", "qualifiedStart", "Start", "entity"),
    "actedOnBehalfOf": ("actedOnBehalfOf", "qualifiedDelegation", "Delegation", "agent"),
}


def _t_string(s: str) -> str:
    s = _clean(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{s}"'


def _t_value(v: object) -> str:
    if isinstance(v, QName):
        return str(v)
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return f'"{v}"^^xsd:{_int_type(v)[4:]}'
    return _t_string(str(v))


def _t_attrs(rec: Rec) -> list[str]:
    out = []
    for name, value in rec.attrs:
        if name == "prov:type":
            out.append(f"a {_t_value(value)}")
        elif name == "prov:label":
            out.append(f"rdfs:label {_t_value(value)}")
        elif name == "prov:role":
            out.append(f"prov:hadRole {_t_value(value)}")
        else:
            out.append(f"{name} {_t_value(value)}")
    return out


def _t_record(rec: Rec) -> Iterator[str]:
    a = dict(zip(FORMAL[rec.kind], rec.args))
    if rec.kind in ("entity", "activity", "agent"):
        props = [f"a prov:{rec.kind.capitalize()}"] + _t_attrs(rec)
        if a.get("startTime"):
            props.append(f'prov:startedAtTime "{a["startTime"]}"^^xsd:dateTime')
        if a.get("endTime"):
            props.append(f'prov:endedAtTime "{a["endTime"]}"^^xsd:dateTime')
        yield f"{rec.ident} " + " ;\n    ".join(props) + " .\n"
        return
    simple, qprop, cls, second = _QUALIFIED[rec.kind]
    first_name = FORMAL[rec.kind][0]
    subject, obj = a[first_name], a[FORMAL[rec.kind][1]]
    if rec.kind == "wasStartedBy":
        obj = a.get("trigger")
    if obj is not None:
        yield f"{subject} prov:{simple} {obj} .\n"
    props = [f"a prov:{cls}"]
    if obj is not None:
        props.append(f"prov:{second} {obj}")
    if rec.kind == "wasDerivedFrom" and a.get("activity"):
        props.append(f"prov:hadActivity {a['activity']}")
    if rec.kind == "wasStartedBy" and a.get("starter"):
        props.append(f"prov:hadActivity {a['starter']}")
    if rec.kind == "wasAssociatedWith" and a.get("plan"):
        props.append(f"prov:hadPlan {a['plan']}")
    if rec.kind == "actedOnBehalfOf" and a.get("activity"):
        props.append(f"prov:hadActivity {a['activity']}")
    if a.get("time"):
        props.append(f'prov:atTime "{a["time"]}"^^xsd:dateTime')
    props += _t_attrs(rec)
    if len(props) > 2 or rec.ident is not None or obj is None:
        node = rec.ident if rec.ident is not None else None
        body = " ;\n        ".join(props)
        if node is None:
            yield f"{subject} prov:{qprop} [ {body} ] .\n"
        else:
            yield f"{subject} prov:{qprop} {node} .\n{node} {body} .\n"


def to_turtle(graph: ProvGraph) -> str:
    """PROV-O (the W3C PROV ontology) as Turtle: starting-point properties, plus a qualified
    node (prov:qualifiedUsage, ...) wherever a relation carries a time, a role or attributes."""
    lines = [f"@prefix {p}: <{uri}> ." for p, uri in graph.namespaces]
    lines += [f"@prefix prov: <{PROV_NS}> .", f"@prefix xsd: <{XSD_NS}> .",
              "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .", ""]
    out = ["\n".join(lines) + "\n"]
    for rec in graph.records:
        out.extend(_t_record(rec))
    return "".join(out)

"""`provtrace export prov` on real recorded runs: round trips through `prov`, rdflib, and the dataflow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

prov_model = pytest.importorskip("prov.model")
rdflib = pytest.importorskip("rdflib")

from provtrace import open_store  # noqa: E402
from provtrace.export.prov import build_graph, build_prov, serialize_prov, to_prov_document  # noqa: E402
from provtrace.export.runinfo import load_runs  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "pipeline"
PT = "urn:provtrace:ns#"
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")


def pt(*args, cwd=None):
    """Run the provtrace CLI; return the completed process."""
    return subprocess.run([sys.executable, "-m", "provtrace", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True)


def record(store: Path, cwd: Path, *argv: str) -> None:
    p = pt("record", "-q", "--store", store, "--", *argv, cwd=cwd)
    assert p.returncode == 0, p.stderr


def sql(store: Path, query: str, *params) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """The README's example pipeline, copied and recorded: (store, work dir)."""
    base = tmp_path_factory.mktemp("prov")
    work = base / "pipeline"
    shutil.copytree(EXAMPLE, work)
    store = base / "store.db"
    record(store, work, "bash", "run.sh", "42")
    return store, work


def expected_dataflow(store: Path, work: Path) -> dict[str, dict]:
    """From the store's tables directly: each output under ``work`` -> hash, writer pid/argv, inputs read."""
    out = {}
    rows = sql(store, """
        SELECT f.path, v.hash, e.process_id FROM file_events e JOIN files f ON f.id = e.file_id
        JOIN versions v ON v.id = e.version_id
        WHERE e.kind = 'close' AND f.path LIKE ? ORDER BY e.seq, e.id""", f"{work}/%")
    for path, digest, proc in rows:  # the last close of a file wins
        out[path] = {"hash": digest, "process": proc}
    for path, info in list(out.items()):
        if info["hash"] is None or not Path(path).exists():
            del out[path]
            continue
        info["pid"] = sql(store, "SELECT pid FROM processes WHERE id = ?", info["process"])[0][0]
        info["argv"] = json.loads(sql(store, "SELECT argv FROM execs WHERE process_id = ? ORDER BY seq DESC",
                                      info["process"])[0][0])
        info["inputs"] = {p for (p,) in sql(store, """
            SELECT DISTINCT f.path FROM file_events e JOIN files f ON f.id = e.file_id
            WHERE e.process_id = ? AND e.kind = 'read' AND e.op = 'open' AND e.result >= 0 AND f.path LIKE ?""",
                                              info["process"], f"{work}/%")} - {path}
    return out


def graph_of(store: Path, include_system: bool = False):
    with open_store(store, readonly=True) as db:
        return build_graph(load_runs(db, ["last"]), include_system)


@pytest.mark.parametrize("fmt", ["json", "provn", "xml"])
@pytest.mark.parametrize("include_system", [False, True])
def test_prov_output_loads_back_into_an_equal_document(pipeline, tmp_path, fmt, include_system):
    store, _work = pipeline
    out = tmp_path / f"run.{fmt}"
    args = ["export", "prov", "--store", store, "last", "-o", out] + (["--system"] if include_system else [])
    p = pt(*args)
    assert p.returncode == 0, p.stderr
    reference = to_prov_document(graph_of(store, include_system))  # built with the prov API
    loaded = prov_model.ProvDocument.deserialize(source=str(out), format=fmt)
    assert loaded == reference
    assert len(reference.records) > 20


def test_prov_format_is_guessed_from_the_extension(pipeline, tmp_path):
    store, _ = pipeline
    for name, fmt in (("a.provn", "provn"), ("a.xml", "xml"), ("a.json", "json")):
        assert pt("export", "prov", "--store", store, "-o", tmp_path / name).returncode == 0
        prov_model.ProvDocument.deserialize(source=str(tmp_path / name), format=fmt)
    assert pt("export", "prov", "--store", store, "-o", tmp_path / "a.ttl").returncode == 0
    assert (tmp_path / "a.ttl").read_text().startswith("@prefix")


def test_every_output_is_generated_by_its_writer_and_derived_from_what_it_read(pipeline, tmp_path):
    store, work = pipeline
    expected = expected_dataflow(store, work)
    assert {"raw.csv", "clean.csv", "fit.json", "fig1.svg"} <= {Path(p).name for p in expected}
    out = tmp_path / "run.json"
    assert pt("export", "prov", "--store", store, "last", "-o", out).returncode == 0
    doc = json.loads(out.read_text())
    entities = doc["entity"]
    by_path_hash = {(e["pt:path"], e.get("pt:hash")): ident for ident, e in entities.items()}
    activities = doc["activity"]
    generated = {}
    for rel in doc["wasGeneratedBy"].values():
        generated.setdefault(rel["prov:entity"], set()).add(rel["prov:activity"])
    for path, info in expected.items():
        ent = by_path_hash.get((path, info["hash"]))
        assert ent is not None, f"no entity for {path} at its recorded hash"
        writers = generated.get(ent, set())
        assert len(writers) == 1, (path, writers)
        act = activities[writers.pop()]
        assert act["pt:pid"]["$"] == str(info["pid"]) and json.loads(act["pt:argv"]) == info["argv"], path
        derived = {entities[r["prov:usedEntity"]]["pt:path"] for r in doc["wasDerivedFrom"].values()
                   if r["prov:generatedEntity"] == ent}
        assert derived == info["inputs"], path
    # the concrete story of the example: raw.csv comes from generate.py, the figure from plot.py
    raw = next(i for p, i in expected.items() if p.endswith("/raw.csv"))
    assert raw["argv"][:2] == ["python3", "generate.py"] and str(work / "generate.py") in raw["inputs"]
    fig = next(i for p, i in expected.items() if p.endswith("/fig1.svg"))
    assert str(work / "plot.py") in fig["inputs"] and str(work / "results" / "fit.json") in fig["inputs"]


def test_turtle_parses_with_rdflib_and_states_the_same_generations(pipeline, tmp_path):
    store, work = pipeline
    out = tmp_path / "run.ttl"
    assert pt("export", "prov", "--store", store, "last", "--format", "ttl", "-o", out).returncode == 0
    g = rdflib.Graph().parse(str(out), format="turtle")
    path_p, pid_p = rdflib.URIRef(PT + "path"), rdflib.URIRef(PT + "pid")
    for path, info in expected_dataflow(store, work).items():
        ents = [e for e in g.subjects(path_p, rdflib.Literal(path))
                if (e, rdflib.URIRef(PT + "hash"), rdflib.Literal(info["hash"])) in g]
        assert len(ents) == 1, path
        acts = list(g.objects(ents[0], PROV.wasGeneratedBy))
        assert len(acts) == 1 and int(g.value(acts[0], pid_p)) == info["pid"]
        sources = {str(g.value(src, path_p)) for src in g.objects(ents[0], PROV.wasDerivedFrom)}
        assert sources == info["inputs"]


def test_activities_carry_times_exit_status_and_the_agents(pipeline):
    store, _ = pipeline
    with open_store(store, readonly=True) as db:
        doc = build_prov(load_runs(db, ["last"]))
    acts = list(doc.get_records(prov_model.ProvActivity))
    assert acts and all(a.get_startTime() is not None and a.get_endTime() is not None for a in acts)
    assert all(a.get_startTime() <= a.get_endTime() for a in acts)
    exits = [a for a in acts if any(str(k) == "pt:exitCode" for k, _ in a.attributes)]
    assert exits
    agents = {str(a.identifier) for a in doc.get_records(prov_model.ProvAgent)}
    assert any(x.startswith("pt:user-") for x in agents) and any(x.startswith("pt:provtrace-") for x in agents)
    assoc = list(doc.get_records(prov_model.ProvAssociation))
    assert len(assoc) >= len(acts)


def test_system_files_only_with_the_flag(pipeline):
    store, _ = pipeline
    def paths(graph):
        return {dict(r.attrs)["pt:path"] for r in graph.records if r.kind == "entity"
                and str(dict(r.attrs)["prov:type"]) == "pt:File"}
    plain, full = paths(graph_of(store)), paths(graph_of(store, True))
    assert not any(p.startswith(("/usr/", "/lib")) for p in plain)
    assert any(".so" in p for p in full - plain)
    assert not any(p.startswith(("/proc/", "/sys/", "/dev/")) for p in full)


def test_a_shell_pipeline_is_linked_by_inferred_communication(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "in.csv").write_text("h\n3\n1\n2\n")
    (work / "p.sh").write_text("tail -n +2 in.csv | sort -n > out.csv\n")
    store = tmp_path / "s.db"
    record(store, work, "bash", "p.sh")
    graph = graph_of(store)
    acts = {r.ident: dict(r.attrs) for r in graph.records if r.kind == "activity"}
    by_prog = {json.loads(a["pt:argv"])[0]: i for i, a in acts.items() if "pt:argv" in a}
    gens = {(r.args[0], r.args[1]) for r in graph.records if r.kind == "wasGeneratedBy"}
    out_ent = next(r.ident for r in graph.records
                   if r.kind == "entity" and dict(r.attrs)["pt:path"].endswith("out.csv"))
    assert (out_ent, by_prog["sort"]) in gens  # the shell opened out.csv for sort: sort wrote it
    pipes = {(r.args[0], r.args[1]) for r in graph.records if r.kind == "wasInformedBy"
             and dict(r.attrs).get("pt:via") == "pipe"}
    assert (by_prog["sort"], by_prog["tail"]) in pipes
    used = {(r.args[0], dict((e.ident, dict(e.attrs)) for e in graph.records if e.kind == "entity")
             [r.args[1]]["pt:path"]) for r in graph.records if r.kind == "used"}
    assert (by_prog["tail"], str(work / "in.csv")) in used


def test_strings_numbers_and_odd_characters_survive_every_format(tmp_path):
    from provtrace.export.prov import ProvGraph
    from provtrace.export.prov_text import QName

    g = ProvGraph([("pt", PT), ("ptf", "urn:provtrace:file:")])
    g.add("entity", "ptf:a", attrs=[("prov:type", QName("pt:File")), ("pt:path", "/d/a b\"c\\d\n<&>'é☃\t"),
                                     ("pt:size", 5_000_000_000), ("pt:n", 3), ("prov:label", "x")])
    g.add("activity", "pt:act", "2026-01-02T03:04:05.000006+00:00", None, attrs=[("pt:argv", '["$3 == \\"ok\\""]')])
    g.add("used", None, "pt:act", "ptf:a", None, attrs=[("prov:role", QName("pt:input"))])
    g.add("wasAssociatedWith", "pt:assoc", "pt:act", "pt:me", None)
    reference = to_prov_document(g)
    for fmt in ("json", "provn", "xml"):
        text = serialize_prov(g, fmt)
        assert prov_model.ProvDocument.deserialize(content=text, format=fmt) == reference, fmt
    rdflib.Graph().parse(data=serialize_prov(g, "ttl"), format="turtle")

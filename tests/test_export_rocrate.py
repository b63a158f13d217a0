"""`provtrace export ro-crate`: a Process Run Crate that roc-validator accepts, offline, with the right actions.

roc-validator resolves the crate's JSON-LD context (https://w3id.org/ro/crate/1.1/context)
over HTTP through a requests-cache store; with ``offline=True`` it only reads that cache.
The tests prime a fresh cache in tmp_path from the context that the ``rocrate`` package
ships (its 1.3 context, a superset of 1.1's terms), served by a local requests adapter,
and forbid sockets while validating: nothing is downloaded.
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from blake3 import blake3

rocrate = pytest.importorskip("rocrate")
pytest.importorskip("rocrate_validator")
requests = pytest.importorskip("requests")
requests_cache = pytest.importorskip("requests_cache")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "pipeline"
CONTEXTS = ("https://w3id.org/ro/crate/1.1/context",)


def pt(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "provtrace", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def offline_cache(tmp_path_factory) -> Path:
    """A requests-cache database holding the RO-Crate context, built without the network."""
    import urllib3
    from requests.adapters import HTTPAdapter

    context = (Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld").read_bytes()

    class Local(HTTPAdapter):
        def send(self, request, **kwargs):
            raw = urllib3.HTTPResponse(body=io.BytesIO(context), headers={"Content-Type": "application/ld+json"},
                                       status=200, preload_content=False, request_url=request.url)
            return self.build_response(request, raw)

    cache = tmp_path_factory.mktemp("http-cache") / "http_cache"
    session = requests_cache.CachedSession(cache_name=str(cache), backend="sqlite", expire_after=-1)
    session.mount("https://", Local())
    for url in CONTEXTS:
        assert session.get(url, headers={"Accept": "application/ld+json, application/json"}).status_code == 200
    session.close()
    return cache


def validate(crate: Path, cache: Path, monkeypatch) -> list[str]:
    """Issues roc-validator reports at the REQUIRED level against process-run-crate (empty = valid)."""
    from rocrate_validator import models, services

    def no_network(*args, **kwargs):
        raise AssertionError(f"the validation tried to reach the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    settings = services.ValidationSettings(rocrate_uri=str(crate), profile_identifier="process-run-crate",
                                           requirement_severity=models.Severity.REQUIRED, offline=True,
                                           cache_path=cache)
    result = services.validate(settings)
    issues = [f"{i.check.identifier if i.check else '?'}: {i.message}" for i in result.get_issues()]
    assert result.passed() == (not issues)
    return issues


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    base = tmp_path_factory.mktemp("rocrate")
    work = base / "pipeline"
    shutil.copytree(EXAMPLE, work)
    store = base / "store.db"
    p = pt("record", "-q", "--store", store, "--", "bash", "run.sh", "42", cwd=work)
    assert p.returncode == 0, p.stderr
    return store, work


def metadata(crate: Path) -> dict:
    if crate.suffix == ".zip":
        with zipfile.ZipFile(crate) as zf:
            return json.loads(zf.read("ro-crate-metadata.json"))
    return json.loads((crate / "ro-crate-metadata.json").read_text())


@pytest.mark.parametrize("name,extra", [("crate", []), ("crate.zip", []), ("data-crate", ["--include-data"]),
                                        ("data-crate.zip", ["--include-data"])])
def test_crate_passes_roc_validator_offline_at_the_required_level(recorded, offline_cache, tmp_path, monkeypatch,
                                                                   name, extra):
    store, _ = recorded
    out = tmp_path / name
    p = pt("export", "ro-crate", "--store", store, "last", "-o", out, *extra)
    assert p.returncode == 0, p.stderr
    assert validate(out, offline_cache, monkeypatch) == []


def test_an_incomplete_crate_fails_the_same_validation(recorded, offline_cache, tmp_path, monkeypatch):
    """The check can fail: the same crate without its actions' instruments is rejected."""
    store, _ = recorded
    out = tmp_path / "crate"
    assert pt("export", "ro-crate", "--store", store, "-o", out).returncode == 0
    meta = metadata(out)
    for entity in meta["@graph"]:
        entity.pop("instrument", None)
    (out / "ro-crate-metadata.json").write_text(json.dumps(meta))
    issues = validate(out, offline_cache, monkeypatch)
    assert any("instrument" in i for i in issues), issues


def test_actions_name_the_inputs_and_outputs_each_command_used(recorded, tmp_path):
    store, work = recorded
    out = tmp_path / "crate"
    assert pt("export", "ro-crate", "--store", store, "last", "-o", out).returncode == 0
    graph = {e["@id"]: e for e in metadata(out)["@graph"]}
    root = graph["./"]
    assert root["conformsTo"] == {"@id": "https://w3id.org/ro/wfrun/process/0.5"}
    mentions = root["mentions"] if isinstance(root["mentions"], list) else [root["mentions"]]
    actions = [graph[m["@id"]] for m in mentions]
    assert actions and all(a["@type"] == "CreateAction" for a in actions)

    def paths(value) -> set[str]:
        items = value if isinstance(value, list) else [value] if value else []
        return {graph[i["@id"]]["alternateName"] for i in items}

    def action_of(output: str) -> dict:
        found = [a for a in actions if str(work / output) in paths(a.get("result"))]
        assert len(found) == 1, output
        return found[0]

    gen = action_of("work/raw.csv")
    assert graph[gen["instrument"]["@id"]]["name"].startswith("python")
    assert str(work / "generate.py") in paths(gen["object"])
    fit = action_of("results/fit.json")
    assert {str(work / "fit.py"), str(work / "work/clean.csv")} <= paths(fit["object"])
    plot = action_of("results/fig1.svg")
    assert {str(work / "plot.py"), str(work / "work/clean.csv"), str(work / "results/fit.json")} <= paths(
        plot["object"])
    assert str(work / "results/fig1.svg") not in paths(plot["object"])
    for a in actions:
        assert a["startTime"] <= a["endTime"]
        assert graph[a["agent"]["@id"]]["@type"] == "Person"
        env = a.get("environment", [])
        for ref in env if isinstance(env, list) else [env]:
            assert graph[ref["@id"]]["@type"] == "PropertyValue"
    fig = next(e for e in graph.values() if e.get("alternateName") == str(work / "results/fig1.svg"))
    assert fig["identifier"] == "blake3:" + blake3((work / "results/fig1.svg").read_bytes()).hexdigest()


def test_include_data_copies_inputs_and_outputs_with_their_recorded_content(recorded, tmp_path):
    store, work = recorded
    out = tmp_path / "crate.zip"
    assert pt("export", "ro-crate", "--store", store, "last", "-o", out, "--include-data").returncode == 0
    graph = {e["@id"]: e for e in metadata(out)["@graph"]}
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        for rel in ("generate.py", "work/raw.csv", "results/fig1.svg"):
            assert rel in names and rel in graph
            assert graph[rel]["identifier"] == "blake3:" + blake3(zf.read(rel)).hexdigest()
            assert zf.read(rel) == (work / rel).read_bytes()
    has_part = {p["@id"] for p in graph["./"]["hasPart"]}
    assert {"generate.py", "work/raw.csv", "results/fig1.svg"} <= has_part


def test_a_crate_is_not_written_into_a_non_empty_directory(recorded, tmp_path):
    store, _ = recorded
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    p = pt("export", "ro-crate", "--store", store, "-o", tmp_path / "full")
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "not empty" in p.stderr
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"

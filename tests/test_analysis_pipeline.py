"""why, graph, show --detail and status on the example pipeline, recorded for real.

The pipeline is recorded as two steps, so that the figure's lineage must cross runs:
run 1 is ``prepare.sh 42`` (generate.py -> work/raw.csv, awk -> work/ok.tmp,
sort -> work/clean.csv, rm ok.tmp) and run 2 is ``analyse.sh`` (fit.py -> results/fit.json,
plot.py -> results/fig1.svg, reading work/clean.csv made by run 1).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from blake3 import blake3

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "pipeline"
SCRIPTS = {"prepare.sh", "analyse.sh", "generate.py", "fit.py", "plot.py"}


def pt(*args, cwd=None, check=True):
    """Run the provtrace CLI in a subprocess (the way users do)."""
    p = subprocess.run([sys.executable, "-m", "provtrace", *map(str, args)], cwd=cwd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"provtrace {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p


def record_steps(tmp: Path) -> tuple[Path, Path]:
    work = tmp / "pipeline"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("work", "results"))
    store = tmp / "store.db"
    pt("record", "-q", "--store", store, "--", "bash", "prepare.sh", "42", cwd=work)
    pt("record", "-q", "--store", store, "--", "bash", "analyse.sh", cwd=work)
    return work, store


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    """(pipeline dir, store) with run 1 = prepare.sh 42 and run 2 = analyse.sh; not modified by tests."""
    return record_steps(tmp_path_factory.mktemp("steps"))


def is_system_like(path: str) -> bool:
    """An independent notion of 'system file' for the assertions (not the library's)."""
    return bool(re.search(r"\.so(\.\d+)*$|^/(proc|sys|dev|etc|usr/lib|lib)|/lib/python\d|__pycache__", path))


def tree_paths(node: dict, out: set) -> set:
    out.add(node["path"])
    step = node.get("made_by")
    if step:
        for launcher in step["launched_by"]:
            for n in launcher["scripts"]:
                tree_paths(n, out)
        for n in step["inputs"]:
            tree_paths(n, out)
    return out


# --- why -----------------------------------------------------------------------------

def test_why_figure_names_scripts_inputs_and_intermediates_across_runs(steps):
    work, store = steps
    lin = json.loads(pt("why", "--store", store, "--json", "results/fig1.svg", cwd=work).stdout)
    assert lin["state"] == "current"
    [top] = lin["versions"]
    fig = work / "results" / "fig1.svg"
    assert top["hash"] == "blake3:" + blake3(fig.read_bytes()).hexdigest()
    step = top["made_by"]
    assert step["run_id"] == 2 and step["command"] == ["python3", "plot.py", "work/clean.csv",
                                                        "results/fit.json", "results/fig1.svg"]
    assert step["cwd"] == str(work) and step["executable_hash"].startswith("blake3:")
    assert step["launched_by"][0]["command"] == ["bash", "analyse.sh"]
    names = {os.path.relpath(p, work) for p in tree_paths(top, set())}
    assert names == {"results/fig1.svg", "plot.py", "plot.ini", "analyse.sh", "work/clean.csv", "results/fit.json",
                     "fit.py", "work/ok.tmp", "prepare.sh", "work/raw.csv", "generate.py", "data/truth.json"}
    # the intermediate clean.csv is followed back into run 1, which made it with sort
    clean = next(n for n in step["inputs"] if n["path"].endswith("work/clean.csv"))
    assert clean["made_by"]["run_id"] == 1 and clean["made_by"]["command"] == ["sort", "-t,", "-k1,1g"]
    raw_step = clean["made_by"]["inputs"][0]["made_by"]["inputs"][0]["made_by"]  # ok.tmp <- awk <- raw.csv
    assert raw_step["command"][:2] == ["python3", "generate.py"] and raw_step["run_id"] == 1
    roles = {os.path.basename(n["path"]): n["role"] for n in raw_step["inputs"]}
    assert roles == {"generate.py": "script", "truth.json": "read"}


def test_why_text_is_an_indented_tree_without_system_files(steps):
    work, store = steps
    out = pt("why", "--store", store, "results/fig1.svg", cwd=work).stdout
    assert "written by run 2" in out and "written by run 1" in out and "└─" in out
    assert "data/truth.json" in out and ".so" not in out and "/lib/python" not in out
    with_system = pt("why", "--store", store, "--system", "results/fit.json", cwd=work).stdout
    assert "/lib/python" in with_system or ".so" in with_system


def test_why_depth_limits_the_walk(steps):
    work, store = steps
    lin = json.loads(pt("why", "--store", store, "--json", "--depth", "1", "results/fig1.svg", cwd=work).stdout)
    clean = next(n for n in lin["versions"][0]["made_by"]["inputs"] if n["path"].endswith("clean.csv"))
    assert clean["made_by"]["note"] == "depth limit" and clean["made_by"]["inputs"] == []


def test_why_says_when_the_file_matches_no_recorded_version(tmp_path):
    work, store = record_steps(tmp_path)
    fit = work / "results" / "fit.json"
    recorded = "blake3:" + blake3(fit.read_bytes()).hexdigest()
    fit.write_text('{"edited": true}\n')
    lin = json.loads(pt("why", "--store", store, "--json", fit).stdout)
    assert lin["state"] == "differs" and "matches no recorded version" in lin["message"]
    assert lin["versions"][0]["hash"] == recorded  # the last recorded one is shown
    fit.unlink()
    lin = json.loads(pt("why", "--store", store, "--json", fit).stdout)
    assert lin["state"] == "missing"


def test_why_of_an_original_input_says_no_run_wrote_it(steps):
    work, store = steps
    lin = json.loads(pt("why", "--store", store, "--json", "data/truth.json", cwd=work).stdout)
    assert lin["versions"][0]["made_by"] is None
    assert lin["versions"][0]["note"] == "not written by any recorded run"


# --- graph ---------------------------------------------------------------------------

def graph(store, *args, cwd=None):
    return json.loads(pt("graph", "--store", store, "--format", "json", *args, cwd=cwd).stdout)


def test_graph_json_lists_the_processes_files_and_edges_of_a_run(steps):
    work, store = steps
    g = graph(store, "2")
    nodes = {n["id"]: n for n in g["nodes"]}
    procs = {n["label"]: n["id"] for n in g["nodes"] if n["kind"] == "process"}
    files = {n["path"]: n["id"] for n in g["nodes"] if n["kind"] == "file"}
    assert {"bash analyse.sh", "python3 fit.py work/clean.csv results/fit.json",
            "python3 plot.py work/clean.csv results/fit.json results/fig1.svg"} <= set(procs)
    local = {os.path.relpath(p, work) for p in files if p.startswith(str(work))}
    assert local == {"analyse.sh", "fit.py", "plot.py", "plot.ini", "work/clean.csv", "results/fit.json",
                     "results/fig1.svg"}
    edges = {(e["source"], e["target"], e["kind"]) for e in g["edges"]}
    fit = procs["python3 fit.py work/clean.csv results/fit.json"]
    plot = procs["python3 plot.py work/clean.csv results/fit.json results/fig1.svg"]
    f = {os.path.relpath(p, work): i for p, i in files.items() if p.startswith(str(work))}
    assert (f["work/clean.csv"], fit, "read") in edges and (f["fit.py"], fit, "read") in edges
    assert (fit, f["results/fit.json"], "write") in edges
    assert (f["results/fit.json"], plot, "read") in edges and (plot, f["results/fig1.svg"], "write") in edges
    assert (procs["bash analyse.sh"], fit, "fork") in edges
    assert any(k == "exec" and t == fit and nodes[s]["path"].endswith("python3") for s, t, k in edges)
    assert not [p for p in files if is_system_like(p)]


def test_graph_system_files_only_with_system(steps):
    work, store = steps
    paths = [n.get("path", "") for n in graph(store, "2", "--system", "--group-threshold", "0")["nodes"]]
    assert any(re.search(r"\.so(\.\d+)*$", p) for p in paths) and any("/lib/python" in p for p in paths)


def test_graph_of_two_runs_joins_the_shared_version(steps):
    work, store = steps
    g = graph(store, "1", "2")
    clean = [n for n in g["nodes"] if n.get("path") == str(work / "work" / "clean.csv")]
    assert len(clean) == 1
    cid = clean[0]["id"]
    runs_of = {n["id"]: n.get("run") for n in g["nodes"]}
    writers = {runs_of[e["source"]] for e in g["edges"] if e["target"] == cid and e["kind"] == "write"}
    readers = {runs_of[e["target"]] for e in g["edges"] if e["source"] == cid and e["kind"] == "read"}
    assert writers == {1} and readers == {2}
    ok = next(n for n in g["nodes"] if n.get("path", "").endswith("ok.tmp"))
    assert ok.get("deleted") is True


def test_graph_dot_output_passes_graphviz(steps, tmp_path):
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz is not installed (CI installs it: apt-get install graphviz)")
    work, store = steps
    for args in ([], ["--system"], ["--level", "exec"], ["--group-threshold", "3"]):
        text = pt("graph", "--store", store, "1", "2", *args).stdout
        p = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert "<svg" in p.stdout
    out = tmp_path / "flow.svg"
    pt("graph", "--store", store, "last", "-o", out)
    assert "<svg" in out.read_text()
    graphml = pt("graph", "--store", store, "1", "--format", "graphml").stdout
    assert "<graphml" in graphml


def test_graph_groups_files_by_directory_past_the_threshold(steps):
    work, store = steps
    g = graph(store, "1", "2", "--system", "--group-threshold", "10")
    groups = [n for n in g["nodes"] if n["kind"] == "group"]
    assert groups and g["grouped"] is True
    assert len([n for n in g["nodes"] if n["kind"] in ("file", "group")]) <= 10 + len(groups)
    assert all(n["files"] >= 1 for n in groups)


def test_graph_exec_level_has_exec_nodes(steps):
    work, store = steps
    g = graph(store, "2", "--level", "exec")
    kinds = {n["kind"] for n in g["nodes"]}
    assert "exec" in kinds and "process" not in kinds


def test_graph_svg_without_graphviz_says_how_to_install(steps, monkeypatch, capsys):
    from provtrace.cli import cli
    from provtrace.cli.common import run_cli

    work, store = steps
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert run_cli(cli, ["graph", "--store", str(store), "2", "--format", "svg"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apt-get install graphviz" in err
    assert run_cli(cli, ["graph", "--store", str(store), "2", "--format", "dot"]) == 0


# --- show --detail ----------------------------------------------------------------------

def test_show_detail_classifies_the_pipeline_files(tmp_path):
    work = tmp_path / "pipeline"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("work", "results"))
    store = tmp_path / "s.db"
    pt("record", "-q", "--store", store, "--", "bash", "run.sh", "42", cwd=work)
    d = json.loads(pt("show", "--store", store, "--detail", "--json", "last").stdout)
    files = d["files"]

    def local(role):
        return {os.path.relpath(f["path"], work) for f in files[role] if f["path"].startswith(str(work))}

    assert local("input") == {"data/truth.json"}
    assert local("output") == {"work/raw.csv", "work/clean.csv", "results/fit.json", "results/fig1.svg"}
    assert local("transient") == {"work/ok.tmp"}
    assert local("configuration") == {"plot.ini"}
    assert local("executable") == {"run.sh", "prepare.sh", "analyse.sh", "generate.py", "fit.py", "plot.py"}
    assert local("system") == set() and local("deleted") == set()
    assert {os.path.basename(f["path"]) for f in files["executable"] if not f["path"].startswith(str(work))} >= {
        "bash", "awk", "sort", "rm", "mkdir", "dirname", "wc"}
    assert all(f["path"].startswith("/etc/") for f in files["configuration"] if not f["path"].startswith(str(work)))
    assert files["input"] == [f for f in files["input"] if f["path"].startswith(str(work))]  # nothing else
    assert any(re.search(r"\.so(\.\d+)*$", f["path"]) for f in files["system"])
    for f in files["output"]:
        assert f["hash"] == "blake3:" + blake3(Path(f["path"]).read_bytes()).hexdigest()
        assert f["size"] == Path(f["path"]).stat().st_size
    ok = files["transient"][0]
    assert ok["present_at_end"] is False and ok["size"] > 0
    params = {x["script"] and os.path.basename(x["script"]): x["parameters"] for x in d["execs"]}
    assert params["generate.py"] == ["--seed", "42", "--n", "400"]
    assert params["run.sh"] == ["42"] and params["analyse.sh"] == []
    text = pt("show", "--store", store, "--detail", "last").stdout
    assert "transient files" in text and "work/ok.tmp" in text and "parameters: --seed 42 --n 400" in text


# --- status ----------------------------------------------------------------------------

def status(store, cwd, *args):
    p = pt("status", "--store", store, "--json", *args, cwd=cwd, check=False)
    report = json.loads(p.stdout)
    by_state: dict[str, set] = {}
    for o in report["outputs"]:
        by_state.setdefault(o["state"], set()).add(os.path.relpath(o["path"], cwd))
    return p.returncode, by_state, report


ALL_OUTPUTS = {"work/raw.csv", "work/clean.csv", "results/fit.json", "results/fig1.svg"}


def test_status_flags_exactly_the_outputs_downstream_of_an_edit(tmp_path):
    work, store = record_steps(tmp_path)
    code, states, _ = status(store, work)
    assert code == 0 and states == {"current": ALL_OUTPUTS}

    fit = work / "fit.py"
    original = fit.read_text()
    fit.write_text(original + "# a comment changes the script\n")
    code, states, report = status(store, work)
    assert code == 1
    assert states == {"stale": {"results/fit.json", "results/fig1.svg"}, "current": {"work/raw.csv", "work/clean.csv"}}
    reasons = {os.path.relpath(o["path"], work): o["reasons"] for o in report["outputs"]}
    assert reasons["results/fit.json"] == [{"path": str(fit), "why": "input changed"}]

    fit.write_text(original)  # same content again: new mtime, same hash -> current
    code, states, _ = status(store, work)
    assert code == 0 and states == {"current": ALL_OUTPUTS}

    truth = work / "data" / "truth.json"
    truth.write_text(truth.read_text().replace('"slope": 2.5', '"slope": 2.7'))
    code, states, _ = status(store, work)
    assert code == 1 and states == {"stale": ALL_OUTPUTS}


def test_status_reports_missing_and_modified_outputs(tmp_path):
    work, store = record_steps(tmp_path)
    (work / "results" / "fit.json").unlink()
    (work / "work" / "raw.csv").write_text("x,y,flag\n")
    code, states, _ = status(store, work)
    assert code == 1
    assert states == {"missing": {"results/fit.json"}, "modified": {"work/raw.csv"},
                      "stale": {"results/fig1.svg", "work/clean.csv"}}
    code, states, _ = status(store, work, "--run", "2")
    assert states == {"missing": {"results/fit.json"}, "stale": {"results/fig1.svg"}}
    code, states, _ = status(store, work, "results/fig1.svg")
    assert states == {"stale": {"results/fig1.svg"}}
    out = pt("status", "--store", store, cwd=work, check=False).stdout
    assert "missing  results/fit.json" in out and "1 stale" not in out and "2 stale, 1 missing, 1 modified" in out


def test_why_follows_data_through_a_pipe(tmp_path):
    (tmp_path / "in.txt").write_text("hello\n")
    store = tmp_path / "s.db"
    pt("record", "-q", "--store", store, "--", "bash", "-c", "cat in.txt | tr a-z A-Z > out.txt", cwd=tmp_path)
    lin = json.loads(pt("why", "--store", store, "--json", "out.txt", cwd=tmp_path).stdout)
    assert str(tmp_path / "in.txt") in tree_paths(lin["versions"][0], set())

"""diff and the cross-run queries on four recorded runs of the full example pipeline.

Run 1: run.sh 42.  Run 2: plot.py edited (a script).  Run 3: data/truth.json edited
(an input).  Run 4: run.sh 43 (a parameter).  Each diff of neighbours must name exactly
what was changed and the outputs that changed as a result, and nothing else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from pathlib import Path

import pytest
from blake3 import blake3

from provtrace.analysis import crossrun

from test_analysis_pipeline import EXAMPLE, pt

OUTPUTS = {"work/raw.csv", "work/clean.csv", "results/fit.json", "results/fig1.svg"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diff")
    work = tmp / "pipeline"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("work", "results"))
    store = tmp / "store.db"
    hashes = {}

    def record(seed):
        pt("record", "-q", "--store", store, "--", "bash", "run.sh", seed, cwd=work)
        hashes[len(hashes) + 1] = {"truth": "blake3:" + blake3((work / "data/truth.json").read_bytes()).hexdigest()}

    record("42")
    plot = work / "plot.py"
    plot.write_text(plot.read_text().replace('stroke-width="2"', 'stroke-width="3"'))
    record("42")
    truth = work / "data" / "truth.json"
    truth.write_text(truth.read_text().replace('"slope": 2.5', '"slope": 2.7'))
    record("42")
    record("43")
    return work, store, hashes


def diff(store, a, b):
    return json.loads(pt("diff", "--store", store, "--json", a, b).stdout)


def rel(work, entries):
    return {os.path.relpath(e["path"], work) for e in entries}


def assert_nothing_else(d, *, argv=False, executables=False, inputs=False):
    assert d["env"] == {"added": [], "removed": [], "changed": []}
    assert d["machine"] == {}
    assert d["processes"]["only_in_a"] == [] and d["processes"]["only_in_b"] == []
    assert d["exit"] == {"processes": [], "run": None}
    assert d["outputs"]["added"] == [] and d["outputs"]["removed"] == []
    if not argv:
        assert d["argv"] is None and d["processes"]["changed_argv"] == []
    if not executables:
        assert d["executables"] == {"added": [], "removed": [], "changed": []}
    if not inputs:
        assert d["inputs"] == {"added": [], "removed": [], "changed": []}


def test_diff_names_the_edited_script_and_only_the_figure(runs):
    work, store, _ = runs
    d = diff(store, "1", "2")
    assert_nothing_else(d, executables=True)
    assert rel(work, d["executables"]["changed"]) == {"plot.py"}
    assert d["executables"]["added"] == [] and d["executables"]["removed"] == []
    assert rel(work, d["outputs"]["changed"]) == {"results/fig1.svg"}
    assert rel(work, d["outputs"]["unchanged"]) == OUTPUTS - {"results/fig1.svg"}
    fd = d["first_divergence"]
    assert fd["argv"][:2] == ["python3", "plot.py"] and set(fd["reasons"]) == {"inputs"}
    assert rel(work, fd["reasons"]["inputs"]["changed"]) == {"plot.py"}


def test_diff_names_the_edited_input_and_every_output(runs):
    work, store, hashes = runs
    d = diff(store, "2", "3")
    assert_nothing_else(d, inputs=True)
    assert rel(work, d["inputs"]["changed"]) == {"data/truth.json"}
    assert d["inputs"]["changed"][0]["a"] == hashes[2]["truth"] and d["inputs"]["changed"][0]["b"] == hashes[3]["truth"]
    assert d["inputs"]["added"] == [] and d["inputs"]["removed"] == []
    assert rel(work, d["outputs"]["changed"]) == OUTPUTS and d["outputs"]["unchanged"] == []
    assert d["first_divergence"]["argv"][:2] == ["python3", "generate.py"]


def test_diff_names_the_changed_parameter(runs):
    work, store, _ = runs
    d = diff(store, "3", "4")
    assert_nothing_else(d, argv=True)
    assert d["argv"] == {"a": ["bash", "run.sh", "42"], "b": ["bash", "run.sh", "43"]}
    changed = [(a["a"], a["b"]) for a in d["processes"]["changed_argv"]]
    assert changed == [(["bash", "run.sh", "42"], ["bash", "run.sh", "43"]),
                       (["bash", "prepare.sh", "42"], ["bash", "prepare.sh", "43"]),
                       (["python3", "generate.py", "--seed", "42", "--n", "400"],
                        ["python3", "generate.py", "--seed", "43", "--n", "400"])]
    assert rel(work, d["outputs"]["changed"]) == OUTPUTS
    fd = d["first_divergence"]  # the launchers only pass the seed down: generate.py is where data parts
    assert fd["argv"] == ["python3", "generate.py", "--seed", "43", "--n", "400"] and set(fd["reasons"]) == {"argv"}


def test_diff_of_a_run_with_itself_is_empty(runs):
    work, store, _ = runs
    d = diff(store, "2", "2")
    assert d["same"] is True and d["first_divergence"] is None
    assert "no differences" in pt("diff", "--store", store, "2", "2").stdout


def test_diff_text_names_the_changes(runs):
    work, store, _ = runs
    out = pt("diff", "--store", store, "3", "4").stdout
    assert "command: bash run.sh 42  ->  bash run.sh 43" in out
    assert "first divergence (run B): python3 generate.py --seed 43 --n 400" in out


def test_diff_redacts_secret_looking_env_values(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    store = tmp_path / "s.db"
    for token in ("one", "two"):
        env = dict(os.environ, API_TOKEN=token, PLAIN=token)
        import subprocess
        import sys

        subprocess.run([sys.executable, "-m", "provtrace", "record", "-q", "--store", str(store), "--env", "full",
                        "--", "true"], cwd=work, env=env, check=True, capture_output=True)
    d = diff(store, "1", "2")
    changed = {e["name"]: (e["a"], e["b"]) for e in d["env"]["changed"]}
    assert changed == {"API_TOKEN": ("<redacted>", "<redacted>"), "PLAIN": ("one", "two")} or \
        changed == {"PLAIN": ("one", "two")}


# --- cross-run queries -----------------------------------------------------------------

def query(store, *args):
    return json.loads(pt("query", "--store", store, *args, "--json").stdout)


def test_query_files_used(runs):
    work, store, _ = runs
    rows = query(store, "files-used", "1")
    used = {os.path.relpath(r["path"], work) for r in rows if r["path"].startswith(str(work))}
    assert used == {"run.sh", "prepare.sh", "analyse.sh", "generate.py", "fit.py", "plot.py", "plot.ini",
                    "data/truth.json", "work/raw.csv", "work/ok.tmp", "work/clean.csv", "results/fit.json"}
    assert any(r["how"] == "exec" and r["path"].endswith("/sort") for r in rows)


def test_query_readers_of_a_version(runs):
    work, store, hashes = runs
    rows = query(store, "readers", hashes[1]["truth"][:20])
    assert {r["run_id"] for r in rows} == {1, 2}
    assert {r["run_id"] for r in query(store, "readers", str(work / "data" / "truth.json"))} == {3, 4}


def test_query_outputs_by_machine_and_time(runs):
    work, store, _ = runs
    host = socket.gethostname()
    rows = query(store, "outputs", "--machine", host, "--since", "1d")
    assert {(r["run_id"], os.path.relpath(r["path"], work)) for r in rows} == {
        (run, p) for run in (1, 2, 3, 4) for p in OUTPUTS}
    assert query(store, "outputs", "--until", "2000-01-01") == []


def test_query_changed_inputs(runs):
    work, store, _ = runs
    rows = query(store, "changed-inputs", "--since", "1d")
    # files read and not written: the edited script counts, as does the edited data
    assert [(r["run_id"], r["previous_run"], os.path.relpath(r["path"], work)) for r in rows] == [
        (2, 1, "plot.py"), (3, 2, "data/truth.json")]
    assert query(store, "changed-inputs", "--since", "1d", "--until", "2000-01-01") == []


def test_documented_queries_are_the_ones_the_commands_run():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "queries.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", doc, re.S)
    for sql in crossrun.QUERIES.values():
        assert sql + "\n" in blocks


def test_documented_plain_sql_runs(runs):
    work, store, _ = runs
    doc = (Path(__file__).resolve().parent.parent / "docs" / "queries.md").read_text()
    plain = [b for b in re.findall(r"```sql\n(.*?)```", doc, re.S) if ":" not in b.replace("blake3:", "")]
    assert plain
    for sql in plain:
        pt("sql", "--store", store, sql)

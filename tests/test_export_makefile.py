"""`provtrace export makefile`: the exported Makefile rebuilds recorded outputs, bit for bit."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from blake3 import blake3

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "pipeline"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def pt(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "provtrace", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True)


def record_and_export(tmp: Path, work: Path, *argv: str) -> tuple[Path, Path]:
    store = tmp / "store.db"
    p = pt("record", "-q", "--store", store, "--", *argv, cwd=work)
    assert p.returncode == 0, p.stderr
    mk = tmp / "Makefile"
    p = pt("export", "makefile", "--store", store, "last", "-o", mk)
    assert p.returncode == 0, p.stderr
    return store, mk


def recorded_outputs(store: Path, work: Path) -> dict[str, str]:
    """Files under ``work`` the run left, with their recorded hashes (from the store's tables)."""
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        rows = conn.execute("""
            SELECT f.path, v.hash FROM file_events e JOIN files f ON f.id = e.file_id
            JOIN versions v ON v.id = e.version_id
            WHERE e.kind = 'close' AND f.path LIKE ? ORDER BY e.seq, e.id""", (f"{work}/%",)).fetchall()
    last = dict(rows)
    return {p: h for p, h in last.items() if h is not None and Path(p).exists()}


def b3(path: str) -> str:
    return "blake3:" + blake3(Path(path).read_bytes()).hexdigest()


def make(mk: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-f", str(mk), *args], capture_output=True, text=True)


@pytest.fixture
def pipeline(tmp_path):
    work = tmp_path / "pipeline"
    shutil.copytree(EXAMPLE, work)
    return work


def test_make_rebuilds_the_deleted_outputs_with_the_recorded_hashes(tmp_path, pipeline):
    store, mk = record_and_export(tmp_path, pipeline, "bash", "run.sh", "42")
    outputs = recorded_outputs(store, pipeline)
    names = {Path(p).name for p in outputs}
    assert {"raw.csv", "clean.csv", "fit.json", "fig1.svg"} <= names
    for p in outputs:
        Path(p).unlink()
    # make -n lists the steps in dataflow order
    dry = make(mk, "-n")
    assert dry.returncode == 0, dry.stderr
    steps = [line for line in dry.stdout.splitlines() if " && " in line]
    order = [next(i for i, s in enumerate(steps) if key in s)
             for key in ("generate.py", "work/clean.csv", "fit.py", "plot.py")]
    assert order == sorted(order), dry.stdout
    assert not any(Path(p).exists() for p in outputs)  # -n ran nothing
    built = make(mk)
    assert built.returncode == 0, built.stderr
    assert {p: b3(p) for p in outputs} == outputs  # the example's steps are deterministic
    again = make(mk)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout, again.stdout
    assert make(mk, "-q").returncode == 0  # up to date


def test_touching_an_input_reruns_only_the_steps_downstream(tmp_path, pipeline):
    _, mk = record_and_export(tmp_path, pipeline, "bash", "run.sh", "42")
    assert make(mk, "-q").returncode == 0  # fresh outputs are up to date
    (pipeline / "plot.py").touch()
    dry = make(mk, "-n").stdout
    assert "plot.py" in dry and "generate.py" not in dry and "fit.py" not in dry


def test_a_pipeline_written_by_a_shell_redirection_is_one_rule(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "in.csv").write_text("x,y\n3,c\n1,a\n2,b\n")
    (work / "p.sh").write_text("tail -n +2 in.csv | awk -F, '{ print $2 \",\" $1 }' | sort > out.csv\n"
                               "wc -l out.csv\n")
    _, mk = record_and_export(tmp_path, work, "bash", "p.sh")
    text = mk.read_text()
    assert "tail -n +2 in.csv | awk -F, '{ print $$2 \",\" $$1 }' | sort > out.csv" in text
    expected = b3(str(work / "out.csv"))
    (work / "out.csv").unlink()
    assert make(mk).returncode == 0
    assert b3(str(work / "out.csv")) == expected
    assert "Nothing to be done" in make(mk).stdout


def test_files_the_shell_writes_itself_fall_back_to_the_whole_script(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "in.txt").write_text("b\na\n")
    (work / "s.sh").write_text("echo header > note.txt\nsort in.txt > sorted.txt\n")
    _, mk = record_and_export(tmp_path, work, "bash", "s.sh")
    text = mk.read_text()
    assert "cd $(ROOT) && bash s.sh" in text and "whole command" in text
    for name in ("note.txt", "sorted.txt"):
        (work / name).unlink()
    assert make(mk).returncode == 0
    assert (work / "note.txt").read_text() == "header\n" and (work / "sorted.txt").read_text() == "a\nb\n"


def test_odd_arguments_and_paths_are_quoted_for_make_and_the_shell(tmp_path):
    work = tmp_path / "odd dir"
    work.mkdir()
    code = "import sys; open(sys.argv[1], 'w').write(sys.argv[2])"
    value = 'a $HOME "b" \'c\' #d %e\nline2'
    _, mk = record_and_export(tmp_path, work, sys.executable, "-c", code, "out put.txt", value)
    target = work / "out put.txt"
    assert target.read_text() == value
    target.unlink()
    built = make(mk)
    assert built.returncode == 0, built.stderr + mk.read_text()
    assert target.read_text() == value
    assert "Nothing to be done" in make(mk).stdout


def test_a_temporary_file_removed_by_the_run_is_an_intermediate_target(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "in.txt").write_text("3\n1\n2\n")
    (work / "t.sh").write_text("sort -n in.txt > tmp.txt\nhead -n 2 < tmp.txt > out.txt\nrm tmp.txt\n")
    _, mk = record_and_export(tmp_path, work, "bash", "t.sh")
    assert ".INTERMEDIATE: $(ROOT)/tmp.txt" in mk.read_text()
    (work / "out.txt").unlink()
    assert make(mk).returncode == 0
    assert (work / "out.txt").read_text() == "1\n2\n" and not (work / "tmp.txt").exists()
    assert "Nothing to be done" in make(mk).stdout

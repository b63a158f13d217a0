"""End to end: `provtrace record` on real programs, then reading the store back."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from blake3 import blake3

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "pipeline"


def pt(*args, cwd=None, env=None, check=True, **kw):
    """Run the provtrace CLI in a subprocess (the way users do)."""
    p = subprocess.run([sys.executable, "-m", "provtrace", *map(str, args)], cwd=cwd, env=env,
                       capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"provtrace {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p


def sql(store, query):
    return json.loads(pt("sql", "--store", store, "--json", query).stdout)


@pytest.fixture
def pipeline(tmp_path):
    work = tmp_path / "pipeline"
    shutil.copytree(EXAMPLE, work)
    return work


def test_record_example_pipeline(tmp_path, pipeline):
    store = tmp_path / "store.db"
    p = pt("record", "--store", store, "--label", "first", "--", "./run.sh", "7", cwd=pipeline)
    assert "done:" in p.stdout  # the command's own output is untouched
    assert "provtrace: run 1 recorded (exit 0)" in p.stderr
    detail = json.loads(pt("show", "--store", store, "--json", "last").stdout)
    run = detail["run"]
    assert run["argv"] == ["./run.sh", "7"] and run["label"] == "first" and run["exit_code"] == 0
    argvs = [x["argv"] for proc in detail["processes"] for x in proc["execs"]]
    assert ["python3", "generate.py", "--seed", "7", "--n", "400"] in argvs
    assert ["sort", "-t,", "-k1,1g"] in argvs
    assert any(a[:1] == ["awk"] for a in argvs)
    written = {f["path"]: f for f in detail["files"]["written"]}
    fig = pipeline / "results" / "fig1.svg"
    assert str(fig) in written
    assert written[str(fig)]["hash"] == "blake3:" + blake3(fig.read_bytes()).hexdigest()
    read = {f["path"] for f in detail["files"]["read"]}
    assert str(pipeline / "fit.py") in read and str(pipeline / "plot.py") in read
    executed = {f["path"] for f in detail["files"]["executed"]}
    assert any(p.endswith("/sort") for p in executed)
    # processes: the tree is rooted at run.sh and every process has an exit status
    procs = detail["processes"]
    roots = [q for q in procs if q["parent_id"] is None]
    assert len(roots) == 1 and roots[0]["creation"] == "root"
    assert all(q["exit_code"] == 0 for q in procs), procs


def test_exit_status_and_output_are_unchanged(tmp_path):
    store = tmp_path / "s.db"
    script = "printf 'out\\0bin\\n'; echo err >&2; exit 3"
    native = subprocess.run(["bash", "-c", script], capture_output=True)
    p = subprocess.run([sys.executable, "-m", "provtrace", "record", "-q", "--store", str(store), "--",
                        "bash", "-c", script], capture_output=True)
    assert (p.returncode, p.stdout) == (native.returncode, native.stdout) == (3, b"out\0bin\n")
    assert p.stderr == native.stderr


def test_signal_death_exits_128_plus_n(tmp_path):
    store = tmp_path / "s.db"
    p = pt("record", "--store", store, "--", "bash", "-c", "kill -TERM $$", check=False)
    assert p.returncode == 128 + signal.SIGTERM
    assert sql(store, "SELECT exit_code, signal FROM runs") == [{"exit_code": 143, "signal": 15}]


def test_sigterm_to_recorder_is_forwarded(tmp_path):
    store = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-m", "provtrace", "record", "--store", str(store), "--",
                             "sleep", "30"], stderr=subprocess.PIPE, text=True)
    import time

    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "run 1 recorded (exit 143)" in err


def test_env_modes(tmp_path):
    store = tmp_path / "s.db"
    env = dict(os.environ, MY_API_TOKEN="s3cret", PLAIN_VALUE="visible")
    pt("record", "-q", "--store", store, "--", "true", env=env)
    pt("record", "-q", "--store", store, "--env", "full", "--", "true", env=env)
    pt("record", "-q", "--store", store, "--env", "none", "--", "true", env=env)
    rows = sql(store, "SELECT x.run_id, e.env FROM execs x LEFT JOIN envs e ON e.id = x.env_id ORDER BY x.run_id")
    env1, env2, env3 = (json.loads(r["env"]) if r["env"] else None for r in rows)
    assert env1["MY_API_TOKEN"] == "<redacted>" and env1["PLAIN_VALUE"] == "visible"
    assert env2["MY_API_TOKEN"] == "s3cret"
    assert env3 is None
    assert "PROVTRACE_SESSION" not in env1 and "libprovtrace" not in env1.get("LD_PRELOAD", "")


def test_store_location_precedence(tmp_path):
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("PROVTRACE_STORE", None)
    pt("record", "-q", "--", "true", cwd=project / "sub", env=env)
    assert (tmp_path / "xdg" / "provtrace" / "provtrace.db").exists()
    pt("init", cwd=project, env=env)
    pt("record", "-q", "--", "true", cwd=project / "sub", env=env)
    assert sql(project / ".provtrace", "SELECT count(*) AS n FROM runs") == [{"n": 1}]
    env["PROVTRACE_STORE"] = str(tmp_path / "env.db")
    pt("record", "-q", "--", "true", cwd=project / "sub", env=env)
    assert sql(tmp_path / "env.db", "SELECT count(*) AS n FROM runs") == [{"n": 1}]
    runs = pt("runs", cwd=project, env=env).stdout
    assert "true" in runs


def test_runs_table_and_last(tmp_path):
    store = tmp_path / "s.db"
    pt("record", "-q", "--store", store, "--label", "one", "--", "true")
    pt("record", "-q", "--store", store, "--", "bash", "-c", "exit 2", check=False)
    rows = json.loads(pt("runs", "--store", store, "--json").stdout)
    assert [(r["id"], r["label"], r["exit_code"]) for r in rows] == [(1, "one", 0), (2, None, 2)]
    table = pt("runs", "--store", store).stdout
    assert "one" in table and "bash -c 'exit 2'" in table
    assert json.loads(pt("show", "--store", store, "--json", "last").stdout)["run"]["id"] == 2


def test_static_executable_is_reported_as_untraced_in_preload_mode(tmp_path, static_program):
    # --mode preload never uses ptrace (auto mode traces it: tests/test_static.py)
    store = tmp_path / "s.db"
    p = pt("record", "--store", store, "--mode", "preload", "--", "bash", "-c", f"{static_program}; true")
    assert f"blind spot: {static_program} is a static executable" in p.stderr
    assert "not traced in --mode preload" in p.stderr
    assert sql(store, "SELECT tracer, exe_class FROM execs WHERE tracer = 'untraced'") == [
        {"tracer": "untraced", "exe_class": "static"}]


@pytest.fixture(scope="module")
def static_program(tmp_path_factory) -> Path:
    """A statically linked C program (LD_PRELOAD cannot see inside it)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = tmp_path_factory.mktemp("static") / "hello_static"
    src = out.parent / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("static hello"); return 0; }\n')
    subprocess.run(["gcc", "-static", "-O1", "-o", str(out), str(src)], check=True)
    return out


def test_show_gives_executable_hashes(tmp_path):
    store = tmp_path / "s.db"
    pt("record", "-q", "--store", store, "--", "cat", "/dev/null")
    detail = json.loads(pt("show", "--store", store, "--json", "last").stdout)
    (cat,) = [f for f in detail["files"]["executed"] if f["path"].endswith("/cat")]
    real = os.path.realpath(cat["path"])
    assert cat["hash"] == "blake3:" + blake3(Path(real).read_bytes()).hexdigest()

"""Fidelity: what provtrace records, checked against strace on a corpus of commands.

Every corpus command runs once under ``strace -f`` wrapped around
``provtrace record``; the (pid, path, kind) accesses, the exec argv lists,
the process tree and the TCP connects are compared (see tests/oracle/).
Every access strace saw and provtrace did not must be a documented blind
spot (docs/blind-spots.md); provtrace must report nothing that did not happen.

Set PROVTRACE_ORACLE_REPORT=FILE to append each command's numbers (JSON lines).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oracle import provstore
from oracle.corpus import CORPUS, Case, Tools, real_python
from oracle.runner import clean_env, record_plain, record_with_strace

pytestmark = pytest.mark.oracle

REQUIRED_COVERAGE = {
    "cp -r", "mv", "rm -r", "ln -s", "touch", "mkdir -p", "find", "sort", "du", "tar czf", "tar xzf",
    "bash pipeline", "bash redirections", "bash subshells", "python files", "python os.walk",
    "python subprocess vfork", "python posix_spawn", "python multiprocessing", "make -j2 gcc",
    "git init/add/commit", "env -i", "C threads", "C *at calls", "C stdio/dirent/mkstemp", "C syscall()",
    "C close all fds", "C daemon double fork", "C SIGKILL mid-run", "C TCP client",
}  # fmt: skip


@pytest.fixture(scope="session")
def tools(c_programs: dict[str, Path]) -> Tools:
    return Tools(c_programs, real_python())


def test_corpus_covers_the_required_commands():
    assert len(CORPUS) >= 25
    assert REQUIRED_COVERAGE <= set(CORPUS), sorted(REQUIRED_COVERAGE - set(CORPUS))


def _check_outcome(case: Case, returncode: int, stderr: bytes) -> None:
    assert returncode == case.returncode, f"exit status {returncode}, expected {case.returncode}\n{stderr.decode(errors='replace')}"
    for rel in case.expect_files:
        p = case.cwd / rel
        assert p.exists() or p.is_symlink(), f"{rel} was not created"
    for rel in case.expect_absent:
        assert not (case.cwd / rel).exists(), f"{rel} should not exist"


def _report(summary: dict, text: str) -> None:
    path = os.environ.get("PROVTRACE_ORACLE_REPORT")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps({**summary, "report": text}) + "\n")


@pytest.mark.parametrize("name", list(CORPUS))
def test_provtrace_matches_strace(name: str, tmp_path: Path, tools: Tools, strace_path: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    case = CORPUS[name](work, tools)
    try:
        rec = record_with_strace(case.argv, case.cwd, tmp_path / "oracle", clean_env(**case.env), stdin=case.stdin)
    finally:
        for fn in case.cleanup:
            fn()
    _check_outcome(case, rec.returncode, rec.stderr)
    cmp = rec.compare(name)
    _report(cmp.summary(), cmp.report(limit=400))
    assert cmp.ok, cmp.report()
    assert cmp.matched > 0
    assert cmp.connects == case.expect_connects, cmp.report()


# --- targeted checks without strace -------------------------------------------------


_rows = provstore.rows


_EVENTS = (
    "SELECT p.pid, e.op, e.kind, f.path FROM file_events e JOIN processes p ON p.id = e.process_id"
    " JOIN files f ON f.id = e.file_id WHERE (e.result IS NULL OR e.result >= 0) AND coalesce(e.errno, 0) = 0"
    " AND e.op != 'close'"  # close rows carry a version, not an access
)


def test_sigkilled_program_keeps_events_before_the_kill(tmp_path: Path, tools: Tools) -> None:
    work = tmp_path / "work"
    work.mkdir()
    case = CORPUS["C SIGKILL mid-run"](work, tools)
    proc = record_plain(case.argv, case.cwd, tmp_path / "s.db", clean_env())
    _check_outcome(case, proc.returncode, proc.stderr)
    seen = {(kind, path) for _, _, kind, path in _rows(tmp_path / "s.db", _EVENTS)}
    for kind, rel in (("create", "before_1.txt"), ("create", "before_2.txt"), ("read", "input.txt")):
        assert (kind, str(work / rel)) in seen, sorted(seen)
    assert not any(p == str(work / "after.txt") for _, p in seen)
    ((code, sig),) = _rows(tmp_path / "s.db", "SELECT exit_code, signal FROM runs")
    assert (code, sig) == (137, 9)


def test_daemon_grandchild_write_is_recorded(tmp_path: Path, tools: Tools) -> None:
    work = tmp_path / "work"
    work.mkdir()
    case = CORPUS["C daemon double fork"](work, tools)
    proc = record_plain(case.argv, case.cwd, tmp_path / "s.db", clean_env())
    _check_outcome(case, proc.returncode, proc.stderr)
    rows = _rows(tmp_path / "s.db", _EVENTS + " AND f.path = ?", str(work / "daemon_out.txt"))
    assert [(op, kind) for _, op, kind, _ in rows] == [("open", "create")]
    ((root,),) = _rows(tmp_path / "s.db", "SELECT pid FROM processes WHERE creation = 'root'")
    assert rows[0][0] != root  # written by the grandchild, after the root exited
    assert len(_rows(tmp_path / "s.db", "SELECT pid FROM processes")) == 3


def test_tcp_connect_is_recorded(tmp_path: Path, tools: Tools) -> None:
    work = tmp_path / "work"
    work.mkdir()
    case = CORPUS["C TCP client"](work, tools)
    try:
        proc = record_plain(case.argv, case.cwd, tmp_path / "s.db", clean_env())
    finally:
        for fn in case.cleanup:
            fn()
    _check_outcome(case, proc.returncode, proc.stderr)
    rows = _rows(tmp_path / "s.db", "SELECT op, family, address, port, result FROM net_events WHERE op = 'connect'")
    assert rows == [("connect", "inet", "127.0.0.1", int(case.argv[1]), 0)]


def test_static_program_is_traced_by_the_supervisor(tmp_path: Path, c_programs: dict[str, Path]) -> None:
    """A static program exec'd by a shell is handed to the supervisor (auto mode): traced by ptrace,
    its own file write recorded; with --mode preload it stays an untraced exec (a reported blind spot)."""
    exe = c_programs["hello_static"]
    for mode, tracer in (("auto", "ptrace"), ("preload", "untraced")):
        store = tmp_path / f"{mode}.db"
        proc = record_plain(["/bin/sh", "-c", f"{exe}; echo done"], tmp_path, store, clean_env(), "--mode", mode)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == b"done\n"
        assert (tmp_path / "static_out.txt").read_text() == "static\n"
        rows = _rows(store, "SELECT x.tracer, x.exe_class, f.path FROM execs x LEFT JOIN files f ON f.id = x.file_id")
        assert (tracer, "static", str(exe)) in rows, rows
        written = _rows(store, "SELECT f.path FROM file_events e JOIN files f ON f.id = e.file_id "
                               "WHERE e.kind = 'create' AND e.result >= 0")
        assert ((str(tmp_path / "static_out.txt"),) in written) == (tracer == "ptrace"), written

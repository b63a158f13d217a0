"""`provtrace export`: one clear line and exit status 1 for unknown runs and unwritable outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FORMATS = [["prov"], ["prov", "--format", "provn"], ["packages"], ["packages", "-f", "apt"], ["makefile"]]


def pt(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "provtrace", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("cli")
    (base / "in.txt").write_text("b\na\n")
    s = base / "store.db"
    p = pt("record", "-q", "--store", s, "--", "sort", "-o", "out.txt", "in.txt", cwd=base)
    assert p.returncode == 0, p.stderr
    return s


def one_line_error(p: subprocess.CompletedProcess, *words: str) -> None:
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stderr.startswith("provtrace: error: ") and p.stderr.count("\n") == 1, p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""
    for w in words:
        assert w in p.stderr, p.stderr


@pytest.mark.parametrize("fmt", FORMATS + [["ro-crate", "-o", "crate"]], ids=lambda f: " ".join(f))
def test_an_unknown_run_is_one_line(store, tmp_path, fmt):
    one_line_error(pt("export", fmt[0], "--store", store, "99", *fmt[1:], cwd=tmp_path), "no run 99")
    one_line_error(pt("export", fmt[0], "--store", store, "abc", *fmt[1:], cwd=tmp_path), "not a run id")
    assert not (tmp_path / "crate").exists()


def test_a_missing_store_is_one_line(tmp_path):
    one_line_error(pt("export", "prov", "--store", tmp_path / "none.db"), "no provtrace store")


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: " ".join(f))
def test_unwritable_outputs_are_one_line(store, tmp_path, fmt):
    (tmp_path / "afile").write_text("x")
    cases = [(tmp_path / "missing" / "out", "does not exist"), (tmp_path / "afile" / "out", "not a directory"),
             (tmp_path, "is a directory")]
    if Path("/dev/full").exists():
        cases.append((Path("/dev/full"), "no space left"))
    for out, words in cases:
        one_line_error(pt("export", *fmt, "--store", store, "last", "-o", out), "cannot write", words)
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only directories")
def test_a_read_only_directory_is_one_line(store, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        one_line_error(pt("export", "prov", "--store", store, "-o", ro / "x.json"), "permission denied")
        one_line_error(pt("export", "ro-crate", "--store", store, "-o", ro / "crate"), "permission denied")
    finally:
        ro.chmod(0o755)


def test_unwritable_crate_paths_are_one_line(store, tmp_path):
    (tmp_path / "afile").write_text("x")
    one_line_error(pt("export", "ro-crate", "--store", store, "-o", tmp_path / "afile"), "not a directory")
    one_line_error(pt("export", "ro-crate", "--store", store, "-o", tmp_path / "no" / "crate"), "does not exist")
    one_line_error(pt("export", "ro-crate", "--store", store, "-o", tmp_path / "no" / "c.zip"), "does not exist")


def test_exports_go_to_stdout_by_default_and_name_the_last_run(store):
    p = pt("export", "makefile", "--store", store)
    assert p.returncode == 0 and "sort -o out.txt in.txt" in p.stdout
    p = pt("export", "prov", "--store", store, "1", "last", "--format", "provn")
    assert p.returncode == 0 and p.stdout.startswith("document") and p.stdout.rstrip().endswith("endDocument")


def test_export_commands_have_help_with_an_example():
    for cmd in ("prov", "ro-crate", "packages", "makefile"):
        p = pt("export", cmd, "--help")
        assert p.returncode == 0 and "Example:" in p.stdout, cmd

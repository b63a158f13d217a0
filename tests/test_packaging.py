"""`pip install .` builds the C core; the wheel works on its own; no compiler, one clear error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not (REPO / "setup.py").exists(), reason="needs the source tree")


def _source_copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info", "_native",
                                                             "__pycache__", ".pytest_cache", ".hypothesis"))
    return src


def _wheel(src: Path, out: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps",
                           str(src), "-w", str(out)], capture_output=True, text=True, env=env, timeout=600)


def test_wheel_carries_the_native_library_and_works(tmp_path):
    src = _source_copy(tmp_path)
    p = _wheel(src, tmp_path / "dist")
    assert p.returncode == 0, p.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("provtrace-*.whl")
    assert wheel.name.endswith("linux_x86_64.whl")  # platform-specific: it carries a shared object
    assert "provtrace/_native/libprovtrace.so" in zipfile.ZipFile(wheel).namelist()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True, capture_output=True)
    run = subprocess.run([venv / "bin" / "provtrace", "record", "--store", tmp_path / "s.db", "--", "cat",
                          str(REPO / "README.md")], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "provtrace: run 1 recorded" in run.stderr
    lib = subprocess.run([venv / "bin" / "python", "-c", "from provtrace.record import native_library; print(native_library())"],
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert lib.startswith(str(venv)), lib  # the library from the wheel, not the source tree


def test_missing_compiler_is_one_clear_error(tmp_path):
    src = _source_copy(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "sh", "env", "uname"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    env = dict(os.environ, PATH=str(bin_dir))
    env.pop("CC", None)
    p = _wheel(src, tmp_path / "dist", env)
    assert p.returncode != 0
    errors = [line.strip() for line in (p.stdout + p.stderr).splitlines() if "provtrace build error" in line]
    assert errors == ["provtrace build error: no C compiler found ('gcc' is not on PATH). "
                      "Install one, e.g. `apt-get install gcc make`."]

"""Shared pytest set-up: the ``oracle`` marker, compiled C fixtures, tool checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PROGRAMS = TESTS / "programs"

if str(TESTS) not in sys.path:  # `import oracle` from any test module
    sys.path.insert(0, str(TESTS))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "oracle: runs real programs under provtrace (and strace) and checks what was recorded; needs gcc and strace",
    )


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (CI installs it; apt-get install {tool})")
    return path


@pytest.fixture(scope="session")
def strace_path() -> str:
    """Path of strace; skips the test when strace is not installed."""
    return _require("strace")


@pytest.fixture(scope="session")
def c_programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every tests/programs/*.c compiled with gcc: name -> executable.

    ``*_static.c`` are linked with ``-static``; all get ``-pthread``."""
    _require("gcc")
    out = tmp_path_factory.mktemp("programs")
    built = {}
    for src in sorted(PROGRAMS.glob("*.c")):
        exe = out / src.stem
        flags = ["-static"] if src.stem.endswith("_static") else []
        proc = subprocess.run(
            ["gcc", "-O1", "-Wall", "-pthread", "-o", str(exe), str(src), *flags],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            pytest.fail(f"compiling {src.name} failed:\n{proc.stderr}")
        built[src.stem] = exe
    return built

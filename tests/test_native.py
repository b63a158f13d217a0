"""The C unit tests of the native core (native/tests), also under UBSan, run from pytest."""

import shutil
import subprocess
from pathlib import Path

import pytest

NATIVE = Path(__file__).resolve().parent.parent / "native"


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("gcc") is None, reason="needs make and gcc")
def test_native_suite_passes(tmp_path):
    p = subprocess.run(["make", "-C", str(NATIVE), f"BUILD={tmp_path}", "test"], capture_output=True, text=True,
                       timeout=900)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    summaries = [line for line in out.splitlines() if line.startswith("passed ")]
    assert len(summaries) >= 2, out[-2000:]  # the normal build and the UBSan build
    assert all(line.endswith("failed 0") for line in summaries), summaries

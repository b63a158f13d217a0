"""Bad input to the analysis commands: one clear line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

import pytest

from provtrace.analysis import parse_time
from provtrace.analysis.errors import BadTimeError
from provtrace.store import open_store

from test_analysis_pipeline import pt, record_steps


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return record_steps(tmp_path_factory.mktemp("errors"))


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    open_store(path).close()  # a valid store with no runs
    return path


def assert_one_line_error(p, *expected):
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("provtrace: error:"), p.stderr
    for text in expected:
        assert text in lines[0]


@pytest.mark.parametrize("args, expected", [
    (["why", "/no/such/file.csv"], "no recorded run read or wrote /no/such/file.csv"),
    (["status", "/no/such/dir"], "no recorded run wrote /no/such/dir"),
    (["diff", "1", "99"], "no run 99"),
    (["diff", "1", "x"], "'x' is not a run id"),
    (["graph", "99"], "no run 99"),
    (["show", "99", "--detail"], "no run 99"),
    (["status", "--run", "99"], "no run 99"),
    (["query", "files-used", "99"], "no run 99"),
    (["query", "readers", "blake3:ffffffffffff"], "no recorded version has the hash"),
    (["query", "readers", "not-a-hash"], "neither an existing file nor a content hash"),
    (["query", "outputs", "--machine", "no-such-host"], "no recorded run ran on a machine named"),
    (["query", "changed-inputs", "--since", "last tuesday"], "is not a time"),
])
def test_bad_input_gets_one_line(recorded, args, expected):
    work, store = recorded
    assert_one_line_error(pt(args[0], "--store", store, *args[1:], cwd=work, check=False), expected)


@pytest.mark.parametrize("args", [["why", "x.csv"], ["status"], ["diff", "last", "last"], ["graph", "last"],
                                  ["show", "last", "--detail"], ["query", "files-used"]])
def test_empty_store_gets_one_line(empty_store, tmp_path, args):
    cmd = [args[0], "--store", empty_store, *args[1:]]
    assert_one_line_error(pt(*cmd, cwd=tmp_path, check=False), "no runs yet")


def test_missing_store_gets_one_line(tmp_path):
    assert_one_line_error(pt("why", "--store", tmp_path / "none.db", "x", check=False), "no provtrace store")


def test_parse_time_accepts_dates_durations_and_words():
    now = 1_800_000_000.0
    assert parse_time("2h", now) == int((now - 7200) * 1e9)
    assert parse_time("now", now) == int(now * 1e9)
    assert parse_time("2026-11-21") < parse_time("2026-11-21 14:30")
    assert parse_time(None) is None
    with pytest.raises(BadTimeError):
        parse_time("soon")

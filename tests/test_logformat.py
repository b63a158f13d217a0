"""The Python mirror of the log format agrees with native/include/provtrace_log.h."""

import re
from pathlib import Path

from provtrace.ingest import logformat as lf

HEADER = (Path(__file__).resolve().parent.parent / "native" / "include" / "provtrace_log.h").read_text()


def _define(name: str) -> str:
    m = re.search(rf"#define {name}\s+(\S+)", HEADER)
    assert m, name
    return m.group(1)


def test_constants_match_header():
    assert int(_define("PT_LOG_VERSION").rstrip("u")) == lf.LOG_VERSION
    assert int(_define("PT_HEADER_SIZE").rstrip("u")) == lf.HEADER_SIZE
    assert int(_define("PT_CHUNK_SIZE").rstrip("u")) == lf.CHUNK_SIZE
    assert int(_define("PT_OP_HAS_VERSION").rstrip("u"), 16) == lf.OP_HAS_VERSION
    assert re.search(r'#define PT_LOG_MAGIC "PTLOG\\0\\r\\n"', HEADER)


def test_op_table_matches_header():
    ops = {int(v): n for n, v in re.findall(r"PT_OP_([A-Z]+)\s*=\s*(\d+)", HEADER)}
    assert ops == lf.OPS
    assert max(ops) + 1 == lf.OP_COUNT


def test_api_and_class_tables_match_header():
    classes = {int(v): n.lower() for n, v in re.findall(r"PT_CLASS_([A-Z]+)\s*=\s*(\d+)", HEADER)}
    assert classes == lf.CLASS
    opens = {int(v): n.lower() for n, v in re.findall(r"PT_API_([A-Z_]+)\s*=\s*(\d+)", HEADER.split(
        "enum pt_open_api")[1].split("};")[0])}
    assert opens == lf.OPEN_API


def test_struct_sizes_match_header_comments():
    assert lf.REC.size == 64  # "Record header, 64 bytes"
    assert lf.VERSION.size == 48  # "a struct pt_version (48 bytes)"
    assert "Record header, 64 bytes" in HEADER and "(48 bytes)" in HEADER


def test_tracer_values_match_header():
    tracers = {n: int(v) for n, v in re.findall(r"PT_TRACER_([A-Z_]+)\s*=\s*(\d+)", HEADER)}
    assert tracers == {"PRELOAD": lf.TRACER_PRELOAD, "PTRACE": lf.TRACER_PTRACE,
                       "PTRACE_ROUTED": lf.TRACER_PTRACE_ROUTED}


def test_header_flags_match_header():
    flags = {n: int(v.rstrip("u")) for n, v in re.findall(r"#define PT_HDR_([A-Z_]+)\s+(\d+)u", HEADER)}
    assert flags == {"ROUTE": lf.HDR_ROUTE, "NOTIFY": lf.HDR_NOTIFY, "PTRACE_OK": lf.HDR_PTRACE_OK,
                     "LANDLOCK": lf.HDR_LANDLOCK, "LAZY": lf.HDR_LAZY}

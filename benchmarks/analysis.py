#!/usr/bin/env python3
"""How fast are the answers (why, diff, status, graph) on a big store?  Not a test: prints medians.

The store holds 1,000 runs, two of them of 100,000 file events each:

* The example pipeline is recorded for real (``run.sh 42``, then ``run.sh 43``), and
  its rows are replicated with SQL (new ids, start times a minute apart, the same
  files and versions) into 996 more runs: a store of re-runs of one analysis.
* Two "build" runs are synthesised row by row, the way ingest would write a
  ``make -j`` of a C project: a root process forks ~1,100 compiler processes; each
  execs ``cc``, maps 8 shared libraries, stats 50 paths, reads its source and ~30
  of 400 headers (a quarter under /usr/include), writes one object file; a linker reads every
  object and writes the program.  Sources, headers, objects and the program are real
  files on disk with real BLAKE3 hashes and stat tuples, so ``status`` checks the
  disk for real.  The second build differs in one source file (and so in one object
  and the program).

Each question is asked ``--repeat`` times in fresh processes-worth of state (a new
read-only store connection each time) and the median is printed::

    python benchmarks/analysis.py [--dir /tmp/pt-bench] [--repeat 5] [--keep]

Building the store takes minutes; ``--reuse`` times the questions again on the store
a ``--keep`` run left in ``--dir`` (``--only diff`` asks only the questions naming "diff")::

    python benchmarks/analysis.py --dir /tmp/pt-bench --reuse --only diff --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from blake3 import blake3

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from provtrace.analysis import build_graph, diff_runs, render, status, why  # noqa: E402
from provtrace.store import open_store  # noqa: E402

N_RUNS = 1000
SOURCES = 1100
HEADERS = 400
HEADERS_PER_SOURCE = 30
STATS_PER_PROCESS = 50
LIBS = ["/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libz.so.1",
        "/lib/x86_64-linux-gnu/libgmp.so.10", "/lib/x86_64-linux-gnu/libmpfr.so.6",
        "/lib/x86_64-linux-gnu/libmpc.so.3", "/lib/x86_64-linux-gnu/libzstd.so.1", "/etc/ld.so.cache"]


def sh(*args: str, cwd: Path | None = None) -> None:
    subprocess.run([sys.executable, "-m", "provtrace", *args], cwd=cwd, check=True, capture_output=True)


def record_pipeline(work: Path, store: Path) -> None:
    shutil.copytree(REPO / "examples" / "pipeline", work, ignore=shutil.ignore_patterns("work", "results"))
    sh("record", "-q", "--store", str(store), "--", "bash", "run.sh", "42", cwd=work)
    sh("record", "-q", "--store", str(store), "--", "bash", "run.sh", "43", cwd=work)


def replicate(conn, copies: int) -> None:
    """Copy runs 1 and 2 ``copies`` times (new ids, later start times, same files and versions)."""
    top = {t: conn.execute(f"SELECT max(id) FROM {t}").fetchone()[0] for t in ("runs", "processes", "execs", "file_events")}
    cols = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in top}
    conn.execute("BEGIN")
    for k in range(1, copies + 1):
        src = 2 - (copies - k) % 2  # alternate; the newest copy is of run 2 (run.sh 43, as on disk)
        off = {t: k * (top[t] + 1) for t in top}
        off["runs"] = top["runs"] + k - src
        shift = k * 60_000_000_000
        sel = {"runs": f"id + {off['runs']}", "start_ns": f"start_ns + {shift}", "end_ns": f"end_ns + {shift}"}
        conn.execute(f"INSERT INTO runs ({','.join(cols['runs'])}) SELECT "
                     + ",".join(sel.get(c, c) if c != "id" else sel["runs"] for c in cols["runs"])
                     + " FROM runs WHERE id = ?", (src,))
        new_run = src + off["runs"]
        conn.execute(f"INSERT INTO processes ({','.join(cols['processes'])}) SELECT "
                     + ",".join({"id": f"id + {off['processes']}", "run_id": str(new_run),
                                 "parent_id": f"parent_id + {off['processes']}",
                                 "start_ns": f"start_ns + {shift}", "end_ns": f"end_ns + {shift}"}.get(c, c)
                                for c in cols["processes"]) + " FROM processes WHERE run_id = ?", (src,))
        conn.execute(f"INSERT INTO execs ({','.join(cols['execs'])}) SELECT "
                     + ",".join({"id": f"id + {off['execs']}", "run_id": str(new_run),
                                 "process_id": f"process_id + {off['processes']}",
                                 "ts_ns": f"ts_ns + {shift}"}.get(c, c) for c in cols["execs"])
                     + " FROM execs WHERE run_id = ?", (src,))
        conn.execute(f"INSERT INTO file_events ({','.join(cols['file_events'])}) SELECT "
                     + ",".join({"id": f"id + {off['file_events']}", "run_id": str(new_run),
                                 "process_id": f"process_id + {off['processes']}",
                                 "exec_id": f"exec_id + {off['execs']}",
                                 "ts_ns": f"ts_ns + {shift}"}.get(c, c) for c in cols["file_events"])
                     + " FROM file_events WHERE run_id = ?", (src,))
    conn.execute("COMMIT")


class Ids:
    """Id allocation continuing after the rows already in the store."""

    def __init__(self, conn) -> None:
        self.next = {t: (conn.execute(f"SELECT max(id) FROM {t}").fetchone()[0] or 0) + 1
                     for t in ("runs", "processes", "execs", "file_events", "files", "versions")}

    def __call__(self, table: str) -> int:
        n = self.next[table]
        self.next[table] += 1
        return n


def synth_build(conn, root: Path, start_ns: int, changed: int | None) -> int:
    """One synthetic build run (see the module docstring); returns its id."""
    ids = Ids(conn)
    files: dict[str, int] = {r[1]: r[0] for r in conn.execute("SELECT id, path FROM files")}
    rows: dict[str, list] = {"files": [], "versions": [], "processes": [], "execs": [], "file_events": []}
    versions: dict[tuple, int] = {}

    def file_id(path: str) -> int:
        if path not in files:
            files[path] = ids("files")
            rows["files"].append((files[path], path))
        return files[path]

    def version(path: str) -> int | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = (file_id(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        got = conn.execute("SELECT id FROM versions WHERE file_id = ? AND dev = ? AND ino = ? AND size = ? "
                           "AND mtime_ns = ? AND ctime_ns = ?", key).fetchone()
        if got:
            return got[0]
        if key not in versions:
            versions[key] = ids("versions")
            digest = "blake3:" + blake3(Path(path).read_bytes()).hexdigest()
            rows["versions"].append((versions[key], *key, st.st_mode, digest))
        return versions[key]

    src, inc, obj = root / "src", root / "include", root / "obj"
    sysinc = Path("/usr/include")
    headers = [str(inc / f"h{i}.h") for i in range(HEADERS * 3 // 4)]
    headers += sorted(str(p) for p in sysinc.glob("*.h"))[: HEADERS // 4] or [str(inc / "sys.h")]
    run_id = ids("runs")
    seq = 0
    ts = start_ns

    def event(pid, xid, op, kind, path, version_id=None, api=None, result=3):
        nonlocal seq, ts
        seq += 1
        ts += 1000
        rows["file_events"].append((ids("file_events"), run_id, pid, xid, seq, ts, op, kind, file_id(path), None,
                                    0, None, 3, result, None, version_id, api))

    cc = shutil.which("cc") or shutil.which("gcc") or "/usr/bin/true"
    make = shutil.which("make") or "/usr/bin/true"
    root_pid = ids("processes")
    root_x = ids("execs")
    rows["processes"].append((root_pid, run_id, 1000, None, None, "root", ts, None, 0, None))
    rows["execs"].append((root_x, run_id, root_pid, 0, ts, file_id(make), version(make), json.dumps(["make", "-j2"]),
                          None, str(root), "preload", "dynamic"))
    event(root_pid, root_x, "open", "read", str(root / "Makefile"), version(str(root / "Makefile")))
    if changed is not None:
        (src / f"s{changed}.c").write_text(f"int f{changed}(void) {{ return {changed} + 1; }}\n")
    objects = []
    for i in range(SOURCES):
        pid, xid = ids("processes"), ids("execs")
        rows["processes"].append((pid, run_id, 2000 + i, root_pid, 1000, "fork", ts, ts + 10_000_000, 0, None))
        c, o = str(src / f"s{i}.c"), str(obj / f"s{i}.o")
        rows["execs"].append((xid, run_id, pid, 0, ts, file_id(cc), version(cc),
                              json.dumps(["cc", "-O2", "-Iinclude", "-c", f"src/s{i}.c", "-o", f"obj/s{i}.o"]),
                              None, str(root), "preload", "dynamic"))
        for lib in LIBS:
            event(pid, xid, "load" if lib.endswith(tuple("0123456789")) else "open", "read", lib, version(lib), "loader")
        for k in range(STATS_PER_PROCESS):
            event(pid, xid, "stat", "stat", headers[(i + k * 7) % len(headers)], None, "stat", 0)
        event(pid, xid, "open", "read", c, version(c))
        for k in range(HEADERS_PER_SOURCE):
            h = headers[(i * 13 + k * 31) % len(headers)]
            event(pid, xid, "open", "read", h, version(h))
        Path(o).write_bytes(blake3(Path(c).read_bytes()).digest() * 8)
        event(pid, xid, "open", "create", o, None, "open")
        event(pid, xid, "close", "close", o, version(o), "close", 0)
        objects.append(o)
    pid, xid = ids("processes"), ids("execs")
    rows["processes"].append((pid, run_id, 9000, root_pid, 1000, "fork", ts, ts + 10_000_000, 0, None))
    rows["execs"].append((xid, run_id, pid, 0, ts, file_id(cc), version(cc), json.dumps(["cc", "-o", "prog", "obj/*.o"]),
                          None, str(root), "preload", "dynamic"))
    h = blake3()
    for o in objects:
        event(pid, xid, "open", "read", o, version(o))
        h.update(Path(o).read_bytes())
    prog = str(root / "prog")
    Path(prog).write_bytes(h.digest() * 64)
    event(pid, xid, "open", "create", prog, None)
    event(pid, xid, "close", "close", prog, version(prog), "close", 0)
    machine = conn.execute("SELECT min(id) FROM machines").fetchone()[0]
    conn.execute("BEGIN")
    conn.execute("INSERT INTO runs (id, argv, cwd, machine_id, start_ns, end_ns, exit_code, env_mode, "
                 "provtrace_version) VALUES (?, ?, ?, ?, ?, ?, 0, 'none', 'bench')",
                 (run_id, json.dumps(["make", "-j2"]), str(root), machine, start_ns, ts))
    for table, data in rows.items():
        if data:
            conn.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(data[0]))})", data)
    conn.execute("COMMIT")
    return run_id


def make_tree(root: Path) -> None:
    for d in ("src", "include", "obj"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "Makefile").write_text("prog: $(patsubst src/%.c,obj/%.o,$(wildcard src/*.c))\n\tcc -o $@ $^\n")
    (root / "include" / "sys.h").write_text("/* stand-in */\n")
    for i in range(HEADERS):
        (root / "include" / f"h{i}.h").write_text(f"#define H{i} {i}\n")
    for i in range(SOURCES):
        (root / "src" / f"s{i}.c").write_text(f"int f{i}(void) {{ return {i}; }}\n")
    old = time.time() - 3600  # not "racily clean"
    for p in root.rglob("*"):
        os.utime(p, (old, old))


def build_store(base: Path) -> dict:
    store = base / "store.db"
    record_pipeline(base / "pipeline", store)
    with open_store(store) as db:
        conn = db.conn
        t0 = time.perf_counter()
        replicate(conn, N_RUNS - 4)
        t1 = time.perf_counter()
        make_tree(base / "build")
        start = conn.execute("SELECT max(start_ns) FROM runs").fetchone()[0] + 60_000_000_000
        big1 = synth_build(conn, base / "build", start, None)
        big2 = synth_build(conn, base / "build", start + 60_000_000_000, changed=7)
        t2 = time.perf_counter()
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("runs", "file_events")}
        big_events = conn.execute("SELECT count(*) FROM file_events WHERE run_id = ?", (big1,)).fetchone()[0]
    print(f"store: {counts['runs']} runs, {counts['file_events']} file events ({store.stat().st_size / 2**20:.0f} MiB); "
          f"big runs {big1}, {big2}: {big_events} events each; replicate {t1 - t0:.1f} s, synthesise {t2 - t1:.1f} s")
    return {"store": store, "big": (big1, big2), "pipeline": base / "pipeline", "build": base / "build"}


def reuse_store(base: Path) -> dict:
    """The context :func:`build_store` returned, for a store it left in ``base``."""
    store = base / "store.db"
    with open_store(store, readonly=True) as db:
        big = [r[0] for r in db.conn.execute("SELECT id FROM runs WHERE provtrace_version = 'bench' ORDER BY id")]
    if len(big) != 2:
        raise SystemExit(f"{store} is not a store this script built (expected 2 synthetic build runs)")
    print(f"store: reused {store}; big runs {big[0]}, {big[1]}")
    return {"store": store, "big": tuple(big), "pipeline": base / "pipeline", "build": base / "build"}


def timed(store: Path, fn, repeat: int) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        with open_store(store, readonly=True) as db:
            result = fn(db)
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=None, help="Where to build the store (default: a temporary directory).")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="Keep the directory.")
    ap.add_argument("--reuse", action="store_true", help="Time the store a --keep run left in --dir; build nothing.")
    ap.add_argument("--only", default=None, help="Ask only the questions whose name contains this text.")
    args = ap.parse_args()
    if args.reuse and not args.dir:
        ap.error("--reuse needs --dir")
    base = Path(args.dir or tempfile.mkdtemp(prefix="pt-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        ctx = reuse_store(base) if args.reuse else build_store(base)
        store, (big1, big2) = ctx["store"], ctx["big"]
        last_pipe = N_RUNS - 2  # the newest replica: of run.sh 43, whose outputs are the files on disk
        fig = ctx["pipeline"] / "results" / "fig1.svg"
        prog = ctx["build"] / "prog"
        cases = [
            ("why fig1.svg (pipeline, 1,000 runs)", lambda db: why(db, str(fig))),
            ("why prog (100k-event run, 1,101 steps)", lambda db: why(db, str(prog))),
            ("diff pipeline runs (seed 42 vs 43)", lambda db: diff_runs(db, 1, last_pipe)),
            ("diff the two 100k-event runs", lambda db: diff_runs(db, big1, big2)),
            ("status pipeline dir", lambda db: status(db, [str(ctx["pipeline"])])),
            ("status --run (100k-event run)", lambda db: status(db, run=big2)),
            ("graph pipeline run -> dot", lambda db: render(build_graph(db, [last_pipe]), "dot")),
            ("graph 100k-event run -> dot", lambda db: render(build_graph(db, [big1]), "dot")),
            ("graph 100k-event run -> json", lambda db: render(build_graph(db, [big1]), "json")),
        ]
        print(f"\n{'question':45} {'median':>9}  (of {args.repeat})")
        for name, fn in cases:
            if args.only and args.only not in name:
                continue
            t, result = timed(store, fn, args.repeat)
            print(f"{name:45} {t * 1000:8.0f} ms  {summary(result)}")
        if shutil.which("dot") and not args.only:
            with open_store(store, readonly=True) as db:
                g = build_graph(db, [big1])
            t = time.perf_counter()
            render(g, "svg")
            print(f"{'  (+ Graphviz dot -Tsvg of that graph)':45} {(time.perf_counter() - t) * 1000:8.0f} ms  "
                  f"{g.number_of_nodes()} nodes")
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(base, ignore_errors=True)


def summary(result: object) -> str:
    if hasattr(result, "counts"):
        return str(result.counts())  # type: ignore[union-attr]
    if hasattr(result, "first_divergence"):
        fd = result.first_divergence  # type: ignore[union-attr]
        return f"first divergence: {' '.join(fd['argv']) if fd else None}"
    if hasattr(result, "versions"):
        from provtrace.analysis import lineage_paths

        return f"{len(lineage_paths(result))} paths in the lineage"  # type: ignore[arg-type]
    if isinstance(result, str):
        return f"{len(result) / 1024:.0f} KiB of output"
    return ""


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How long each `provtrace export` takes on a big run (~100,000 file events). Not a test.

    python3 benchmarks/exports.py                  # 34,000 files -> ~100k events, every format
    python3 benchmarks/exports.py --files 5000     # smaller
    python3 benchmarks/exports.py --store big.db --keep   # keep the store (re-use it with --reuse)

The big run is recorded for real, not synthesised: before recording, N small input
files are created in a scratch directory; then `provtrace record` runs a shell
script that starts four Python workers side by side, each reading a quarter of the
inputs and writing one output per input (``in/f00042.txt`` -> ``out/f00042.txt``),
and a final `sort` pipeline that merges a summary.  That gives ~3 events per file
(open to read, open to write, close) — about 100,000 file events for N = 34,000 —
spread over processes, execs, pipelines and redirections like a real workflow.

Each export runs in-process through the library (as the CLI does), the store opened
read-only; the wall time of each is printed, with the budget (10 s) beside it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER = """
import sys
from pathlib import Path
ins = sorted(Path("in").iterdir())[int(sys.argv[1])::int(sys.argv[2])]
total = 0
for p in ins:
    text = p.read_text()
    total += len(text)
    Path("out", p.name).write_text(text.upper())
print(sys.argv[1], len(ins), total)
"""

SCRIPT = """#!/bin/sh
set -e
mkdir -p out
for i in 0 1 2 3; do python3 worker.py $i 4 > part$i.txt & done
wait
cat part0.txt part1.txt part2.txt part3.txt | sort -n > summary.txt
"""

BUDGET_S = 10.0


def prepare(work: Path, files: int) -> None:
    """Create the scratch directory with N input files and the workload scripts."""
    (work / "in").mkdir(parents=True)
    for i in range(files):
        (work / "in" / f"f{i:05d}.txt").write_text(f"line {i}\n")
    (work / "worker.py").write_text(WORKER)
    (work / "run.sh").write_text(SCRIPT)


def record(work: Path, store: Path) -> int:
    """Record the workload; return its run id."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "provtrace", "record", "--store", str(store), "--", "sh", "run.sh"],
                       cwd=work, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"recording failed:\n{p.stderr}")
    print(f"recorded in {time.perf_counter() - t0:.1f} s:")
    print("  " + "\n  ".join(p.stderr.strip().splitlines()))
    import provtrace

    with provtrace.open_store(store, readonly=True) as db:
        return db.resolve_run("last")


def timed(label: str, fn) -> float:
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    flag = "ok" if dt < BUDGET_S else "OVER BUDGET"
    print(f"  {label:<28} {dt:6.2f} s   ({flag}, budget {BUDGET_S:.0f} s)")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=34_000, help="input files (3 events each; default 34,000)")
    ap.add_argument("--store", default=None, help="store file to create (default: in the scratch directory)")
    ap.add_argument("--reuse", action="store_true", help="export the last run of --store, record nothing")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args()

    import provtrace
    from provtrace.export import write_makefile, write_packages, write_prov, write_rocrate

    scratch = Path(tempfile.mkdtemp(prefix="pt-export-bench-"))
    store = Path(args.store) if args.store else scratch / "store.db"
    try:
        if args.reuse:
            with provtrace.open_store(store, readonly=True) as db:
                run_id = db.resolve_run("last")
        else:
            work = scratch / "work"
            prepare(work, args.files)
            run_id = record(work, store)
        with provtrace.open_store(store, readonly=True) as db:
            events = db.query("SELECT count(*) AS n FROM file_events WHERE run_id = ?", (run_id,))[0]["n"]
            procs = db.query("SELECT count(*) AS n FROM processes WHERE run_id = ?", (run_id,))[0]["n"]
            print(f"run {run_id}: {events} file events, {procs} processes")
            out = scratch / "out"
            out.mkdir()
            times = {}
            for fmt in ("json", "provn", "xml", "ttl"):
                times[f"prov {fmt}"] = timed(f"prov --format {fmt}",
                                             lambda f=fmt: write_prov(db, [run_id], out / f"run.{f}", f))
            times["prov json --system"] = timed("prov --format json --system", lambda: write_prov(
                db, [run_id], out / "run-system.json", "json", include_system=True))
            times["ro-crate"] = timed("ro-crate (directory)", lambda: write_rocrate(db, [run_id], out / "crate"))
            times["ro-crate zip"] = timed("ro-crate --include-data (zip)", lambda: write_rocrate(
                db, [run_id], out / "crate.zip", include_data=True))
            for fmt in ("yaml", "json", "requirements", "apt"):
                times[f"packages {fmt}"] = timed(f"packages --format {fmt}", lambda f=fmt: write_packages(
                    db, [run_id], out / f"packages.{f}", f))
            times["makefile"] = timed("makefile", lambda: write_makefile(db, [run_id], out / "Makefile"))
        worst = max(times, key=times.get)
        print(f"slowest: {worst} {times[worst]:.2f} s; all under {BUDGET_S:.0f} s: "
              f"{all(t < BUDGET_S for t in times.values())}")
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()

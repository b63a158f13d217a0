#!/usr/bin/env python3
"""Stand-in for `provtrace record`, to test benchmarks/run.py without the recorder.

    python3 benchmarks/run.py --quick --provtrace "python3 benchmarks/standin_tracer.py"

Accepts `record --store DB --summary-json FILE -- CMD...`, runs CMD untraced, appends
one row to a SQLite file and writes a summary JSON with the keys provtrace writes
(run_id, records, record_seconds, ingest_seconds, processes, execs, dropped).
Measures nothing but the harness: Python start-up plus one SQLite insert.
"""

import argparse
import json
import sqlite3
import subprocess
import sys
import time


def main() -> int:
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("usage: standin_tracer.py record --store DB --summary-json FILE -- CMD...")
    cut = argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("verb", choices=["record"])
    ap.add_argument("--store", required=True)
    ap.add_argument("--summary-json", required=True)
    a = ap.parse_args(argv[:cut])
    cmd = argv[cut + 1:]
    t0 = time.perf_counter()
    rc = subprocess.run(cmd).returncode
    t1 = time.perf_counter()
    db = sqlite3.connect(a.store)
    db.execute("create table if not exists runs (id integer primary key, argv text, seconds real)")
    cur = db.execute("insert into runs (argv, seconds) values (?, ?)", (json.dumps(cmd), t1 - t0))
    db.commit()
    db.close()
    t2 = time.perf_counter()
    with open(a.summary_json, "w") as f:
        json.dump(dict(run_id=cur.lastrowid, records=1, record_seconds=t1 - t0, ingest_seconds=t2 - t1,
                       processes=1, execs=1, dropped=0), f)
    return rc


if __name__ == "__main__":
    sys.exit(main())

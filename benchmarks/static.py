#!/usr/bin/env python3
"""Static executables under provtrace: the supervisor (seccomp + ptrace) against native and strace.

Not a test: a runner that prints ratios to native (see benchmarks/README.md, "Static
executables").  Standard library only.

    python3 benchmarks/static.py                 # 1 warm-up + 5 interleaved rounds
    python3 benchmarks/static.py --rounds 9 --only static_exec_loop
    python3 benchmarks/static.py --quick         # smoke run: small sizes, 1 round

Workloads
  static_exec_loop  bash loop of 2,000 `busybox true` (static): one lazy request to the
                    persistent supervisor per exec (target <= 1.5x native)
  static_files      static busybox extracting, copying and deleting a 2,000-file tree:
                    every file call handed to the supervisor (target: >= 2x faster than
                    `strace -f --seccomp-bpf` on the same workload; see the README for
                    why the file system under --dir matters here)
  dyn_exec_loop     bash loop of 2,000 /bin/true (dynamic): no ptrace involved
  dyn_files         GNU tar/cp/rm on the same tree (dynamic): no ptrace involved
Configurations
  native            the command alone
  provtrace         provtrace record (default --mode auto), ingest included
  preload           provtrace record --mode preload (static programs run untraced)
  no-supervisor     provtrace record with the supervisor hidden (the launcher alone, as
                    before it existed): the dynamic workloads must not get slower
  seized-at-exec    provtrace record with PROVTRACE_LAZY=0: each routed static program is
                    ptrace-attached at its exec instead of at its first call that needs it
  trace-only        provtrace record with PROVTRACE_NOTIFY=0: every handed-over call is a
                    ptrace stop (RET_TRACE), no seccomp user notification
  strace-seccomp    strace -f --seccomp-bpf -e trace=%file,%process,%network -o FILE
  strace            strace -f -e trace=%file,%process,%network -o FILE
Every round runs every configuration of a workload back to back, in an order that
rotates between rounds; a ratio is the median over rounds of wall / native wall of the
same round.  provtrace cells read "R / T": R is the recording phase (the command under
the supervisor and the library: `record_seconds` of --summary-json), T the whole
`provtrace record` (Python start-up, storing and hashing included).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = {
    "static_exec_loop": ["native", "provtrace", "seized-at-exec", "trace-only", "preload", "strace-seccomp",
                         "strace"],
    "static_files": ["native", "provtrace", "trace-only", "preload", "strace-seccomp", "strace"],
    "dyn_exec_loop": ["native", "provtrace", "no-supervisor", "preload"],
    "dyn_files": ["native", "provtrace", "no-supervisor", "preload"],
}

PROVTRACE_CONFIGS = ("provtrace", "seized-at-exec", "trace-only", "preload", "no-supervisor")


def provtrace_cmd() -> list[str]:
    script = Path(sys.executable).parent / "provtrace"
    if script.is_file():
        return [str(script)]
    found = shutil.which("provtrace")
    return [found] if found else [sys.executable, "-m", "provtrace"]


def make_tree(root: Path, n: int) -> None:
    for i in range(n):
        d = root / f"d{i % 40:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05d}.txt").write_bytes((f"file {i}\n" * (1 + i % 50)).encode())


class Bench:
    def __init__(self, work: Path, busybox: str, n_files: int, n_execs: int) -> None:
        self.work = work
        self.busybox = busybox
        self.n_execs = n_execs
        self.store = work / "store.db"
        src = work / "tree"
        make_tree(src, n_files)
        subprocess.run(["tar", "cf", str(work / "tree.tar"), "-C", str(work), "tree"], check=True)
        shutil.rmtree(src)
        self.env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "PROVTRACE_SESSION")}

    def command(self, workload: str) -> list[str]:
        bb, n = self.busybox, self.n_execs
        if workload == "static_exec_loop":
            return ["bash", "-c", f"for ((i=0;i<{n};i++)); do {bb} true; done"]
        if workload == "dyn_exec_loop":
            return ["bash", "-c", f"for ((i=0;i<{n};i++)); do /bin/true; done"]
        if workload == "static_files":
            return [bb, "sh", "-c", "mkdir x && tar xf tree.tar -C x && cp -r x y && find y -type f | wc -l "
                                    "> count.txt && rm -r x y"]
        if workload == "dyn_files":
            return ["/bin/sh", "-c", "mkdir x && tar xf tree.tar -C x && cp -r x y && find y -type f | wc -l "
                                     "> count.txt && rm -r x y"]
        raise KeyError(workload)

    def argv(self, config: str, cmd: list[str]) -> tuple[list[str], dict]:
        env = dict(self.env)
        trace = str(self.work / "strace.out")
        if config == "native":
            return cmd, env
        if config in PROVTRACE_CONFIGS:
            mode = "preload" if config == "preload" else "auto"
            if config == "no-supervisor":
                env["PROVTRACE_SUPERVISOR"] = "/nonexistent/provtrace-supervisor"
            if config == "trace-only":
                env["PROVTRACE_NOTIFY"] = "0"
            if config == "seized-at-exec":
                env["PROVTRACE_LAZY"] = "0"
            return [*provtrace_cmd(), "record", "-q", "--store", str(self.store), "--mode", mode,
                    "--summary-json", str(self.work / "summary.json"), "--", *cmd], env
        if config == "strace-seccomp":
            return ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=%file,%process,%network", "-o", trace,
                    *cmd], env
        if config == "strace":
            return ["strace", "-f", "-qq", "-e", "trace=%file,%process,%network", "-o", trace, *cmd], env
        raise KeyError(config)

    def run(self, workload: str, config: str) -> tuple[float, float]:
        """(wall seconds, recording-phase seconds: the wall for non-provtrace configurations)"""
        argv, env = self.argv(config, self.command(workload))
        for p in (self.work / "x", self.work / "y"):
            shutil.rmtree(p, ignore_errors=True)
        t0 = time.perf_counter()
        p = subprocess.run(argv, cwd=self.work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise SystemExit(f"{workload}/{config} failed ({p.returncode}): {p.stderr.decode(errors='replace')[-800:]}")
        rec = wall
        summary = self.work / "summary.json"
        if summary.exists():
            import json

            rec = json.loads(summary.read_text())["record_seconds"]
            summary.unlink()
        if self.store.exists():
            self.store.unlink()  # each provtrace run starts from an empty store
        return wall, rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default=",".join(CONFIGS), help="comma-separated workloads")
    ap.add_argument("--quick", action="store_true", help="small sizes, 1 round (smoke run)")
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--execs", type=int, default=2000)
    ap.add_argument("--dir", default=None,
                    help="where the workloads run (default: the temp dir; /dev/shm takes the disk's "
                         "own variance out of static_files)")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.files, args.execs = 1, 200, 200
    busybox = shutil.which("busybox")
    if busybox is None:
        print("benchmarks/static.py: busybox is not installed (apt-get install busybox-static)", file=sys.stderr)
        return 2
    have_strace = shutil.which("strace") is not None
    workloads = [w for w in args.only.split(",") if w]
    with tempfile.TemporaryDirectory(prefix="pt-static-bench-", dir=args.dir) as tmp:
        bench = Bench(Path(tmp), os.path.realpath(busybox), args.files, args.execs)
        walls: dict[tuple[str, str], list[float]] = {}
        recs: dict[tuple[str, str], list[float]] = {}
        ratios: dict[tuple[str, str], list[float]] = {}
        rratios: dict[tuple[str, str], list[float]] = {}
        for rnd in range(args.rounds + 1):  # round 0 warms caches and is not counted
            for w in workloads:
                configs = [c for c in CONFIGS[w] if have_strace or not c.startswith("strace")]
                k = rnd % len(configs)
                order = configs[k:] + configs[:k]
                got = {c: bench.run(w, c) for c in order}
                if rnd == 0:
                    continue
                for c, (t, r) in got.items():
                    walls.setdefault((w, c), []).append(t)
                    recs.setdefault((w, c), []).append(r)
                    ratios.setdefault((w, c), []).append(t / got["native"][0])
                    rratios.setdefault((w, c), []).append(r / got["native"][0])
            if rnd:
                print(f"round {rnd}/{args.rounds} done", file=sys.stderr)
    print(f"\nStatic executables: median of {args.rounds} interleaved rounds "
          f"({args.execs} execs, {args.files} files, in {args.dir or tempfile.gettempdir()}); "
          "ratio = wall / native wall of the same round\n")
    cols = ["native", "provtrace", "seized-at-exec", "trace-only", "preload", "no-supervisor", "strace-seccomp",
            "strace"]
    print("| workload | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for w in workloads:
        cells = []
        for c in cols:
            if (w, c) not in walls:
                cells.append("")
            elif c == "native":
                cells.append(f"{statistics.median(walls[(w, c)]):.3f} s")
            elif c in PROVTRACE_CONFIGS:
                cells.append(f"{statistics.median(rratios[(w, c)]):.2f}x / {statistics.median(ratios[(w, c)]):.2f}x")
            else:
                cells.append(f"{statistics.median(ratios[(w, c)]):.2f}x")
        print(f"| {w} | " + " | ".join(cells) + " |")
    if ("static_files", "strace-seccomp") in ratios:
        st = walls[("static_files", "strace-seccomp")]
        rec = [s / p for s, p in zip(st, recs[("static_files", "provtrace")])]
        tot = [s / p for s, p in zip(st, walls[("static_files", "provtrace")])]
        nat = walls[("static_files", "native")]
        added = [(s - n) / max(p - n, 1e-9) for s, p, n in zip(st, recs[("static_files", "provtrace")], nat)]
        print(f"\nstatic_files: strace -f --seccomp-bpf takes {statistics.median(rec):.2f}x as long as provtrace's "
              f"recording ({statistics.median(tot):.2f}x its whole record + store); the time it adds to the "
              f"command is {statistics.median(added):.2f}x what provtrace's tracing adds (target >= 2)")
    if ("static_exec_loop", "provtrace") in ratios:
        r = statistics.median(rratios[("static_exec_loop", "provtrace")])
        t = statistics.median(ratios[("static_exec_loop", "provtrace")])
        print(f"static_exec_loop: provtrace records at {r:.2f}x native ({t:.2f}x with start-up and storing) "
              "(target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

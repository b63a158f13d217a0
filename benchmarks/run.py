#!/usr/bin/env python3
"""provtrace speed benchmark: nine workloads, natively and under tracers, interleaved.

Not a test: a runner that prints overhead ratios to native (see benchmarks/README.md).

    python3 benchmarks/run.py                     # native + provtrace, 1 warm-up + 5 rounds
    python3 benchmarks/run.py --quick             # smoke run: smaller workloads, 1 round
    python3 benchmarks/run.py --only cp_r,gzip --rounds 7
    python3 benchmarks/run.py --tracer provtrace,strace,strace-seccomp
    python3 benchmarks/run.py --report RESULTS.jsonl   # re-print the table of a past campaign

Every round runs each workload natively and under each tracer back to back, the
order of the configurations rotating from round to round.  A ratio cell is the
median over the counted rounds of wall(tracer) / wall(native of the same round).
Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import math
import os
import platform
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Targets (DESIGN.md §5): record + ingest, geometric mean and worst workload.
TARGET_GEOMEAN = 1.05
TARGET_WORST = 1.25

# Workload sizes.  "full" follows research/peers.md; "quick" is a smoke run.
PROFILES: dict[str, dict] = {
    "full": dict(
        tar_files=None,  # the whole stdlib (~7.7k files, ~250 MiB) minus site-packages
        py_runs=5,
        small_files=20000,
        c_files=50,
        c_funcs=20,
        git_files=2000,
        git_commits=400,
        git_changes=10,
        pm_files=4000,
        pm_tx=20000,
        forks=2000,
        gzip_mib=50,
        grep_n=8,
    ),
    "quick": dict(
        tar_files=600,
        py_runs=1,
        small_files=2000,
        c_files=6,
        c_funcs=6,
        git_files=200,
        git_commits=40,
        git_changes=5,
        pm_files=400,
        pm_tx=2000,
        forks=200,
        gzip_mib=5,
        grep_n=16,
    ),
}

# Modules imported by each py_import start-up (numpy too when importable).
PY_IMPORTS = """
json email email.mime.text email.mime.multipart email.policy sqlite3 asyncio decimal
xml.etree.ElementTree xml.dom.minidom xml.sax http.client http.server http.cookies
urllib.request urllib.parse logging logging.handlers argparse csv datetime collections
dataclasses typing unittest unittest.mock multiprocessing concurrent.futures subprocess
ssl socket hashlib hmac secrets uuid zipfile tarfile gzip bz2 lzma shutil tempfile
pathlib glob fnmatch re textwrap difflib pprint inspect ast dis tokenize pickle shelve
copy heapq bisect statistics fractions random cmath itertools functools contextlib enum
ipaddress mimetypes base64 struct codecs locale gettext calendar zoneinfo configparser
tomllib html.parser xmlrpc.client ftplib smtplib imaplib wave sched queue threading
selectors platform sysconfig importlib.metadata pydoc doctest pdb timeit trace cProfile
pstats ctypes wsgiref.simple_server
""".split()


class BenchError(Exception):
    """A workload's output did not check out, or the harness itself failed."""


# ---------------------------------------------------------------------------
# helpers


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sh(argv: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a set-up/verification command (untimed); raise BenchError on failure."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    p = subprocess.run(argv, **kw)
    if p.returncode != 0:
        raise BenchError(f"{shlex.join(argv)} exited {p.returncode}: {(p.stderr or '')[-2000:]}")
    return p


def rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def count_tree(root: Path) -> tuple[int, int, int]:
    """(regular files, symlinks, total regular bytes) below root."""
    nfiles = nlinks = nbytes = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if os.path.islink(p):
                nlinks += 1
            else:
                nfiles += 1
                nbytes += st.st_size
    return nfiles, nlinks, nbytes


def file_size(p: Path) -> int:
    try:
        return p.stat().st_size
    except FileNotFoundError:
        return 0


def load_now() -> dict:
    """1-minute load average and CPU pressure (avg10 of "some"), to spot runs that shared the machine."""
    out = {}
    try:
        out["loadavg1"] = float(open("/proc/loadavg").read().split()[0])
        for line in open("/proc/pressure/cpu"):
            if line.startswith("some"):
                out["cpu_some_avg10"] = float(line.split()[1].split("=")[1])
    except (OSError, ValueError, IndexError):
        pass
    return out


def store_size(db: Path) -> int:
    return file_size(db) + file_size(Path(str(db) + "-wal"))


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def git_commit() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"
    if not rev:
        return "no commit yet"
    return rev + ("+dirty" if dirty else "")


# ---------------------------------------------------------------------------
# workloads


@dataclass
class Ctx:
    data: Path          # profile data dir (generated once)
    work: Path          # scratch dir for outputs, tracer files
    prof: dict
    python: str         # absolute path of the Python used by py_import
    env: dict


@dataclass
class Workload:
    name: str
    title: str
    gen: Callable[[Ctx], dict]                      # -> manifest facts, run once per data dir
    cmd: Callable[[Ctx, dict, Path], list[str]]     # argv, run in cwd=out
    verify: Callable[[Ctx, dict, Path], str]        # -> fingerprint; raise BenchError
    setup: Callable[[Ctx, dict, Path], None] | None = None
    in_geomean: bool = True


def _stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


# tar_x ----------------------------------------------------------------------

def gen_tar(ctx: Ctx) -> dict:
    std = _stdlib_dir()
    tar_path = ctx.data / "stdlib.tar"
    src = ctx.data / "srctree"
    rmtree(src)
    files = []
    for dirpath, dirnames, filenames in os.walk(std):
        rel = os.path.relpath(dirpath, std.parent)
        dirnames[:] = sorted(d for d in dirnames if not (dirpath == str(std) and d == "site-packages"))
        for f in sorted(filenames):
            files.append(os.path.join(rel, f))
    if ctx.prof["tar_files"]:
        files = files[: ctx.prof["tar_files"]]
    lst = ctx.data / "stdlib.list"
    lst.write_text("\n".join(files) + "\n")
    sh(["tar", "-cf", str(tar_path), "-C", str(std.parent), "--no-recursion", "-T", str(lst)])
    src.mkdir()
    sh(["tar", "-xf", str(tar_path), "-C", str(src)])
    nfiles, nlinks, nbytes = count_tree(src)
    return dict(tar=str(tar_path), srctree=str(src), files=nfiles, links=nlinks, bytes=nbytes,
                tar_bytes=file_size(tar_path))


def cmd_tar(ctx, m, out):
    return ["tar", "-xf", m["tar"], "-C", str(out)]


def verify_tar(ctx, m, out):
    got = count_tree(out)
    want = (m["files"], m["links"], m["bytes"])
    if got != want:
        raise BenchError(f"tar_x: extracted (files, symlinks, bytes) = {got}, expected {want}")
    return f"{got}"


# py_import ------------------------------------------------------------------

def gen_py(ctx: Ctx) -> dict:
    mods = list(PY_IMPORTS)
    probe = subprocess.run([ctx.python, "-c", "import numpy"], capture_output=True)
    if probe.returncode == 0:
        mods.insert(0, "numpy")
    ok = []
    for mname in mods:  # keep only what imports on this Python (e.g. no curses)
        if subprocess.run([ctx.python, "-c", f"import {mname}"], capture_output=True).returncode == 0:
            ok.append(mname)
    code = "import sys\nimport " + ", ".join(ok) + "\nopen(sys.argv[1], 'a').write('%d\\n' % len(sys.modules))\n"
    return dict(code=code, modules=ok, numpy="numpy" in ok)


def cmd_py(ctx, m, out):
    one = f"{shlex.quote(ctx.python)} -c {shlex.quote(m['code'])} marker || exit 1"
    return ["/bin/sh", "-c", f"for i in {' '.join(str(i) for i in range(ctx.prof['py_runs']))}; do {one}; done"]


def verify_py(ctx, m, out):
    lines = (out / "marker").read_text().split() if (out / "marker").exists() else []
    if len(lines) != ctx.prof["py_runs"] or len(set(lines)) != 1 or int(lines[0]) < len(m["modules"]):
        raise BenchError(f"py_import: marker has {lines!r}, expected {ctx.prof['py_runs']} equal module counts")
    return lines[0]


# cp_r -----------------------------------------------------------------------

def gen_small(ctx: Ctx) -> dict:
    root = ctx.data / "smallfiles"
    rmtree(root)
    rng = random.Random(20)
    n = ctx.prof["small_files"]
    per_dir = 1000
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789 \n"
    block = bytes(rng.choice(alphabet) for _ in range(1 << 16))
    total = 0
    for i in range(n):
        d = root / f"d{i // per_dir:03d}"
        if i % per_dir == 0:
            d.mkdir(parents=True)
        size = rng.randint(64, 4096)
        off = rng.randrange(0, len(block) - size)
        (d / f"f{i:05d}.txt").write_bytes(block[off: off + size])
        total += size
    return dict(root=str(root), files=n, bytes=total)


def cmd_cp(ctx, m, out):
    return ["cp", "-r", m["root"], str(out / "copy")]


def verify_cp(ctx, m, out):
    got = count_tree(out / "copy")
    if got != (m["files"], 0, m["bytes"]):
        raise BenchError(f"cp_r: copy has (files, symlinks, bytes) = {got}, expected {(m['files'], 0, m['bytes'])}")
    return f"{got}"


# make_c ---------------------------------------------------------------------

def _c_unit(rng: random.Random, k: int, nf: int) -> str:
    out = [f"/* generated unit {k} */", "#include <stdint.h>", ""]
    for j in range(nf):
        a, b, c = rng.randrange(1, 1 << 30), rng.randrange(1, 1 << 30), rng.randrange(3, 29)
        out.append(f"""static uint32_t f{k}_{j}(uint32_t x) {{
    uint32_t s = x ^ {a}u;
    for (int i = 0; i < {rng.randrange(50, 200)}; i++) {{
        s = s * 1103515245u + {b}u;
        s ^= s >> {c};
        if (s & 1u) s += (uint32_t)i * {a % 1000 + 3}u; else s -= (uint32_t)i ^ {b % 997}u;
        switch (s & 7u) {{
        case 0: s ^= 0x9e3779b9u; break;
        case 1: s += s << 3; break;
        case 2: s = (s >> 5) | (s << 27); break;
        case 3: s *= 2654435761u; break;
        default: s ^= {c}u;
        }}
    }}
    return s;
}}
""")
    out.append(f"uint32_t unit{k}(uint32_t x) {{")
    out += [f"    x = f{k}_{j}(x);" for j in range(nf)]
    out.append("    return x;\n}\n")
    return "\n".join(out)


def gen_make(ctx: Ctx) -> dict:
    root = ctx.data / "make_c"
    rmtree(root)
    root.mkdir()
    rng = random.Random(50)
    n, nf = ctx.prof["c_files"], ctx.prof["c_funcs"]
    for k in range(n):
        (root / f"unit{k:02d}.c").write_text(_c_unit(rng, k, nf))
    decls = "\n".join(f"uint32_t unit{k}(uint32_t);" for k in range(n))
    calls = "\n".join(f"    x = unit{k}(x);" for k in range(n))
    (root / "main.c").write_text(
        f'#include <stdint.h>\n#include <stdio.h>\n{decls}\n'
        f'int main(void) {{\n    uint32_t x = 12345u;\n{calls}\n'
        '    printf("%08x\\n", (unsigned)x);\n    return 0;\n}\n')
    (root / "Makefile").write_text(
        "# generated by benchmarks/run.py: make -C OUT -f SRC/Makefile SRC=SRC\n"
        "SRC ?= .\nCC ?= gcc\nCFLAGS ?= -O2\n"
        "vpath %.c $(SRC)\n"
        "OBJS := $(patsubst $(SRC)/%.c,%.o,$(wildcard $(SRC)/*.c))\n"
        "prog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n"
        "%.o: %.c\n\t$(CC) $(CFLAGS) -c -o $@ $<\n"
        "clean:\n\trm -f *.o prog\n")
    return dict(src=str(root), files=n + 1)


def cmd_make(ctx, m, out):
    return ["make", "-s", "-j2", "-C", str(out), "-f", m["src"] + "/Makefile", "SRC=" + m["src"]]


def verify_make(ctx, m, out):
    objs = list(out.glob("*.o"))
    if len(objs) != m["files"]:
        raise BenchError(f"make_c: {len(objs)} object files, expected {m['files']}")
    p = subprocess.run([str(out / "prog")], capture_output=True, text=True)
    if p.returncode != 0 or len(p.stdout.strip()) != 8:
        raise BenchError(f"make_c: built program exited {p.returncode}, printed {p.stdout!r}")
    return p.stdout.strip()


# git_clone --------------------------------------------------------------------

def gen_git(ctx: Ctx) -> dict:
    repo = ctx.data / "gitsrc.git"
    rmtree(repo)
    nfiles, ncommits, nchg = ctx.prof["git_files"], ctx.prof["git_commits"], ctx.prof["git_changes"]
    rng = random.Random(400)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau".split()
    paths = [f"src/m{i // 100:02d}/file{i:04d}.txt" for i in range(nfiles)]
    contents = [
        "".join(" ".join(rng.choice(words) for _ in range(10)) + "\n" for _ in range(rng.randint(10, 40)))
        for _ in range(nfiles)
    ]
    buf = bytearray()

    def data(b: bytes) -> None:
        buf.extend(b"data %d\n" % len(b))
        buf.extend(b)
        buf.extend(b"\n")

    t0 = 1700000000
    for c in range(ncommits):
        buf.extend(b"commit refs/heads/main\n")
        buf.extend(b"author Bench <bench@example.org> %d +0000\n" % (t0 + 60 * c))
        buf.extend(b"committer Bench <bench@example.org> %d +0000\n" % (t0 + 60 * c))
        data(b"commit %d" % c)
        if c == 0:
            changed = range(nfiles)
        else:
            changed = rng.sample(range(nfiles), nchg)
            for i in changed:
                contents[i] += f"change {c}: " + " ".join(rng.choice(words) for _ in range(8)) + "\n"
        for i in changed:
            buf.extend(b"M 100644 inline " + paths[i].encode() + b"\n")
            data(contents[i].encode())
        buf.extend(b"\n")
    sh(["git", "init", "-q", "--bare", "-b", "main", str(repo)])
    sh(["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(buf), text=False)
    sh(["git", "-C", str(repo), "repack", "-a", "-d", "-q"])
    head = sh(["git", "-C", str(repo), "rev-parse", "HEAD"]).stdout.strip()
    return dict(repo=str(repo), files=nfiles, commits=ncommits, head=head)


def cmd_git(ctx, m, out):
    return ["git", "clone", "-q", "--no-local", m["repo"], str(out / "clone")]


def verify_git(ctx, m, out):
    clone = str(out / "clone")
    n = sh(["git", "-C", clone, "rev-list", "--count", "HEAD"]).stdout.strip()
    head = sh(["git", "-C", clone, "rev-parse", "HEAD"]).stdout.strip()
    files = len(sh(["git", "-C", clone, "ls-files"]).stdout.splitlines())
    got_tree = count_tree(out / "clone")[0] - count_tree(out / "clone" / ".git")[0]
    if (int(n), head, files, got_tree) != (m["commits"], m["head"], m["files"], m["files"]):
        raise BenchError(f"git_clone: clone has {n} commits, HEAD {head}, {files} tracked / {got_tree} checked-out"
                         f" files; expected {m['commits']}, {m['head']}, {m['files']}")
    return head


# postmark -------------------------------------------------------------------

def gen_postmark(ctx: Ctx) -> dict:
    exe = ctx.data / "postmark"
    sh(["gcc", "-O2", "-Wall", "-o", str(exe), str(HERE / "postmark.c")])
    return dict(exe=str(exe), src_sha=sha256_file(HERE / "postmark.c"))


def cmd_postmark(ctx, m, out):
    return [m["exe"], str(out / "pm"), str(ctx.prof["pm_files"]), str(ctx.prof["pm_tx"]), "42", "stats.txt"]


def verify_postmark(ctx, m, out):
    txt = (out / "stats.txt").read_text().strip() if (out / "stats.txt").exists() else ""
    kv = dict(x.split("=") for x in txt.split()) if txt else {}
    left = count_tree(out / "pm")[0]
    ok = (kv and int(kv["created"]) == int(kv["deleted"]) and left == 0
          and int(kv["read"]) + int(kv["appended"]) == ctx.prof["pm_tx"]
          and int(kv["created"]) >= ctx.prof["pm_files"])
    if not ok:
        raise BenchError(f"postmark: stats {txt!r}, {left} files left (expected 0)")
    return txt


# pipeline -------------------------------------------------------------------

def cmd_pipeline(ctx, m, out):
    src = shlex.quote(m["srctree"])
    n = ctx.prof["grep_n"]
    return ["/bin/sh", "-c",
            f"cd {src} && find . -type f -print0 | xargs -0 -n{n} grep -IohE "
            f"'(import|def|class) [A-Za-z_][A-Za-z0-9_]*' | sort | uniq -c | sort -rn -k1,1 -k2 "
            f"> {shlex.quote(str(out / 'result.txt'))}"]


def verify_pipeline(ctx, m, out):
    p = out / "result.txt"
    lines = p.read_text().splitlines() if p.exists() else []
    if len(lines) < 100:
        raise BenchError(f"pipeline: result.txt has {len(lines)} lines, expected hundreds")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16] + f" {len(lines)} lines"


# fork_exec ------------------------------------------------------------------

def cmd_fork(ctx, m, out):
    n = ctx.prof["forks"]
    return ["/bin/bash", "-c",
            f"n=0; for ((i = 0; i < {n}; i++)); do /bin/true && n=$((n + 1)); done; echo $n > count"]


def verify_fork(ctx, m, out):
    got = (out / "count").read_text().strip() if (out / "count").exists() else ""
    if got != str(ctx.prof["forks"]):
        raise BenchError(f"fork_exec: count file says {got!r}, expected {ctx.prof['forks']}")
    return got


# gzip -----------------------------------------------------------------------

def gen_gzip(ctx: Ctx) -> dict:
    """Text of words drawn with their frequencies in the stdlib's own sources (Zipf-like)."""
    path = ctx.data / "text.txt"
    rng = random.Random(9)
    words = []
    for f in sorted(_stdlib_dir().glob("*.py"))[:60]:
        words += [w for w in f.read_text(errors="replace").split() if w.isascii()]
    words = words or ["lorem", "ipsum"]
    want = ctx.prof["gzip_mib"] << 20
    with open(path, "w") as f:
        written = 0
        while written < want:
            lines = [" ".join(rng.choices(words, k=rng.randint(4, 14))) for _ in range(2000)]
            chunk = ("\n".join(lines) + "\n")[: want - written]
            f.write(chunk)
            written += len(chunk)
    return dict(path=str(path), bytes=file_size(path))


def cmd_gzip(ctx, m, out):
    return ["/bin/sh", "-c", f"exec gzip -9 -c {shlex.quote(m['path'])} > text.gz"]


def verify_gzip(ctx, m, out):
    gz = out / "text.gz"
    if not gz.exists() or file_size(gz) == 0:
        raise BenchError("gzip: no text.gz written")
    sh(["gzip", "-t", str(gz)])
    return f"{file_size(gz)} bytes"


# fixed cost (not in the geometric mean) ------------------------------------

def cmd_true(ctx, m, out):
    return ["/bin/true"]


def verify_true(ctx, m, out):
    return "ok"


def _nogen(ctx: Ctx) -> dict:
    return {}


def _tar_manifest(ctx: Ctx) -> dict:  # pipeline reads the tree tar_x generation extracted
    return {}


WORKLOADS: list[Workload] = [
    Workload("tar_x", "tar -xf of the CPython stdlib", gen_tar, cmd_tar, verify_tar),
    Workload("py_import", "Python start-up importing numpy + ~100 stdlib modules", gen_py, cmd_py, verify_py),
    Workload("cp_r", "cp -r of small files", gen_small, cmd_cp, verify_cp),
    Workload("make_c", "make -j2 of generated C files, gcc -O2", gen_make, cmd_make, verify_make),
    Workload("git_clone", "git clone --no-local of a generated repo", gen_git, cmd_git, verify_git),
    Workload("postmark", "PostMark-like create/read/append/delete", gen_postmark, cmd_postmark, verify_postmark),
    Workload("pipeline", "find | xargs grep -o | sort | uniq -c | sort", _tar_manifest, cmd_pipeline, verify_pipeline),
    Workload("fork_exec", "bash loop running /bin/true", _nogen, cmd_fork, verify_fork),
    Workload("gzip", "gzip -9 of generated text", gen_gzip, cmd_gzip, verify_gzip),
    Workload("true", "fixed cost: /bin/true", _nogen, cmd_true, verify_true, in_geomean=False),
]
BY_NAME = {w.name: w for w in WORKLOADS}
GEN_DEPS = {"pipeline": "tar_x"}  # pipeline greps the tree extracted by tar_x's generation
GEN_VERSION = {"gzip": 2}  # bump when a generator changes, to regenerate its data


def ensure_data(ctx: Ctx, names: list[str]) -> dict[str, dict]:
    """Generate each workload's data once (cached with its parameters in manifest.json)."""
    ctx.data.mkdir(parents=True, exist_ok=True)
    mpath = ctx.data / "manifest.json"
    manifest = json.loads(mpath.read_text()) if mpath.exists() else {}
    key_base = dict(prof=ctx.prof, python=ctx.python)
    out = {}
    order = []
    for n in names:
        if n in GEN_DEPS and GEN_DEPS[n] not in order:
            order.append(GEN_DEPS[n])
        if n not in order:
            order.append(n)
    for n in order:
        w = BY_NAME[n]
        key = dict(key_base, version=GEN_VERSION.get(n, 1))
        if n == "postmark":
            key["src_sha"] = sha256_file(HERE / "postmark.c")
        ent = manifest.get(n)
        if not ent or ent.get("key") != key:
            log(f"generating data for {n} in {ctx.data} ...")
            t = time.perf_counter()
            facts = w.gen(ctx)
            manifest[n] = dict(key=key, facts=facts)
            mpath.write_text(json.dumps(manifest, indent=1))
            log(f"  {n}: {time.perf_counter() - t:.1f} s  {json.dumps(facts)[:200]}")
        out[n] = manifest[n]["facts"]
    if "pipeline" in out:
        out["pipeline"] = dict(out["tar_x"], **out["pipeline"])
    return out


# ---------------------------------------------------------------------------
# tracers


@dataclass
class Tracer:
    name: str
    kind: str  # native | provtrace | strace


def snapshot_provtrace(dest: Path) -> tuple[list[str], dict]:
    """Copy the importable provtrace package (Python code + its _native/libprovtrace.so) to
    dest and return a launcher for it: a campaign then measures one version of the recorder
    even while the work tree is being edited and rebuilt.  No PYTHONPATH (it would leak into
    the workloads): the launcher puts the copy first on sys.path itself."""
    py = os.path.realpath(sys.executable)
    p = subprocess.run([py, "-c", "import provtrace, os; print(os.path.dirname(provtrace.__file__))"],
                       capture_output=True, text=True, cwd="/")
    if p.returncode != 0:
        raise BenchError("cannot import provtrace to snapshot it (pip install -e . first?): " + p.stderr.strip()[-500:])
    pkg = Path(p.stdout.strip())
    rmtree(dest)
    shutil.copytree(pkg, dest / "provtrace", ignore=shutil.ignore_patterns("__pycache__"))
    # byte-compile as `pip install` does (PYTHONDONTWRITEBYTECODE would otherwise make every
    # invocation recompile the package from source)
    sh([py, "-m", "compileall", "-q", str(dest / "provtrace")])
    launcher = dest / "provtrace-launch.py"
    launcher.write_text(f"import sys\nsys.path.insert(0, {str(dest)!r})\nfrom provtrace.cli import main\n"
                        "sys.exit(main())\n")
    so = dest / "provtrace" / "_native" / "libprovtrace.so"
    info = dict(snapshot_of=str(pkg), lib_sha256=sha256_file(so) if so.exists() else None,
                lib_mtime=_dt.datetime.fromtimestamp(so.stat().st_mtime).isoformat(timespec="seconds")
                if so.exists() else None)
    return [py, str(launcher)], info


def build_provtrace_rev(rev: str, root: Path) -> tuple[list[str], dict]:
    """Export commit `rev` of this repository (git archive: the repo itself is not touched),
    build its native recorder with native/Makefile, byte-compile it, and return a launcher.
    Cached per commit under root."""
    py = os.path.realpath(sys.executable)
    sha = sh(["git", "-C", str(REPO), "rev-parse", "--verify", rev + "^{commit}"]).stdout.strip()
    dest = root / sha[:12]
    launcher = dest / "provtrace-launch.py"
    so = dest / "src" / "provtrace" / "_native" / "libprovtrace.so"
    if not launcher.exists():
        log(f"building provtrace {sha[:12]} ({rev}) in {dest} ...")
        rmtree(dest)
        dest.mkdir(parents=True)
        arch = subprocess.run(["git", "-C", str(REPO), "archive", sha], capture_output=True, check=False)
        if arch.returncode != 0:
            raise BenchError(f"git archive {sha}: {arch.stderr.decode(errors='replace')[-500:]}")
        sh(["tar", "-xf", "-", "-C", str(dest)], input=arch.stdout, text=False)
        build = dest / "build-native"
        sh(["make", "-s", "-C", str(dest / "native"), f"BUILD={build}"])
        so.parent.mkdir(parents=True, exist_ok=True)
        for name in ("libprovtrace.so", "provtrace-supervisor"):
            if (build / name).exists():
                shutil.copy2(build / name, so.parent / name)
        sh([py, "-m", "compileall", "-q", str(dest / "src" / "provtrace")])
        launcher.write_text(f"import sys\nsys.path.insert(0, {str(dest / 'src')!r})\n"
                            "from provtrace.cli import main\nsys.exit(main())\n")
    return [py, str(launcher)], dict(provtrace_rev=sha, lib_sha256=sha256_file(so) if so.exists() else None)


def resolve_provtrace(arg: str | None) -> list[str]:
    """The provtrace launcher: --provtrace, else the console script beside this Python
    (avoids pyenv shims, which add a bash + pyenv start-up to every run), else PATH."""
    if arg:  # runs start in the workload's output dir: make relative file arguments absolute
        return [os.path.abspath(a) if not a.startswith("-") and os.sep in a and os.path.exists(a) else a
                for a in shlex.split(arg)]
    beside = Path(sys.executable).parent / "provtrace"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("provtrace")
    if found:
        if "/shims/" in found:
            log(f"warning: provtrace resolves to a pyenv shim ({found}); its start-up inflates ratios")
        return [found]
    return [sys.executable, "-m", "provtrace"]


@dataclass
class RunResult:
    wall: float
    rc: int | None
    cpu: float
    timed_out: bool


def timed_run(argv: list[str], cwd: Path, env: dict, timeout: float, stdout: Path, stderr: Path) -> RunResult:
    """Wall time (perf_counter around spawn + a blocking wait4) and CPU of the whole tree.

    Popen.wait(timeout=...) polls with sleeps of up to 50 ms, which would quantise the
    timings; instead a timer thread kills the process group at the timeout."""
    with open(stdout, "wb") as fo, open(stderr, "wb") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                             start_new_session=True)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    try:  # reap anything left in the group (daemonised helpers) so it cannot skew the next run
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return RunResult(wall, p.returncode, ru.ru_utime + ru.ru_stime, fired.is_set())


def tail(p: Path, n: int = 1500) -> str:
    try:
        return p.read_bytes()[-n:].decode(errors="replace").strip()
    except FileNotFoundError:
        return ""


SUMMARY_KEYS = ("run_id", "records", "record_seconds", "ingest_seconds", "processes", "execs", "dropped")


class Campaign:
    def __init__(self, args, ctx: Ctx, facts: dict, workloads: list[Workload], tracers: list[Tracer],
                 provtrace_cmd: list[str], results: Path):
        self.args, self.ctx, self.facts = args, ctx, facts
        self.workloads, self.tracers = workloads, tracers
        self.provtrace_cmd = provtrace_cmd
        self.results = results
        self.refs: dict[str, str] = {}
        self.stores = ctx.work / "stores"
        self.failures = 0
        rmtree(self.stores)
        self.stores.mkdir(parents=True)

    def emit(self, rec: dict) -> None:
        with open(self.results, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def one(self, rnd: int, warm: bool, w: Workload, t: Tracer) -> dict:
        ctx, m = self.ctx, self.facts.get(w.name, {})
        out = ctx.work / "out" / w.name
        aux = ctx.work / "aux"
        aux.mkdir(parents=True, exist_ok=True)
        rmtree(out)
        out.mkdir(parents=True)
        if w.setup:
            w.setup(ctx, m, out)
        cmd = w.cmd(ctx, m, out)
        prefix: list[str] = []
        summary_path = aux / "summary.json"
        trace_path = aux / "trace.txt"
        for p in (summary_path, trace_path):
            rmtree(p)
        db = self.stores / f"{w.name}.db"
        if t.kind == "provtrace":
            prefix = self.provtrace_cmd + ["record", "--store", str(db), "--summary-json", str(summary_path), "--"]
        elif t.name == "strace":
            prefix = ["strace", "-f", "-o", str(trace_path), "-e", "trace=file,process"]
        elif t.name == "strace-seccomp":
            prefix = ["strace", "-f", "--seccomp-bpf", "-o", str(trace_path), "-e", "trace=file,process"]
        before = store_size(db)
        load = load_now()
        os.sync()  # untimed: do not let the previous run's write-back land in this one
        rr = timed_run(prefix + cmd, out, ctx.env, self.args.timeout, aux / "stdout", aux / "stderr")
        rec = dict(type="run", round=rnd, warmup=warm, workload=w.name, tracer=t.name, wall=rr.wall,
                   cpu=rr.cpu, rc=rr.rc, argv=prefix + cmd, ok=True, error=None, **load)
        errors = []
        if rr.timed_out:
            errors.append(f"timed out after {self.args.timeout:.0f} s")
        elif rr.rc != 0:
            errors.append(f"exit status {rr.rc}")
        if t.kind == "provtrace":
            rec["store_growth"] = store_size(db) - before
            try:
                summ = json.loads(summary_path.read_text())
                missing = [k for k in SUMMARY_KEYS if k not in summ]
                if missing:
                    errors.append(f"summary JSON lacks {missing}")
                rec["summary"] = summ
                recs = summ.get("records") or 0
                rec["bytes_per_event"] = rec["store_growth"] / recs if recs else None
                if summ.get("dropped"):
                    log(f"  WARNING {w.name}/{t.name}: recorder dropped {summ['dropped']} records")
            except FileNotFoundError:
                errors.append(f"no summary JSON written at {summary_path}")
            except (ValueError, AttributeError) as e:
                errors.append(f"summary JSON unreadable: {e}")
        elif t.kind == "strace":
            rec["trace_bytes"] = file_size(trace_path)
            if trace_path.exists():
                with open(trace_path, "rb") as f:
                    rec["trace_lines"] = sum(1 for _ in f)
        if not errors:
            try:
                fp = w.verify(ctx, m, out)
                if t.kind == "native":  # the reference is always a native run's output
                    self.refs.setdefault(w.name, fp)
                ref = self.refs.get(w.name, fp)
                if fp != ref:
                    errors.append(f"output differs from the native run's: {fp!r} vs {ref!r}")
            except (BenchError, OSError, ValueError, KeyError) as e:
                errors.append(f"output check failed: {e}")
        if errors:
            rec["ok"] = False
            rec["error"] = "; ".join(errors)
            rec["stderr_tail"] = tail(aux / "stderr")
            rec["stdout_tail"] = tail(aux / "stdout", 600)
            self.failures += 1
            log(f"\n*** FAILED: {w.name} under {t.name} (round {rnd}{', warm-up' if warm else ''}): {rec['error']}\n"
                f"    command: {shlex.join(prefix + cmd)}\n"
                f"    stderr tail:\n      " + rec["stderr_tail"].replace("\n", "\n      ") + "\n")
            if t.kind == "native":
                self.emit(rec)
                raise BenchError(f"native run of {w.name} failed: the harness or its data is broken")
            if self.args.fail_fast:
                self.emit(rec)
                raise BenchError("stopping at the first failure (--fail-fast)")
        for p in (summary_path, trace_path):
            rmtree(p)
        if not self.args.keep_outputs:
            rmtree(out)
        self.emit(rec)
        return rec

    def run(self) -> None:
        n_rounds = self.args.rounds + self.args.warmup
        t_start = time.perf_counter()
        for r in range(n_rounds):
            warm = r < self.args.warmup
            label = "warm-up" if warm else f"round {r - self.args.warmup + 1}/{self.args.rounds}"
            rot = r % len(self.tracers)
            order = self.tracers[rot:] + self.tracers[:rot]
            log(f"== {label}: order {' > '.join(t.name for t in order)}  "
                f"({time.perf_counter() - t_start:.0f} s elapsed)")
            for w in self.workloads:
                reps = self.args.true_reps if w.name == "true" else 1
                cells = []
                for t in order:
                    for _ in range(reps):
                        rec = self.one(r, warm, w, t)
                    extra = ""
                    if rec.get("summary"):
                        s = rec["summary"]
                        extra = f" (ingest {s.get('ingest_seconds', 0):.2f}, {s.get('records')} rec)"
                    cells.append(f"{t.name} {rec['wall']:.3f}s{'' if rec['ok'] else ' FAIL'}{extra}")
                log(f"  {w.name:<10} " + " | ".join(cells))


# ---------------------------------------------------------------------------
# report


def fmt_ratio(x: float | None, limit: float | None = None) -> str:
    if x is None:
        return "–"
    s = f"{x:.2f}"
    if limit is not None and x > limit:
        s = f"**{s}** ✗"
    return s


def fmt_bytes(x: float | None) -> str:
    if x is None:
        return "–"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(x) < 1024 or unit == "GiB":
            return f"{x:.0f} {unit}" if unit == "B" else f"{x:.1f} {unit}"
        x /= 1024
    return str(x)


def report(lines: list[dict]) -> str:
    header = next((x for x in lines if x.get("type") == "campaign"), {})
    runs = [x for x in lines if x.get("type") == "run" and not x.get("warmup")]
    tracers = [t for t in header.get("tracers", sorted({r["tracer"] for r in runs})) if t != "native"]
    wnames = [w for w in header.get("workloads", []) if any(r["workload"] == w for r in runs)]
    by = {}
    for r in runs:
        by.setdefault((r["workload"], r["tracer"]), {}).setdefault(r["round"], []).append(r)

    def per_round(wn: str, tn: str):
        """(native wall, tracer run) pairs of the same round; each side the median of its repeats."""
        nat, tr = by.get((wn, "native"), {}), by.get((wn, tn), {})
        pairs, fails, total = [], 0, 0
        for rnd, trs in tr.items():
            total += len(trs)
            bad = [x for x in trs if not x["ok"]]
            fails += len(bad)
            good_n = [x["wall"] for x in nat.get(rnd, []) if x["ok"]]
            if bad or not good_n:
                continue
            pairs.append((statistics.median(good_n), trs))
        return pairs, fails, total

    has_pt = "provtrace" in tracers
    others = [t for t in tracers if t != "provtrace"]
    cols = ["workload", "native s (median)"]
    if has_pt:
        cols += ["record + ingest ×", "(min–max)", "record alone ×", "store B/event", "records"]
    cols += [f"{t} ×" for t in others]
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|"]
    gm: dict[str, list[float]] = {}
    gm_all: dict[str, int] = {}
    notes = []
    fixed = []
    for wn in wnames:
        nat = [x["wall"] for rs in by.get((wn, "native"), {}).values() for x in rs if x["ok"]]
        nat_med = statistics.median(nat) if nat else None
        if wn == "true":
            parts = [f"native {nat_med * 1e3:.1f} ms" if nat_med else "native –"]
            for tn in tracers:
                walls = [x for rs in by.get((wn, tn), {}).values() for x in rs if x["ok"]]
                if walls:
                    s = f"{tn} {statistics.median(x['wall'] for x in walls) * 1e3:.1f} ms"
                    ing = [x["summary"]["ingest_seconds"] for x in walls if x.get("summary")]
                    if ing:
                        s += f" (of which ingest {statistics.median(ing) * 1e3:.1f} ms)"
                    parts.append(s)
            fixed.append("Fixed cost, `/bin/true` (median wall): " + ", ".join(parts) + ".")
            continue
        in_gm = header.get("in_geomean", {}).get(wn, True)
        row = [wn, f"{nat_med:.2f}" if nat_med else "–"]
        for tn in tracers:
            pairs, fails, total = per_round(wn, tn)
            if in_gm:
                gm_all[tn] = gm_all.get(tn, 0) + 1
            if fails or not pairs:
                cell = f"FAIL {fails}/{total}" if fails else "–"
                if tn == "provtrace":
                    row += [cell, "", "", "", ""]
                else:
                    row.append(cell)
                if fails:
                    notes.append(f"{wn} under {tn}: {fails} of {total} counted runs failed")
                continue
            ratios = [statistics.median(x["wall"] for x in trs) / n for n, trs in pairs]
            med = statistics.median(ratios)
            if in_gm:
                gm.setdefault(tn, []).append(med)
            if tn == "provtrace":
                rec_only = [statistics.median(x["wall"] - x["summary"]["ingest_seconds"] for x in trs) / n
                            for n, trs in pairs]
                ro = statistics.median(rec_only)
                gm.setdefault("provtrace:record", []).append(ro) if in_gm else None
                flat = [x for _, trs in pairs for x in trs]
                # pooled over the rounds: the store grows in whole pages, so one small run can add 0 B
                growth = sum(x.get("store_growth") or 0 for x in flat)
                n_rec = sum(x["summary"].get("records") or 0 for x in flat)
                bpe = [growth / n_rec] if n_rec else []
                recs = [x["summary"]["records"] for x in flat]
                dropped = sum(x["summary"].get("dropped") or 0 for x in flat)
                row += [fmt_ratio(med, TARGET_WORST), f"{min(ratios):.2f}–{max(ratios):.2f}", fmt_ratio(ro),
                        fmt_bytes(statistics.median(bpe)) if bpe else "–",
                        f"{statistics.median(recs):,.0f}" + (f" ({dropped} dropped!)" if dropped else "")]
            else:
                row.append(fmt_ratio(med))
        out.append("| " + " | ".join(row) + " |")
    row = ["**geometric mean**", ""]
    for tn in tracers:
        xs = gm.get(tn, [])
        part = "" if len(xs) == gm_all.get(tn, 0) else f" (of {len(xs)}/{gm_all.get(tn, 0)})"
        if tn == "provtrace":
            ro = gm.get("provtrace:record", [])
            row += [fmt_ratio(geomean(xs), TARGET_GEOMEAN) + part if xs else "–", "",
                    (f"{geomean(ro):.2f}" if ro else "–"), "", ""]
        else:
            row.append((f"{geomean(xs):.2f}" + part) if xs else "–")
    out.append("| " + " | ".join(row) + " |")
    nr = len({r["round"] for r in runs})
    if header.get("provtrace_rev"):
        measured = f"provtrace commit {header['provtrace_rev'][:12]} (built from git)"
    elif header.get("snapshot_of"):
        measured = f"provtrace work tree of commit {header.get('commit', '?')} (snapshot)"
    else:
        measured = f"repo commit {header.get('commit', '?')}"
    meta = (f"\n{nr} counted round(s) + {header.get('warmup', '?')} warm-up, profile {header.get('profile', '?')}, "
            f"{measured}, {header.get('date', '?')}, {header.get('machine', '')}.")
    if has_pt:
        meta += (f"\nTargets (record + ingest): geometric mean ≤ {TARGET_GEOMEAN}, every workload ≤ {TARGET_WORST}; "
                 "✗ marks a miss.")
    # CPU (user + sys of the whole process tree, from wait4): less disturbed by other load than wall time
    cpu = ["", "CPU time (user + sys of the whole process tree, from wait4), median of per-round ratios:", "",
           "| workload | native CPU s | " + " | ".join(f"{t} CPU ×" for t in tracers) + " |",
           "|---|---:|" + "---:|" * len(tracers)]
    cgm: dict[str, list[float]] = {}
    for wn in wnames:
        if wn == "true":
            continue
        nat = by.get((wn, "native"), {})
        ncpu = [x["cpu"] for rs in nat.values() for x in rs if x["ok"]]
        row = [wn, f"{statistics.median(ncpu):.2f}" if ncpu else "–"]
        for tn in tracers:
            rs = []
            for rnd, trs in by.get((wn, tn), {}).items():
                nc = [x["cpu"] for x in nat.get(rnd, []) if x["ok"]]
                if nc and all(x["ok"] for x in trs) and statistics.median(nc) > 0:
                    rs.append(statistics.median(x["cpu"] for x in trs) / statistics.median(nc))
            if rs and header.get("in_geomean", {}).get(wn, True):
                cgm.setdefault(tn, []).append(statistics.median(rs))
            row.append(f"{statistics.median(rs):.2f}" if rs else "–")
        cpu.append("| " + " | ".join(row) + " |")
    cpu.append("| **geometric mean** | | " + " | ".join(f"{geomean(cgm[t]):.2f}" if cgm.get(t) else "–"
                                                   for t in tracers) + " |")
    if has_pt:  # where provtrace's time goes, from its summary JSON
        cpu += ["", "Where provtrace's wall time goes (medians, seconds): `record` = `record_seconds` (command start "
                "to end as the recorder saw it), `ingest` = `ingest_seconds`, `other` = wall − record − ingest "
                "(launcher start-up, log set-up, summary).", "",
                "| workload | native | record | ingest | other | processes | records |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for wn in wnames:
            trs = [x for rs in by.get((wn, "provtrace"), {}).values() for x in rs if x["ok"] and x.get("summary")]
            nat = [x["wall"] for rs in by.get((wn, "native"), {}).values() for x in rs if x["ok"]]
            if not trs or not nat:
                continue
            med = lambda f: statistics.median(f(x) for x in trs)  # noqa: E731
            sm = lambda k: med(lambda x: x["summary"].get(k) or 0)  # noqa: E731
            other = med(lambda x: x["wall"] - (x["summary"].get("record_seconds") or 0)
                        - (x["summary"].get("ingest_seconds") or 0))
            cpu.append(f"| {wn} | {statistics.median(nat):.3f} | {sm('record_seconds'):.3f} | "
                       f"{sm('ingest_seconds'):.3f} | {other:.3f} | {sm('processes'):,.0f} | {sm('records'):,.0f} |")
    loads = [r.get("loadavg1") for r in runs if r.get("loadavg1") is not None]
    if loads:
        meta += (f"\nMachine load when runs started: 1-min load average median {statistics.median(loads):.2f}, "
                 f"max {max(loads):.2f}.")
    return "\n".join(out + [meta] + fixed + (["\nFailures: " + "; ".join(notes) + "."] if notes else [])
                     + (cpu if tracers else []))


def machine_line() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU ({cpu}), {platform.system()} {platform.release()}"


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="run.py", description="provtrace speed benchmark: workloads natively and under tracers, interleaved; "
        "prints overhead ratios to native as a Markdown table (see benchmarks/README.md).")
    ap.add_argument("--data", type=Path, default=Path("/tmp/provtrace-bench"),
                    help="cache dir for generated inputs and scratch outputs (default %(default)s)")
    ap.add_argument("--rounds", type=int, default=None, help="counted rounds (default 5; 1 with --quick)")
    ap.add_argument("--warmup", type=int, default=None, help="warm-up rounds, not counted (default 1; 0 with --quick)")
    ap.add_argument("--only", help="comma-separated workloads: " + ",".join(w.name for w in WORKLOADS))
    ap.add_argument("--skip", help="comma-separated workloads to leave out")
    ap.add_argument("--quick", action="store_true", help="smoke run: small workloads, 1 round, no warm-up")
    ap.add_argument("--tracer", default="provtrace",
                    help="comma-separated configurations besides native: provtrace, strace, strace-seccomp "
                         "(default %(default)s; 'none' = native only)")
    ap.add_argument("--provtrace", metavar="CMD",
                    help="provtrace launcher command, e.g. \"python3 benchmarks/standin_tracer.py\" "
                         "(overrides --rev)")
    ap.add_argument("--rev", default="HEAD",
                    help="which provtrace to measure: a commit of this repo, exported and built under DATA "
                         "(default %(default)s); 'worktree' = a copy of the importable package taken at the start; "
                         "'installed' = the installed console script in place")
    ap.add_argument("--timeout", type=float, default=300.0, help="per-run timeout in seconds (default %(default)s)")
    ap.add_argument("--true-reps", type=int, default=5, help="runs of the /bin/true fixed-cost probe per round")
    ap.add_argument("--results", type=Path, help="JSON-lines results file (default DATA/results/<timestamp>.jsonl)")
    ap.add_argument("--fail-fast", action="store_true", help="stop at the first failed traced run")
    ap.add_argument("--keep-outputs", action="store_true", help="keep the last outputs of every workload")
    ap.add_argument("--keep-stores", action="store_true", help="keep the provtrace stores of the campaign")
    ap.add_argument("--gen-only", action="store_true", help="generate the data and stop")
    ap.add_argument("--list", action="store_true", help="list the workloads and stop")
    ap.add_argument("--report", type=Path, metavar="JSONL", help="print the table of an existing results file and stop")
    args = ap.parse_args(argv)

    if args.list:
        for w in WORKLOADS:
            print(f"{w.name:<10} {w.title}")
        return 0
    if args.report:
        print(report([json.loads(line) for line in args.report.read_text().splitlines() if line.strip()]))
        return 0

    profile = "quick" if args.quick else "full"
    args.rounds = args.rounds if args.rounds is not None else (1 if args.quick else 5)
    args.warmup = args.warmup if args.warmup is not None else (0 if args.quick else 1)
    names = [w.name for w in WORKLOADS]
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
    if args.skip:
        names = [n for n in names if n not in {s.strip() for s in args.skip.split(",")}]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; choose from {[w.name for w in WORKLOADS]}")
    tnames = [] if args.tracer.strip() == "none" else [t.strip() for t in args.tracer.split(",") if t.strip()]
    known = {"provtrace": "provtrace", "strace": "strace", "strace-seccomp": "strace"}
    bad = [t for t in tnames if t not in known]
    if bad:
        ap.error(f"unknown tracer(s) {bad}; choose from {sorted(known)}")
    tracers = [Tracer("native", "native")] + [Tracer(t, known[t]) for t in dict.fromkeys(tnames)]
    if any(t.kind == "strace" for t in tracers) and not shutil.which("strace"):
        ap.error("strace is not installed")

    data = args.data.resolve() / profile
    env = dict(os.environ, LC_ALL="C")
    ctx = Ctx(data=data, work=data / "work", prof=PROFILES[profile], python=os.path.realpath(sys.executable), env=env)
    try:
        facts = ensure_data(ctx, names)
    except BenchError as e:
        log(f"error: generating data: {e}")
        return 2
    if args.gen_only:
        return 0

    snap_info: dict = {}
    if any(t.kind == "provtrace" for t in tracers) and not args.provtrace and args.rev != "installed":
        try:
            if args.rev == "worktree":
                provtrace_cmd, snap_info = snapshot_provtrace(data / "provtrace-snapshot")
            else:
                provtrace_cmd, snap_info = build_provtrace_rev(args.rev, args.data.resolve() / "provtrace-builds")
        except (BenchError, OSError) as e:
            log(f"error: {e}")
            return 2
    else:
        provtrace_cmd = resolve_provtrace(args.provtrace)
    results = args.results or (args.data.resolve() / "results" / f"{_dt.datetime.now():%Y%m%d-%H%M%S}.jsonl")
    results.parent.mkdir(parents=True, exist_ok=True)
    workloads = [BY_NAME[n] for n in names]
    header = dict(type="campaign", date=_dt.datetime.now().isoformat(timespec="seconds"), commit=git_commit(),
                  machine=machine_line(), profile=profile, rounds=args.rounds, warmup=args.warmup,
                  tracers=[t.name for t in tracers], workloads=names, provtrace_cmd=provtrace_cmd, **snap_info,
                  in_geomean={w.name: w.in_geomean for w in workloads}, data=str(data),
                  python=ctx.python, facts={n: {k: v for k, v in facts.get(n, {}).items() if k != "code"}
                                           for n in names})
    results.write_text(json.dumps(header) + "\n")
    log(f"results -> {results}")
    if any(t.kind == "provtrace" for t in tracers):
        log(f"provtrace launcher: {shlex.join(provtrace_cmd)}"
            + (f"  ({snap_info.get('provtrace_rev') or 'snapshot of ' + snap_info.get('snapshot_of', '?')}, "
               f"lib sha256 {str(snap_info.get('lib_sha256'))[:12]})" if snap_info else ""))
    camp = Campaign(args, ctx, facts, workloads, tracers, provtrace_cmd, results)
    status = 0
    try:
        camp.run()
    except BenchError as e:
        log(f"error: {e}")
        status = 2
    except KeyboardInterrupt:
        log("interrupted; reporting what was measured")
        status = 130
    finally:
        if not args.keep_stores:
            rmtree(camp.stores)
    lines = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    print(report(lines))
    print(f"\nraw results: {results}")
    if camp.failures and status == 0:
        log(f"{camp.failures} run(s) failed: see above and {results}")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

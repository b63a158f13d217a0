"""Static, Go and directly-syscalling programs, traced by provtrace-supervisor.

LD_PRELOAD cannot see inside a static or Go executable; ``provtrace record``
hands those to its supervisor (seccomp RET_TRACE + ptrace, same session log).

Fidelity is checked against ``strace -f``.  strace cannot be wrapped around
the recording here (a process has one tracer, and the supervisor must be it),
so each workload runs twice in the same directory: once under strace alone,
once under provtrace.  Processes are paired by their place in the process
tree and their exec argv lists; the comparison itself is the oracle's
(tests/oracle/compare.py): zero unexplained misses, no extras, exact argv.
On top of it: no event is recorded twice (per process, path and operation,
provtrace has exactly as many successful calls as strace for a ptrace-traced
process, and never more for a preloaded one), and the pids provtrace stores
are the real ones (the programs print their own pids).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from oracle import blindspots, compare, provstore, strace
from oracle.runner import STRACE_FLAGS, TRACE_SET, clean_env, provtrace_command

pytestmark = pytest.mark.oracle

PROGRAMS = Path(__file__).resolve().parent / "programs"
REPO = Path(__file__).resolve().parent.parent
# operations compared call by call (successful calls, one row each)
COUNTED = {"open", "stat", "access", "readlink", "unlink", "mkdir", "mknod", "rename", "link", "symlink",
           "truncate", "utime", "chmod", "chown", "chdir", "exec"}


# --- fixtures: the programs -----------------------------------------------------------


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (CI installs it: apt-get install {package})")
    return path


def _is_static(path: str) -> bool:
    return compare.elf_interp(path) is None and open(path, "rb").read(4) == b"\x7fELF"


@pytest.fixture(scope="session")
def busybox() -> str:
    path = os.path.realpath(_require("busybox", "busybox-static"))
    if not _is_static(path):
        pytest.skip(f"{path} is dynamically linked; the static build is needed (apt-get install busybox-static)")
    return path


# Fixtures the native C suite has too: one source each (native/tests).
SHARED_FIXTURES = {"static_uring": REPO / "native" / "tests" / "t_uring.c",
                   "static_noptrace": REPO / "native" / "tests" / "t_noptrace.c"}


@pytest.fixture(scope="session")
def static_bins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The C fixtures: static_atthreads, static_exit, static_uring linked -static; the rest dynamic."""
    _require("gcc", "gcc")
    out = tmp_path_factory.mktemp("static_bins")
    built = {}
    for name, static in (("static_atthreads", True), ("static_exit", True), ("static_uring", True),
                         ("static_rawasm", False), ("static_noptrace", False)):
        exe = out / name
        src = SHARED_FIXTURES.get(name, PROGRAMS / f"{name}.c")
        cmd = ["gcc", "-O1", "-Wall", "-pthread", "-o", str(exe), str(src)]
        proc = subprocess.run(cmd + (["-static"] if static else []), capture_output=True, text=True)
        if proc.returncode != 0:
            if static and "cannot find -lc" in proc.stderr:
                pytest.skip("no static C library (apt-get install libc6-dev)")
            pytest.fail(f"compiling {name}.c failed:\n{proc.stderr}")
        built[name] = exe
    return built


@pytest.fixture(scope="session")
def go_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/programs/static_go built with CGO_ENABLED=0, offline, caches in a tmp dir."""
    go = _require("go", "golang-go")
    src = tmp_path_factory.mktemp("static_go")
    shutil.copy(PROGRAMS / "static_go" / "main.go", src / "main.go")
    (src / "go.mod").write_text("module staticgo\n\ngo 1.19\n")
    env = dict(os.environ, CGO_ENABLED="0", GOCACHE=str(src / "cache"), GOPATH=str(src / "gopath"),
               GOPROXY="off", GOFLAGS="-mod=mod", GOTOOLCHAIN="local", GO111MODULE="on")
    env.pop("LD_PRELOAD", None)
    proc = subprocess.run([go, "build", "-o", "staticgo", "."], cwd=src, env=env, capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"go build failed:\n{proc.stderr}")
    exe = src / "staticgo"
    assert _is_static(str(exe)), "CGO_ENABLED=0 should give a static binary"
    return exe


# --- running a workload twice ---------------------------------------------------------------


def _fresh(work: Path, prepare) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if prepare is not None:
        prepare(work)


def _strace_alone(argv: list[str], work: Path, out: Path, env: dict) -> tuple[strace.Trace, int, bytes]:
    trace_file = out / "strace.txt"
    proc = subprocess.run(["strace", *STRACE_FLAGS, "-o", str(trace_file), "-e", f"trace={TRACE_SET}", *argv],
                          cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    full = strace.read_trace(trace_file, str(work))
    root = min(full.procs.values(), key=lambda p: p.first_line).pid
    return full.restrict(root), root, proc.stdout


def _record(argv: list[str], work: Path, store: Path, env: dict, mode: str = "auto",
            wrap: list[str] | None = None, quiet: bool = True) -> subprocess.CompletedProcess:
    cmd = [*(wrap or []), *provtrace_command(), "record", *(["-q"] if quiet else []), "--store", str(store),
           "--mode", mode, "--", *argv]
    return subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)


_rows = provstore.rows


def _pt_tree(store: Path) -> tuple[int, dict[int | None, list[int]]]:
    rows = _rows(store, "SELECT p.pid, q.pid, p.creation FROM processes p LEFT JOIN processes q "
                        "ON q.id = p.parent_id WHERE p.run_id = (SELECT max(id) FROM runs) "
                        "ORDER BY p.start_ns, p.id")
    children: dict[int | None, list[int]] = {}
    root = None
    for pid, ppid, creation in rows:
        if creation == "root":
            root = pid
        children.setdefault(ppid, []).append(pid)
    assert root is not None, rows
    return root, children


def map_pids(trace: strace.Trace, troot: int, run: provstore.PtRun, store: Path) -> dict[int, int]:
    """strace pid -> provtrace pid, pairing children in creation order by their exec argv lists."""
    proot, pchildren = _pt_tree(store)
    pexecs: dict[int, list] = {}
    for x in run.execs:
        pexecs.setdefault(x.pid, []).append(tuple(x.argv))
    tchildren: dict[int, list[int]] = {}
    for p in sorted(trace.procs.values(), key=lambda p: p.first_line):
        if p.parent is not None:
            tchildren.setdefault(p.parent, []).append(p.pid)
    mapping = {troot: proot}
    todo = [troot]
    while todo:
        t = todo.pop()
        free = list(pchildren.get(mapping[t], []))
        for tc in tchildren.get(t, []):
            sig = [tuple(e.argv) for e in trace.procs[tc].execs]
            match = next((c for c in free if pexecs.get(c, []) == sig), free[0] if free else None)
            if match is None:
                continue
            free.remove(match)
            mapping[tc] = match
            todo.append(tc)
    return mapping


def remap(trace: strace.Trace, m: dict[int, int]) -> strace.Trace:
    def f(pid):
        return None if pid is None else m.get(pid, -pid)  # unpaired: a pid provtrace cannot have

    procs = {f(pid): replace(p, pid=f(pid), parent=f(p.parent)) for pid, p in trace.procs.items()}
    for p in procs.values():
        p.execs = [replace(e, pid=p.pid) for e in p.execs]
    return strace.Trace(procs, [replace(e, pid=f(e.pid)) for e in trace.events],
                        [replace(e, pid=f(e.pid)) for e in trace.execs], [replace(e, pid=f(e.pid)) for e in trace.net],
                        {t: f(p) for t, p in trace.tid_to_pid.items()})


class Both:
    """One workload run under strace alone and under provtrace, compared."""

    def __init__(self, name: str, argv: list[str], tmp_path: Path, prepare=None, mode: str = "auto",
                 env: dict | None = None) -> None:
        self.env = env or clean_env()
        self.work = tmp_path / "work"
        out = tmp_path / "out"
        out.mkdir()
        _fresh(self.work, prepare)
        self.trace, troot, self.strace_stdout = _strace_alone(argv, self.work, out, self.env)
        _fresh(self.work, prepare)
        self.store = out / "store.db"
        self.proc = _record(argv, self.work, self.store, self.env, mode)
        assert self.proc.returncode == 0, self.proc.stderr.decode(errors="replace")
        self.run = provstore.load_run(str(self.store))
        self.mapping = map_pids(self.trace, troot, self.run, self.store)
        self.remapped = remap(self.trace, self.mapping)
        self.cmp = compare.compare(name, self.remapped, self.run, blindspots.Internal(None, frozenset()))
        self.tracer = {x.pid: x.tracer for x in self.run.execs}  # the pid's last image

    def check(self) -> None:
        assert self.cmp.ok, self.cmp.report()
        assert self.cmp.matched > 0
        unpaired = sorted(set(self.trace.procs) - set(self.mapping))
        assert not unpaired, f"strace processes with no provtrace counterpart: {unpaired}\n{self.cmp.report()}"
        self.check_counts()

    def check_counts(self) -> None:
        """No call recorded twice: exact counts for ptrace-traced processes, never more for preloaded ones."""
        want = Counter((e.pid, e.op, e.path, e.path2) for e in self.remapped.events
                       if e.ok and not e.evidence_only and e.op in COUNTED and e.path)
        got = Counter((e.pid, e.op, e.path, e.path2) for e in self.run.events if e.ok and e.op in COUNTED and e.path)
        problems = []
        for key, n in sorted(got.items(), key=str):
            if key in want and n > want[key]:
                problems.append(f"recorded {n}x, strace saw {want[key]}x: {key}")
        ptraced = self.ptraced()
        assert ptraced, "nothing was traced with ptrace"
        for key, n in sorted(want.items(), key=str):
            if key[0] in ptraced and got[key] != n and key[1] != "exec":
                problems.append(f"ptrace-traced: strace saw {n}x, recorded {got[key]}x: {key}")
        assert not problems, "\n".join(problems)

    def ptraced(self) -> set[int]:
        """Processes seen only through ptrace: every image of theirs, or their parent's at fork."""
        images: dict[int, set[str]] = {}
        for x in self.run.execs:
            images.setdefault(x.pid, set()).add(x.tracer)
        out: set[int] = set()
        changed = True
        while changed:
            changed = False
            for pid in self.run.procs:
                if pid in out:
                    continue
                own = images.get(pid)
                if (own == {"ptrace"}) or (own is None and self.run.parents.get(pid) in out):
                    out.add(pid)
                    changed = True
        return out

    def pids(self) -> dict[int, list[list[str]]]:
        """provtrace's processes: real pid -> exec argv lists."""
        out: dict[int, list[list[str]]] = {pid: [] for pid in self.run.procs}
        for x in self.run.execs:
            out[x.pid].append(x.argv)
        return out


# --- fidelity against strace ------------------------------------------------------------


def test_busybox_script_matches_strace(tmp_path: Path, busybox: str, strace_path: str) -> None:
    def prepare(work: Path) -> None:
        shutil.copy(PROGRAMS / "static_script.sh", work / "static_script.sh")

    both = Both("busybox sh script", [busybox, "sh", "static_script.sh"], tmp_path, prepare)
    both.check()
    work = both.work
    assert (work / "status.txt").read_text() == "gone\n" and (work / "from_dynamic.txt").read_text() == "one\n"
    # the shell and its sub-shell: the pids they printed are the pids provtrace stored
    shell, sub = (int(x) for x in (work / "pids.txt").read_text().split())
    pids = both.pids()
    assert pids[shell] == [[busybox, "sh", "static_script.sh"]]
    # the sub-shell runs its last command in place: same pid, second image
    assert pids[sub] == [["busybox", "sh", "-c", "echo $$ >> pids.txt; wc -l copy.txt > count.txt"],
                         ["wc", "-l", "copy.txt"]]
    assert both.tracer[shell] == both.tracer[sub] == "ptrace"
    # the dynamically linked /bin/cat it ran: recorded by the preload library, not twice
    cats = [x for x in both.run.execs if x.argv == ["/bin/cat", "copy.txt"]]
    assert [(x.tracer, x.exe_class) for x in cats] == [("preload", "dynamic")]
    cat_events = Counter((e.op, e.path) for e in both.run.events if e.pid == cats[0].pid and e.ok)
    assert cat_events[("open", str(work / "copy.txt"))] == 1
    assert {("rename", str(work / "bdir/two.txt")), ("unlink", str(work / "bdir/one.txt"))} <= {
        (e.op, e.path) for e in both.run.events if e.ok}


def test_static_c_threads_and_at_calls_match_strace(tmp_path: Path, static_bins: dict, strace_path: str) -> None:
    exe = str(static_bins["static_atthreads"])
    both = Both("static C threads + *at", [exe], tmp_path)
    both.check()
    m = re.search(rb"pid=(\d+) child=(\d+)", both.proc.stdout)
    assert m, both.proc.stdout
    pid, child = int(m.group(1)), int(m.group(2))
    assert int((both.work / "child.txt").read_text()) == child
    pids = both.pids()
    assert pids[pid] == [[exe]] and pids[child] == [[exe, "child"]]
    assert both.tracer[pid] == both.tracer[child] == "ptrace"
    out = both.work / "out"
    seen = {(e.op, e.kind, e.path) for e in both.run.events if e.ok and e.pid == pid}
    for i in range(4):  # one per thread, all under the process's pid
        assert ("rename", "rename", str(out / f"t{i}.txt")) in seen
    assert ("symlink", "create", "r1.txt") in seen or any(e.op == "symlink" for e in both.run.events)
    assert ("open", "create", str(out / "in_out.txt")) in seen  # relative to the fchdir'd directory
    assert ("unlink", "delete", str(out / "r0.txt")) in seen


def test_static_go_program_matches_strace(tmp_path: Path, go_program: Path, strace_path: str) -> None:
    both = Both("static Go", [str(go_program)], tmp_path)
    both.check()
    m = re.search(rb"pid=(\d+) child=(\d+) entries=1", both.proc.stdout)
    assert m, both.proc.stdout
    pid, child = int(m.group(1)), int(m.group(2))
    pids = both.pids()
    assert pids[pid] == [[str(go_program)]]
    assert pids[child] == [["/bin/sh", "-c", "echo sub > gsub.txt"]]
    rows = _rows(both.store, "SELECT x.tracer, x.exe_class FROM execs x JOIN processes p ON p.id = x.process_id "
                             "WHERE p.pid = ?", pid)
    assert rows == [("ptrace", "go")]
    assert both.tracer[child] == "preload"  # the dynamically linked shell it started
    seen = {(e.op, e.path) for e in both.run.events if e.ok}
    work = both.work
    assert ("rename", str(work / "gout/a.txt")) in seen and ("unlink", str(work / "gcopy.txt")) in seen
    assert (work / "gsub.txt").read_text() == "sub\n"


def test_direct_syscalls_match_strace_in_ptrace_mode(tmp_path: Path, static_bins: dict, strace_path: str) -> None:
    exe = str(static_bins["static_rawasm"])
    both = Both("raw syscalls, --mode ptrace", [exe], tmp_path, mode="ptrace")
    both.check()
    assert set(both.tracer.values()) == {"ptrace"}
    created = {e.path for e in both.run.events if e.ok and e.kind == "create"}
    assert {str(both.work / "via_syscall.txt"), str(both.work / "via_asm.txt")} <= created
    # the loader's own opens are seen too: nothing is a blind spot under ptrace
    assert any(e.op == "open" and e.path and "/libc.so" in e.path for e in both.run.events)


def test_inline_asm_syscall_is_invisible_without_ptrace(tmp_path: Path, static_bins: dict) -> None:
    """Why --mode ptrace exists: the asm openat escapes the preload library."""
    work = tmp_path / "w"
    work.mkdir()
    proc = _record([str(static_bins["static_rawasm"])], work, tmp_path / "s.db", clean_env())
    assert proc.returncode == 0, proc.stderr
    opened = {p for (p,) in _rows(tmp_path / "s.db", "SELECT f.path FROM file_events e JOIN files f "
                                                  "ON f.id = e.file_id WHERE e.op = 'open'")}
    assert str(work / "via_syscall.txt") in opened
    assert str(work / "via_asm.txt") not in opened


@pytest.mark.parametrize("lazy", ["1", "0"], ids=["lazy", "seized-at-exec"])
def test_static_programs_run_by_bash_match_strace(tmp_path: Path, busybox: str, static_bins: dict,
                                                  strace_path: str, lazy: str) -> None:
    """Routed execs: a dynamic shell hands each static program to the supervisor.  Lazily (the
    default), a program is seized only at its first call that needs ptrace (the write opens,
    forks and execs of the script, the threads of the C program); a leaf that only reads
    (busybox true, cat) never is.  PROVTRACE_LAZY=0 seizes each at its exec.  The record is
    the same either way, and the same as strace's."""
    exe = str(static_bins["static_atthreads"])

    def prepare(work: Path) -> None:
        shutil.copy(PROGRAMS / "static_script.sh", work / "static_script.sh")
        (work / "in.txt").write_text("data\n")

    script = (f"{busybox} sh static_script.sh; {exe}; {busybox} true; {busybox} cat in.txt; "
              f"{busybox} sleep 5 & sleep 0.5; kill -9 $!; wait $!; echo $? > killed.txt")
    both = Both(f"bash + static programs (PROVTRACE_LAZY={lazy})", ["bash", "-c", script], tmp_path, prepare,
                env=dict(clean_env(), PROVTRACE_LAZY=lazy))
    both.check()
    assert (both.work / "killed.txt").read_text() == "137\n"
    procs = _rows(both.store, "SELECT x.argv, p.exit_code, p.signal, x.tracer, x.exe_class FROM processes p "
                              "JOIN execs x ON x.process_id = p.id")
    by_argv = {tuple(json.loads(a)): (code, sig, tracer, cls) for a, code, sig, tracer, cls in procs}
    assert by_argv[(busybox, "true")] == (0, None, "ptrace", "static")
    assert by_argv[(busybox, "cat", "in.txt")] == (0, None, "ptrace", "static")
    assert by_argv[(busybox, "sleep", "5")] == (None, 9, "ptrace", "static")
    assert by_argv[(exe,)][2:] == ("ptrace", "static")
    reads = {(e.pid, e.path) for e in both.run.events if e.op == "open" and e.ok}
    cat_pid = next(x.pid for x in both.run.execs if x.argv == [busybox, "cat", "in.txt"])
    assert (cat_pid, str(both.work / "in.txt")) in reads


# --- exit statuses, signals, SIGKILL ------------------------------------------------------------


@pytest.mark.parametrize("args, code, sig", [(["exit", "3"], 3, None), (["exit", "0"], 0, None),
                                             (["signal", "15"], 143, 15), (["signal", "6"], 134, 6)])
def test_static_exit_status_and_signal_death_propagate(tmp_path: Path, static_bins: dict, args, code, sig) -> None:
    exe = str(static_bins["static_exit"])
    native = subprocess.run([exe, *args], cwd=tmp_path, capture_output=True)
    proc = _record([exe, *args], tmp_path, tmp_path / "s.db", clean_env())
    assert proc.returncode == code
    assert native.returncode == (code if sig is None else -sig)
    assert _rows(tmp_path / "s.db", "SELECT exit_code, signal FROM runs") == [(code, sig)]
    rows = _rows(tmp_path / "s.db", "SELECT p.exit_code, p.signal, x.tracer FROM processes p "
                                    "JOIN execs x ON x.process_id = p.id")
    assert rows == [(None if sig else code, sig, "ptrace")]
    # and when a dynamic parent ran it, the status it saw is the same
    proc = _record(["/bin/sh", "-c", f"{exe} {' '.join(args)}; echo $?"], tmp_path, tmp_path / "s2.db", clean_env())
    assert proc.stdout.decode().strip() == str(code)


def test_sigkilled_static_program_leaves_a_usable_record(tmp_path: Path, static_bins: dict) -> None:
    exe = str(static_bins["static_exit"])
    store = tmp_path / "s.db"
    proc = _record([exe, "sigkill"], tmp_path, store, clean_env())
    assert proc.returncode == 137
    assert not (tmp_path / "after.txt").exists()
    assert _rows(store, "SELECT exit_code, signal FROM runs") == [(137, 9)]
    assert _rows(store, "SELECT p.signal, x.tracer FROM processes p JOIN execs x ON x.process_id = p.id") == [
        (9, "ptrace")]
    events = _rows(store, "SELECT e.op, e.kind, f.path FROM file_events e JOIN files f ON f.id = e.file_id "
                          "WHERE e.result >= 0")
    assert ("open", "create", str(tmp_path / "before.txt")) in events
    show = subprocess.run([*provtrace_command(), "show", "--store", str(store), "--json", "last"],
                          capture_output=True, text=True)
    assert show.returncode == 0, show.stderr
    written = {f["path"] for f in json.loads(show.stdout)["files"]["written"]}
    assert str(tmp_path / "before.txt") in written


# --- when ptrace is not permitted ------------------------------------------------------------


def test_ptrace_not_permitted_runs_unchanged_and_says_why(tmp_path: Path, static_bins: dict) -> None:
    """A seccomp filter (as a container profile would) makes ptrace fail with EPERM."""
    exe = str(static_bins["static_atthreads"])
    script = f"{exe} > out1.txt; echo first=$?; {static_bins['static_exit']} exit 5; echo second=$?"
    native_dir, rec_dir = tmp_path / "native", tmp_path / "rec"
    native_dir.mkdir()
    rec_dir.mkdir()
    native = subprocess.run(["bash", "-c", script], cwd=native_dir, capture_output=True)
    proc = _record(["bash", "-c", script], rec_dir, tmp_path / "s.db", clean_env(),
                   wrap=[str(static_bins["static_noptrace"])], quiet=False)
    assert (proc.returncode, proc.stdout) == (native.returncode, native.stdout) == (0, b"first=0\nsecond=5\n")
    assert re.sub(rb"\d+", b"N", (rec_dir / "out1.txt").read_bytes()) == re.sub(
        rb"\d+", b"N", (native_dir / "out1.txt").read_bytes())
    rows = _rows(tmp_path / "s.db", "SELECT x.tracer, x.exe_class, f.path FROM execs x JOIN files f ON f.id = x.file_id")
    assert ("untraced", "static", exe) in rows and ("preload", "dynamic", "/usr/bin/bash") in {
        (t, c, os.path.realpath(p)) for t, c, p in rows}
    spots = json.loads(_rows(tmp_path / "s.db", "SELECT blind_spots FROM runs")[0][0])
    why = {s.get("why") for s in spots if s["kind"] == "untraced-exec"}
    assert why == {"ptrace is not permitted here (PTRACE_SEIZE: Operation not permitted)"}
    err = proc.stderr.decode()
    lines = [ln for ln in err.splitlines() if "ptrace is not permitted" in ln]
    assert len(lines) == 1, err  # one line for both static programs
    assert "2 executable(s)" in lines[0] and "Traceback" not in err


def test_static_program_under_another_tracer_runs_unchanged(tmp_path: Path, busybox: str, strace_path: str) -> None:
    """strace -f inside the recording already traces the static program, so the supervisor
    cannot seize it.  A routed exec does not look for another tracer first (reading its own
    /proc status costs about 20 us per exec): the program runs as natively, a leaf program
    (cat) is recorded whole through its seccomp notifications, and a shell, which needs ptrace
    at once (its signal handlers), is named as a blind spot, its filter still answered to the
    end (no hang, no ENOSYS)."""
    (tmp_path / "in.txt").write_text("hello\n")
    script = "echo hi > a.txt; cat a.txt; rm a.txt; echo done"
    proc = _record([strace_path, "-f", "-o", "/dev/null", "bash", "-c",
                    f"{busybox} cat in.txt; {busybox} sh -c '{script}'"], tmp_path, tmp_path / "s.db", clean_env())
    assert (proc.returncode, proc.stdout) == (0, b"hello\nhi\ndone\n"), proc.stderr
    assert not (tmp_path / "a.txt").exists()
    spots = json.loads(_rows(tmp_path / "s.db", "SELECT blind_spots FROM runs")[0][0])
    why = [s.get("why", "") for s in spots if s["kind"] == "untraced-exec"]
    assert why == ["PTRACE_SEIZE failed (Operation not permitted; another tracer?): its calls from then on "
                   "and its children are not recorded"], spots
    read = {p for (p,) in _rows(tmp_path / "s.db", "SELECT f.path FROM file_events e JOIN files f ON "
                                                   "f.id = e.file_id WHERE e.op = 'open' AND "
                                                   "(e.flags & 3) = 0 AND e.result >= 0")}
    assert str(tmp_path / "in.txt") in read, read


def test_static_program_started_below_an_unseizable_one_is_still_traced(tmp_path: Path, busybox: str,
                                                                        static_bins: dict, strace_path: str) -> None:
    """strace (without -f) holds a static shell, so the supervisor cannot seize it; a dynamic
    program the shell starts is not held by anyone, and the static program that one execs
    is seized and recorded, not taken as traced already."""
    exe = static_bins["static_exit"]
    proc = _record([strace_path, "-o", "/dev/null", busybox, "sh", "-c", f"/usr/bin/env {exe} exit 0; echo rc=$?"],
                   tmp_path, tmp_path / "s.db", clean_env())
    assert (proc.returncode, proc.stdout) == (0, b"rc=0\n"), proc.stderr
    rows = _rows(tmp_path / "s.db", "SELECT x.tracer FROM execs x JOIN files f ON f.id = x.file_id "
                                    f"WHERE f.path = '{exe}'")
    assert rows == [("ptrace",)], rows
    written = {p for (p,) in _rows(tmp_path / "s.db", "SELECT f.path FROM file_events e JOIN files f ON "
                                                      "f.id = e.file_id WHERE e.op = 'open' AND (e.flags & 3) != 0")}
    assert str(tmp_path / "before.txt") in written, written


def test_elf_check_kept_for_the_session_is_redone_when_the_file_changes(tmp_path: Path, static_bins: dict) -> None:
    """The exec wrappers keep what the ELF check found in the session (a shell's children
    need not read the same headers again at each exec), keyed by the file's (dev, ino,
    mtime, ctime, size): a program overwritten in place with a static one, even with its old
    mtime put back (cp -p, tar x), is routed to the supervisor."""
    prog = tmp_path / "prog"
    shutil.copy("/usr/bin/true", prog)
    os.utime(prog, (1_000_000_000, 1_000_000_000))
    script = f"{prog}; {prog}; {prog}; cat {static_bins['static_exit']} > {prog}; " \
             f"touch -d @1000000000 {prog}; {prog} exit 4; echo rc=$?"
    proc = _record(["bash", "-c", script], tmp_path, tmp_path / "s.db", clean_env())
    assert (proc.returncode, proc.stdout) == (0, b"rc=4\n"), proc.stderr
    rows = _rows(tmp_path / "s.db", "SELECT x.tracer, x.exe_class FROM execs x JOIN files f ON f.id = x.file_id "
                                    f"WHERE f.path = '{prog}' ORDER BY x.id")
    assert rows == [("preload", "dynamic")] * 3 + [("ptrace", "static")], rows
    assert (tmp_path / "before.txt").read_text() == "before\n"


def test_create_of_another_users_file_in_a_sticky_dir_is_refused_as_natively(tmp_path: Path, busybox: str) -> None:
    """The supervisor opens a file that exists for an O_CREAT open without O_CREAT, which
    skips the kernel's fs.protected_regular check: a file another user owns in a sticky,
    world-writable directory (as in /tmp) must stay refused, as it is natively."""
    knob = Path("/proc/sys/fs/protected_regular")
    if os.geteuid() != 0 or not os.access(knob, os.W_OK):
        pytest.skip("needs root: to set fs.protected_regular and to give a file to another user")
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    theirs = sticky / "theirs"
    theirs.write_text("theirs\n")
    os.chown(theirs, 4321, 4321)
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "link").symlink_to(theirs)  # (the check is of the target's directory)
    # (the first write open makes the supervisor take the later ones itself)
    script = "echo mine > mine; for i in 1 2 3; do echo x >> theirs || echo refused; done; " \
             "echo x >> ../plain/link || echo refused"
    old = knob.read_text()
    try:
        knob.write_text("1\n")
        native = subprocess.run([busybox, "sh", "-c", script], cwd=sticky, env=clean_env(), capture_output=True,
                                timeout=60)
        (sticky / "mine").unlink()
        proc = _record([busybox, "sh", "-c", script], sticky, tmp_path / "s.db", clean_env())
    finally:
        knob.write_text(old)
    assert native.stdout == b"refused\n" * 4, native
    assert (proc.returncode, proc.stdout) == (native.returncode, native.stdout), proc.stderr
    assert theirs.read_text() == "theirs\n"


def test_recorded_command_keeps_its_fd_limit(tmp_path: Path, busybox: str) -> None:
    """The supervisor raises its own fd limit (a listener, a cwd and a socket per traced
    program) only after the command has started with the limit it was given."""
    script = f"ulimit -Sn 256; exec {shlex.join(provtrace_command())} record -q --store {tmp_path / 's.db'} -- " \
             f"{busybox} sh -c 'ulimit -Sn; for f in 1 2 3; do cat /dev/null; done'"
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=clean_env(), capture_output=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, b"256\n"), proc.stderr


def _with_signals_held() -> None:
    """preexec_fn: block SIGWINCH and SIGUSR2, ignore SIGHUP and SIGINT (as perf, nohup or a
    script's background job leave them) before exec."""
    import signal

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGWINCH, signal.SIGUSR2})
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_command_keeps_the_signal_mask_and_ignored_signals_it_was_given(tmp_path: Path, busybox: str) -> None:
    """A caller's blocked or ignored signals reach the command as they would natively, and the
    supervisor does not depend on them: with SIGWINCH (its doorbell) and SIGUSR2 (its wake-up)
    blocked it still takes over calls it must step (the first write open of a static program,
    a routed exec from a preloaded shell), without hanging."""
    script = f"{busybox} grep -E '^Sig(Blk|Ign)' /proc/self/status; echo x > a.txt; " \
             f"bash -c '{busybox} cat a.txt > b.txt; {busybox} cat b.txt'"
    argv = [busybox, "sh", "-c", script]
    native = subprocess.run(argv, cwd=tmp_path, env=clean_env(), capture_output=True, timeout=60,
                            preexec_fn=_with_signals_held)
    assert native.returncode == 0, native.stderr
    (tmp_path / "a.txt").unlink()
    (tmp_path / "b.txt").unlink()
    cmd = [*provtrace_command(), "record", "-q", "--store", str(tmp_path / "s.db"), "--", *argv]
    rec = subprocess.run(cmd, cwd=tmp_path, env=clean_env(), capture_output=True, timeout=60,
                         preexec_fn=_with_signals_held)
    assert (rec.returncode, rec.stdout) == (0, native.stdout), rec.stderr
    assert b"SigBlk:\t0000000008000800" in native.stdout  # (the premise: SIGWINCH and SIGUSR2 held)
    written = {p for (p,) in _rows(tmp_path / "s.db", "SELECT f.path FROM file_events e JOIN files f ON "
                                                      "f.id = e.file_id WHERE e.op = 'open' AND "
                                                      "(e.flags & 3) != 0 AND e.result >= 0")}
    assert {str(tmp_path / "a.txt"), str(tmp_path / "b.txt")} <= written, written


def test_ptrace_mode_without_ptrace_falls_back_to_preload(tmp_path: Path, static_bins: dict) -> None:
    proc = _record(["bash", "-c", "echo hi > f.txt"], tmp_path, tmp_path / "s.db", clean_env(), mode="ptrace",
                   wrap=[str(static_bins["static_noptrace"])], quiet=False)
    assert proc.returncode == 0 and (tmp_path / "f.txt").read_text() == "hi\n"
    err = proc.stderr.decode()
    assert len([ln for ln in err.splitlines() if "ptrace is not permitted" in ln]) == 1, err
    events = _rows(tmp_path / "s.db", "SELECT e.kind, f.path FROM file_events e JOIN files f ON f.id = e.file_id")
    assert ("create", str(tmp_path / "f.txt")) in events  # recorded by the preload library instead


# --- modes and blind spots ------------------------------------------------------------------


def test_preload_mode_never_uses_ptrace(tmp_path: Path, static_bins: dict) -> None:
    exe = str(static_bins["static_exit"])
    proc = _record(["/bin/sh", "-c", f"{exe} exit 0"], tmp_path, tmp_path / "s.db", clean_env(), mode="preload",
                   quiet=False)
    assert proc.returncode == 0
    rows = _rows(tmp_path / "s.db", "SELECT x.tracer FROM execs x JOIN files f ON f.id = x.file_id WHERE f.path = ?",
                 exe)
    assert rows == [("untraced",)]
    assert "not traced in --mode preload" in proc.stderr.decode()


def test_static_root_command_is_traced(tmp_path: Path, static_bins: dict) -> None:
    exe = str(static_bins["static_atthreads"])
    proc = _record([exe], tmp_path, tmp_path / "s.db", clean_env(), quiet=False)
    assert proc.returncode == 0
    m = re.search(rb"pid=(\d+) child=(\d+)", proc.stdout)
    rows = _rows(tmp_path / "s.db", "SELECT p.pid, p.creation, x.tracer FROM processes p "
                                    "JOIN execs x ON x.process_id = p.id ORDER BY p.start_ns")
    assert rows[0] == (int(m.group(1)), "root", "ptrace")
    assert "traced with ptrace by the supervisor" in proc.stderr.decode()


def test_io_uring_is_named_as_a_blind_spot(tmp_path: Path, static_bins: dict) -> None:
    proc = _record([str(static_bins["static_uring"])], tmp_path, tmp_path / "s.db", clean_env(), quiet=False)
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert re.search(r"blind spot: .*static_uring set up io_uring", err), err
    spots = json.loads(_rows(tmp_path / "s.db", "SELECT blind_spots FROM runs")[0][0])
    assert [s["kind"] for s in spots] == ["io_uring"]


def test_lookups_follow_a_program_into_its_chroot(tmp_path: Path, busybox: str) -> None:
    """The supervisor answers stat-like calls itself, but only while the program sees the
    files it sees: inside a chroot, /inside exists and /etc/hostname does not."""
    unshare = _require("unshare", "util-linux")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(busybox, root / "busybox")
    (root / "inside").write_text("x\n")
    if subprocess.run([unshare, "-r", "true"], capture_output=True).returncode != 0:
        pytest.skip("user namespaces are not available here (unshare -r fails)")
    script = "ls /inside; ls /etc/hostname; mkdir /made && rmdir /made; true"
    proc = _record([unshare, "-r", busybox, "chroot", str(root), "/busybox", "sh", "-c", script],
                   tmp_path, tmp_path / "s.db", clean_env())
    assert proc.returncode == 0, proc.stderr
    assert b"/inside" in proc.stdout
    rows = _rows(tmp_path / "s.db", "SELECT f.path, e.result FROM file_events e JOIN files f ON f.id = e.file_id "
                                    "WHERE e.op = 'stat' AND f.path IN ('/inside', '/etc/hostname')")
    results = {path: {r for p, r in rows if p == path} for path in ("/inside", "/etc/hostname")}
    assert results["/inside"] == {0}, rows
    assert results["/etc/hostname"] and 0 not in results["/etc/hostname"], rows
    # calls the supervisor would make itself are left to the kernel inside the chroot
    made = _rows(tmp_path / "s.db", "SELECT e.op, e.result FROM file_events e JOIN files f ON f.id = e.file_id "
                                    "WHERE f.path = '/made' AND e.op IN ('mkdir', 'unlink')")
    assert sorted(made) == [("mkdir", 0), ("unlink", 0)], made
    assert not (root / "made").exists() and not Path("/made").exists()

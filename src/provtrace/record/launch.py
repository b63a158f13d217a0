"""Start the recorded command, forward signals to it, wait for it and its orphans.

Normally the command is started by ``provtrace-supervisor`` (native/supervisor),
which is its parent and child subreaper, the ptrace tracer of the executables
the preload library cannot see into, and reports back on a pipe (the command's
pid, its raw wait status, background processes still running).  Without the
supervisor binary the launcher itself is the subreaper.  Either way the
processes the command leaves behind (a daemonising double fork) are waited
for before the session ends; the command keeps the user's stdin, stdout,
stderr and other open fds; its exit status is passed back unchanged.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

PR_SET_CHILD_SUBREAPER = 36
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


@dataclass
class Finished:
    """How the command ended."""

    pid: int
    status: int  # raw wait status
    start_ns: int
    end_ns: int
    orphans_reaped: int
    orphans_left: int
    ptrace_problem: str | None = None  # why ptrace could not be used (supervisor's word)

    @property
    def exit_code(self) -> int:
        """The shell's view: the exit code, or 128+N for a death by signal N."""
        if os.WIFSIGNALED(self.status):
            return 128 + os.WTERMSIG(self.status)
        return os.WEXITSTATUS(self.status)

    @property
    def signal(self) -> int | None:
        """The signal that killed the command, if one did."""
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else None


def _set_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _terminal_delivers_sigint() -> bool:
    """True when a ^C from the terminal already reaches the command's process group."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def run_supervised(argv: list[str], env: dict[str, str], supervisor: str, log_path: str, mode: str,
                   note=None) -> Finished:
    """Run ``argv`` under ``provtrace-supervisor`` (see the module docstring)."""
    _set_subreaper()  # if the supervisor dies, its orphans still come to us
    start_ns = time.time_ns()
    rfd, wfd = os.pipe()
    os.set_inheritable(wfd, True)
    cmd = [supervisor, "--log", log_path, "--mode", mode, "--status-fd", str(wfd), "--", *argv]
    try:
        proc = subprocess.Popen(cmd, env=env, close_fds=False)
    finally:
        os.close(wfd)
    state = {"pid": None, "status": None, "end_ns": None, "reaped": 0, "left": 0, "problem": None,
             "ended": False}
    from_tty = _terminal_delivers_sigint()

    def forward(signum, _frame):
        if signum in (signal.SIGINT, signal.SIGQUIT) and from_tty:
            return  # the terminal sent it to the whole foreground group (supervisor included)
        try:
            os.kill(proc.pid, signum)
        except ProcessLookupError:
            pass

    previous = {s: signal.signal(s, forward) for s in FORWARDED}
    try:
        with os.fdopen(rfd, "rb", buffering=0) as pipe:
            buf = b""
            while True:
                chunk = pipe.read(4096)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    _status_line(line.decode("utf-8", "replace"), state, note)
        if not (state["ended"] and state["left"]):
            sup_status = proc.wait()
        else:
            sup_status = None  # it keeps serving the processes left running
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    status = state["status"]
    if status is None:  # the supervisor died before the command ended: say how it ended
        if note is not None:
            note("the supervisor ended unexpectedly; the record may be incomplete")
        code = sup_status if sup_status is not None else 70
        status = (-code) & 0x7F if code < 0 else (code & 0xFF) << 8
    return Finished(state["pid"] or proc.pid, status, start_ns, state["end_ns"] or time.time_ns(),
                    state["reaped"], state["left"], state["problem"])


def _status_line(line: str, state: dict, note) -> None:
    word, _, rest = line.partition(" ")
    if word == "pid":
        state["pid"] = int(rest)
    elif word == "status":
        state["status"] = int(rest)
        state["end_ns"] = time.time_ns()
    elif word == "ptrace" and rest.startswith("unavailable"):
        state["problem"] = rest.partition(" ")[2] or "ptrace is not permitted here"
    elif word == "waiting" and note is not None:
        n, *pids = rest.split()
        note(f"waiting for {n} background process(es) the command left running "
             f"(pid {', '.join(pids)}); press Ctrl-C to stop waiting")
    elif word == "end":
        reaped, left = (int(x) for x in rest.split())
        state.update(reaped=reaped, left=left, ended=True)


def run(argv: list[str], env: dict[str, str], note=None) -> Finished:
    """Run ``argv`` with ``env`` (no supervisor); return once it and every orphan it left have ended."""
    _set_subreaper()
    start_ns = time.time_ns()
    proc = subprocess.Popen(argv, env=env, close_fds=False)
    state = {"stop_waiting": False}
    from_tty = _terminal_delivers_sigint()

    def forward(signum, _frame):
        if signum in (signal.SIGINT, signal.SIGQUIT) and from_tty:
            if proc.returncode is not None:
                state["stop_waiting"] = True
            return  # the terminal sent it to the whole foreground group already
        try:
            os.kill(proc.pid, signum)
        except ProcessLookupError:
            state["stop_waiting"] = True

    previous = {s: signal.signal(s, forward) for s in FORWARDED}
    try:
        _, status = os.waitpid(proc.pid, 0)
        proc.returncode = status
        end_ns = time.time_ns()
        reaped, left = _reap_orphans(state, note)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return Finished(proc.pid, status, start_ns, end_ns, reaped, left)


def _children() -> list[int]:
    try:
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _reap_orphans(state: dict, note) -> tuple[int, int]:
    """Wait for processes re-parented to us (we are their subreaper)."""
    reaped = 0
    waited_since = time.monotonic()
    told = False
    delay = 0.002
    while not state["stop_waiting"]:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped, 0
        if pid:
            reaped += 1
            continue
        if not told and time.monotonic() - waited_since > 2.0 and note is not None:
            kids = _children()
            note(f"waiting for {len(kids)} background process(es) the command left running "
                 f"(pid {', '.join(map(str, kids[:5]))}); press Ctrl-C to stop waiting")
            told = True
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    return reaped, len(_children())


def command_problem(argv: list[str], path_env: str | None) -> tuple[int, str] | None:
    """(exit status, message) if ``argv[0]`` cannot be run, as a shell would say; else None."""
    import shutil

    name = argv[0]
    if "/" in name:
        if not os.path.exists(name):
            return 127, f"{name}: No such file or directory"
        if os.path.isdir(name) or not os.access(name, os.X_OK):
            return 126, f"{name}: Permission denied"
        return None
    if shutil.which(name, path=path_env) is None:
        return 127, f"{name}: command not found"
    return None


def eprint(message: str) -> None:
    """One line on stderr, prefixed with the tool's name."""
    sys.stderr.write(f"provtrace: {message}\n")
    sys.stderr.flush()

"""Record a command: session log, launch under the preload library, ingest."""

from __future__ import annotations

import getpass
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import __version__
from ..ingest import IngestResult, RunMeta, ingest_log
from ..store import Store, locate_store, open_store
from .launch import Finished, command_problem, eprint, run, run_supervised
from .machine import machine_info
from .session import Session, SessionError, create_session

ENV_MODES = ("redacted", "full", "none")
# auto: LD_PRELOAD, and ptrace for what it cannot see into (static, Go, non-glibc);
# preload: never ptrace; ptrace: every process through the supervisor.
TRACE_MODES = ("auto", "preload", "ptrace")
SUPERVISOR = "provtrace-supervisor"


class RecordError(Exception):
    """Recording could not start (the command was not run)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class IngestFailed(Exception):
    """The command ran but its log could not be stored; the log was kept."""

    def __init__(self, message: str, finished: Finished, kept: Path) -> None:
        super().__init__(message)
        self.finished = finished
        self.kept = kept


@dataclass
class Recorded:
    """A finished recording: how the command ended and what was stored."""

    finished: Finished
    ingest: IngestResult
    store_path: Path
    record_seconds: float
    mode: str = "auto"

    @property
    def run_id(self) -> int:
        """Id of the new run in the store."""
        return self.ingest.written.run_id

    def summary(self) -> dict:
        """The numbers of the run summary, as a dict (also written by --summary-json)."""
        w = self.ingest.written
        return {
            "run_id": w.run_id, "exit_code": self.finished.exit_code, "processes": w.processes,
            "execs": w.execs, "files_read": w.files_read, "files_written": w.files_written,
            "files_executed": w.files_executed, "libraries": w.libraries, "connections": w.connections,
            "events": w.events, "records": self.ingest.records, "dropped": self.ingest.dropped,
            "torn_bytes": self.ingest.torn_bytes, "bytes_hashed": w.bytes_hashed,
            "files_hashed": w.files_hashed, "blind_spots": self.ingest.blind_spots,
            "record_seconds": self.record_seconds, "ingest_seconds": self.ingest.seconds,
            "orphans_left": self.finished.orphans_left, "store": str(self.store_path),
            "mode": self.mode, "tracers": self.ingest.tracers,
        }


def native_library() -> Path:
    """Path of the preload library shipped in the package (PROVTRACE_LIB overrides)."""
    override = os.environ.get("PROVTRACE_LIB")
    lib = Path(override) if override else Path(__file__).resolve().parent.parent / "_native" / "libprovtrace.so"
    if not lib.is_file():
        raise RecordError(f"the native recorder is missing ({lib}); reinstall provtrace with `pip install .`")
    return lib.absolute()


def native_supervisor(lib: Path) -> Path | None:
    """provtrace-supervisor beside the preload library (PROVTRACE_SUPERVISOR overrides); None if absent."""
    override = os.environ.get("PROVTRACE_SUPERVISOR")
    path = Path(override) if override else lib.parent / SUPERVISOR
    return path.absolute() if path.is_file() and os.access(path, os.X_OK) else None


def _session_env(lib: Path, session: Session) -> dict[str, str]:
    env = dict(os.environ)
    preload = env.get("LD_PRELOAD", "")
    env["LD_PRELOAD"] = f"{lib} {preload}".strip() if str(lib) not in preload else preload
    env["PROVTRACE_SESSION"] = str(session.log_path)
    return env


def record(argv: list[str], store: str | os.PathLike | None = None, label: str | None = None,
           env_mode: str = "redacted", note=eprint, mode: str = "auto") -> Recorded:
    """Run ``argv`` under the recorder and store the run.

    :param store: the store (database file or directory); default: see :func:`locate_store`.
    :param env_mode: ``redacted`` (secret-looking values hidden), ``full`` or ``none``.
    :param mode: ``auto`` (LD_PRELOAD, ptrace for static/Go/non-glibc executables),
        ``preload`` (never ptrace) or ``ptrace`` (every process traced by the supervisor).
    :raises RecordError: before the command ran (bad command, store unusable).
    :raises IngestFailed: after it ran, if the log could not be stored (the log is kept).
    """
    if not argv:
        raise RecordError("no command given (usage: provtrace record -- CMD ARGS...)", 2)
    if env_mode not in ENV_MODES:
        raise RecordError(f"--env must be one of {', '.join(ENV_MODES)}", 2)
    if mode not in TRACE_MODES:
        raise RecordError(f"--mode must be one of {', '.join(TRACE_MODES)}", 2)
    problem = command_problem(argv, os.environ.get("PATH"))
    if problem:
        raise RecordError(problem[1], problem[0])
    store_path = locate_store(store)
    db = open_store(store_path)  # refuses a newer store before anything runs
    try:
        lib = native_library()
        supervisor = native_supervisor(lib)
        if supervisor is None and mode == "ptrace":
            raise RecordError(f"--mode ptrace needs {SUPERVISOR}, which is missing beside {lib}; "
                              "reinstall provtrace with `pip install .`")
        try:
            session = create_session(store_path.parent)
        except SessionError as exc:
            raise RecordError(str(exc)) from None
        cwd = os.getcwd()
        t0 = time.perf_counter()
        try:
            env = _session_env(lib, session)
            if supervisor is not None:
                finished = run_supervised(argv, env, str(supervisor), str(session.log_path), mode, note)
            else:
                note(f"{SUPERVISOR} is missing; static executables will not be traced")
                finished = run(argv, env, note)
        except OSError as exc:
            session.remove()
            raise RecordError(f"{argv[0]}: {exc.strerror}", 126 if exc.errno == 13 else 127) from None
        record_seconds = time.perf_counter() - t0
        meta = RunMeta(argv=list(argv), cwd=cwd, start_ns=finished.start_ns, end_ns=finished.end_ns,
                       exit_code=finished.exit_code, signal=finished.signal, env_mode=env_mode, label=label,
                       username=_user(), root_pid=finished.pid, root_status=finished.status,
                       record_seconds=record_seconds, lib_path=str(lib), provtrace_version=__version__,
                       machine=machine_info(), notes=_notes(mode, finished))
        try:
            result = ingest_log(db, session.log_path, meta)
        except Exception as exc:  # keep the log: nothing recorded may be lost
            (session.directory / "meta.json").write_text(json.dumps(asdict(meta)))
            raise IngestFailed(f"{_describe(exc)}; the session log is kept in {session.directory} "
                               f"(retry: provtrace ingest {session.directory})", finished,
                               session.directory) from None
        session.remove()
        return Recorded(finished, result, store_path, record_seconds, mode)
    finally:
        db.close()


def ingest_kept(directory: str | os.PathLike, store: str | os.PathLike | None = None) -> IngestResult:
    """Ingest a session directory kept after a failed ingest; remove it on success."""
    d = Path(directory)
    meta_file = d / "meta.json"
    if not meta_file.is_file() or not (d / "session.log").is_file():
        raise RecordError(f"{d} is not a kept provtrace session (no meta.json and session.log)")
    meta = RunMeta(**json.loads(meta_file.read_text()))
    with open_store(locate_store(store)) as db:
        result = ingest_log(db, d / "session.log", meta)
    import shutil

    shutil.rmtree(d, ignore_errors=True)
    return result


def _notes(mode: str, finished: Finished) -> list[dict]:
    """Blind spots the launcher knows of (the log cannot say them)."""
    if mode == "ptrace" and finished.ptrace_problem:
        return [{"kind": "ptrace-unavailable", "detail": f"{finished.ptrace_problem}: "
                 "--mode ptrace fell back to the preload library"}]
    return []


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"storing the run failed: {exc.strerror}"
    return f"storing the run failed: {exc}"


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


__all__ = ["IngestFailed", "RecordError", "Recorded", "ENV_MODES", "TRACE_MODES", "native_library",
           "native_supervisor", "record", "ingest_kept", "Store"]

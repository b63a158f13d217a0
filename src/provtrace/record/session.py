"""The session log file: where it lives and how it starts (its header)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..ingest import logformat as lf

DEFAULT_CAP = 4 << 30  # 4 GiB virtual, sparse: only written pages use memory
MIN_CAP = 16 << 20  # below this, try the next location


class SessionError(Exception):
    """The session log could not be created."""


@dataclass
class Session:
    """A session directory on tmpfs holding the shared log."""

    directory: Path
    log_path: Path

    def remove(self) -> None:
        """Delete the session directory and its log."""
        shutil.rmtree(self.directory, ignore_errors=True)


def _tmpfs_candidates(fallback: Path | None) -> list[Path]:
    out = []
    for var in ("PROVTRACE_LOG_DIR", "XDG_RUNTIME_DIR"):
        if os.environ.get(var):
            out.append(Path(os.environ[var]))
    out.append(Path("/dev/shm"))
    if fallback is not None:
        out.append(fallback)
    out.append(Path(tempfile.gettempdir()))
    return out


def create_session(fallback_dir: Path | None = None, cap: int | None = None) -> Session:
    """Create the session log (header + sparse data area) on the first usable tmpfs."""
    wanted = cap or int(os.environ.get("PROVTRACE_LOG_SIZE", DEFAULT_CAP))
    errors = []
    for base in _tmpfs_candidates(fallback_dir):
        # Pages of the sparse log are allocated as processes write them; past the
        # file system's free space that would be SIGBUS in the traced program.  Cap
        # the log at half the free space so a full log means counted drops instead.
        try:
            vfs = os.statvfs(base)
        except OSError as exc:
            errors.append(f"{base}: {exc.strerror}")
            continue
        cap = min(wanted, vfs.f_bavail * vfs.f_frsize // 2)
        cap -= cap % lf.CHUNK_SIZE
        if cap < min(MIN_CAP, wanted):
            errors.append(f"{base}: not enough free space")
            continue
        cap = max(cap, lf.HEADER_SIZE + lf.CHUNK_SIZE)
        try:
            d = Path(tempfile.mkdtemp(prefix="provtrace-", dir=base))
        except OSError as exc:
            errors.append(f"{base}: {exc.strerror}")
            continue
        log = d / "session.log"
        try:
            fd = os.open(log, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                mono, real = time.monotonic_ns(), time.time_ns()
                header = lf.HEADER.pack(lf.LOG_MAGIC, lf.LOG_VERSION, lf.HEADER_SIZE, lf.CHUNK_SIZE, 0, cap,
                                        0, 0, 0, mono, real, os.getpid(), 0)
                os.write(fd, header)
                os.ftruncate(fd, cap)
            finally:
                os.close(fd)
        except OSError as exc:
            errors.append(f"{base}: {exc.strerror}")
            shutil.rmtree(d, ignore_errors=True)
            continue
        return Session(d, log)
    raise SessionError("cannot create a session log (" + "; ".join(errors) + ")")

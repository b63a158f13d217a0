"""Writing an export where the user asked, with one clear error when that cannot be done."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import IO

from .errors import MissingDependencyError, OutputPathError


def check_writable_file(path: str | os.PathLike) -> Path:
    """Fail early (before any work) if a file cannot be created or replaced at ``path``.

    :raises OutputPathError: the directory is missing or not writable, or the path is a directory.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise OutputPathError(f"cannot write {p}: it is a directory")
    parent = _check_parent(p, f"cannot write {p}")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise OutputPathError(f"cannot write {p}: permission denied")
    return p


def check_new_directory(path: str | os.PathLike) -> Path:
    """Fail early if ``path`` cannot become a new (or empty) directory.

    :raises OutputPathError: it is a file, a non-empty directory, or its parent is missing / read-only.
    """
    p = Path(path).expanduser()
    if p.exists():
        if not p.is_dir():
            raise OutputPathError(f"cannot write the crate to {p}: it exists and is not a directory")
        if any(p.iterdir()):
            raise OutputPathError(f"cannot write the crate to {p}: the directory is not empty")
        if not os.access(p, os.W_OK | os.X_OK):
            raise OutputPathError(f"cannot write the crate to {p}: permission denied")
        return p
    parent = _check_parent(p, f"cannot write the crate to {p}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write the crate to {p}: permission denied")
    return p


def _check_parent(p: Path, what: str) -> Path:
    parent = p.parent
    if not parent.is_dir():
        if parent.exists():
            raise OutputPathError(f"{what}: {parent} is not a directory")
        raise OutputPathError(f"{what}: directory {parent} does not exist")
    return parent


def output_error(p: str | os.PathLike, exc: OSError, what: str = "write") -> OutputPathError:
    """An OutputPathError for an OSError met while writing ``p``."""
    reason = "no space left on the device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return OutputPathError(f"cannot {what} {p}: {reason}")


def write_text(text: str, out: str | os.PathLike | IO[str] | None) -> None:
    """Write ``text`` to a path (atomically replaced), an open text stream, or stdout (``None``).

    :raises OutputPathError: the path cannot be written.
    """
    if out is None:
        sys.stdout.write(text)
        return
    if hasattr(out, "write"):
        out.write(text)  # type: ignore[union-attr]
        return
    p = check_writable_file(out)  # type: ignore[arg-type]
    if p.exists() and not p.is_file():  # a device, a fifo, /dev/stdout: write through, never replace it
        try:
            with open(p, "w") as fh:
                fh.write(text)
        except OSError as exc:
            raise output_error(p, exc) from None
        return
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")  # replaced atomically: no half-written export
    try:
        tmp.write_text(text)
        os.replace(tmp, p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise output_error(p, exc) from None


def require(module: str, package: str, what: str) -> None:
    """Import check with an install hint.

    :raises MissingDependencyError: ``module`` cannot be imported.
    """
    try:
        __import__(module)
    except ImportError:
        raise MissingDependencyError(f"{what} needs the Python package {package!r} "
                                     f"(pip install {package})") from None

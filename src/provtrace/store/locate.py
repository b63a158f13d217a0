"""Where the store lives: --store > $PROVTRACE_STORE > nearest .provtrace/ > XDG data dir."""

from __future__ import annotations

import os
from pathlib import Path

STORE_DIRNAME = ".provtrace"
DB_NAME = "provtrace.db"


def _db_in(path: Path) -> Path:
    """A store given as a directory holds its database as ``provtrace.db``."""
    if path.is_dir() or str(path).endswith(os.sep):
        return path / DB_NAME
    return path


def locate_store(explicit: str | os.PathLike | None = None, cwd: str | os.PathLike | None = None) -> Path:
    """Return the database path of the store to use.

    :param explicit: the ``--store`` value (a database file or a directory).
    :param cwd: where to start looking for a ``.provtrace/`` directory.
    """
    if explicit:
        return _db_in(Path(explicit).expanduser()).absolute()
    env = os.environ.get("PROVTRACE_STORE")
    if env:
        return _db_in(Path(env).expanduser()).absolute()
    here = Path(cwd or os.getcwd()).absolute()
    for d in (here, *here.parents):
        candidate = d / STORE_DIRNAME
        if candidate.is_dir():
            return candidate / DB_NAME
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "provtrace" / DB_NAME


def init_store_dir(directory: str | os.PathLike | None = None) -> Path:
    """Create ``.provtrace/`` in ``directory`` (default: the cwd); return its database path."""
    d = Path(directory or os.getcwd()).absolute() / STORE_DIRNAME
    d.mkdir(exist_ok=True)
    return d / DB_NAME

"""What a path is for provenance: a system file, a configuration file, a script.

These rules are shared by lineage, the graph, classification, diff and status so
that "system files hidden by default" means the same thing everywhere.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

# Shared libraries, the loader's cache, locale data, kernel interfaces, interpreter stdlibs.
SYSTEM_PREFIXES = (
    "/proc/", "/sys/", "/dev/", "/run/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/usr/lib/",
    "/usr/lib32/", "/usr/lib64/", "/usr/libexec/", "/usr/share/", "/usr/include/", "/usr/local/lib/",
    "/usr/local/share/", "/usr/local/include/", "/var/lib/", "/var/cache/", "/etc/", "/nix/store/",
    "/gnu/store/", "/opt/conda/pkgs/",
)
SYSTEM_EXACT = frozenset({"/proc", "/sys", "/dev", "/etc"})
_SYSTEM_RE = re.compile(
    r"\.so(\.\d+)*$"                                   # shared objects
    r"|/__pycache__/|\.py[co]$"                        # byte-compiled modules
    r"|/(site|dist)-packages/|/lib/python\d[\d.]*/"    # Python stdlib and installed packages
    r"|/lib/(perl5?|R|ruby|node_modules|julia)/|/node_modules/"
    r"|/\.pyenv/versions/[^/]+/lib/|/\.rbenv/versions/[^/]+/lib/|/\.nvm/versions/"
    r"|/pyvenv\.cfg$"                                  # a virtualenv's interpreter configuration
)
CONFIG_SUFFIXES = (".conf", ".cfg", ".toml", ".yaml", ".yml", ".ini", ".rc", ".properties", ".env")
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox", "fish", "yash", "tcsh", "csh"})
_INTERPRETER_RE = re.compile(
    r"^(python|pypy|perl|ruby|node|nodejs|Rscript|R|julia|lua|luajit|php|tclsh|wish|guile|Rscript|"
    r"octave|bash|sh|dash|zsh|ksh|mksh|ash|fish|tcsh|csh)[\d.]*$")


@lru_cache(maxsize=1 << 16)
def is_system(path: str) -> bool:
    """True for files a user does not think of as part of the computation.

    Shared libraries, interpreter modules, locale and zone data, ``/etc``,
    ``/proc``, ``/sys``, ``/dev``.  Hidden by ``why`` and ``graph`` unless ``--system``.
    """
    return path in SYSTEM_EXACT or path.startswith(SYSTEM_PREFIXES) or _SYSTEM_RE.search(path) is not None


@lru_cache(maxsize=1 << 16)
def is_config(path: str) -> bool:
    """True for configuration: under /etc, a dotfile or dot-directory, or *.conf/*.toml/*.yaml/*.ini..."""
    if path.startswith("/etc/"):
        return True
    name = os.path.basename(path)
    if name.lower().endswith(CONFIG_SUFFIXES):
        return True
    parts = path.split("/")[1:]
    return any(p.startswith(".") and p not in (".", "..") for p in parts)


def is_shell(exe_path: str | None) -> bool:
    """True when the executable is a POSIX-like shell (whose children may be joined by pipes)."""
    return bool(exe_path) and os.path.basename(exe_path) in SHELLS  # type: ignore[arg-type]


def is_interpreter(exe_path: str | None) -> bool:
    """True when the executable runs a script named first on its command line (python, bash, Rscript...).

    Not awk or make: their first operand is a program text or a target, not a file.
    """
    return bool(exe_path) and _INTERPRETER_RE.match(os.path.basename(exe_path)) is not None  # type: ignore[arg-type]


def resolve(cwd: str | None, arg: str) -> str:
    """An argv element as an absolute normalised path (relative to the exec's cwd)."""
    return os.path.normpath(arg if os.path.isabs(arg) or not cwd else os.path.join(cwd, arg))

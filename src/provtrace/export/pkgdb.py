"""Package databases read directly: dpkg's, Python distributions' RECORD files, conda-meta.

Nothing here runs ``dpkg -S`` or pip: every answer comes from reading the files
the package managers keep, once per export, so attributing 100,000 paths costs one
pass over ``/var/lib/dpkg/info/*.list`` and one read of each RECORD involved.

Example::

    owners = DpkgDB().owners({"/usr/bin/python3.11"})   # {'/usr/bin/python3.11': {'python3.11-minimal'}}
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

_MERGED = ("/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/")


_REAL_DIRS: dict[str, str] = {}


def _realpath(path: str) -> str:
    """os.path.realpath, with the directory part resolved once per directory (10^5 paths share few)."""
    head, tail = os.path.split(path)
    real_dir = _REAL_DIRS.get(head)
    if real_dir is None:
        real_dir = _REAL_DIRS[head] = os.path.realpath(head)
    full = os.path.join(real_dir, tail)
    return os.path.realpath(full) if os.path.islink(full) else full


def path_variants(path: str) -> set[str]:
    """Spellings under which a package may list ``path``: itself, its real path, and both
    sides of the merged-/usr split (``/lib/x`` and ``/usr/lib/x``)."""
    forms = {path}
    try:
        forms.add(_realpath(path))
    except (OSError, ValueError):
        pass
    for p in tuple(forms):  # a copy: the loop adds to the set
        if p.startswith("/usr/") and p[4:].startswith(_MERGED):
            forms.add(p[4:])
        elif p.startswith(_MERGED):
            forms.add("/usr" + p)
    return forms


# --- Debian ------------------------------------------------------------------------


@dataclass(frozen=True)
class DebPackage:
    """An installed Debian package, as dpkg's status file lists it."""

    name: str
    version: str
    architecture: str
    multi_arch: str = ""
    source: str = ""


class DpkgDB:
    """dpkg's database under ``admindir`` (default ``/var/lib/dpkg``), read without running dpkg."""

    def __init__(self, admindir: str | os.PathLike = "/var/lib/dpkg") -> None:
        self.admindir = Path(admindir)
        self._status: dict[str, DebPackage] | None = None

    @property
    def present(self) -> bool:
        """Whether this machine has a dpkg database at all."""
        return (self.admindir / "status").is_file()

    def status(self) -> dict[str, DebPackage]:
        """Installed packages by name and by ``name:arch``."""
        if self._status is not None:
            return self._status
        out: dict[str, DebPackage] = {}
        path = self.admindir / "status"
        if path.is_file():
            text = path.read_text(errors="replace")
            for stanza in text.split("\n\n"):
                fields = _stanza(stanza)
                if not fields.get("Package") or "installed" not in fields.get("Status", "").split()[-1:]:
                    continue
                pkg = DebPackage(fields["Package"], fields.get("Version", ""), fields.get("Architecture", ""),
                                 fields.get("Multi-Arch", ""), fields.get("Source", "").split(" ")[0])
                out[f"{pkg.name}:{pkg.architecture}"] = pkg
                out.setdefault(pkg.name, pkg)
        self._status = out
        return out

    def package(self, list_name: str) -> DebPackage | None:
        """The status entry of a ``info/<list_name>.list`` file (``bash`` or ``libc6:amd64``)."""
        return self.status().get(list_name)

    def owners(self, paths: Iterable[str]) -> dict[str, set[str]]:
        """For each path some package lists (under any of :func:`path_variants`), the list names owning it."""
        wanted: dict[str, set[str]] = {}
        for p in paths:
            for form in path_variants(p):
                wanted.setdefault(form, set()).add(p)
        found: dict[str, set[str]] = {}
        info = self.admindir / "info"
        if not info.is_dir():
            return found
        for entry in os.scandir(info):
            if not entry.name.endswith(".list"):
                continue
            name = entry.name[:-5]
            try:
                with open(entry.path, encoding="utf-8", errors="surrogateescape") as fh:
                    for line in fh:
                        hits = wanted.get(line.rstrip("\n"))
                        if hits:
                            for p in hits:
                                found.setdefault(p, set()).add(name)
            except OSError:
                continue
        return found


def _stanza(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):
            continue  # continuation lines (Description, Conffiles) are not needed
        key, sep, value = line.partition(":")
        if sep:
            fields[key] = value.strip()
    return fields


# --- Python distributions ------------------------------------------------------------


@dataclass
class PyDist:
    """An installed Python distribution (a ``*.dist-info`` or ``*.egg-info`` directory)."""

    name: str
    version: str
    location: str  # the directory holding the dist-info (site-packages)
    meta_dir: str
    installer: str = ""
    editable: bool = False
    files: set[str] = field(default_factory=set, repr=False)


_PYC = re.compile(r"^(?P<dir>.*)/__pycache__/(?P<mod>[^/.]+)\.[^/]+\.pyc$")


class PythonDists:
    """Python distributions of every site directory the given paths live in."""

    def __init__(self) -> None:
        self.by_path: dict[str, PyDist] = {}
        self.scanned: set[str] = set()

    @staticmethod
    def site_dirs(path: str) -> list[str]:
        """Directories on a path that can hold dist-info: ``site-packages``, ``dist-packages``, or the parent
        of a ``*.dist-info`` / ``*.egg-info`` component."""
        parts = path.split("/")
        out = []
        for i, part in enumerate(parts[:-1]):
            if part in ("site-packages", "dist-packages"):
                out.append("/".join(parts[: i + 1]))
            elif part.endswith((".dist-info", ".egg-info")) and i > 0:
                out.append("/".join(parts[:i]))
        return out

    def scan(self, site: str) -> None:
        """Read every distribution's file list in one site directory (once)."""
        if site in self.scanned:
            return
        self.scanned.add(site)
        try:
            entries = list(os.scandir(site))
        except OSError:
            return
        for entry in entries:
            if entry.name.endswith(".dist-info") and entry.is_dir():
                self._dist_info(site, entry.path)
            elif entry.name.endswith(".egg-info") and entry.is_dir():
                self._egg_info(site, entry.path)

    def _meta(self, meta_dir: str, site: str, filename: str) -> PyDist | None:
        name = version = ""
        try:
            with open(os.path.join(meta_dir, filename), encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if not line.strip():
                        break
                    if line.startswith("Name:"):
                        name = line[5:].strip()
                    elif line.startswith("Version:"):
                        version = line[8:].strip()
        except OSError:
            stem = os.path.basename(meta_dir).rsplit(".", 1)[0]
            name, _, version = stem.partition("-")
        if not name:
            return None
        installer = ""
        try:
            installer = Path(meta_dir, "INSTALLER").read_text().strip()
        except OSError:
            pass
        editable = False
        try:
            direct = json.loads(Path(meta_dir, "direct_url.json").read_text())
            editable = bool(direct.get("dir_info", {}).get("editable"))
        except (OSError, ValueError, AttributeError):
            pass
        return PyDist(name, version, site, meta_dir, installer, editable)

    def _add(self, dist: PyDist, path: str) -> None:
        path = os.path.normpath(path)
        dist.files.add(path)
        self.by_path.setdefault(path, dist)

    def _dist_info(self, site: str, meta_dir: str) -> None:
        dist = self._meta(meta_dir, site, "METADATA")
        if dist is None:
            return
        try:
            with open(os.path.join(meta_dir, "RECORD"), newline="", encoding="utf-8", errors="replace") as fh:
                for row in csv.reader(fh):
                    if row and row[0]:
                        self._add(dist, os.path.join(site, row[0]))
        except OSError:
            pass
        for name in os.listdir(meta_dir):
            self._add(dist, os.path.join(meta_dir, name))

    def _egg_info(self, site: str, meta_dir: str) -> None:
        dist = self._meta(meta_dir, site, "PKG-INFO")
        if dist is None:
            return
        listed = os.path.join(meta_dir, "installed-files.txt")
        if os.path.isfile(listed):
            with open(listed, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if line.strip():
                        self._add(dist, os.path.join(meta_dir, line.strip()))
        else:  # no file list (distutils, Debian): the top-level packages it declares
            try:
                tops = Path(meta_dir, "top_level.txt").read_text().split()
            except OSError:
                tops = []
            for top in tops:
                base = os.path.join(site, top)
                if os.path.isdir(base):
                    for root, _dirs, files in os.walk(base):
                        for f in files:
                            self._add(dist, os.path.join(root, f))
                for ext in (".py",):
                    if os.path.isfile(base + ext):
                        self._add(dist, base + ext)
        for name in os.listdir(meta_dir):
            self._add(dist, os.path.join(meta_dir, name))

    def owner(self, path: str) -> PyDist | None:
        """The distribution that installed ``path`` (a compiled ``.pyc`` counts for its ``.py``)."""
        for site in self.site_dirs(path):
            self.scan(site)
        path = os.path.normpath(path)
        dist = self.by_path.get(path)
        if dist is None:
            m = _PYC.match(path)
            if m:
                dist = self.by_path.get(f"{m['dir']}/{m['mod']}.py")
        return dist


# --- conda ---------------------------------------------------------------------------------


@dataclass
class CondaPackage:
    """A package of a conda environment (``conda-meta/<name>-<version>-<build>.json``)."""

    name: str
    version: str
    build: str
    channel: str
    prefix: str


class CondaEnvs:
    """conda environments found above the given paths (a directory holding ``conda-meta/``)."""

    def __init__(self) -> None:
        self.by_path: dict[str, CondaPackage] = {}
        self._checked: dict[str, bool] = {}

    def _prefix_of(self, path: str) -> str | None:
        d = os.path.dirname(path)
        seen = []
        while d and d != "/":
            if d in self._checked:
                if self._checked[d]:
                    return d
                break
            seen.append(d)
            if os.path.isdir(os.path.join(d, "conda-meta")):
                self._checked[d] = True
                self._load(d)
                return d
            d = os.path.dirname(d)
        for s in seen:
            self._checked[s] = False
        return None

    def _load(self, prefix: str) -> None:
        meta = os.path.join(prefix, "conda-meta")
        for name in os.listdir(meta):
            if not name.endswith(".json"):
                continue
            try:
                data = json.loads(Path(meta, name).read_text())
            except (OSError, ValueError):
                continue
            pkg = CondaPackage(str(data.get("name", "")), str(data.get("version", "")), str(data.get("build", "")),
                               str(data.get("channel", "")), prefix)
            for rel in data.get("files", []):
                self.by_path[os.path.normpath(os.path.join(prefix, rel))] = pkg

    def owner(self, path: str) -> CondaPackage | None:
        """The conda package that installed ``path``, if it lies in a conda environment."""
        if self._prefix_of(path) is None:
            return None
        return self.by_path.get(os.path.normpath(path))

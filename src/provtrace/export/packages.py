"""Packages export: which installed packages a run used, from the files it opened.

Every path a run read, mapped, executed or wrote (failed opens aside; /proc, /sys and
/dev left out) is attributed to the packages that installed it:

* Debian packages — owner from ``/var/lib/dpkg/info/*.list``, version from
  ``/var/lib/dpkg/status``, read directly (see :class:`provtrace.export.pkgdb.DpkgDB`);
  a path matches under its recorded spelling, its real path and both sides of merged /usr;
* Python distributions — from the ``*.dist-info/RECORD`` of every site directory the
  run's files live in (so every environment its interpreters used, venvs included);
* conda packages — from ``conda-meta/*.json`` of any conda environment involved.

Files no package installed are listed apart: the user's own files, and other system
files (generated caches such as /etc/ld.so.cache).  The package databases are read
when the export runs, so it describes this machine's packages now: export on the
machine that recorded the run.

Formats: ``yaml`` (default), ``json``, ``requirements`` (pins for pip, Debian-managed
distributions left out) and ``apt`` (one ``apt-get install pkg=version ...`` line).

Example::

    with open_store("provtrace.db", readonly=True) as store:
        write_packages(store, ["last"], "requirements.txt", fmt="requirements")
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from .. import __version__
from ..store import Store
from .errors import ExportError
from .output import check_writable_file, require, write_text
from .pkgdb import CondaEnvs, DpkgDB, PythonDists
from .runinfo import RunInfo, load_runs, path_class

FORMATS = ("yaml", "json", "requirements", "apt")
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".txt": "requirements", ".sh": "apt"}


@dataclass
class PackageReport:
    """The packages (and unpackaged files) some runs used."""

    runs: list[dict]
    debian: list[dict] = field(default_factory=list)
    python: list[dict] = field(default_factory=list)
    conda: list[dict] = field(default_factory=list)
    user_files: list[str] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)
    native_arch: str = ""

    def as_dict(self) -> dict:
        """Plain data, as written by the ``yaml`` and ``json`` formats."""
        return {"provtrace": __version__, "runs": self.runs, "debian": self.debian, "python": self.python,
                "conda": self.conda, "unpackaged": {"user": self.user_files, "system": self.other_files}}


def used_paths(run: RunInfo) -> set[str]:
    """Every path the run opened, mapped, executed or wrote (not /proc, /sys, /dev)."""
    paths = {a.path for a in run.accesses if a.kind != "delete"}
    paths |= {a.image.path for a in run.actors if a.image is not None and a.image.path}
    return {p for p in paths if path_class(p) != "pseudo"}


def collect_packages(runs: Iterable[RunInfo], dpkg_admindir: str | os.PathLike = "/var/lib/dpkg") -> PackageReport:
    """Attribute the files ``runs`` used to Debian, Python and conda packages.

    :param dpkg_admindir: dpkg's database directory (tests point it elsewhere).

    Example::

        report = collect_packages([load_run(store, 3)])
        print([d["name"] for d in report.python])
    """
    runs = list(runs)
    paths: set[str] = set()
    for run in runs:
        paths |= used_paths(run)
    report = PackageReport(runs=[{"id": r.id, "argv": r.run["argv"]} for r in runs])

    pydists = PythonDists()
    py_owner = {p: d for p in paths if (d := pydists.owner(p)) is not None}
    conda = CondaEnvs()
    conda_owner = {p: c for p in paths if (c := conda.owner(p)) is not None}
    dpkg = DpkgDB(dpkg_admindir)
    metadata = {os.path.join(d.meta_dir, "METADATA" if d.meta_dir.endswith(".dist-info") else "PKG-INFO"): d
                for d in py_owner.values()}
    # Byte-code caches are written at install time (Debian's py3compile), so no package lists
    # them: a __pycache__/x.cpython-311.pyc belongs to whoever installed x.py.
    sources = {p: s for p in paths if (s := _pyc_source(p))}
    deb_owner = dpkg.owners(paths | set(metadata) | set(sources.values())) if dpkg.present else {}
    for pyc, src in sources.items():
        if pyc not in deb_owner and src in deb_owner:
            deb_owner[pyc] = deb_owner[src]
    status = dpkg.status() if dpkg.present else {}
    native = status.get("dpkg")
    report.native_arch = native.architecture if native else ""

    debs: dict[str, dict] = {}
    for path in sorted(paths):
        for list_name in sorted(deb_owner.get(path, ())):
            pkg = status.get(list_name)
            if pkg is None:
                continue
            entry = debs.setdefault(list_name, {"name": pkg.name, "version": pkg.version,
                                                "architecture": pkg.architecture, "files": []})
            entry["files"].append(path)
    report.debian = [debs[k] for k in sorted(debs)]

    deb_managed = {id(d): sorted(deb_owner[m]) for m, d in metadata.items() if m in deb_owner}
    dists: dict[int, dict] = {}
    for path in sorted(py_owner):
        d = py_owner[path]
        entry = dists.setdefault(id(d), {"name": d.name, "version": d.version, "installer": d.installer or None,
                                         "location": d.location, "editable": d.editable,
                                         "debian_package": next(iter(deb_managed.get(id(d), ())), None),
                                         "files": []})
        entry["files"].append(path)
    report.python = sorted(dists.values(), key=lambda e: (e["name"].lower(), e["location"]))

    cpk: dict[tuple, dict] = {}
    for path in sorted(conda_owner):
        c = conda_owner[path]
        entry = cpk.setdefault((c.prefix, c.name), {"name": c.name, "version": c.version, "build": c.build,
                                                    "channel": c.channel, "prefix": c.prefix, "files": []})
        entry["files"].append(path)
    report.conda = [cpk[k] for k in sorted(cpk)]

    for path in sorted(paths):
        if path in deb_owner or path in py_owner or path in conda_owner:
            continue
        (report.user_files if path_class(path) == "user" else report.other_files).append(path)
    return report


def _pyc_source(path: str) -> str | None:
    head, name = os.path.split(path)
    if not name.endswith(".pyc") or os.path.basename(head) != "__pycache__":
        return None
    return os.path.join(os.path.dirname(head), name.split(".", 1)[0] + ".py")


def requirements_txt(report: PackageReport) -> str:
    """Pins (``name==version``) of the Python distributions used that pip manages."""
    lines = ["# Python distributions used by provtrace "
             + ", ".join(f"run {r['id']} ({shlex.join(r['argv'])})" for r in report.runs)]
    seen: set[str] = set()
    for d in report.python:
        if d["debian_package"] or (d["installer"] or "").lower() in ("debian", "dpkg", "conda"):
            lines.append(f"# {d['name']}=={d['version']}  (installed by {d['debian_package'] or d['installer']})")
            continue
        if d["editable"]:
            lines.append(f"# {d['name']}=={d['version']}  (editable install in {d['location']})")
            continue
        key = d["name"].lower()
        if key not in seen:
            seen.add(key)
            lines.append(f"{d['name']}=={d['version']}")
    return "\n".join(lines) + "\n"


def apt_line(report: PackageReport) -> str:
    """``apt-get install pkg=version ...`` for the Debian packages used (foreign architectures qualified)."""
    pins = []
    for d in report.debian:
        name = d["name"]
        if report.native_arch and d["architecture"] not in ("all", report.native_arch):
            name = f"{name}:{d['architecture']}"
        pins.append(shlex.quote(f"{name}={d['version']}"))
    if not pins:
        return "# no Debian package was used\n"
    return "apt-get install " + " ".join(pins) + "\n"


def render_packages(report: PackageReport, fmt: str = "yaml") -> str:
    """The report as ``yaml``, ``json``, ``requirements`` or ``apt`` text."""
    if fmt == "json":
        return json.dumps(report.as_dict(), indent=1) + "\n"
    if fmt == "yaml":
        require("yaml", "PyYAML", "the YAML package list")
        import yaml

        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: 10x faster
        return yaml.dump(report.as_dict(), Dumper=dumper, sort_keys=False, default_flow_style=False, width=1000)
    if fmt == "requirements":
        return requirements_txt(report)
    if fmt == "apt":
        return apt_line(report)
    raise ExportError(f"unknown package list format {fmt!r} (use {', '.join(FORMATS)})")


def packages_format(name: str | None, path: str | os.PathLike | None = None) -> str:
    """Normalise a format name, or guess it from the output file's extension (default ``yaml``).

    :raises ExportError: an unknown format.
    """
    if name:
        key = {"yml": "yaml", "pip": "requirements", "requirements.txt": "requirements",
               "apt-get": "apt"}.get(name.lower(), name.lower())
        if key not in FORMATS:
            raise ExportError(f"unknown package list format {name!r} (use {', '.join(FORMATS)})")
        return key
    if path is not None:
        ext = os.path.splitext(str(path))[1].lower()
        return EXTENSIONS.get(ext, "yaml")
    return "yaml"


def write_packages(store: Store, runs: Iterable[str | int], out: str | os.PathLike | IO[str] | None = None,
                   fmt: str | None = None, dpkg_admindir: str | os.PathLike = "/var/lib/dpkg") -> str:
    """Export the packages runs (ids or ``last``) used to ``out`` (a path, a stream or stdout); return the format.

    :raises UnknownRunError: a run reference names no run.
    :raises OutputPathError: ``out`` cannot be written.

    Example::

        write_packages(store, ["last"], None, fmt="apt")   # prints: apt-get install bash=5.2.15-2+b7 ...
    """
    fmt = packages_format(fmt, out if isinstance(out, (str, os.PathLike)) else None)
    if isinstance(out, (str, os.PathLike)):
        check_writable_file(out)
    report = collect_packages(load_runs(store, runs), dpkg_admindir)
    write_text(render_packages(report, fmt), out)
    return fmt

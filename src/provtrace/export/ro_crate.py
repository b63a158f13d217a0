"""Workflow Run RO-Crate export (Process Run Crate profile 0.5), built with the ``rocrate`` package.

A crate (RO-Crate 1.1, as the profile requires) describes one or more runs:

* the root dataset conforms to ``https://w3id.org/ro/wfrun/process/0.5`` and lists in
  ``mentions`` one ``CreateAction`` per actor (program image, or exec-less process)
  that read or wrote user files;
* each action has its ``instrument`` (the executable as a ``SoftwareApplication``,
  ``softwareVersion`` = the version of the Debian package that owns it, where one does),
  ``object`` (user files it read), ``result``
  (user files it wrote), ``startTime``/``endTime``, ``actionStatus``, ``agent`` (the
  user) and ``environment`` (``PropertyValue`` entities: the stored, redacted
  environment; the ``environment`` term comes from the Workflow Run terms and is
  declared inline in the crate's ``@context``);
* files are ``File`` entities with the path (``alternateName``), size, modification
  time and BLAKE3 hash (``identifier``).  Without ``include_data`` they are
  ``#file-...`` references; with it, inputs and outputs whose content still matches
  the recorded hash are copied in (under their path relative to the run's cwd, or
  ``external/<absolute path>``) and become the crate's data entities.

The output is a directory, or a zip file when the path ends in ``.zip``.

Example::

    with open_store("provtrace.db", readonly=True) as store:
        write_rocrate(store, ["last"], "run-crate.zip", include_data=True)
"""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import os
import shlex
import shutil
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path

from blake3 import blake3

from .. import __version__
from ..hashing import hash_file
from ..store import Store
from .output import check_new_directory, check_writable_file, output_error, require
from .pkgdb import DpkgDB
from .prov import entity_id
from .runinfo import Actor, RunInfo, Version, load_runs, path_class

PROFILE = "https://w3id.org/ro/wfrun/process/0.5"
METADATA = "ro-crate-metadata.json"
WFRUN_ENVIRONMENT = "https://w3id.org/ro/terms/workflow-run#environment"
COMPLETED = "http://schema.org/CompletedActionStatus"
FAILED = "http://schema.org/FailedActionStatus"


def _iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    return dt.datetime.fromtimestamp(ns // 1000 / 1e6, dt.timezone.utc).isoformat()


class _CrateBuilder:
    def __init__(self, include_data: bool, license: str | None) -> None:
        from rocrate.rocrate import ROCrate

        self.crate = ROCrate(version="1.1")
        self.crate.metadata.extra_terms["environment"] = WFRUN_ENVIRONMENT
        self.include_data = include_data
        self.license = license
        self.entities: dict[str, object] = {}
        self.actions: list = []
        self.base: str | None = None
        self.dpkg = DpkgDB()
        self.deb_versions: dict[str, tuple[str, str]] = {}
        self.copies: list[tuple[str, str]] = []  # (source path, path in the crate), copied by _write_*

    # --- entities -------------------------------------------------------------------

    def _context(self, ident: str, props: dict):
        from rocrate.model.contextentity import ContextEntity

        if ident not in self.entities:
            self.entities[ident] = self.crate.add(ContextEntity(self.crate, ident, properties=props))
        return self.entities[ident]

    def _dest(self, path: str) -> str:
        if self.base and path.startswith(self.base.rstrip("/") + "/"):
            return path[len(self.base.rstrip("/")) + 1:]
        return "external" + path

    def file(self, path: str, version: Version | None):
        """A File entity: copied into the crate (include_data, content unchanged) or a #file- reference."""
        props: dict = {"name": os.path.basename(path) or path, "alternateName": path,
                       "encodingFormat": _media_type(path)}
        if version is not None:
            if version.size is not None:
                props["contentSize"] = str(version.size)
            if version.mtime_ns:
                props["dateModified"] = _iso(version.mtime_ns)
            if version.hash:
                props["identifier"] = version.hash
        dest = self._dest(path) if self.include_data else ""
        if dest in self.entities:
            return self.entities[dest]
        if self.include_data and version is not None and version.hash and _unchanged(path, version):
            props["@type"] = "File"
            # No source: provtrace copies the files itself (rocrate copies and zips them one
            # small chunk at a time, ten times slower on 10^4 files).
            entity = self.crate.add_file(None, dest_path=dest, properties=props)
            self.entities[dest] = entity
            self.copies.append((path, dest))
            return entity
        if self.include_data:
            props["description"] = "not included: the file is gone or has changed since the run"
        props["@type"] = "File"
        return self._context(f"#file-{entity_id(path, version)}", props)

    def application(self, actor: Actor):
        img = actor.program
        path = img.path if img is not None else None
        name = img.name if img is not None else actor.name
        version = img.version if img is not None else None
        ident = f"#app-{entity_id(path, version)}" if path else f"#app-{_slug(name)}"
        if ident in self.entities:
            return self.entities[ident]
        props: dict = {"@type": "SoftwareApplication", "name": name}
        if path:
            props["alternateName"] = path
        if version is not None and version.hash:
            props["identifier"] = version.hash
        deb = self.deb_versions.get(path or "")
        if deb:
            props["softwareVersion"] = deb[1]
            props["description"] = f"from the Debian package {deb[0]} {deb[1]}"
        return self._context(ident, props)

    def person(self, name: str | None):
        return self._context(f"#user-{_slug(name or 'unknown')}", {"@type": "Person", "name": name or "unknown"})

    def environment(self, env: dict | None) -> list:
        out = []
        for key in sorted(env or {}):
            value = str(env[key])  # type: ignore[index]
            digest = blake3(f"{key}={value}".encode("utf-8", "surrogateescape")).hexdigest()[:12]
            out.append(self._context(f"#env-{_slug(key)}-{digest}",
                                     {"@type": "PropertyValue", "name": key, "value": value}))
        return out

    # --- runs -----------------------------------------------------------------------

    def prepare_versions(self, runs: list[RunInfo]) -> None:
        """Debian package versions of every executable, in one pass over dpkg's database."""
        if not self.dpkg.present:
            return
        exes = {a.program.path for r in runs for a in r.actors if a.program is not None and a.program.path}
        owners = self.dpkg.owners(exes)
        status = self.dpkg.status()
        for path, names in owners.items():
            for name in sorted(names):
                pkg = status.get(name)
                if pkg is not None:
                    self.deb_versions[path] = (pkg.name, pkg.version)
                    break

    def add_run(self, run: RunInfo) -> None:
        if self.base is None:
            self.base = run.run["cwd"]
        agent = self.person(run.run.get("username"))
        for actor in run.actors:
            inputs = [(p, v) for p, v in actor.inputs.items() if path_class(p) == "user"]
            outputs = [(p, v) for p, v in actor.outputs.items() if path_class(p) == "user"]
            if not inputs and not outputs:
                continue
            proc = run.process_actors(actor.process)
            last = actor is proc[-1]
            argv = actor.argv
            props: dict = {
                "@type": "CreateAction",
                "name": f"Run of {shlex.join(argv)}"[:300] if argv else actor.name,
                "startTime": _iso(actor.start_ns),
                "endTime": _iso(actor.end_ns),
                "agent": agent,
            }
            if argv:
                props["description"] = f"{shlex.join(argv)}  (cwd {actor.cwd}, pid {actor.process.pid}, " \
                                       f"provtrace run {run.id})"
            if last and actor.process.exit_code is not None:
                ok = actor.process.exit_code == 0 and actor.process.signal is None
                props["actionStatus"] = COMPLETED if ok else FAILED  # a string, as the profile's shapes expect
                if not ok:
                    props["error"] = (f"killed by signal {actor.process.signal}" if actor.process.signal
                                      else f"exit status {actor.process.exit_code}")
            props = {k: v for k, v in props.items() if v is not None}
            env = self.environment(run.env(actor.image))
            if env:
                props["environment"] = _one_or_list(env)
            action = self.crate.add_action(
                self.application(actor), identifier=f"#run{run.id}-{actor.key}",
                object=_one_or_list([self.file(p, v) for p, v in inputs]),
                result=_one_or_list([self.file(p, v) for p, v in outputs]),
                properties=props)
            self.actions.append(action)

    def finish(self, runs: list[RunInfo]):
        from rocrate.model.contextentity import ContextEntity

        root = self.crate.root_dataset
        ids = ", ".join(str(r.id) for r in runs)
        commands = "; ".join(shlex.join(r.run["argv"]) for r in runs)
        root["name"] = f"provtrace run {ids}: {commands}"[:300]
        root["description"] = (f"Process Run Crate of {len(self.actions)} command executions recorded by "
                               f"provtrace {__version__} (run {ids}: {commands}).")
        profile = self.crate.add(ContextEntity(self.crate, PROFILE, properties={
            "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"}))
        root["conformsTo"] = profile
        root["license"] = self._license()
        authors = [self.person(r.run.get("username")) for r in runs]
        root["author"] = _one_or_list(list({id(a): a for a in authors}.values()))
        root["mentions"] = _one_or_list(self.actions)
        return self.crate

    def _license(self):
        if self.license and "://" in self.license:
            return self._context(self.license, {"@type": "CreativeWork", "name": self.license.rstrip("/")
                                                .rsplit("/", 1)[-1]})
        if self.license:
            return self._context(f"#license-{_slug(self.license)}", {
                "@type": "CreativeWork", "name": self.license, "description": self.license})
        return self._context("#license-unspecified", {
            "@type": "CreativeWork", "name": "No license given",
            "description": "The exporter did not state a license (provtrace export ro-crate --license)."})


def _unchanged(path: str, version: Version) -> bool:
    """The file still has the recorded content: same size and mtime (as git trusts), else same hash."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != version.size:
        return False
    if st.st_mtime_ns == version.mtime_ns:
        return True
    now = hash_file(path)
    return now is not None and now[0] == version.hash


def _one_or_list(items: list):
    """RO-Crate prefers a single value to a one-element list."""
    return items[0] if len(items) == 1 else items


_MEDIA: dict[str, str] = {}


def _media_type(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    kind = _MEDIA.get(ext)
    if kind is None:
        kind = mimetypes.guess_type("x" + ext, strict=False)[0] or (
            "text/plain" if ext in (".txt", ".log", ".csv", ".tsv") else "application/octet-stream")
        _MEDIA[ext] = kind
    return kind


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:80] or "_"


def _build(runs: Iterable[RunInfo], include_data: bool, license: str | None) -> _CrateBuilder:
    require("rocrate", "rocrate", "the RO-Crate export")
    runs = list(runs)
    builder = _CrateBuilder(include_data, license)
    builder.prepare_versions(runs)
    for run in runs:
        builder.add_run(run)
    builder.finish(runs)
    return builder


def build_rocrate(runs: Iterable[RunInfo], include_data: bool = False, license: str | None = None):
    """A ``rocrate.rocrate.ROCrate`` describing ``runs`` (its metadata; data files are not attached).

    Example::

        crate = build_rocrate([load_run(store, 3)])
        print(crate.metadata.generate()["@graph"][0])
    """
    return _build(runs, include_data, license).crate


def _metadata_json(crate) -> str:
    meta = crate.metadata.generate()
    # Indented JSON goes through the pure-Python encoder: keep big crates compact (10x faster).
    return json.dumps(meta, indent=4 if len(meta["@graph"]) < 10_000 else None) + "\n"


def _write_dir(builder: _CrateBuilder, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    made: set[Path] = set()
    for src, dest in builder.copies:
        target = path / dest
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        shutil.copyfile(src, target)
    (path / METADATA).write_text(_metadata_json(builder.crate))


def _write_zip(builder: _CrateBuilder, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(METADATA, _metadata_json(builder.crate))
            for src, dest in builder.copies:
                zf.write(src, dest)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_rocrate(store: Store, runs: Iterable[str | int], out: str | os.PathLike, include_data: bool = False,
                  license: str | None = None) -> Path:
    """Export runs (ids or ``last``) as a Process Run Crate: a directory, or a zip if ``out`` ends in ``.zip``.

    :param include_data: copy the runs' input and output files into the crate.
    :param license: the crate's license (an SPDX URL or a name); default: "no license given".
    :raises UnknownRunError: a run reference names no run.
    :raises OutputPathError: ``out`` cannot be written (or is a non-empty directory).

    Example::

        write_rocrate(store, ["last"], "crate.zip", include_data=True,
                      license="https://spdx.org/licenses/CC-BY-4.0")
    """
    path = Path(out).expanduser()
    is_zip = path.suffix.lower() == ".zip"
    if is_zip:
        check_writable_file(path)
    else:
        check_new_directory(path)
    builder = _build(load_runs(store, runs), include_data, license)
    try:
        if is_zip:
            _write_zip(builder, path)
        else:
            _write_dir(builder, path)
    except OSError as exc:
        raise output_error(path, exc, "write the crate to") from None
    return path

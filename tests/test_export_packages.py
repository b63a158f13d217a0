"""`provtrace export packages`: Debian and Python packages a real run used, at their installed versions."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from provtrace.export.pkgdb import DpkgDB, path_variants

HAS_DPKG = shutil.which("dpkg") is not None and Path("/var/lib/dpkg/status").is_file()


def pt(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "provtrace", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True)


def dpkg_owner(path: str) -> str | None:
    """Ground truth from dpkg itself (the exporter reads dpkg's files instead)."""
    p = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return p.stdout.split(":")[0].split(",")[0].strip() if ": " in p.stdout else None


def debian_python_with_numpy(tmp_path: Path) -> list[str]:
    """A command running Debian's python3 (a dpkg-owned interpreter) that can import numpy.

    CI's .venv is made from Debian's python3 and has numpy (the test extra); on a machine
    whose tests run under another Python (pyenv), a venv of /usr/bin/python3 is made here
    and given this environment's numpy through a .pth file (same Python minor version).
    """
    if not HAS_DPKG:
        pytest.skip("not a Debian system (no dpkg database)")
    numpy = pytest.importorskip("numpy")
    if dpkg_owner(os.path.realpath(sys.executable)):
        return [sys.executable]
    debian = Path("/usr/bin/python3")
    if not debian.exists() or not dpkg_owner(os.path.realpath(debian)):
        pytest.skip("Debian's python3 is not installed")
    version = subprocess.run([str(debian), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    if version != "%d.%d" % sys.version_info[:2]:
        pytest.skip(f"Debian's python3 is {version}; the numpy installed here is for another Python")
    venv = tmp_path / "venv"
    subprocess.run([str(debian), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    (site / "numpy_from_tests.pth").write_text(str(Path(numpy.__file__).parent.parent) + "\n")
    return [str(venv / "bin" / "python")]


@pytest.fixture(scope="module")
def numpy_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("packages")
    python = debian_python_with_numpy(tmp)
    work = tmp / "work"
    work.mkdir()
    (work / "stats.py").write_text("import numpy\nx = numpy.arange(10.0)\n"
                                   "open('mean.txt', 'w').write(str(x.mean()) + '\\n')\n")
    store = tmp / "store.db"
    p = pt("record", "-q", "--store", store, "--", *python, "stats.py", cwd=work)
    assert p.returncode == 0, p.stderr
    assert (work / "mean.txt").read_text() == "4.5\n"
    report = pt("export", "packages", "--store", store, "last", "--format", "json")
    assert report.returncode == 0, report.stderr
    return {"python": python, "work": work, "store": store, "report": json.loads(report.stdout)}


def accessed_paths(store: Path) -> set[str]:
    """Every path the run used, per the store, spelled every way a package could list it."""
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        rows = conn.execute("""SELECT DISTINCT f.path FROM file_events e JOIN files f ON f.id = e.file_id
                               WHERE e.result >= 0 AND e.op IN ('open', 'load', 'exec', 'close')
                               UNION SELECT f.path FROM execs x JOIN files f ON f.id = x.file_id""").fetchall()
    out: set[str] = set()
    for (p,) in rows:
        out |= path_variants(p)
        head, name = os.path.split(p)  # a byte-code cache counts for its source (Debian compiles at install)
        if name.endswith(".pyc") and head.endswith("/__pycache__"):
            out.add(os.path.join(os.path.dirname(head), name.split(".", 1)[0] + ".py"))
    return out


def test_lists_the_interpreters_debian_package_and_numpy_at_installed_versions(numpy_run):
    report, python = numpy_run["report"], numpy_run["python"]
    interpreter = subprocess.run([*python, "-c", "import os, sys; print(os.path.realpath(sys.executable))"],
                                 capture_output=True, text=True).stdout.strip()
    owner = dpkg_owner(interpreter)
    assert owner, interpreter
    installed = subprocess.run(["dpkg-query", "-W", "-f=${Version}", owner], capture_output=True, text=True).stdout
    debs = {d["name"]: d for d in report["debian"]}
    assert owner in debs and debs[owner]["version"] == installed
    assert interpreter in debs[owner]["files"] or any(os.path.realpath(f) == interpreter for f in debs[owner]["files"])
    numpy_version = subprocess.run([*python, "-c", "import numpy; print(numpy.__version__)"],
                                   capture_output=True, text=True).stdout.strip()
    dists = {d["name"].lower(): d for d in report["python"]}
    assert dists["numpy"]["version"] == numpy_version
    assert any(f.endswith(".so") for f in dists["numpy"]["files"])  # numpy's compiled core was mapped
    assert str(numpy_run["work"] / "stats.py") in report["unpackaged"]["user"]
    assert str(numpy_run["work"] / "mean.txt") in report["unpackaged"]["user"]


def test_lists_nothing_the_run_did_not_touch(numpy_run):
    report = numpy_run["report"]
    used = accessed_paths(numpy_run["store"])
    for deb in report["debian"]:
        listed = subprocess.run(["dpkg", "-L", deb["name"]], capture_output=True, text=True).stdout.split("\n")
        assert used & set(listed), f"{deb['name']} is listed but the run used none of its files"
        assert set(deb["files"]) <= used
    for dist in report["python"] + report["conda"]:
        assert dist["files"] and set(dist["files"]) <= used, dist["name"]
    names = {d["name"] for d in report["debian"]}
    for untouched in ("make", "gcc", "strace", "git", "tar"):
        if dpkg_owner(shutil.which(untouched) or "/nonexistent"):
            assert untouched not in names
    assert "pip" not in {d["name"].lower() for d in report["python"]}


def test_requirements_and_apt_formats_pin_the_same_versions(numpy_run):
    store, report = numpy_run["store"], numpy_run["report"]
    numpy_version = next(d["version"] for d in report["python"] if d["name"].lower() == "numpy")
    req = pt("export", "packages", "--store", store, "last", "-f", "requirements")
    assert req.returncode == 0 and f"numpy=={numpy_version}" in req.stdout.splitlines()
    apt = pt("export", "packages", "--store", store, "last", "-f", "apt")
    assert apt.returncode == 0
    line = apt.stdout.strip()
    assert line.startswith("apt-get install ") and "\n" not in line
    pins = set(line.split()[2:])
    assert {f"{d['name']}={d['version']}" for d in report["debian"]
            if d["architecture"] in ("all", native_arch())} <= pins
    yaml = pytest.importorskip("yaml")
    y = pt("export", "packages", "--store", store, "last")
    assert yaml.safe_load(y.stdout) == report


def native_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()


def test_dpkg_database_is_read_without_dpkg(tmp_path):
    """A fake database: multi-arch list names, merged /usr spellings, packages that are not installed."""
    admin = tmp_path / "dpkg"
    (admin / "info").mkdir(parents=True)
    (admin / "status").write_text(
        "Package: libfoo1\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 1.2-3\n"
        "Description: x\n more\n\n"
        "Package: footool\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2:0.9\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n")
    (admin / "info" / "libfoo1:amd64.list").write_text("/.\n/lib\n/lib/x86_64-linux-gnu/libfoo.so.1\n")
    (admin / "info" / "footool.list").write_text("/usr/bin/footool\n/usr/share/doc/footool\n")
    (admin / "info" / "gone.list").write_text("/usr/bin/gone\n")
    db = DpkgDB(admin)
    owners = db.owners({"/usr/lib/x86_64-linux-gnu/libfoo.so.1", "/bin/footool", "/usr/bin/other"})
    assert owners == {"/usr/lib/x86_64-linux-gnu/libfoo.so.1": {"libfoo1:amd64"}, "/bin/footool": {"footool"}}
    status = db.status()
    assert status["libfoo1:amd64"].version == "1.2-3" and status["footool"].version == "2:0.9"
    assert "gone" not in status


def test_python_distributions_come_from_record_files(tmp_path):
    from provtrace.export.pkgdb import PythonDists

    site = tmp_path / "lib" / "python3.11" / "site-packages"
    (site / "demo").mkdir(parents=True)
    (site / "demo" / "__init__.py").write_text("")
    meta = site / "demo-1.4.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo\nVersion: 1.4\n\nbody\n")
    (meta / "INSTALLER").write_text("pip\n")
    (meta / "RECORD").write_text("demo/__init__.py,sha256=x,0\ndemo-1.4.dist-info/METADATA,,\n"
                                 "../../../bin/demo,,\n")
    dists = PythonDists()
    d = dists.owner(str(site / "demo" / "__init__.py"))
    assert d is not None and (d.name, d.version, d.installer) == ("Demo", "1.4", "pip")
    assert dists.owner(str(site / "demo" / "__pycache__" / "__init__.cpython-311.pyc")) is d
    assert dists.owner(str(site / "other.py")) is None
    assert str(tmp_path / "bin" / "demo") in d.files

"""Build hook: compile the native recorder (native/) into the package.

`pip install .` runs the C build with the system compiler through native/Makefile
and places libprovtrace.so and the static provtrace-supervisor in provtrace/_native/.
Nothing is downloaded.  The wheel is platform-specific because it carries them.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
NATIVE_OUTPUTS = ("libprovtrace.so", "provtrace-supervisor")


def _fail(message: str) -> None:
    sys.stderr.write(f"\nprovtrace build error: {message}\n\n")
    raise SystemExit(1)


def build_native(dest: Path) -> None:
    """Compile native/ and copy the products into ``dest``."""
    cc = os.environ.get("CC", "gcc")
    if shutil.which(cc) is None and shutil.which("cc") is None:
        _fail(f"no C compiler found ({cc!r} is not on PATH). Install one, e.g. `apt-get install gcc make`.")
    if shutil.which("make") is None:
        _fail("`make` is not on PATH. Install it, e.g. `apt-get install make`.")
    build_dir = HERE / "build" / "native"
    build_dir.mkdir(parents=True, exist_ok=True)
    cmd = ["make", "-C", str(HERE / "native"), f"BUILD={build_dir}"]
    if shutil.which(cc) is None:
        cmd.append("CC=cc")
    try:
        subprocess.run(cmd, check=True)
    except subprocess.CalledProcessError as exc:
        _fail(f"compiling the native recorder failed ({' '.join(cmd)} exited {exc.returncode}).")
    dest.mkdir(parents=True, exist_ok=True)
    for name in NATIVE_OUTPUTS:
        # Replace atomically: a program running under the old library has it mapped,
        # and overwriting the file in place would crash it (SIGBUS/SIGSEGV).
        tmp = dest / f".{name}.tmp{os.getpid()}"
        shutil.copy2(build_dir / name, tmp)
        os.replace(tmp, dest / name)


class BuildPyWithNative(build_py):
    """build_py that also compiles the C core into provtrace/_native/."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            build_native(HERE / "src" / "provtrace" / "_native")
        else:
            build_native(Path(self.build_lib) / "provtrace" / "_native")


class BinaryDistribution(Distribution):
    """The wheel carries a shared object: never tag it pure-Python."""

    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildPyWithNative}, distclass=BinaryDistribution)

"""The commands the fidelity oracle runs, each with a deterministic set-up.

A builder gets an empty directory and the compiled fixture programs, creates
the input files, and returns a :class:`Case`: the argv to record, where to run
it, the exit status to expect and what must exist afterwards.
"""

from __future__ import annotations

import io
import os
import socket
import sys
import tarfile
import textwrap
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass
class Tools:
    programs: dict[str, Path]  # fixture name -> compiled executable
    python: str  # a real interpreter binary, no shim


@dataclass
class Case:
    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    returncode: int = 0
    expect_files: list[str] = field(default_factory=list)  # relative to cwd, must exist after
    expect_absent: list[str] = field(default_factory=list)
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    stdin: bytes | None = None
    expect_connects: int = 0  # successful connects the command makes


Builder = Callable[[Path, Tools], Case]
CORPUS: dict[str, Builder] = {}


def case(name: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        CORPUS[name] = fn
        return fn

    return register


def write(path: Path, text: str | bytes = "x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def tree(root: Path) -> Path:
    """A small tree: files at three depths, a binary file, an empty dir."""
    write(root / "a.txt", "alpha\nbeta\n")
    write(root / "b.txt", "gamma\n")
    write(root / "sub" / "c.txt", "delta\n")
    write(root / "sub" / "deep" / "d.bin", bytes(range(256)))
    write(root / "sub" / "deep" / "e.txt", "epsilon\n")
    (root / "empty").mkdir(parents=True, exist_ok=True)
    return root


def py(tools: Tools, cwd: Path, source: str, **kw) -> Case:
    return Case([tools.python, "-c", textwrap.dedent(source)], cwd, **kw)


# --- coreutils ------------------------------------------------------------------


@case("cp -r")
def _cp(tmp: Path, tools: Tools) -> Case:
    tree(tmp / "src")
    return Case(["cp", "-r", "src", "dst"], tmp, expect_files=["dst/sub/deep/d.bin", "dst/empty"])


@case("mv")
def _mv(tmp: Path, tools: Tools) -> Case:
    write(tmp / "one.txt")
    write(tmp / "two.txt")
    (tmp / "dir").mkdir()
    return Case(["mv", "one.txt", "two.txt", "dir/"], tmp, expect_files=["dir/one.txt"], expect_absent=["one.txt"])


@case("rm -r")
def _rm(tmp: Path, tools: Tools) -> Case:
    tree(tmp / "victim")
    return Case(["rm", "-r", "victim"], tmp, expect_absent=["victim"])


@case("ln -s")
def _ln(tmp: Path, tools: Tools) -> Case:
    write(tmp / "target.txt")
    (tmp / "links").mkdir()
    return Case(["ln", "-s", "../target.txt", "links/link.txt"], tmp, expect_files=["links/link.txt"])


@case("touch")
def _touch(tmp: Path, tools: Tools) -> Case:
    write(tmp / "old.txt")
    return Case(["touch", "old.txt", "new.txt"], tmp, expect_files=["new.txt"])


@case("mkdir -p")
def _mkdir(tmp: Path, tools: Tools) -> Case:
    (tmp / "a").mkdir()
    return Case(["mkdir", "-p", "a/b/c/d"], tmp, expect_files=["a/b/c/d"])


@case("find")
def _find(tmp: Path, tools: Tools) -> Case:
    tree(tmp / "t")
    return Case(["find", "t", "-name", "*.txt", "-type", "f", "-size", "-10k"], tmp)


@case("sort")
def _sort(tmp: Path, tools: Tools) -> Case:
    write(tmp / "in1.txt", "pear\napple\n")
    write(tmp / "in2.txt", "fig\nbanana\n")
    return Case(["sort", "-o", "sorted.txt", "in1.txt", "in2.txt"], tmp, expect_files=["sorted.txt"])


@case("du")
def _du(tmp: Path, tools: Tools) -> Case:
    tree(tmp / "t")
    return Case(["du", "-a", "t"], tmp)


# --- tar ------------------------------------------------------------------------------


@case("tar czf")
def _tar_c(tmp: Path, tools: Tools) -> Case:
    tree(tmp / "t")
    return Case(["tar", "czf", "out.tgz", "t"], tmp, expect_files=["out.tgz"])


@case("tar xzf")
def _tar_x(tmp: Path, tools: Tools) -> Case:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in (("pkg/readme.txt", b"readme\n"), ("pkg/bin/tool.sh", b"#!/bin/sh\necho\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o755, 1_600_000_000
            tf.addfile(info, io.BytesIO(data))
    write(tmp / "in.tgz", buf.getvalue())
    (tmp / "out").mkdir()
    return Case(["tar", "xzf", "in.tgz", "-C", "out"], tmp, expect_files=["out/pkg/bin/tool.sh"])


# --- bash ------------------------------------------------------------------------------


@case("bash pipeline")
def _pipeline(tmp: Path, tools: Tools) -> Case:
    write(tmp / "words.txt", "b\na\nb\nc\na\nb\n")
    script = "cat words.txt | tr a-z A-Z | sort | uniq -c | sort -rn > counts.txt"
    return Case(["bash", "-c", script], tmp, expect_files=["counts.txt"])


@case("bash redirections")
def _redirections(tmp: Path, tools: Tools) -> Case:
    write(tmp / "in.txt", "one\ntwo\n")
    script = textwrap.dedent(
        """\
        exec 3> fd3.txt
        echo to-fd3 >&3
        exec 3>&-
        echo first > out.txt
        echo second >> out.txt
        wc -l < in.txt > count.txt 2> err.txt
        ls no-such-file 2>> err.txt || true
        cat <<EOF > heredoc.txt
        here $((1 + 2))
        EOF
        cat in.txt - < in.txt > both.txt
        """
    )
    return Case(["bash", "-c", script], tmp, expect_files=["fd3.txt", "heredoc.txt", "both.txt"])


@case("bash subshells")
def _subshells(tmp: Path, tools: Tools) -> Case:
    write(tmp / "sub" / "f.txt", "inner\n")
    write(tmp / "g.txt", "outer\n")
    write(tmp / "script.sh", "#!/bin/sh\ncat g.txt > from_script.txt\n")
    os.chmod(tmp / "script.sh", 0o755)
    script = textwrap.dedent(
        """\
        (cd sub && cat f.txt > ../copy.txt)
        x=$(cat g.txt)
        echo "$x" > y.txt
        { echo z; cat sub/f.txt; } > z.txt
        for f in *.txt; do test -f "$f" && wc -c "$f" > /dev/null; done
        ./script.sh
        """
    )
    return Case(["bash", "-c", script], tmp, expect_files=["copy.txt", "z.txt", "from_script.txt"])


@case("env -i")
def _env_i(tmp: Path, tools: Tools) -> Case:
    write(tmp / "in.txt", "c\nb\na\n")
    return Case(
        ["env", "-i", "/bin/sh", "-c", "cat in.txt > copy.txt; /usr/bin/sort in.txt > sorted.txt"],
        tmp,
        expect_files=["copy.txt", "sorted.txt"],
    )


# --- python ------------------------------------------------------------------------------


@case("python files")
def _py_files(tmp: Path, tools: Tools) -> Case:
    write(tmp / "in.txt", "hello\n")
    return py(
        tools,
        tmp,
        """
        import os, tempfile
        data = open("in.txt").read()
        with open("out.txt", "w") as f:
            f.write(data.upper())
        with open("out.txt", "a") as f:
            f.write("more\\n")
        os.rename("out.txt", "renamed.txt")
        os.replace("renamed.txt", "final.txt")
        os.stat("final.txt"); os.lstat("in.txt"); os.access("in.txt", os.R_OK)
        os.mkdir("d"); os.listdir("."); os.symlink("final.txt", "d/link")
        os.readlink("d/link"); os.chmod("final.txt", 0o640); os.utime("final.txt")
        with tempfile.NamedTemporaryFile(dir=".", delete=False) as t:
            t.write(b"tmp")
        os.unlink(t.name)
        os.truncate("final.txt", 3)
        """,
        expect_files=["final.txt", "d/link"],
    )


@case("python os.walk")
def _py_walk(tmp: Path, tools: Tools) -> Case:
    tree(tmp / "t")
    return py(
        tools,
        tmp,
        """
        import os
        with open("listing.txt", "w") as out:
            for root, dirs, files in os.walk("t"):
                dirs.sort()
                for name in sorted(files):
                    p = os.path.join(root, name)
                    out.write(f"{p} {os.path.getsize(p)}\\n")
        """,
        expect_files=["listing.txt"],
    )


@case("python subprocess vfork")
def _py_vfork(tmp: Path, tools: Tools) -> Case:
    write(tmp / "in.txt", "x\ny\n")
    return py(
        tools,
        tmp,
        """
        import subprocess
        with open("out.txt", "w") as out:
            subprocess.run(["cat", "in.txt"], stdout=out, check=True)
        subprocess.run(["sort", "-o", "sorted.txt", "in.txt"], check=True)
        subprocess.check_output(["/bin/sh", "-c", "wc -l in.txt"])
        """,
        expect_files=["out.txt", "sorted.txt"],
    )


@case("python posix_spawn")
def _py_spawn(tmp: Path, tools: Tools) -> Case:
    write(tmp / "in.txt", "x\n")
    return py(
        tools,
        tmp,
        """
        import os, subprocess
        pid = os.posix_spawn("/bin/cp", ["cp", "in.txt", "spawned.txt"], os.environ)
        os.waitpid(pid, 0)
        pid = os.posix_spawnp("touch", ["touch", "spawnp.txt"], os.environ)
        os.waitpid(pid, 0)
        # close_fds=False and a path with a directory: subprocess uses posix_spawn
        subprocess.run(["/bin/cp", "in.txt", "via_subprocess.txt"], close_fds=False, check=True)
        """,
        expect_files=["spawned.txt", "spawnp.txt", "via_subprocess.txt"],
    )


@case("python multiprocessing")
def _py_mp(tmp: Path, tools: Tools) -> Case:
    write(tmp / "in.txt", "data\n")
    write(
        tmp / "job.py",
        textwrap.dedent(
            """\
            import multiprocessing as mp

            def work(i):
                with open("in.txt") as f:
                    data = f.read()
                with open(f"out_{i}.txt", "w") as f:
                    f.write(data * i)
                return i

            def spawned(path):
                with open(path, "w") as f:
                    f.write("spawned\\n")

            if __name__ == "__main__":
                with mp.get_context("fork").Pool(2) as pool:
                    assert pool.map(work, range(4)) == list(range(4))
                p = mp.get_context("spawn").Process(target=spawned, args=("spawn_out.txt",))
                p.start()
                p.join()
                assert p.exitcode == 0
            """
        ),
    )
    return Case([tools.python, "job.py"], tmp, expect_files=["out_3.txt", "spawn_out.txt"])


# --- build tools -----------------------------------------------------------------------------


@case("make -j2 gcc")
def _make(tmp: Path, tools: Tools) -> Case:
    write(tmp / "util.h", "int add(int, int);\nint mul(int, int);\nvoid show(int);\n")
    write(tmp / "main.c", '#include "util.h"\nint main(void) { show(mul(add(1, 2), 3)); return 0; }\n')
    write(tmp / "add.c", '#include "util.h"\nint add(int a, int b) { return a + b; }\n')
    write(tmp / "mul.c", '#include "util.h"\nint mul(int a, int b) { return a * b; }\n')
    write(tmp / "show.c", '#include <stdio.h>\n#include "util.h"\nvoid show(int v) { printf("%d\\n", v); }\n')
    write(
        tmp / "Makefile",
        "OBJS = main.o add.o mul.o show.o\n"
        "app: $(OBJS)\n\tgcc -o $@ $(OBJS)\n"
        "%.o: %.c util.h\n\tgcc -O1 -c -o $@ $<\n",
    )
    return Case(["make", "-j2"], tmp, expect_files=["app", "show.o"])


@case("git init/add/commit")
def _git(tmp: Path, tools: Tools) -> Case:
    repo = tmp / "repo"
    write(repo / "README", "readme\n")
    write(repo / "src" / "a.py", "print('a')\n")
    home = tmp / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    script = "git init -q -b main . && git add . && git commit -q -m first"
    return Case(["sh", "-c", script], repo, env=env, expect_files=[".git/HEAD", ".git/refs/heads/main"])


# --- C fixtures -------------------------------------------------------------------------------


@case("C threads")
def _threads(tmp: Path, tools: Tools) -> Case:
    return Case([str(tools.programs["threads_files"])], tmp, expect_files=["t3/r15.txt"])


@case("C *at calls")
def _at(tmp: Path, tools: Tools) -> Case:
    (tmp / "w").mkdir()
    return Case([str(tools.programs["atcalls"]), str(tmp / "w")], tmp, expect_files=["w/sub/final.txt", "w/other/rel.txt"])


@case("C stdio/dirent/mkstemp")
def _stdio(tmp: Path, tools: Tools) -> Case:
    write(tmp / "input.txt", "line\n")
    write(tmp / "rw.txt", "rw\n")
    tree(tmp / "tree")
    return Case([str(tools.programs["stdio"])], tmp, expect_files=["renamed.txt", "system.txt"])


@case("C syscall()")
def _raw(tmp: Path, tools: Tools) -> Case:
    write(tmp / "input.txt", "in\n")
    write(tmp / "victim.txt", "v\n")
    return Case([str(tools.programs["rawsyscall"])], tmp, expect_files=["rawdir/renamed.txt"], expect_absent=["victim.txt"])


@case("C close all fds")
def _closefds(tmp: Path, tools: Tools) -> Case:
    write(tmp / "input.txt", "payload\n")
    return Case([str(tools.programs["closefds"])], tmp, expect_files=["output.txt", "made/cat_out.txt"])


@case("C daemon double fork")
def _daemon(tmp: Path, tools: Tools) -> Case:
    write(tmp / "input.txt", "daemon input\n")
    return Case([str(tools.programs["daemon"])], tmp, expect_files=["daemon_out.txt"])


@case("C SIGKILL mid-run")
def _sigkill(tmp: Path, tools: Tools) -> Case:
    write(tmp / "input.txt", "in\n")
    return Case(
        [str(tools.programs["sigkill"])], tmp, returncode=137, expect_files=["before_2.txt"], expect_absent=["after.txt"]
    )


class TcpServer:
    """Accepts connections on 127.0.0.1 and answers each with one line."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.served = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(64)
                conn.sendall(b"world\n")
                self.served += 1

    def close(self) -> None:
        self.sock.close()


@case("C TCP client")
def _tcp(tmp: Path, tools: Tools) -> Case:
    server = TcpServer()
    return Case(
        [str(tools.programs["tcp_client"]), str(server.port), "reply.txt"],
        tmp,
        expect_files=["reply.txt"],
        cleanup=[server.close],
        expect_connects=1,
    )


def real_python() -> str:
    """The interpreter binary behind sys.executable (not a pyenv shim)."""
    return os.path.realpath(sys.executable)

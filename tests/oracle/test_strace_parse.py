"""The strace parser, classifier and comparison, on captured sample lines."""

from __future__ import annotations

import os

import pytest

from oracle import blindspots, strace
from oracle.strace import parse_fd, parse_int, parse_lines, parse_sockaddr, split_args, unescape


def trace_of(text: str, cwd: str = "/work") -> strace.Trace:
    lines = [line for line in text.strip("\n").splitlines()]
    return strace.analyze(parse_lines(lines), cwd)


def ok_events(tr: strace.Trace) -> list[tuple]:
    return [(e.pid, e.op, e.path, e.path2, e.flags) for e in tr.events if e.ok and not e.evidence_only]


# --- lexing -------------------------------------------------------------------


def test_unescape_handles_octal_hex_and_c_escapes():
    assert unescape(r"x\n\74y\76, z") == "x\n<y>, z"
    assert unescape(r"\x7f\x00\\\"") == '\x7f\x00\\"'
    assert unescape(r"caf\303\251") == "café"


def test_split_args_keeps_strings_decorations_and_comments_whole():
    text = r'5</tmp/d/x\n\74y\76, z>, "a, b", {st_mode=0100644, st_size=0, ...}, [1, 2] /* 2 entries */, 0x800)'
    args, end = split_args(text)
    assert args == [r"5</tmp/d/x\n\74y\76, z>", '"a, b"', "{st_mode=0100644, st_size=0, ...}", "[1, 2] /* 2 entries */", "0x800"]
    assert text[end] == ")"


@pytest.mark.parametrize(
    "tok,value",
    [
        ("0x80000", os.O_CLOEXEC),
        ("0666", 0o666),
        ("0", 0),
        ("0x1200000|17", 0x1200011),
        ("|0x800", 0x800),
        ("O_WRONLY|O_CREAT|O_TRUNC", os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ("O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY", os.O_NONBLOCK | os.O_CLOEXEC | os.O_DIRECTORY),
        ("AT_FDCWD", -100),
        ("CLONE_VM|CLONE_VFORK|SIGCHLD", 0x4111),
    ],
)
def test_parse_int_raw_and_symbolic(tok, value):
    assert parse_int(tok) == value


def test_parse_fd_decorations():
    assert parse_fd("-100</tmp/exp>") == (-100, "/tmp/exp")
    assert parse_fd("AT_FDCWD") == (-100, None)
    assert parse_fd(r"3</a\40b (deleted)>") == (3, "/a b")
    assert parse_fd("5<socket:[5409]>") == (5, "socket:[5409]")


def test_parse_sockaddr_raw_and_symbolic():
    raw = r'{sa_family=0x2, sin_port="\xe7\x1d", sin_addr="\x7f\x00\x00\x01"}'
    assert parse_sockaddr(raw) == ("inet", "127.0.0.1", 59165)
    sym = '{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("10.0.0.1")}'
    assert parse_sockaddr(sym) == ("inet", "10.0.0.1", 8080)
    unix = '{sa_family=0x1, sun_path="/var/run/nscd/socket"}'
    assert parse_sockaddr(unix) == ("unix", "/var/run/nscd/socket", None)
    six = r'{sa_family=0xa, sin6_port="\x00\x50", sin6_flowinfo="\x00\x00\x00\x00", sin6_addr="' + r"\x00" * 15 + r'\x01", sin6_scope_id=0}'
    assert parse_sockaddr(six) == ("inet6", "::1", 80)


# --- calls ----------------------------------------------------------------------


def test_unfinished_and_resumed_halves_are_joined():
    calls = parse_lines(
        [
            '3880  wait4(-1,  <unfinished ...>',
            '3881  openat(-100</tmp>, "/dev/null", 0x241, 0666) = 3</dev/null>',
            '3880  <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 3881',
        ]
    )
    assert [(c.tid, c.name, c.ret, c.start, c.end) for c in calls] == [(3881, "openat", 3, 1, 1), (3880, "wait4", 3881, 0, 2)]
    assert calls[0].ret_deco == "/dev/null"
    assert calls[1].args[0] == "-1"


def test_errors_and_unknown_returns():
    calls = parse_lines(
        [
            '3880  openat(-100</tmp/exp>, "/dev/tty", 0x802) = -1 ENXIO (No such device or address)',
            "3881  exit_group(0)                     = ?",
            '7  rt_sigsuspend([], 8) = ? ERESTARTNOHAND (To be restarted if no handler)',
        ]
    )
    assert [(c.ret, c.errno, c.ok) for c in calls] == [(-1, "ENXIO", False), (None, None, False), (None, "ERESTARTNOHAND", False)]


def test_deleted_file_decorations_and_unparsable_results():
    (call,) = parse_lines(['7  openat(-100</w>, "/tmp", 0x410082, 0600) = 3</tmp/#2146627>(deleted)'])
    assert (call.ret, call.ret_deco, call.errno) == (3, "/tmp/#2146627", None)
    with pytest.raises(ValueError, match="line 1"):
        parse_lines(['7  openat(-100</w>, "/tmp", 0x410082, 0600) = 3 surprise'])


def test_exit_and_signal_lines_are_skipped():
    assert parse_lines(["12  +++ exited with 0 +++", "12  --- SIGCHLD {si_signo=SIGCHLD} ---"]) == []


# --- the model -------------------------------------------------------------------

BASH_SAMPLE = r"""
3880  execve("/usr/bin/bash", ["bash", "-c", "cd /tmp; ls exp"], ["PWD=/tmp/exp", "LD_PRELOAD=/opt/pt/libprovtrace.so", "PROVTRACE_SESSION=/dev/shm/provtrace-ab12/session.log"]) = 0
3880  openat(-100</tmp/exp>, "/etc/ld.so.cache", 0x80000) = 3</etc/ld.so.cache>
3880  newfstatat(3</etc/ld.so.cache>, "", {st_mode=0100644, st_size=34547, ...}, 0x1000) = 0
3880  access("/usr/bin/ls", 0x1)        = 0
3880  chdir("/tmp")                     = 0
3880  clone(child_stack=NULL, flags=0x1200000|17, child_tidptr=0x7f4a23650a10) = 3881
3880  wait4(-1,  <unfinished ...>
3881  openat(-100</tmp>, "out.txt", 0x241, 0666) = 3</tmp/out.txt>
3881  execve("/usr/bin/ls", ["ls", "exp"], ["PWD=/tmp"]) = 0
3881  statx(-100</tmp>, "exp", |0x800, 0x2, {stx_mask=0x173f, stx_mode=040755}) = 0
3881  openat(-100</tmp>, "exp", 0x90800) = 3</tmp/exp>
3881  getdents64(3</tmp/exp>, 0x55ed4d8f4790 /* 3 entries */, 32768) = 80
3881  readlink("/tmp/exp/nolink", 0x7ffd, 4096) = -1 EINVAL (Invalid argument)
3881  exit_group(0)                     = ?
3880  <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 3881
3880  rename("a.txt", "sub/b.txt")      = 0
"""


def test_model_resolves_paths_against_the_right_cwd():
    tr = trace_of(BASH_SAMPLE, "/tmp/exp")
    assert ok_events(tr) == [
        (3880, "exec", "/usr/bin/bash", None, 0),
        (3880, "open", "/etc/ld.so.cache", None, os.O_CLOEXEC),
        (3880, "access", "/usr/bin/ls", None, 0),
        (3880, "chdir", "/tmp", None, 0),
        (3881, "open", "/tmp/out.txt", None, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (3881, "exec", "/usr/bin/ls", None, 0),
        (3881, "stat", "/tmp/exp", None, 0x800),
        (3881, "open", "/tmp/exp", None, os.O_NONBLOCK | os.O_CLOEXEC | os.O_DIRECTORY),
        (3880, "rename", "/tmp/a.txt", "/tmp/sub/b.txt", 0),
    ]
    evidence = [(e.pid, e.op, e.path, e.flags) for e in tr.events if e.evidence_only]
    assert evidence == [(3881, "open", "/tmp/exp", os.O_RDONLY | os.O_DIRECTORY)]
    assert tr.procs[3881].parent == 3880
    assert tr.procs[3881].inherited_argv == ["bash", "-c", "cd /tmp; ls exp"]
    assert [x.argv for x in tr.procs[3881].execs] == [["ls", "exp"]]
    assert tr.subtree(3881) == {3881}
    assert tr.subtree(3880) == {3880, 3881}


def test_child_inherits_cwd_at_fork_even_if_parent_moves_on():
    tr = trace_of(
        """
10  chdir("/a")                     = 0
10  vfork( <unfinished ...>
11  mkdir("x", 0777) = 0
10  <... vfork resumed>)              = 11
10  chdir("/b")                     = 0
11  mkdir("y", 0777) = 0
10  mkdir("z", 0777) = 0
"""
    )
    assert [(e.pid, e.path) for e in tr.events if e.op == "mkdir"] == [(11, "/a/x"), (11, "/a/y"), (10, "/b/z")]
    assert tr.procs[11].creator == "vfork"


def test_threads_share_cwd_and_belong_to_their_process():
    tr = trace_of(
        """
20  clone3({flags=0x3d0f00, exit_signal=0, stack=0x7f, stack_size=0x7fff00, tls=0x7f}, 88) = 21
21  chdir("/t")                     = 0
20  mkdir("m", 0777) = 0
21  fchdir(3</other>)               = 0
20  unlink("n")                     = 0
"""
    )
    assert 21 not in tr.procs and tr.tid_to_pid[21] == 20
    assert [(e.pid, e.tid, e.op, e.path) for e in tr.events if e.op in ("mkdir", "unlink")] == [
        (20, 20, "mkdir", "/t/m"),
        (20, 20, "unlink", "/other/n"),
    ]


def test_at_calls_use_dirfd_decorations():
    tr = trace_of(
        r"""
30  openat(3</w/sub>, "new.txt", 0x241, 0644) = 4</w/sub/new.txt>
30  renameat2(3</w/sub>, "new.txt", 5</w>, "../moved.txt", 0x1) = 0
30  linkat(5</w>, "moved.txt", -100</cwd>, "hard", 0) = 0
30  symlinkat("moved.txt", 5</w>, "sym.txt") = 0
30  readlinkat(5</w>, "sym.txt", "moved.txt", 256) = 9
30  newfstatat(5</w>, "", {st_mode=040755}, 0x1000) = 0
30  unlinkat(5</w>, "gone", 0x200)   = 0
30  utimensat(4</w/sub/new.txt>, NULL, NULL, 0) = 0
30  openat2(5</w>, "o2", {flags=0x241, mode=0644, resolve=0}, 24) = 6</w/o2>
30  creat("/w/c", 0644)             = 7</w/c>
"""
    )
    assert ok_events(tr) == [
        (30, "open", "/w/sub/new.txt", None, 0o1101),
        (30, "rename", "/w/sub/new.txt", "/moved.txt", 0),
        (30, "link", "/w/moved.txt", "/cwd/hard", 0),
        (30, "symlink", None, "/w/sym.txt", 0),
        (30, "readlink", "/w/sym.txt", None, 0),
        (30, "unlink", "/w/gone", None, 0),
        (30, "open", "/w/o2", None, 0o1101),
        (30, "open", "/w/c", None, os.O_CREAT | os.O_WRONLY | os.O_TRUNC),
    ]
    readlink = next(e for e in tr.events if e.op == "readlink")
    assert readlink.target == "moved.txt"
    symlink = next(e for e in tr.events if e.op == "symlink")
    assert symlink.target == "moved.txt"
    assert [(e.op, e.path) for e in tr.events if e.evidence_only] == [("utime", "/w/sub/new.txt")]


def test_restrict_keeps_the_command_from_its_first_exec():
    tr = trace_of(
        """
1  clone(child_stack=NULL, flags=0x1200000|17, child_tidptr=0x7f) = 2
2  close(3) = 0
2  openat(-100</w>, "/launcher/stuff", 0x80000) = 3</launcher/stuff>
2  execve("/bin/x", ["x"], []) = -1 ENOENT (No such file or directory)
2  execve("/usr/bin/x", ["x"], []) = 0
2  openat(-100</w>, "in", 0x80000) = 3</w/in>
2  vfork() = 3
3  execve("/usr/bin/y", ["y"], []) = 0
1  openat(-100</w>, "/launcher/after", 0x80000) = 3</launcher/after>
"""
    )
    sub = tr.restrict(2)
    assert set(sub.procs) == {2, 3}
    assert [(e.pid, e.path) for e in sub.events if e.ok] == [(2, "/usr/bin/x"), (2, "/w/in"), (3, "/usr/bin/y")]
    assert [e.ok for e in sub.execs] == [True, True]


def test_connect_and_accept_events():
    tr = trace_of(
        r"""
40  connect(5<socket:[1]>, {sa_family=0x2, sin_port="\x1f\x90", sin_addr="\x7f\x00\x00\x01"}, 16) = 0
40  connect(6<socket:[2]>, {sa_family=0x1, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)
40  connect(7<socket:[3]>, {sa_family=0x2, sin_port="\x00\x50", sin_addr="\x0a\x00\x00\x01"}, 16) = -1 EINPROGRESS (Operation now in progress)
"""
    )
    assert [(n.op, n.family, n.address, n.port, n.ok) for n in tr.net] == [
        ("connect", "inet", "127.0.0.1", 8080, True),
        ("connect", "unix", "/var/run/nscd/socket", None, False),
        ("connect", "inet", "10.0.0.1", 80, True),
    ]


# --- blind spots and tracer-internal accesses ------------------------------------------


def ev(path: str, op: str = "open", pid: int = 1) -> strace.PathEvent:
    return strace.PathEvent(pid, pid, "openat", op, path)


@pytest.mark.parametrize(
    "path,kind,op,category",
    [
        ("/etc/ld.so.cache", "read", "open", blindspots.LOADER),
        ("/usr/lib/locale/C.utf8/LC_CTYPE", "read", "open", blindspots.LOCALE),
        ("/usr/share/locale/locale.alias", "read", "open", blindspots.LOCALE),
        ("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", "read", "open", blindspots.LOCALE),
        ("/usr/share/locale/de/LC_MESSAGES/coreutils.mo", "read", "open", blindspots.GETTEXT),
        ("/etc/passwd", "read", "open", blindspots.NSS),
        ("/lib/x86_64-linux-gnu/libnss_files.so.2", "read", "open", blindspots.NSS),
        ("/etc/localtime", "read", "open", blindspots.TIMEZONE),
        ("/usr/share/zoneinfo/Europe/Paris", "read", "open", blindspots.TIMEZONE),
        ("/sys/devices/system/cpu/online", "read", "open", blindspots.GLIBC_PROC_SYS),
        # not blind spots: writes to the same places, program files, look-alikes
        ("/etc/passwd", "write", "open", None),
        ("/etc/localtime", "create", "open", None),
        ("/usr/lib/locale/C.utf8/LC_CTYPE", "delete", "unlink", None),
        ("/home/u/locale/x.mo", "read", "open", None),
        ("/etc/hostname", "read", "open", None),
        ("/proc/self/status", "read", "open", None),
        ("/lib/x86_64-linux-gnu/libc.so.6", "read", "open", None),
        ("/", "stat", "stat", None),
    ],
)
def test_classify(path, kind, op, category):
    assert blindspots.classify(ev(path, op), kind, path, blindspots.Context()) == category


def test_root_stat_is_nss_only_in_a_process_that_read_nsswitch():
    ctx = blindspots.Context(touched={1: {"/etc/nsswitch.conf"}})
    assert blindspots.classify(ev("/", "stat", 1), "stat", "/", ctx) == blindspots.NSS
    assert blindspots.classify(ev("/", "stat", 2), "stat", "/", ctx) is None


def test_realpath_walk_follows_symlinks():
    links = {"/lib": "usr/lib", "/usr/bin/cc": "/etc/alternatives/cc", "/etc/alternatives/cc": "/usr/bin/gcc"}
    assert blindspots.realpath_walk("/lib/x/../y.so", links) == {"/lib", "/usr", "/usr/lib", "/usr/lib/x", "/usr/lib/y.so"}
    assert blindspots.realpath_walk("/usr/bin/cc", links) == {
        "/usr", "/usr/bin", "/usr/bin/cc", "/etc", "/etc/alternatives", "/etc/alternatives/cc", "/usr/bin/gcc",
    }  # fmt: skip


def test_readlink_inside_a_logged_realpath_is_a_realpath_walk():
    ctx = blindspots.Context(realpaths={1: [("/lib/x.so", "/usr/lib/x.so")]}, links={1: {"/lib": "usr/lib"}})
    assert blindspots.classify(ev("/lib", "readlink"), "stat", "/lib", ctx) == blindspots.REALPATH_WALK
    assert blindspots.classify(ev("/lib", "readlink", pid=2), "stat", "/lib", ctx) is None
    assert blindspots.classify(ev("/bin", "readlink"), "stat", "/bin", ctx) is None


def test_tracer_internal_paths_come_from_the_environment():
    internal = blindspots.Internal.from_env(
        ["LD_PRELOAD=/opt/pt/libprovtrace.so", "PROVTRACE_SESSION=/dev/shm/provtrace-ab12/session.log"]
    )
    assert internal.is_internal_path("/opt/pt/libprovtrace.so")
    assert internal.is_internal_path("/dev/shm/provtrace-ab12/session.log")
    assert not internal.is_internal_path("/dev/shm/other")
    assert not internal.is_internal_path("/opt/pt/libother.so")


def test_elf_probe_needs_the_exact_flags_and_a_later_exec_of_the_same_path():
    tr = trace_of(
        """
1  openat(-100</w>, "/usr/bin/ls", 0x80900) = 3</usr/bin/ls>
1  openat(-100</w>, "/usr/bin/cat", 0x80900) = 3</usr/bin/cat>
1  openat(-100</w>, "/usr/bin/ls", 0x80000) = 3</usr/bin/ls>
1  execve("/usr/bin/ls", ["ls"], []) = 0
"""
    )
    probes = blindspots.tracer_lines(tr)
    assert [e.path for e in tr.events if e.line in probes] == ["/usr/bin/ls"]


def test_wrapper_path_search_and_truncate_version_stat_are_tracer_internal():
    tr = trace_of(
        """
1  access("/usr/bin/touch", 0x1)     = 0
1  openat(-100</w>, "/usr/bin/touch", 0x80900) = 3</usr/bin/touch>
1  access("/usr/bin/cat", 0x1)     = 0
1  clone3({flags=0x4100, exit_signal=17, stack=0x7f, stack_size=0x9000}, 88) = 2
2  execve("/usr/bin/touch", ["touch", "x"], []) = 0
2  truncate("f", 1) = 0
2  newfstatat(-100</w>, "f", {st_mode=0100644}, 0) = 0
2  newfstatat(-100</w>, "f", {st_mode=0100644}, 0) = 0
"""
    )
    internal = blindspots.tracer_lines(tr)
    assert [(e.op, e.path) for e in tr.events if e.line in internal] == [
        ("access", "/usr/bin/touch"), ("open", "/usr/bin/touch"), ("stat", "/w/f"),
    ]  # fmt: skip


def test_realpath_groups_cover_eaccess_checks_inside_realpath():
    tr = trace_of(
        """
5  readlink("/usr/lib/gcc", 0x7ff, 1023) = -1 EINVAL (Invalid argument)
5  faccessat2(-100</w>, "/usr/lib/gcc/", 0, 0x200) = 0
5  readlink("/usr/lib/x.o", 0x7ff, 1023) = -1 EINVAL (Invalid argument)
5  readlink("/opt", 0x7ff, 1023) = -1 EINVAL (Invalid argument)
5  faccessat2(-100</w>, "/opt/y/", 0, 0x200) = 0
5  readlink("/opt/x.o", 0x7ff, 1023) = -1 EINVAL (Invalid argument)
"""
    )
    ctx = blindspots.Context.build(tr, {5: [("/usr/lib/x.o", "/usr/lib/x.o")]})
    access = [e for e in tr.events if e.op == "access"]
    assert blindspots.classify(access[0], "stat", "/usr/lib/gcc", ctx) == blindspots.REALPATH_WALK
    assert blindspots.classify(access[1], "stat", "/opt/y", ctx) is None


# --- the comparison itself -------------------------------------------------------------


def _run(events, execs=(), procs=None):
    from oracle.provstore import PtEvent, PtExec, PtRun

    run = PtRun(1, 10, 0, None, 0, [])
    run.procs = procs or {10: "root"}
    run.parents = {pid: None for pid in run.procs}
    run.events = [PtEvent(10, i, op, kind, path, None, flags, True, None) for i, (op, kind, path, flags) in enumerate(events)]
    run.execs = [PtExec(10, i, path, argv, "preload", "dynamic") for i, (path, argv) in enumerate(execs)]
    return run


COMPARE_SAMPLE = """
10  execve("/usr/bin/tool", ["tool", "x"], ["LD_PRELOAD=/opt/libprovtrace.so"]) = 0
10  openat(-100</w>, "/opt/libprovtrace.so", 0x80000) = 3</opt/libprovtrace.so>
10  openat(-100</w>, "/etc/ld.so.cache", 0x80000) = 3</etc/ld.so.cache>
10  openat(-100</w>, "in.txt", 0x80000) = 3</w/in.txt>
10  openat(-100</w>, "out.txt", 0x241, 0666) = 3</w/out.txt>
"""


def test_compare_matches_classifies_and_flags_misses_and_extras():
    from oracle import compare

    tr = trace_of(COMPARE_SAMPLE)
    internal = blindspots.Internal.from_env(tr.procs[10].execs[0].env)
    good = _run(
        [("exec", "exec", "/usr/bin/tool", 0), ("open", "read", "/w/in.txt", 0), ("open", "create", "/w/out.txt", 0o1101)],
        execs=[("/usr/bin/tool", ["tool", "x"])],
    )
    cmp = compare.compare("sample", tr, good, internal)
    assert cmp.ok, cmp.report()
    assert (cmp.required, cmp.matched, cmp.internal) == (4, 3, 1)
    assert {k: len(v) for k, v in cmp.blind.items()} == {"loader": 1}

    bad = _run(
        [("exec", "exec", "/usr/bin/tool", 0), ("open", "read", "/w/out.txt", 0), ("open", "read", "/w/ghost.txt", 0)],
        execs=[("/usr/bin/tool", ["tool", "y"])],
    )
    cmp = compare.compare("sample", tr, bad, internal)
    assert not cmp.ok
    assert [k for k, _, _ in cmp.unexplained] == [(10, "/w/in.txt", "read"), (10, "/w/out.txt", "create")]
    assert [k for k, _, _ in cmp.extras] == [(10, "/w/ghost.txt", "read"), (10, "/w/out.txt", "read")]
    assert len(cmp.exec_problems) == 1
    text = cmp.report()
    assert "UNEXPLAINED" in text and "/w/ghost.txt" in text and "['tool', 'y']" in text


def test_compare_flags_missing_processes():
    from oracle import compare

    tr = trace_of(COMPARE_SAMPLE + '10  vfork() = 11\n11  execve("/usr/bin/tool", ["tool"], []) = 0\n')
    run = _run([("exec", "exec", "/usr/bin/tool", 0)], execs=[("/usr/bin/tool", ["tool", "x"])])
    cmp = compare.compare("sample", tr, run, blindspots.Internal(None, frozenset()))
    assert any("11" in p for p in cmp.process_problems)
    assert any("pid 11" in p for p in cmp.exec_problems)

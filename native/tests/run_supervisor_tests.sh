#!/bin/sh
# run_supervisor_tests.sh — provtrace-supervisor: the seccomp filter, ptrace
# of static programs (auto and ptrace modes), routing from the exec wrapper,
# exit statuses and signal deaths, ptrace refused, io_uring.  Called by
# `make -C native test` (BUILD and CC come from the Makefile).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
B=${BUILD:-$HERE/../build}
CC=${CC:-cc}
T=$B/tests
LIB=$B/libprovtrace.so
SUP=$B/provtrace-supervisor
INC="-I$HERE/../include -I$HERE/../common -I$B/gen"
mkdir -p "$T"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; }
check() { desc=$1; shift; if "$@" >/dev/null 2>&1; then ok "$desc"; else bad "$desc"; fi; }

cc_() { $CC -O1 -g -Wall -Wextra $INC "$@" || { echo "compile failed: $*"; exit 1; }; }
cc_ "$HERE/mklog.c" -o "$T/mklog"
cc_ "$HERE/ptdump.c" -o "$T/ptdump"
cc_ "$HERE/t_filter.c" -o "$T/t_filter"
cc_ "$HERE/t_noptrace.c" -o "$T/t_noptrace"
cc_ "$HERE/t_exec_static.c" -o "$T/t_exec_static"
cc_ "$HERE/t_exec_fail.c" -o "$T/t_exec_fail"
cc_ "$HERE/t_spawn_static.c" -o "$T/t_spawn_static"
cc_ "$HERE/t_landlock.c" -o "$T/t_landlock"
if ! $CC -static -O1 -pthread $INC "$HERE/t_sup_static.c" -o "$T/t_sup_static" 2>/dev/null ||
   ! $CC -static -O1 $INC "$HERE/t_emul.c" -o "$T/t_emul" 2>/dev/null ||
   ! $CC -static -O1 -pthread $INC "$HERE/t_edges.c" -o "$T/t_edges" 2>/dev/null ||
   ! $CC -static -O1 $INC "$HERE/t_uring.c" -o "$T/t_uring" 2>/dev/null; then
    echo "  skip: no static libc (apt-get install libc6-dev)"
    exit 0
fi

LOGDIR=${XDG_RUNTIME_DIR:-/dev/shm}
[ -d "$LOGDIR" ] && [ -w "$LOGDIR" ] || LOGDIR=$T
W=$(mktemp -d "${TMPDIR:-/tmp}/ptsup.XXXXXX")
trap 'rm -rf "$W"; rm -f "$LOGDIR"/ptsup.$$.*' EXIT
# sup NAME MODE CMD... : fresh log, run CMD under the supervisor (and the
# library, as the launcher does), status lines to $W/NAME.st, dump to $W/NAME.txt
sup() {
    name=$1 mode=$2; shift 2
    log=$LOGDIR/ptsup.$$.$name
    "$T/mklog" "$log"
    mkdir -p "$W/$name"
    (cd "$W/$name" && LD_PRELOAD=$LIB PROVTRACE_SESSION=$log \
        "$SUP" --log "$log" --mode "$mode" --status-fd 3 -- "$@" 3> "$W/$name.st" > "$W/$name.out" 2> "$W/$name.err")
    rc=$?
    "$T/ptdump" "$log" > "$W/$name.txt"
    return $rc
}
has() { grep -q -- "$2" "$W/$1.txt"; }
count() { grep -c -- "$2" "$W/$1.txt"; }
clean_log() { ! grep -q '^# invalid' "$W/$1.txt" && grep -q 'dropped=0 errors=0' "$W/$1.txt"; }

echo "1 seccomp filter (no tracer: traced calls fail with ENOSYS)"
"$T/t_filter" > "$W/filter.out" 2>&1
while read -r res name; do
    if [ "$res" = ok ]; then ok "$name"; else bad "$name"; fi
done < "$W/filter.out"

echo "2 --mode ptrace: a static program with threads, *at calls, fork+exec"
sup ptr ptrace "$T/t_sup_static" 3 /bin/true
RC=$?
check "exit status 3 passed through" test $RC = 3
MYPID=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$W/ptr.out")
CHILD=$(sed -n 's/.* child=\([0-9]*\) .*/\1/p' "$W/ptr.out")
check "status lines: ptrace ok, pid, status, end" sh -c "grep -q '^ptrace ok' '$W/ptr.st' && grep -q '^pid $MYPID\$' '$W/ptr.st' && grep -q '^status 768\$' '$W/ptr.st' && grep -q '^end ' '$W/ptr.st'"
check "START of the static image, tracer ptrace, class static, real pid" \
    has ptr "^START pid=$MYPID .*ret=1 err=1 .*\"$T/t_sup_static\" \"[^\"]*\" \"$T/t_sup_static\" \"3\" \"/bin/true\""
check "mkdir d" has ptr "^MKDIR pid=$MYPID .*ret=0 .*\"d\""
DFD=$(sed -n "s/^OPEN pid=$MYPID .* ret=\([0-9]*\) .*a1=[0-9]* .*\"d\"\$/\1/p" "$W/ptr.txt")
check "open(d) -> dirfd $DFD" test -n "$DFD"
check "openat(dirfd, x.txt, O_CREAT) with version" has ptr "^OPEN pid=$MYPID .*fd=$DFD a1=577 a2=384 a3=1 v=.* \"x.txt\""
check "close of the written fd carries the final size (6)" has ptr "^CLOSE pid=$MYPID .* v=[0-9]*:[0-9]*:6:"
check "renameat(dirfd, x.txt, dirfd, y.txt)" has ptr "^RENAME pid=$MYPID .*ret=0 .*fd=$DFD a1=$DFD .*\"x.txt\" \"y.txt\""
check "newfstatat(dirfd, y.txt)" has ptr "^STAT pid=$MYPID .*ret=0 .*fd=$DFD .*a3=2 \"y.txt\""
check "fstat (AT_EMPTY_PATH) not logged" sh -c "! grep -q '^STAT .*\"\"\$' '$W/ptr.txt'"
check "failed unlinkat: ret=-1 err=ENOENT" has ptr "^UNLINK pid=$MYPID .*ret=-1 err=2 .*\"missing\""
check "thread's open logged with the process pid and its own tid" \
    sh -c "grep '^OPEN pid=$MYPID .*\"thread.txt\"' '$W/ptr.txt' | grep -vq 'tid=$MYPID '"
check "FORK with the real child pid" has ptr "^FORK pid=$MYPID .*ret=$CHILD "
check "child's EXEC /bin/true (from the static parent)" has ptr "^EXEC pid=$CHILD .*ret=$MYPID .*\"/bin/true\" \"/bin/true\""
check "child's dynamic image traced too (ptrace mode): START ret=1 class dynamic" \
    has ptr "^START pid=$CHILD .*ret=1 err=0 .*\"/bin/true\""
check "loader's opens seen in ptrace mode" has ptr "^OPEN pid=$CHILD .*libc.so"
check "no preload START in ptrace mode (nothing logged twice)" sh -c "! grep -q '^START .*ret=0 ' '$W/ptr.txt'"
check "EXIT status of the child (raw 0) and of the program (3<<8)" \
    sh -c "grep -q '^EXIT pid=$CHILD .*a1=0 a2=3' '$W/ptr.txt' && grep -q '^EXIT pid=$MYPID .*a1=768 a2=3' '$W/ptr.txt'"
check "log clean" clean_log ptr

echo "3 --mode auto: dynamic parent (preloaded) execs a static program"
sup auto auto "$T/t_exec_static" "$T/t_sup_static" 0 /bin/true
RC=$?
check "exit status 0" test $RC = 0
MYPID=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$W/auto.out")
CHILD=$(sed -n 's/.* child=\([0-9]*\) .*/\1/p' "$W/auto.out")
check "preload START of the dynamic root (tracer preload)" has auto "^START pid=$MYPID .*ret=0 .*t_exec_static"
check "preload EXEC of the static target, class static" has auto "^EXEC pid=$MYPID .*a3=1 .*t_sup_static\""
check "no UNTRACED record (routed to the supervisor)" sh -c "! grep -q '^UNTRACED' '$W/auto.txt'"
check "routed START (class static, no exec stop) for the static image, same pid" \
    has auto "^START pid=$MYPID .*ret=2 err=1 "
check "... after the wrapper's EXEC and before the image's own records" sh -c \
    "grep -n '^EXEC pid=$MYPID .*t_sup_static\"\\|^START pid=$MYPID .*ret=2\\|^RENAME pid=$MYPID' '$W/auto.txt' | cut -d' ' -f1 | tr '\\n' ' ' | grep -q '^[0-9]*:EXEC [0-9]*:START [0-9]*:RENAME'"
check "its files are recorded" has auto "^RENAME pid=$MYPID .*\"x.txt\" \"y.txt\""
check "its child's /bin/true runs preloaded: preload START, not the supervisor's" \
    sh -c "grep -q '^START pid=$CHILD .*ret=0 .*\"/bin/true\"' '$W/auto.txt' && ! grep -q '^START pid=$CHILD .*ret=1 ' '$W/auto.txt'"
check "no loader opens logged for the preloaded child (no double logging)" \
    sh -c "! grep -q '^OPEN pid=$CHILD .*libc.so' '$W/auto.txt'"
check "header: root_pid is the supervisor" sh -c "'$T/ptdump' -h '$LOGDIR/ptsup.$$.auto' | grep -q 'root_pid=[1-9]'"
check "log clean" clean_log auto

echo "3b --mode auto: a routed exec that fails, then one that works"
cp "$T/t_sup_static" "$W/noexec_static" && chmod 644 "$W/noexec_static"
sup efail auto "$T/t_exec_fail" "$W/noexec_static" "$T/t_sup_static" 0
RC=$?
check "exit status 0" test $RC = 0
MYPID=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$W/efail.out")
check "the failed exec: EXECFAIL EACCES" has efail "^EXECFAIL pid=$MYPID .*err=13 "
check "the program's own open after it is logged once (the library's, not the supervisor's)" \
    sh -c "test \$(grep -c '^OPEN pid=$MYPID .*\"after.txt\"' '$W/efail.txt') = 1"
# (seized at the request, the second image is announced at its exec event,
# START ret=1 with its path; lazy, at its first notification, START ret=2
# after the wrapper's EXEC: either way, nothing between EXECFAIL and EXEC)
SEQ=$(grep -E "^(START|EXEC|EXECFAIL) pid=$MYPID " "$W/efail.txt" | sed 's/^\([A-Z]*\) .* ret=\([0-9-]*\) err=\([0-9]*\) .*/\1:\2:\3/' | tr '\n' ' ')
check "no image announced for the failed exec" sh -c "echo '$SEQ' | grep -q 'EXECFAIL:-1:13 EXEC:'"
check "the second exec: its START, class static" sh -c "echo '$SEQ' | grep -q 'EXEC:[0-9]*:0 START:[12]:1 \$'"
check "its files are recorded" has efail "^RENAME pid=$MYPID .*\"x.txt\" \"y.txt\""
check "log clean" clean_log efail

echo "3c --mode auto: a static program run three times by a shell"
# (lazy: the first run is seized at its first write open, so the next two
# are seized at their exec; with PROVTRACE_LAZY=0 all three are)
PROVTRACE_DEBUG=1 sup thrice auto /bin/sh -c "for i in 1 2 3; do \"$T/t_sup_static\" 0; done"
RC=$?
check "exit status 0" test $RC = 0
check "three images announced, class static" test "$(count thrice '^START .* err=1 .*')" = 3
check "three renames recorded" test "$(count thrice '^RENAME .*\"x.txt\" \"y.txt\"')" = 3
if [ "${PROVTRACE_LAZY:-1}" != 0 ] && [ "${PROVTRACE_NOTIFY:-1}" != 0 ]; then
    check "seized lazily once, then at the exec" sh -c "test \$(grep -c 'seized [0-9]* at syscall' '$W/thrice.err') = 1 && test \$(grep -c 'seized [0-9]* (pid [0-9]*) on request' '$W/thrice.err') = 2"
fi
check "log clean" clean_log thrice

echo "4 signal death of a static program"
sup sig ptrace "$T/t_sup_static" kill
RC=$?
check "supervisor exits 128+SIGSEGV" test $RC = 139
MYPID=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$W/sig.out")
check "EXIT with the raw status of the signal death" has sig "^EXIT pid=$MYPID .*a1=139 a2=3\|^EXIT pid=$MYPID .*a1=11 a2=3"
check "status line reports the signal" grep -q '^status 1[13]9\?$' "$W/sig.st"

echo "5 --mode preload: never ptrace"
sup pre preload "$T/t_exec_static" "$T/t_sup_static" 0
check "program ran" grep -q '^pid=' "$W/pre.out"
check "UNTRACED with the reason" has pre '^UNTRACED .*fd=1 .*t_sup_static" "statically linked (no PT_INTERP); not traced in --mode preload"'
check "no ptrace START" sh -c "! grep -q '^START .*ret=1 ' '$W/pre.txt'"

echo "6 ptrace not permitted (a seccomp filter makes ptrace fail with EPERM)"
log=$LOGDIR/ptsup.$$.noptr
"$T/mklog" "$log"
mkdir -p "$W/noptr" "$W/noptr_native"
(cd "$W/noptr_native" && "$T/t_sup_static" 4 > "$W/noptr_native.out" 2>&1)
(cd "$W/noptr" && LD_PRELOAD=$LIB PROVTRACE_SESSION=$log "$T/t_noptrace" "$SUP" --log "$log" --status-fd 3 -- \
    "$T/t_exec_static" "$T/t_sup_static" 4 3> "$W/noptr.st" > "$W/noptr.out" 2>&1)
RC=$?
"$T/ptdump" "$log" > "$W/noptr.txt"
check "run completes with the program's own status (4)" test $RC = 4
check "output as without provtrace (modulo pids)" sh -c "sed 's/[0-9][0-9]*/N/g' '$W/noptr.out' > '$W/a'; sed 's/[0-9][0-9]*/N/g' '$W/noptr_native.out' > '$W/b'; cmp '$W/a' '$W/b'"
check "status line: ptrace unavailable" grep -q '^ptrace unavailable ptrace is not permitted here' "$W/noptr.st"
check "UNTRACED with the class and the ptrace reason" \
    has noptr '^UNTRACED .*fd=1 .*t_sup_static" "statically linked (no PT_INTERP); ptrace is not permitted here (PTRACE_SEIZE: Operation not permitted)'
check "the files it wrote exist anyway" test -f "$W/noptr/d/y.txt"

echo "7 io_uring_setup in a static program is flagged"
sup uring ptrace "$T/t_uring"
check "program ran" grep -q '^uring ' "$W/uring.out"
check "URING record (entries 4)" has uring '^URING .*a1=4 '

echo "8 orphans: the supervisor waits for a daemonised grandchild"
sup orphan auto /bin/sh -c "(sleep 0.3; echo late > late.txt) & exit 0"
check "grandchild finished before the supervisor returned" test -f "$W/orphan/late.txt"
check "status line end 1 0 (one orphan reaped)" grep -q '^end 1 0$' "$W/orphan.st"

echo "9 posix_spawn of a static program goes through the supervisor's shim"
sup spawn auto "$T/t_spawn_static" "$T/t_sup_static" 6
RC=$?
check "exit status of the spawned program passed back (6)" test $RC = 6
SP=$(sed -n 's/^spawned=\([0-9]*\) .*/\1/p' "$W/spawn.out")
MYPID=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$W/spawn.out")
check "the program's own pid is the one posix_spawn returned" test "$SP" = "$MYPID"
check "SPAWN record with the real target and argv" has spawn "^SPAWN .*a1=$SP .*\"$T/t_sup_static\" \"$T/t_sup_static\" \"6\""
check "supervisor START for it (ptrace, static)" has spawn "^START pid=$SP .*ret=1 err=1 .*t_sup_static"
check "its calls recorded" has spawn "^RENAME pid=$SP .*\"x.txt\" \"y.txt\""
check "no UNTRACED record" sh -c "! grep -q '^UNTRACED' '$W/spawn.txt'"

echo "10 path calls the supervisor makes for a static program, and those it must not"
mkdir -p "$W/emul_native"
(cd "$W/emul_native" && "$T/t_emul" > "$W/emul_native.out" 2>&1)
PROVTRACE_DEBUG=1 sup emul ptrace "$T/t_emul"
RC=$?
check "exit status 0" test $RC = 0
check "output exactly as natively (umask, modes, errors, times)" cmp "$W/emul.out" "$W/emul_native.out"
check "mkdir under umask 077 made 0700" grep -q '^mode d1 700$' "$W/emul.out"
check "files made after umask calls, in a child too, have the modes they get natively" \
    sh -c "grep -q '^mode w7 644\$' '$W/emul.out' && grep -q '^mode w8b 666\$' '$W/emul.out' && grep -q '^mode d8 777\$' '$W/emul.out' && grep -q '^mode w9 644\$' '$W/emul.out'"
check "MKDIR ret=0 then EEXIST" sh -c "grep -q '^MKDIR .*ret=0 .*\"d1\"' '$W/emul.txt' && grep -q '^MKDIR .*ret=-1 err=17 .*\"d1\"' '$W/emul.txt'"
check "CHMOD through the symlink recorded ret=0" has emul '^CHMOD .*ret=0 .*a2=488 .*"ln"'
check "RENAME, LINK, UNLINK ENOTDIR, EBADF recorded" sh -c "grep -q '^RENAME .*ret=0 .*\"g\" \"h\"' '$W/emul.txt' && grep -q '^LINK .*ret=0' '$W/emul.txt' && grep -q '^UNLINK .*ret=-1 err=20 .*\"d1/f/x\"' '$W/emul.txt' && grep -q '^UNLINK .*ret=-1 err=9 .*fd=999' '$W/emul.txt'"
if [ "${PROVTRACE_NOTIFY:-1}" != 0 ]; then
    check "chmod through a symlink left to the kernel (stepped)" grep -q 'syscall 90 handed to the wait loop' "$W/emul.err"
    check "after a credential call, mkdir left to the kernel (stepped)" grep -q 'syscall 83 handed to the wait loop' "$W/emul.err"
    check "opens left to the kernel: a FIFO, /proc/self, the first for writing, a dangling symlink's target, O_CREAT|O_DIRECTORY, a trailing slash" \
        test "$(grep -c 'syscall 257 handed to the wait loop' "$W/emul.err")" = 6
    check "the other opens for writing made by the supervisor (11 files handed over, 3 in children)" \
        test "$(grep -c 'file opened for writing here' "$W/emul.err")" = 11
    check "no other call stepped" sh -c "test \$(grep -c 'handed to the wait loop' '$W/emul.err') -le 14"
    check "a file created for a thread that ran out of fds is not left behind" grep -q '^mode w6 missing$' "$W/emul.out"
fi
check "opens for reading recorded with their fd and version" has emul '^OPEN .*ret=4 err=0 fd=-100 a1=0 .* v=[0-9]*:[0-9]*:0:.*"d1/f"'
check "open of a missing file: ENOENT" has emul '^OPEN .*ret=-1 err=2 .*"missing"'
check "running out of fds: EMFILE recorded" has emul '^OPEN .*ret=-1 err=24 .*"d1/f"'
check "a file created for the thread: OPEN with its fd and version" has emul '^OPEN .*ret=7 err=0 fd=-100 a1=577 a2=438 .* v=[0-9]*:[0-9]*:0:.*"w1"'
check "its writes: CLOSE versions of 3, then 5 bytes" sh -c "grep -q '^CLOSE .*fd=7 .* v=[0-9]*:[0-9]*:3:' '$W/emul.txt' && grep -q '^CLOSE .*fd=7 .* v=[0-9]*:[0-9]*:5:' '$W/emul.txt'"
check "O_EXCL of an existing file: EEXIST recorded" has emul '^OPEN .*ret=-1 err=17 .*a1=193 .*"w1"'
check "EMFILE for a create recorded" has emul '^OPEN .*ret=-1 err=24 .*"w6"'
check "log clean" clean_log emul

echo "11 edges: what the program gets is what it gets natively"
for m in long devfd eintr redo tcwd; do
    mkdir -p "$W/edge_native_$m"
    (cd "$W/edge_native_$m" && "$T/t_edges" $m > "$W/edge_native_$m.out" 2>&1)
    sup "edge_$m" auto "$T/t_edges" $m
    check "$m: output as natively" cmp "$W/edge_$m.out" "$W/edge_native_$m.out"
done
# the same programs run by a dynamic shell: routed execs (lazy unless PROVTRACE_LAZY=0)
for m in long devfd eintr redo tcwd; do
    sup "edge_r_$m" auto /bin/sh -c "\"$T/t_edges\" $m; exit \$?"
    check "$m, run by a shell: output as natively" cmp "$W/edge_r_$m.out" "$W/edge_native_$m.out"
done
check "long: nothing removed for a path the kernel refuses" grep -q 'target kept' "$W/edge_long.out"
check "eintr: no EINTR from calls that never see it" grep -q '^eintr: EINTR 0, mkdir/rmdir failed 0' "$W/edge_eintr.out"
mkdir -p "$W/edge_native_ll"
(cd "$W/edge_native_ll" && "$T/t_landlock" "$T/t_edges" mk > "$W/edge_native_ll.out" 2>&1)
sup edge_ll auto "$T/t_landlock" "$T/t_edges" mk
check "landlock: the sandbox holds for the static program it runs" cmp "$W/edge_ll.out" "$W/edge_native_ll.out"

echo "passed $pass, failed $fail"
[ $fail = 0 ]

#!/bin/sh
# run_tests.sh — build the fixtures, run them natively and under
# libprovtrace.so, and check the records with ptdump.  Called by
# `make -C native test` (BUILD and CC come from the Makefile).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
B=${BUILD:-$HERE/../build}
CC=${CC:-cc}
T=$B/tests
LIB=$B/libprovtrace.so
INC=$HERE/../include
mkdir -p "$T"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; }
check() { desc=$1; shift; if "$@" >/dev/null 2>&1; then ok "$desc"; else bad "$desc"; fi; }

cc_() { $CC -O1 -g -Wall -Wextra -I"$INC" "$@" || { echo "compile failed: $*"; exit 1; }; }
cc_ "$HERE/mklog.c" -o "$T/mklog"
cc_ "$HERE/ptdump.c" -o "$T/ptdump"
cc_ -fsanitize=address,undefined -fno-sanitize-recover=all "$HERE/ptdump.c" -o "$T/ptdump_asan"
for f in t_files t_proc t_closeall t_exec_static t_forkreset; do cc_ "$HERE/$f.c" -o "$T/$f"; done
cc_ -pthread "$HERE/t_stress.c" -o "$T/t_stress"
STATIC_OK=1
$CC -static -O1 "$HERE/t_static.c" -o "$T/t_static" 2>/dev/null || STATIC_OK=0

LOGDIR=${XDG_RUNTIME_DIR:-/dev/shm}
[ -d "$LOGDIR" ] && [ -w "$LOGDIR" ] || LOGDIR=$T
W=$(mktemp -d "${TMPDIR:-/tmp}/pttest.XXXXXX")
trap 'rm -rf "$W"; rm -f "$LOGDIR"/pttest.$$.*' EXIT
n=0
# traced LOGNAME cmd... : fresh log, run under the library, dump to $W/LOGNAME.txt
traced() {
    name=$1; shift
    log=$LOGDIR/pttest.$$.$name
    "$T/mklog" "$log"
    LD_PRELOAD=$LIB PROVTRACE_SESSION=$log "$@"
    rc=$?
    "$T/ptdump" "$log" > "$W/$name.txt"
    "$T/ptdump_asan" "$log" > "$W/$name.asan.txt" 2>&1 || echo "ptdump_asan failed on $name"
    return $rc
}
has() { grep -q -- "$2" "$W/$1.txt"; }
count() { grep -c -- "$2" "$W/$1.txt"; }
clean_log() { ! grep -q '^# invalid' "$W/$1.txt" && grep -q 'dropped=0 errors=0' "$W/$1.txt"; }

echo "exports"
nm -D --defined-only "$LIB" | awk '{print $3}' | sed 's/@.*//' | sort -u > "$W/exported"
sed -n "/global:/,/local:/p" "$B/libprovtrace.map" | tr " " "\n" | grep -E "^[A-Za-z_0-9]+;$" | tr -d ";" | sort -u > "$W/wanted"
check "every wrapper in the version script is exported" cmp "$W/exported" "$W/wanted"

echo "1 file APIs (t_files)"
mkdir -p "$W/f1" "$W/f1n"
(cd "$W/f1n" && "$T/t_files" > ../f1n.out)
(cd "$W/f1" && traced files "$T/t_files" > ../f1.out)
check "output identical to native run (modulo mkstemp name)" \
    sh -c "sed 's/tmp[A-Za-z0-9]*/TMP/' '$W/f1.out' > '$W/a'; sed 's/tmp[A-Za-z0-9]*/TMP/' '$W/f1n.out' > '$W/b'; cmp '$W/a' '$W/b'"
TMPL=$(sed -n 's/^mkstemp=\([^ ]*\) .*/\1/p' "$W/f1.out")
check "START with exe and argv" has files '^START .* "[^"]*t_files" '
check "fopen(w): OPEN flags=O_WRONLY|O_CREAT|O_TRUNC api=FOPEN + version" \
    has files '^OPEN .*a1=577 a2=438 a3=3 v=[0-9:]* "a.txt"'
check "fclose of written file: CLOSE with version size=6" has files '^CLOSE .* v=[0-9]*:[0-9]*:6:'
check "opendir: OPEN api=OPENDIR" has files '^OPEN .*a1=65536 a2=0 a3=5 v=.* "\."$'
check "mkstemp: OPEN api=MKSTEMP with the final name" has files "^OPEN .*a3=7 v=.* \"$TMPL\""
check "open(O_RDONLY) with version" has files '^OPEN .*fd=-100 a1=0 a2=0 a3=0 v=.* "a.txt"'
check "mkdir mode 0755" has files '^MKDIR .*ret=0 .*a2=493 .* "sub"'
DFD=$(sed -n 's/^OPEN .* ret=\([0-9]*\) .*a1=65536 a2=0 a3=0 .* "sub"$/\1/p' "$W/files.txt")
check "openat(dirfd, b.txt): fd field = dirfd of sub" has files "^OPEN .* fd=$DFD a1=577 a2=416 a3=1 v=.* \"b.txt\""
check "dup logged" has files '^DUP '
check "written fd closed with version size=3 (and its dup)" test "$(count files '^CLOSE .* v=[0-9]*:[0-9]*:3:')" -ge 2
check "rename old new" has files '^RENAME .*ret=0 .*fd=-100 a1=-100 .* "a.txt" "c.txt"'
check "unlink of mkstemp file" has files "^UNLINK .*ret=0 .*\"$TMPL\""
check "stat" has files '^STAT .*ret=0 .*"c.txt"'
check "failed open: ret=-1 err=ENOENT" has files '^OPEN .*ret=-1 err=2 .*"does-not-exist"'
check "EXIT from destructor" has files '^EXIT .*a2=2'
check "log clean (no invalid, no drops)" clean_log files

echo "2 threads + signal handler (t_stress)"
N=$(traced stress "$T/t_stress" 10000)
SPID=$(sed -n 's/^START pid=\([0-9]*\) .*t_stress.*/\1/p' "$W/stress.txt")
GOT=$(grep -c "^OPEN pid=$SPID .*\"/dev/null\"" "$W/stress.txt")
echo "       opens performed=$N OPEN records=$GOT"
check "OPEN records == opens performed (>40000: handler fired)" sh -c "[ '$GOT' = '$N' ] && [ '$N' -gt 40000 ]"
check "4 writer threads seen" test "$(grep "^OPEN pid=$SPID " "$W/stress.txt" | sed 's/.*tid=\([0-9]*\).*/\1/' | sort -u | wc -l)" -ge 4
check "log clean" clean_log stress

echo "3 process creation (t_proc)"
(cd "$W" && "$T/t_proc" > "$W/p.native" 2>&1)
(cd "$W" && traced proc "$T/t_proc" > "$W/p.traced" 2>&1)
check "output identical to native run" cmp "$W/p.native" "$W/p.traced"
PPID_=$(sed -n 's/^START pid=\([0-9]*\) .*t_proc.*/\1/p' "$W/proc.txt")
check "VFORK record" has proc "^VFORK pid=$PPID_ "
check "vfork child EXEC /bin/true with its own pid" sh -c "grep '^EXEC .*\"/bin/true\"' '$W/proc.txt' | grep -vq 'pid=$PPID_ '"
check "START of /bin/true" has proc '^START .*"/bin/true" "[^"]*" "true"'
check "vfork+_exit(3): EXIT status 3 api _exit from the child pid" sh -c "grep '^EXIT .*a1=3 a2=1' '$W/proc.txt' | grep -vq 'pid=$PPID_ '"
check "FORK record in parent" has proc "^FORK pid=$PPID_ .*a1=0"
check "fork child exit(5): EXIT a1=5 api exit" has proc '^EXIT .*a1=5 a2=0'
check "WAIT status 5<<8" has proc "^WAIT pid=$PPID_ .*a1=1280"
check "SPAWN /bin/echo with child pid" has proc "^SPAWN pid=$PPID_ .*ret=0 .*\"/bin/echo\" \"echo\" \"spawned\""
check "START of echo (spawned child)" has proc '^START .*"/bin/echo" .*"spawned"'
check "SHELL record for system()" has proc '^SHELL .*"echo from-system"'
check "system's sh traced" has proc '^START .*"sh" "-c" "echo from-system"'
check "env -i: cat START still traced with our two variables" \
    sh -c "grep '^START .*\"/bin/cat\" \"[^\"]*\" \"/bin/cat\" \"/etc/hostname\"' '$W/proc.txt' | grep 'PROVTRACE_SESSION=' | grep -q 'LD_PRELOAD='"
check "clearenv+execlp: EXEC /bin/cat via default PATH" has proc '^EXEC .*"/bin/cat" "cat" "/etc/os-release"'
check "clearenv+execlp: cat traced" has proc '^START .*"cat" "/etc/os-release"'
check "execvp sh: WAIT 7<<8" has proc '^WAIT .*a1=1792'
check "ppid of the spawned echo = t_proc" has proc "^START pid=[0-9]* .*fd=$PPID_ .*\"/bin/echo\""
check "log clean" clean_log proc

traced forkreset "$T/t_forkreset"
check "_Fork after vfork: the parent's 20 opens kept" test "$(count forkreset '^OPEN .*"/etc/passwd"')" -eq 20
check "_Fork after vfork: the child's 20 opens kept" test "$(count forkreset '^OPEN .*"/etc/hostname"')" -eq 20
check "_Fork after vfork: log clean" clean_log forkreset

echo "4 closes every fd, then opens (t_closeall)"
OUT=$(traced closeall "$T/t_closeall")
check "program output unchanged" test "$OUT" = "1 1"
check "open after closefrom logged" has closeall '^OPEN .*"/etc/hostname"'
check "fopen after closefrom logged" has closeall '^OPEN .*a3=3 .*"/etc/os-release"'
check "closefrom logged as a range" has closeall '^CLOSE .*fd=3 a1=4294967296'

echo "5 static executable"
if [ $STATIC_OK = 1 ]; then
    OUT=$(traced static "$T/t_exec_static" "$T/t_static")
    check "static program ran" test "$OUT" = "static ok"
    check "EXEC class STATIC" has static '^EXEC .*a3=1 .*t_static"'
    check "UNTRACED fd=STATIC with reason" has static '^UNTRACED .*fd=1 .*t_static" "statically linked'
else
    echo "  skip (no static libc)"
fi

echo "6 bash pipeline"
mkdir -p "$W/b6" "$W/b6n"
printf 'c\nb\na\n' > "$W/b6/x"; cp "$W/b6/x" "$W/b6n/x"
(cd "$W/b6n" && bash -c 'ls; cat x | sort > y' > ../b6n.out 2>&1)
(cd "$W/b6" && traced bash bash -c 'ls; cat x | sort > y' > ../b6.out 2>&1)
check "output and result identical to native" sh -c "cmp '$W/b6.out' '$W/b6n.out' && cmp '$W/b6/y' '$W/b6n/y'"
check "ls traced" has bash '^START .*"ls"'
check "cat traced and opened x" has bash '^OPEN .*"x"'
check "sort traced" has bash '^START .*"sort"'
check "bash opened y for writing" has bash '^OPEN .*a1=577 .*"y"'
check "pipe logged" has bash '^PIPE '
check "log clean" clean_log bash
traced loop bash -c 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done'
USED=$(sed -n 's/^# header .* used=\([0-9]*\) .*/\1/p' "$W/loop.txt")
# bash, and per iteration its fork child and the image of true: a child that
# threw away the chunk its atfork record opened would take one more each time
check "a fork child writes into one chunk (21 chunks for 10 fork+exec, used=$USED)" \
    test "${USED:-999999999}" -le $((21 * 65536))

echo "7 robustness"
OUT=$(LD_PRELOAD=$LIB cat /etc/hostname 2>&1)
check "no session: program unchanged" test "$OUT" = "$(cat /etc/hostname)"
OUT=$(LD_PRELOAD=$LIB PROVTRACE_SESSION=/nonexistent cat /etc/hostname 2>&1)
check "invalid session: program unchanged, silent" test "$OUT" = "$(cat /etc/hostname)"
OUT=$(LD_PRELOAD=$LIB PROVTRACE_SESSION=/nonexistent PROVTRACE_DEBUG=1 /bin/true 2>&1)
check "PROVTRACE_DEBUG=1 explains" sh -c "echo '$OUT' | grep -q '^provtrace-debug \[.*:[0-9]*\]> cannot open session log'"
small=$LOGDIR/pttest.$$.small
"$T/mklog" "$small" $((4096 + 65536))
LD_PRELOAD=$LIB PROVTRACE_SESSION=$small "$T/t_stress" 200 > /dev/null
check "full log: drops counted, program unaffected" sh -c "'$T/ptdump' -h '$small' | grep -qv 'dropped=0 '"
head -c 300000 /dev/urandom > "$W/junk" 2>/dev/null
cp "$LOGDIR/pttest.$$.files" "$W/corrupt"
dd if="$W/junk" of="$W/corrupt" bs=1 seek=4200 count=3000 conv=notrunc 2>/dev/null
check "reader survives a corrupt log (ASan)" "$T/ptdump_asan" "$W/corrupt"

echo "passed $pass, failed $fail"
[ $fail = 0 ]

# static_script.sh — run by Debian's static busybox ("busybox sh"): creates,
# reads, renames and deletes files and runs sub-commands (busybox applets,
# a busybox sub-shell and one dynamically linked program).  Records its pids.
echo $$ > pids.txt
mkdir -p bdir
echo one > bdir/one.txt
cat bdir/one.txt > bdir/two.txt
mv bdir/two.txt bdir/three.txt
cp bdir/three.txt copy.txt
ls bdir > listing.txt
busybox sh -c 'echo $$ >> pids.txt; wc -l copy.txt > count.txt'
/bin/cat copy.txt > from_dynamic.txt
rm bdir/one.txt
rm -r bdir
test -e bdir || echo gone > status.txt

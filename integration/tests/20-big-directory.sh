# A directory of 100,000 entries: create, list, stat, remove.
. "$(dirname "$0")/../lib.sh"
mount_fresh
mkdir "$MNT/big"
cd "$MNT/big"
start=$(date +%s%N)
seq -f 'entry-%06g' 1 100000 | xargs touch || fail "touch 100,000 files"
echo "figure: 100,000 creates (xargs touch) in $(( ($(date +%s%N) - start) / 1000000 )) ms"
[ "$(ls -f | wc -l)" = 100002 ] || fail "ls -f counts $(ls -f | wc -l) entries, not 100,002"
[ "$(find . -type f | wc -l)" = 100000 ] || fail "find counts the wrong number"
ls -l >/dev/null || fail "ls -l (stat of every entry)"
cd "$MNT"
rm -rf big || fail "rm -rf of 100,000 entries"
[ ! -e big ] || fail "big survived rm -rf"
cd /
unmount
fsck_clean

# An unmount lets go of DATA_DIR within seconds, keeping what was
# acknowledged, and a mount right after it succeeds: the daemon gives up
# a running flush or compaction (the WAL holds the writes; the next mount
# compacts), and a mount that finds the LOCK held by a process that serves
# no mount of the directory waits for it (up to 30 s, saying so).
. "$(dirname "$0")/../lib.sh"

# Tables under load: small MemTables, so that flushes and compactions run
# while the writers go on, and an unmount in the middle of it all.
mount_fresh memtable_size=4
for w in 1 2 3 4; do
  head -c 24M /dev/urandom > "$WORK/src$w"
done
writers=
for w in 1 2 3 4; do
  (for round in 1 2; do cp "$WORK/src$w" "$MNT/f$w.$round" || exit 1; done) &
  writers="$writers $!"
done
for w in $writers; do wait "$w" || fail "a writer failed"; done
digest_before=$(cd "$MNT" && sha256sum f*)
start=$(date +%s%N)
fusermount3 -u "$MNT" || fail "fusermount3 -u"
wait "$PID" || fail "ironfs exited with status $? after unmount"
PID=
secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
echo "figure: the daemon exited ${secs} s after fusermount3 -u"
awk -v s="$secs" 'BEGIN { exit !(s < 10) }' || fail "the daemon held DATA_DIR ${secs} s after the unmount"
mount_fresh
[ "$(cd "$MNT" && sha256sum f*)" = "$digest_before" ] || fail "files changed across the unmount"

# Unmount and mount again at once, a few times, with writes in between.
# (Not $i: lib.sh's mount_fresh counts with it.)
for n in 1 2 3; do
  cp "$WORK/src$n" "$MNT/again$n" || fail "write before remount $n"
  fusermount3 -u "$MNT" || fail "fusermount3 -u ($n)"
  wait "$PID" 2>/dev/null || true
  PID=
  mount_fresh
  for m in $(seq 1 $n); do
    cmp -s "$WORK/src$m" "$MNT/again$m" || fail "again$m differs after remount $n"
  done
done
unmount

# A process that serves no mount holds the LOCK for 3 s (as a daemon
# finishing its unmount would): the mount waits for it and says so.
flock "$DATA/LOCK" sleep 3 &
holder=$!
sleep 0.3
"$IRONFS" "$DATA" "$MNT" -o allow_other 2>"$WORK/wait.log" || {
  cat "$WORK/wait.log" >&2
  fail "the mount did not wait for a LOCK held by a process serving no mount"
}
grep -q "waiting up to 30 s" "$WORK/wait.log" || fail "the mount did not say it waits: $(cat "$WORK/wait.log")"
wait $holder
mountpoint -q "$MNT" || fail "not mounted after the wait"
cmp -s "$WORK/src1" "$MNT/again1" || fail "again1 differs"

# A mounted DATA_DIR is refused at once, not waited for.
mkdir "$WORK/mnt2"
start=$(date +%s)
"$IRONFS" "$DATA" "$WORK/mnt2" 2>"$WORK/busy.log" && fail "a second mount of a mounted DATA_DIR succeeded"
grep -q "in use" "$WORK/busy.log" || fail "second mount: $(cat "$WORK/busy.log")"
[ $(( $(date +%s) - start )) -lt 5 ] || fail "a second mount of a mounted DATA_DIR waited"
fusermount3 -u "$MNT" || fail "fusermount3 -u"
i=0
while ! "$IRONFS" fsck "$DATA" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || fail "the daemon did not release DATA_DIR after unmount"; sleep 0.1
done
fsck_clean

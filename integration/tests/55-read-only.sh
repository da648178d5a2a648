# Read-only means read-only: a -o ro mount (with reads on it), ironfs fsck
# and ironfs stats change nothing in the data directory (no WAL replay
# written back, no flush or compaction, no new MANIFEST/CURRENT/WAL, no
# orphan reclaimed, no LOG or stats file), also when the directory holds
# writes only in its WAL and an orphan left by kill -9; and all three work
# on read-only storage.
. "$(dirname "$0")/../lib.sh"

# Every name of DATA with its size and mtime, and every file's bytes.
data_state() {
  (cd "$1" && find . -printf '%p %y %s %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

mount_fresh
mkdir "$MNT/d"
for i in $(seq 1 20); do head -c 200000 /dev/urandom > "$MNT/d/t$i" || fail "writing t$i"; done
"$IRONFS" compact "$MNT" || fail "compacting"
for i in $(seq 1 10); do head -c 5000 /dev/urandom > "$MNT/d/w$i" || fail "writing w$i"; done
rm "$MNT/d/t3"
(cd "$MNT/d" && sha256sum t* w*) > "$WORK/sums"
# An orphan: unlinked while open when the daemon dies.
exec 3>"$MNT/orphan"
echo data >&3
rm "$MNT/orphan"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
exec 3>&-
fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" || fail "cannot remove the dead mount"
ls "$DATA"/*.log >/dev/null 2>&1 || fail "no WAL left by kill -9"

check_read_only() {  # $1: the data directory to use, $2: what it is
  dir=$1
  data_state "$dir" > "$WORK/before"
  "$IRONFS" "$dir" "$MNT" -f -o allow_other,ro 2>>"$WORK/daemon.log" &
  PID=$!
  i=0
  while ! mountpoint -q "$MNT"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; fail "-o ro mount of $2 failed"; }
    i=$((i + 1)); [ $i -lt 100 ] || fail "the -o ro mount of $2 did not appear"
    sleep 0.1
  done
  (cd "$MNT/d" && sha256sum -c --quiet "$WORK/sums") || fail "-o ro mount of $2 reads back wrong data"
  [ -e "$MNT/d/t3" ] && fail "a deletion in the WAL was not replayed"
  if echo x > "$MNT/new" 2>/dev/null; then fail "a -o ro mount accepted a write"; fi
  unmount
  data_state "$dir" | cmp -s - "$WORK/before" ||
    { data_state "$dir" | diff "$WORK/before" - >&2; fail "a -o ro mount of $2 changed it"; }

  status=0
  "$IRONFS" fsck "$dir" >"$WORK/fsck.out" 2>&1 || status=$?
  [ $status -le 1 ] || { cat "$WORK/fsck.out" >&2; fail "fsck could not check $2"; }
  data_state "$dir" | cmp -s - "$WORK/before" ||
    { data_state "$dir" | diff "$WORK/before" - >&2; fail "ironfs fsck changed $2"; }

  "$IRONFS" stats "$dir" >"$WORK/stats.out" 2>&1 || { cat "$WORK/stats.out" >&2; fail "ironfs stats failed on $2"; }
  data_state "$dir" | cmp -s - "$WORK/before" ||
    { data_state "$dir" | diff "$WORK/before" - >&2; fail "ironfs stats changed $2"; }
}

check_read_only "$DATA" "the data directory"

# The same on read-only storage (where opening LOCK for writing fails).
RO=$WORK/ro
mkdir "$RO"
mount --bind "$DATA" "$RO" || fail "mount --bind"
AFTER_UNMOUNT="umount '$RO'"
mount -o remount,bind,ro "$RO" || fail "remounting the bind mount read-only"
touch "$RO/probe" 2>/dev/null && fail "the read-only bind mount is writable"
check_read_only "$RO" "a data directory on read-only storage"

# A writable mount then reclaims the orphan and replays the WAL as always.
mount_fresh
(cd "$MNT/d" && sha256sum -c --quiet "$WORK/sums") || fail "the data did not survive"
unmount
echo "figure: -o ro, fsck and stats left every file of DATA unchanged, also on read-only storage"

# kill -9 of the daemon under a write-heavy load: what was fsync'ed, and
# every operation that returned before the kill, is there after a remount,
# and the tree checks clean.
. "$(dirname "$0")/../lib.sh"
mount_fresh
mkdir "$MNT/durable" "$MNT/load"
for i in $(seq 1 40); do
  dd if=/dev/urandom of="$MNT/durable/f$i" bs=4k count=$((i % 16 + 1)) conv=fsync status=none ||
    fail "writing durable/f$i"
done
# Renames return only once they are in the WAL: no fsync needed for them
# to survive the death of the daemon.
for i in $(seq 1 10); do mv "$MNT/durable/f$i" "$MNT/durable/renamed$i" || fail "mv"; done
(cd "$MNT/durable" && sha256sum ./* > "$WORK/durable.sha256")

# Load: copies and deletes, running when the daemon dies.
( while :; do cp -a /usr/include/linux "$MNT/load/copy$$" 2>/dev/null; rm -rf "$MNT/load/copy$$" 2>/dev/null; done ) &
load=$!
sleep 3
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true
# The dead mount: the kernel still holds it.
fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" || fail "cannot remove the dead mount"

out=$("$IRONFS" fsck "$DATA") || { echo "$out" >&2; fail "fsck after kill -9 found problems"; }
echo "figure: after kill -9: $(echo "$out" | tail -2 | head -1)"
mount_fresh
(cd "$MNT/durable" && sha256sum -c --quiet "$WORK/durable.sha256") || fail "fsync'ed files changed after kill -9"
for i in $(seq 1 10); do [ -f "$MNT/durable/renamed$i" ] || fail "acknowledged rename $i lost"; done
unmount
fsck_clean

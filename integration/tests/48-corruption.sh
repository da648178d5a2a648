# Damaged data directories. A flipped byte in a table: the read that meets
# it fails with EIO (never wrong bytes), the daemon logs the table and the
# block and keeps serving every other file, and fsck reports the damage.
# A garbled manifest: the mount is refused with a message that says what
# to do.
. "$(dirname "$0")/../lib.sh"

mount_fresh
for i in $(seq 1 8); do
  dd if=/dev/urandom of="$MNT/f$i" bs=1M count=2 conv=fsync status=none || fail "writing f$i"
done
(cd "$MNT" && sha256sum f* > "$WORK/sums")
unmount
"$IRONFS" compact "$DATA" >/dev/null || fail "ironfs compact (offline) failed"
fsck_clean

# The largest table holds file data; damage the middle of it.
table=$(ls -S "$DATA"/*.sst | head -1)
size=$(stat -c %s "$table")
flip "$table" $((size / 2))
mount_fresh
read_back 8
[ $bad -ge 1 ] || fail "no read met the damaged byte"
[ $good -ge 1 ] || fail "one damaged byte made every file unreadable"
kill -0 "$PID" 2>/dev/null || fail "the daemon died on damaged data"
ls -l "$MNT" >/dev/null || fail "listing failed with damaged data"
echo new > "$MNT/new" || fail "writing a new file failed with damaged data elsewhere"
grep -q "damaged data: .*$(basename "$table"): block at offset" "$WORK/daemon.log" ||
  { cat "$WORK/daemon.log" >&2; fail "the daemon's log does not name the damaged table and block"; }
# ... and the inode of the file whose read failed.
for i in $(seq 1 8); do
  [ -r "$MNT/f$i" ] && ! cat "$MNT/f$i" >/dev/null 2>&1 && bad_ino=$(stat -c %i "$MNT/f$i") && break
done
grep -q "inode $bad_ino: read failed with EIO" "$WORK/daemon.log" ||
  { tail -20 "$WORK/daemon.log" >&2; fail "the daemon's log does not name the inode ($bad_ino) whose read failed"; }
echo "figure: one flipped byte: $bad of 8 files EIO, $good read back exactly"
unmount
if out=$("$IRONFS" fsck "$DATA" 2>&1); then fail "fsck says clean with a damaged table"; fi
echo "$out" | grep -q "$(basename "$table")" || { echo "$out" >&2; fail "fsck does not name the damaged table"; }
echo "$out" | grep -q "^problem: inode [0-9]* (/f[1-8]): data blocks [0-9]*-[0-9]* unreadable (table " ||
  { echo "$out" >&2; fail "fsck does not name the damaged file by inode and path"; }
echo "figure: fsck on the flipped byte: $(echo "$out" | grep -m1 'unreadable (table ')"

# A garbled manifest: the mount is refused, saying what to do.
manifest=$(ls "$DATA"/MANIFEST-* | head -1)
flip "$manifest" 20
if "$IRONFS" "$DATA" "$MNT" -f -o allow_other 2>"$WORK/refused.log"; then
  fail "ironfs mounted a data directory with a garbled manifest"
fi
grep -q "$(basename "$manifest")" "$WORK/refused.log" && grep -q "fsck" "$WORK/refused.log" ||
  { cat "$WORK/refused.log" >&2; fail "the refusal does not name the manifest and what to do"; }
mountpoint -q "$MNT" && fail "a mount appeared anyway"
echo "figure: garbled manifest refused: $(head -1 "$WORK/refused.log")"

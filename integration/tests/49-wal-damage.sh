# A WAL damaged in the middle (one flipped byte, fsync'ed records after
# it) is media damage, not a crash: the mount is refused with a message
# that names the WAL and the offset and points to fsck, and nothing in the
# data directory is changed by the refused mount, by fsck or by stats
# (before this, the records after the damage were dropped, the WAL deleted
# and the directory called clean).
. "$(dirname "$0")/../lib.sh"

# Every file of DATA with its size, mtime and bytes.
data_state() {
  (cd "$DATA" && find . -printf '%p %y %s %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

mount_fresh
for i in $(seq 1 50); do
  head -c 3000 /dev/urandom > "$WORK/src" || fail "making data"
  dd if="$WORK/src" of="$MNT/f$i" bs=3000 conv=fsync status=none || fail "writing f$i"
done
# kill -9: the writes are in the WAL only (nothing was flushed).
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" || fail "cannot remove the dead mount"

# The WAL with the most written bytes (the rest of it is preallocated zeros).
wal= end=0
for f in "$DATA"/*.log; do
  e=$(perl -e 'local $/; open(my $f, "<", $ARGV[0]) or die; my $d = <$f>; $d =~ s/\0+\z//; print length($d)' "$f")
  if [ "$e" -gt "$end" ]; then wal=$f end=$e; fi
done
[ "$end" -gt 100000 ] || fail "the WAL holds only $end bytes; expected the 50 files in it"
at=$((end / 2))
perl -e 'open(my $f, "+<", $ARGV[0]) or die "$ARGV[0]: $!"; seek($f, $ARGV[1], 0);
         read($f, my $b, 1) == 1 or die "short read"; seek($f, $ARGV[1], 0);
         print $f chr(ord($b) ^ 0x01); close($f) or die $!' "$wal" "$at" || fail "cannot flip a byte"
data_state > "$WORK/before"

status=0
timeout 60 "$IRONFS" "$DATA" "$MNT" -f -o allow_other 2>"$WORK/refused.log" || status=$?
# (124: it mounted, and timeout stopped it.)
[ $status -ne 0 ] && [ $status -ne 124 ] ||
  fail "ironfs mounted a data directory whose WAL is damaged in the middle"
mountpoint -q "$MNT" && fail "a mount appeared anyway"
name=$(basename "$wal")
grep -q "$name.*offset [0-9]" "$WORK/refused.log" && grep -q "ironfs fsck $DATA" "$WORK/refused.log" &&
  grep -q "ironfs fsck --repair" "$WORK/refused.log" ||
  { cat "$WORK/refused.log" >&2; fail "the refusal does not name the WAL, the offset and fsck"; }
data_state | cmp -s - "$WORK/before" ||
  { data_state | diff "$WORK/before" - >&2; fail "the refused mount changed the data directory"; }

if "$IRONFS" fsck "$DATA" >"$WORK/fsck.out" 2>&1; then
  cat "$WORK/fsck.out" >&2
  fail "fsck calls a data directory with a damaged WAL clean"
fi
"$IRONFS" stats "$DATA" >/dev/null 2>&1 || true
data_state | cmp -s - "$WORK/before" ||
  { data_state | diff "$WORK/before" - >&2; fail "fsck or stats changed the data directory"; }
# A second try is refused the same way: the damage is not forgotten.
status=0
timeout 60 "$IRONFS" "$DATA" "$MNT" -f -o allow_other 2>/dev/null || status=$?
[ $status -ne 0 ] && [ $status -ne 124 ] || fail "the second mount was accepted"
echo "figure: flipped byte at offset $at of $name: $(grep -o 'checksum mismatch at offset [0-9]*\|bad record[^:]*at offset [0-9]*' "$WORK/refused.log" | head -1)"

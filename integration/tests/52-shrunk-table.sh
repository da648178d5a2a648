# A table that shrinks under the live daemon (a local user truncating it):
# the reads that need it fail with EIO, the daemon logs the table and keeps
# serving every other file. It used to die of SIGBUS, and every user of
# the mount got "Transport endpoint is not connected".
. "$(dirname "$0")/../lib.sh"

mount_fresh
# 24 MiB of file data: more than one table's worth, so that some files
# live in a table left alone.
for i in $(seq 1 12); do
  dd if=/dev/urandom of="$MNT/f$i" bs=1M count=2 conv=fsync status=none || fail "writing f$i"
done
(cd "$MNT" && sha256sum f* > "$WORK/sums")
unmount
"$IRONFS" compact "$DATA" >/dev/null || fail "ironfs compact (offline) failed"
[ "$(ls "$DATA"/*.sst | wc -l)" -ge 2 ] || fail "expected the data in more than one table"

mount_fresh
# The largest table holds file data; cut it to half under the mount.
table=$(ls -S "$DATA"/*.sst | head -1)
size=$(stat -c %s "$table")
truncate -s $((size / 2)) "$table" || fail "cannot truncate $table"
read_back 12
kill -0 "$PID" 2>/dev/null || { tail -5 "$WORK/daemon.log" >&2; fail "the daemon died when a table shrank under it"; }
mountpoint -q "$MNT" || fail "the mount is gone"
[ $bad -ge 1 ] || fail "no read met the shrunk table"
[ $good -ge 1 ] || fail "one shrunk table made every file unreadable"
# Once fenced, the table stays failed: a second read gives EIO again.
for i in $(seq 1 12); do
  if ! grep -q "  f$i\$" "$WORK/sums"; then continue; fi
  if ! cat "$MNT/f$i" >/dev/null 2>&1; then
    cat "$MNT/f$i" >/dev/null 2>&1 && fail "f$i read back after an EIO"
    break
  fi
done
ls -l "$MNT" >/dev/null || fail "listing failed with a shrunk table"
echo new > "$MNT/new" || fail "writing a new file failed with a shrunk table elsewhere"
[ "$(cat "$MNT/new")" = new ] || fail "the new file reads back wrong"
# Read with pread (the default), a block past the new end is a short read;
# read through a mapping (mmap_reads), the fenced table's error.
grep -Eq "damaged data: .*$(basename "$table"): .*(shrank under the engine|part of the table could not be read)" "$WORK/daemon.log" ||
  { tail -20 "$WORK/daemon.log" >&2; fail "the daemon's log does not name the shrunk table"; }
echo "figure: a table cut to half under the mount: $bad of 12 files EIO, $good read back exactly, daemon alive"
unmount

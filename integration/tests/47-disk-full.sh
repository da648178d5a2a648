# A full disk under the data directory (a 160 MiB tmpfs): writes fail with
# ENOSPC, not EIO, and the daemon neither dies nor hangs; reads, stat,
# listing and deletes go on; after space is freed, by deleting files on the
# mount (their data comes back through a compaction the daemon starts
# itself) or outside it, writes work again without a remount; nothing
# acknowledged is lost and the tree checks clean.
. "$(dirname "$0")/../lib.sh"
DISK=$WORK/disk
mkdir -p "$DISK"
AFTER_UNMOUNT='umount "$DISK" 2>/dev/null || umount -l "$DISK"'
mount -t tmpfs -o size=160m ironfs-test-disk "$DISK" || fail "cannot mount a tmpfs for the data directory"
DATA=$DISK/data

alive() { kill -0 "$PID" 2>/dev/null || fail "the daemon died ($1)"; }

# Writes $2 MiB to $1; prints dd's complaint, if any, and fails unless the
# only complaint is ENOSPC.
fill() {
  err=$(timeout 120 dd if=/dev/urandom of="$1" bs=1M count="$2" 2>&1 >/dev/null) && return 0
  [ $? -ne 124 ] || fail "writing $1 hung"
  echo "$err" | grep -q "No space left on device" || { echo "$err" >&2; fail "writing $1 failed, but not with ENOSPC"; }
  return 1
}

# Retries a 4 MiB fsync'ed write for up to 20 s.
write_again() {
  i=0
  until dd if=/dev/urandom of="$1" bs=1M count=4 conv=fsync status=none 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 40 ] || fail "writes still fail 20 s after space was freed ($2)"
    sleep 0.5
  done
  echo "figure: writes work again after space was freed $2 ($((i * 500)) ms)"
}

mount_fresh "memtable_size=8"
mkdir "$MNT/kept"
for i in 1 2 3 4 5; do
  dd if=/dev/urandom of="$MNT/kept/f$i" bs=1M count=1 conv=fsync status=none || fail "writing kept/f$i"
done
(cd "$MNT/kept" && sha256sum ./* > "$WORK/kept.sha256")

# 1. Fill the disk through the mount.
if fill "$MNT/big" 400; then fail "400 MiB fitted on a 160 MiB disk"; fi
echo "figure: the first write refused: after $(($(stat -c %s "$MNT/big") >> 20)) MiB"
alive "after ENOSPC"
if touch "$MNT/kept/new" 2>/dev/null && fill "$MNT/more" 50; then fail "a second write fitted"; fi
alive "after the second ENOSPC"
# Reads, stat, listing and deletes keep working on the full disk.
(cd "$MNT/kept" && sha256sum -c --quiet "$WORK/kept.sha256") || fail "kept files unreadable or changed on a full disk"
stat "$MNT/big" >/dev/null || fail "stat on a full disk"
ls -la "$MNT" >/dev/null || fail "listing on a full disk"
rm -f "$MNT/more" "$MNT/kept/new" || fail "rm on a full disk"
mv "$MNT/kept/f5" "$MNT/kept/f5.moved" && mv "$MNT/kept/f5.moved" "$MNT/kept/f5" || fail "rename on a full disk"

# 2. Free space by deleting on the mount: the daemon compacts by itself.
rm "$MNT/big" || fail "rm big"
write_again "$MNT/after-rm" "by rm on the mount"

# 3. Something outside the data directory fills the disk, then goes.
dd if=/dev/zero of="$DISK/balloon" bs=1M count=400 status=none 2>/dev/null || true
if dd if=/dev/urandom of="$MNT/blocked" bs=1M count=4 conv=fsync status=none 2>/dev/null; then
  fail "a write fitted with the disk full outside the data directory"
fi
alive "with the disk full outside the data directory"
rm -f "$MNT/blocked" "$DISK/balloon"
write_again "$MNT/after-balloon" "outside the data directory"
alive "at the end"

(cd "$MNT/kept" && sha256sum -c --quiet "$WORK/kept.sha256") || fail "kept files changed"
sha256sum "$MNT/after-balloon" > "$WORK/after.sha256"
unmount
fsck_clean
mount_fresh "memtable_size=8"
(cd "$MNT/kept" && sha256sum -c --quiet "$WORK/kept.sha256") || fail "kept files changed after a remount"
sha256sum -c --quiet "$WORK/after.sha256" || fail "the last write changed after a remount"
unmount
fsck_clean

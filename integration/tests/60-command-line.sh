# The ironfs program itself: help and version, clear refusals of bad input,
# the daemon's own start and stop, mount -t fuse.ironfs through mount.fuse3,
# SIGTERM, fsck, stats and compact.
. "$(dirname "$0")/../lib.sh"
expect_failure() {  # message pattern, command...
  pattern=$1
  shift
  was_mounted=no
  mountpoint -q "$MNT" && was_mounted=yes
  if out=$("$@" 2>&1); then fail "succeeded but should not have: $*"; fi
  echo "$out" | grep -qi "$pattern" || fail "message for '$*' does not say '$pattern': $out"
  is_mounted=no
  mountpoint -q "$MNT" && is_mounted=yes
  [ $was_mounted = $is_mounted ] || fail "the mount changed: $*"
  return 0
}

"$IRONFS" --help | grep -q "allow_other" || fail "--help lists no options"
"$IRONFS" --help | grep -q "attr_timeout=S .*default 60" || fail "--help gives no defaults"
"$IRONFS" --version | grep -q "^ironfs " || fail "--version"
expect_failure "missing" "$IRONFS" "$DATA"
expect_failure "mount point" "$IRONFS" "$DATA" "$WORK/no-such-dir"
mkdir "$WORK/foreign" && echo x > "$WORK/foreign/file"
expect_failure "not empty" "$IRONFS" "$WORK/foreign" "$MNT"
expect_failure "bad value" "$IRONFS" "$DATA" "$MNT" -o block_size=1000
expect_failure "unknown\|invalid" "$IRONFS" "$DATA" "$MNT" -o no_such_option
# -o sync with the writeback cache is refused: the kernel's cache answers a
# write() before IronFS sees it, so sync could not make it durable.
expect_failure "cannot be combined" "$IRONFS" "$DATA" "$MNT" -o sync,writeback
expect_failure "cannot be combined" "$IRONFS" "$DATA" "$MNT" -o writeback -o sync
# --help says what each mode keeps after kill -9 and after a power cut.
help=$("$IRONFS" --help)
survives=$(echo "$help" | sed -n '/^What survives/,/^libfuse options/p')
for mode in default sync writeback; do
  echo "$survives" | grep -q "^    $mode  " || fail "--help does not say what survives with $mode"
done
echo "$survives" | grep -q "kill -9" && echo "$survives" | grep -q "power cut" ||
  fail "--help names no kill -9 and power cut: $survives"
echo "$help" | grep -q "Refused with sync" || fail "--help does not say sync refuses writeback"
echo "$help" | grep -q "SIGHUP is" || fail "--help does not say what SIGHUP does"

# As a daemon: the command returns once mounted; the data directory is 0700.
"$IRONFS" "$DATA" "$MNT" -o allow_other || fail "daemon mount"
mountpoint -q "$MNT" || fail "daemon mode returned without a mount"
[ "$(stat -c %a "$DATA")" = 700 ] || fail "DATA_DIR mode $(stat -c %a "$DATA"), not 700"
echo data > "$MNT/file"
expect_failure "busy" "$IRONFS" "$DATA" "$MNT"
mkdir "$WORK/mnt2"
expect_failure "in use" "$IRONFS" "$DATA" "$WORK/mnt2"
"$IRONFS" stats "$DATA" | grep -q "mounted" || fail "stats of a mounted DATA_DIR"
expect_failure "mounted" "$IRONFS" fsck "$DATA"
fusermount3 -u "$MNT" || fail "fusermount3 -u"
# The daemon finishes its unmount (syncs, closes the engine, frees LOCK).
i=0
while ! "$IRONFS" fsck "$DATA" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 50 ] || fail "the daemon did not release DATA_DIR after unmount"; sleep 0.1
done
"$IRONFS" stats "$DATA" | grep -q "not mounted" || fail "stats offline"

# mount(8) through mount.fuse3, as an /etc/fstab line would. mount.fuse3
# finds "ironfs" on the system's PATH: if none is installed, the one under
# test stands in for the duration.
linked=
if ! PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v ironfs >/dev/null; then
  ln -s "$IRONFS" /usr/local/sbin/ironfs && linked=/usr/local/sbin/ironfs
fi
if mount -t fuse.ironfs "$DATA" "$MNT" -o allow_other; then status=0; else status=$?; fi
[ -n "$linked" ] && rm -f "$linked"
[ $status -eq 0 ] || fail "mount -t fuse.ironfs"
[ "$(cat "$MNT/file")" = data ] || fail "contents through mount -t"
findmnt -n -o FSTYPE "$MNT" | grep -q fuse.ironfs || fail "findmnt type"
umount "$MNT" || fail "umount"
i=0
while ! "$IRONFS" fsck "$DATA" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 50 ] || fail "the daemon did not release DATA_DIR after umount"; sleep 0.1
done

# SIGTERM unmounts cleanly.
mount_fresh
echo more > "$MNT/file2"
kill -TERM "$PID"
wait "$PID" || fail "ironfs exited with status $? on SIGTERM"
PID=
mountpoint -q "$MNT" && fail "still mounted after SIGTERM"
fsck_clean
# SIGHUP does not unmount: a writer in the middle of its writes goes on.
mount_fresh
(i=0; while [ $i -lt 100 ]; do echo "line $i" >> "$MNT/hup" || exit 1; i=$((i + 1)); sleep 0.02; done) &
writer=$!
sleep 0.5
kill -HUP "$PID"
wait $writer || fail "a writer failed after SIGHUP to the daemon"
mountpoint -q "$MNT" || fail "SIGHUP unmounted"
[ "$(wc -l < "$MNT/hup")" = 100 ] || fail "$(wc -l < "$MNT/hup") lines of 100 written across SIGHUP"
unmount
fsck_clean
# A damaged data directory is refused with a message, not mounted.
cp -a "$DATA" "$WORK/damaged"
echo "MANIFEST-999999" > "$WORK/damaged/CURRENT"
expect_failure "damaged\|cannot open\|corrupt" "$IRONFS" "$WORK/damaged" "$MNT"
mount_fresh ro
[ "$(cat "$MNT/file2")" = more ] || fail "data written before SIGTERM"
touch "$MNT/new" 2>/dev/null && fail "a read-only mount accepted a write"
unmount
fsck_clean

# compact: on a mount (root only) the daemon merges every table, and the
# space of a deleted file comes back; offline, the data directory itself.
mount_fresh
head -c 64M /dev/urandom > "$MNT/big" || fail "write 64 MiB"
sync
rm "$MNT/big"
chmod 711 "$WORK"  # let nobody reach the mount point
expect_failure "not permitted" setpriv --reuid=nobody --regid=nogroup --clear-groups "$IRONFS" compact "$MNT"
"$IRONFS" compact "$MNT" || fail "compact of a mount"
used=$(du -sk "$DATA" | cut -f1)
[ "$used" -lt 16384 ] || fail "64 MiB deleted and compacted, yet DATA_DIR holds $used KiB"
expect_failure "no IronFS" "$IRONFS" compact /proc
unmount
"$IRONFS" compact "$DATA" || fail "compact of an unmounted DATA_DIR"
fsck_clean

# The logs stay bounded and nothing is dropped without a word: an
# unprivileged user rereading a damaged file in a loop makes the engine's
# LOG and the daemon's log say so a few times a second, with a count of
# what was held back, not a line per read; and a daemon that cannot reach
# syslog (nothing listens on /dev/log) writes its messages to
# DATA_DIR/ironfs.log instead of losing them.
. "$(dirname "$0")/../lib.sh"
command -v unshare >/dev/null || { echo "not run: unshare (util-linux) is missing"; exit 77; }

mount_fresh
for i in $(seq 1 8); do
  dd if=/dev/urandom of="$MNT/f$i" bs=1M count=2 conv=fsync status=none || fail "writing f$i"
  chmod 644 "$MNT/f$i"
done
unmount
"$IRONFS" compact "$DATA" >/dev/null || fail "ironfs compact (offline) failed"
table=$(ls -S "$DATA"/*.sst | head -1)
flip "$table" $(( $(stat -c %s "$table") / 2 ))
chmod 711 "$WORK"  # nobody reaches the mount point
rm -f "$DATA/LOG" "$DATA/LOG.old"

# As a daemon, in a mount namespace of its own where /dev/log (if the
# machine has one) is a character device that accepts no connection.
export DATA MNT IRONFS
unshare -m --propagation private sh -eu <<'INNER' || fail "the run in a mount namespace failed"
[ -e /dev/log ] && mount --bind /dev/null /dev/log
"$IRONFS" "$DATA" "$MNT" -o allow_other
bad=
for i in $(seq 1 8); do
  cat "$MNT/f$i" >/dev/null 2>&1 || bad=$MNT/f$i
done
[ -n "$bad" ] || { echo "no file met the damaged byte"; exit 1; }
end=$(( $(date +%s) + 4 ))
reads=0
while [ "$(date +%s)" -lt $end ]; do
  setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$bad" >/dev/null 2>&1 && { echo "a damaged read succeeded"; exit 1; }
  reads=$((reads + 1))
done
echo "figure: $reads reads of a damaged file by nobody in 4 s"
fusermount3 -u "$MNT"
i=0
until flock -n "$DATA/LOCK" true; do
  i=$((i + 1)); [ $i -lt 300 ] || { echo "the daemon did not exit"; exit 1; }; sleep 0.1
done
INNER

[ -f "$DATA/ironfs.log" ] || fail "no DATA_DIR/ironfs.log although syslog was unreachable"
grep -q "syslog is not reachable" "$DATA/ironfs.log" || fail "ironfs.log does not say why it is there"
grep -q "mounted $DATA on $MNT" "$DATA/ironfs.log" || fail "ironfs.log lacks the mount message: $(head -5 "$DATA/ironfs.log")"
grep -q "damaged data" "$DATA/ironfs.log" || fail "ironfs.log lacks the damaged-data message"
grep -q "repeated .* more times" "$DATA/ironfs.log" || fail "ironfs.log does not count what it held back"
grep -q "repeated .* more times" "$DATA/LOG" || fail "LOG does not count what it held back"
log_lines=$(cat "$DATA/LOG" "$DATA/LOG.old" 2>/dev/null | grep -c "damaged" || true)
daemon_lines=$(grep -c "damaged" "$DATA/ironfs.log" || true)
echo "figure: damaged-data lines: $log_lines in LOG, $daemon_lines in ironfs.log"
[ "$log_lines" -lt 200 ] || fail "LOG holds $log_lines lines about the damaged block"
[ "$daemon_lines" -lt 200 ] || fail "ironfs.log holds $daemon_lines lines about the damaged block"

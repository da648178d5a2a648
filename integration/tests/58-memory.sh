# Memory follows the work: after 20,000 files are created and removed
# with inode_cache=1024, the daemon keeps at most ~1,024 inodes decoded
# and, once the filesystem rests, its resident memory comes back to
# within 20% of what it held idle before (the resting MemTable is
# flushed; the engine's spare MemTable blocks and the C library's free
# heap pages go back to the system).
. "$(dirname "$0")/../lib.sh"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
cached_inodes() { sed -n 's/^filesystem: .* \([0-9][0-9]*\) cached.*/\1/p' "$DATA/ironfs.stats"; }

mount_fresh inode_cache=1024
# The idle figure: the mount at rest after two rounds of housekeeping.
sleep 11
idle=$(rss_kb)
mkdir "$MNT/many"
(cd "$MNT/many" && seq 1 20000 | xargs touch) || fail "creating 20,000 files"
busy=$(rss_kb)
rm -rf "$MNT/many" || fail "removing them"
limit=$((idle * 12 / 10))
waited=0
while [ "$(rss_kb)" -gt "$limit" ] && [ $waited -lt 40 ]; do
  sleep 1
  waited=$((waited + 1))
done
after=$(rss_kb)
echo "figure: daemon RSS idle ${idle} KiB, with 20,000 files ${busy} KiB," \
  "${waited} s after removing them ${after} KiB (limit ${limit} KiB)"
[ "$after" -le "$limit" ] || fail "RSS ${after} KiB is more than 20% above the idle ${idle} KiB"
sleep 6  # a fresh stats file
cached=$(cached_inodes)
[ -n "$cached" ] || fail "no inode count in the stats file: $(head -5 "$DATA/ironfs.stats")"
[ "$cached" -le 1100 ] || fail "$cached inodes cached with inode_cache=1024"
unmount

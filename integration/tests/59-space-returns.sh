# Space comes back by itself: after ~200 MB of files are written and
# removed, the data directory falls back near the size of an empty
# filesystem within two minutes, with no `ironfs compact` (the engine's
# deletion-triggered compaction, and a resting MemTable's deletions
# flushed to where compaction sees them).
. "$(dirname "$0")/../lib.sh"

du_kb() { du -sk "$DATA" | cut -f1; }

mount_fresh
sleep 6  # the first stats file and housekeeping round
empty=$(du_kb)
head -c 4M /dev/urandom > "$WORK/big"
head -c 16K /dev/urandom > "$WORK/small"
mkdir "$MNT/t"
# Large files go with one range tombstone each, small ones block by block.
for i in $(seq 1 44); do cp "$WORK/big" "$MNT/t/big$i" || fail "writing big$i"; done
mkdir "$MNT/t/small"
for i in $(seq 1 1000); do cp "$WORK/small" "$MNT/t/small/s$i" || fail "writing s$i"; done
sync
full=$(du_kb)
[ "$full" -gt $((150 * 1024)) ] || fail "only ${full} KiB in the data directory after writing ~200 MB"
rm -rf "$MNT/t" || fail "rm -rf"
start=$(date +%s)
# Near empty: within a tenth of the written data's 2%, at least 10% over
# the empty directory's size.
limit=$((empty + empty / 10 + full / 50))
waited=0
while [ "$(du_kb)" -gt "$limit" ] && [ $waited -lt 180 ]; do
  sleep 2
  waited=$(($(date +%s) - start))
done
after=$(du_kb)
echo "figure: data directory ${empty} KiB empty, ${full} KiB with the files," \
  "${after} KiB ${waited} s after rm -rf (limit ${limit} KiB)"
[ "$after" -le "$limit" ] || fail "${after} KiB after ${waited} s: the space did not come back"
[ "$waited" -le 120 ] || fail "the space took ${waited} s to come back (more than 120 s)"
[ -z "$(ls -A "$MNT")" ] || fail "the filesystem is not empty: $(ls -A "$MNT")"
unmount
fsck_clean

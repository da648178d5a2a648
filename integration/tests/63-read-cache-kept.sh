# A mount that is being read keeps its block cache: the daemon gives its
# memory back only when the filesystem rests, and reads are not rest.
# (Idleness was once judged by writes alone: a read-only workload had its
# cache emptied every 5 s and read every block from disk again.)
. "$(dirname "$0")/../lib.sh"

misses() { sed -n 's/^block cache: [0-9]* hits, \([0-9]*\) misses.*/\1/p' "$DATA/ironfs.stats"; }

mount_fresh
dd if=/dev/urandom of="$MNT/f" bs=1M count=16 conv=fsync status=none || fail "writing f"
sleep 12  # two rounds: the MemTable is flushed, the mount rests

# Read f over and over for 22 s, each time from the daemon (the kernel's
# page cache dropped), so that the engine serves it from its block cache.
read_for() {
  end=$(($(date +%s) + $1))
  while [ "$(date +%s)" -lt "$end" ]; do
    echo 1 > /proc/sys/vm/drop_caches
    cat "$MNT/f" > /dev/null || fail "reading f"
  done
}
read_for 8
first=$(misses)
[ -n "$first" ] || fail "no block cache line in the stats file: $(cat "$DATA/ironfs.stats")"
read_for 14
last=$(misses)
echo "figure: block cache misses while f was read again and again: $first after 8 s, $last after 22 s"
[ "$last" -le $((first + first / 10)) ] ||
  fail "the block cache was emptied while the mount was being read ($first misses, then $last)"
unmount

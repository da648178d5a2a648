# fsck --repair salvages. For each kind of damage (a flipped byte in the
# middle of a WAL with fsync'ed records after it, a truncated table, a
# missing table): fsck alone reports it (exit 1) and changes nothing;
# --repair copies the damaged files aside, keeps everything readable, says
# what was lost, and leaves a filesystem that fsck calls clean, that
# mounts, and that compacts.
. "$(dirname "$0")/../lib.sh"

# The offset just past the last non-zero byte of $1 (a WAL ends in zeros).
written_end() {
  perl -e 'local $/; open(my $f, "<", $ARGV[0]) or die; my $d = <$f>; $d =~ s/\0+\z//; print length($d)' "$1"
}
dir_sums() { (cd "$DATA" && find . -type f ! -name LOG -print0 | sort -z | xargs -0 sha256sum); }

# Expects fsck to report damage (exit 1) without changing anything.
fsck_reports() {
  dir_sums > "$WORK/before"
  set +e
  "$IRONFS" fsck "$DATA" > "$WORK/fsck.out" 2>&1
  status=$?
  set -e
  [ $status -eq 1 ] || { cat "$WORK/fsck.out" >&2; fail "fsck exited $status on $1 (expected 1)"; }
  grep -q -- "--repair" "$WORK/fsck.out" || { cat "$WORK/fsck.out" >&2; fail "fsck does not point to --repair ($1)"; }
  dir_sums | cmp -s - "$WORK/before" || fail "fsck without --repair changed the data directory ($1)"
}

# Repairs; expects exit 1 (repaired), the damaged files copied aside, then
# a clean fsck.
repair() {
  set +e
  "$IRONFS" fsck --repair "$DATA" > "$WORK/repair.out" 2>&1
  status=$?
  set -e
  [ $status -eq 1 ] || { cat "$WORK/repair.out" >&2; fail "fsck --repair exited $status on $1 (expected 1)"; }
  ls -d "$DATA"/damaged-* >/dev/null 2>&1 || fail "--repair copied nothing aside ($1)"
  [ -e "$DATA/damaged-"*/"$2" ] || { ls -R "$DATA" >&2; fail "--repair did not copy $2 aside ($1)"; }
  grep -q "^lost: " "$WORK/repair.out" || { cat "$WORK/repair.out" >&2; fail "--repair does not say what was lost ($1)"; }
  out=$("$IRONFS" fsck "$DATA" 2>&1) || { echo "$out" >&2; cat "$WORK/repair.out" >&2; fail "fsck after --repair is not clean ($1)"; }
  echo "figure: $1: $(grep -c '^lost: ' "$WORK/repair.out") lost ranges reported, $(grep -c '^repaired: ' "$WORK/repair.out") repairs"
}

# Counts files f1..f$2 under $1 that read back exactly (sums in $WORK/sums).
count_good() {
  good=0
  for i in $(seq 1 "$2"); do
    if sum=$(sha256sum < "$1/f$i" 2>/dev/null) && grep -q "^${sum%% *}  f$i\$" "$WORK/sums"; then
      good=$((good + 1))
    fi
  done
  echo $good
}

# 1. A flipped byte in the middle of a WAL, fsync'ed records after it.
mount_fresh
for i in $(seq 1 50); do
  head -c 3000 /dev/urandom > "$MNT/f$i"
  sync "$MNT/f$i" 2>/dev/null || dd if=/dev/null of="$MNT/f$i" conv=fsync,notrunc status=none
done
(cd "$MNT" && for i in $(seq 1 50); do echo "$(sha256sum < f$i | cut -d' ' -f1)  f$i"; done) > "$WORK/sums"
kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=
umount -l "$MNT" 2>/dev/null || true
wal=$(ls -S "$DATA"/*.log | head -1)
end=$(written_end "$wal")
[ "$end" -gt 100000 ] || fail "the WAL holds only $end bytes"
flip "$wal" $((end / 2))
if "$IRONFS" "$DATA" "$MNT" -f -o allow_other 2>"$WORK/refused.log"; then fail "mounted a WAL damaged in its middle"; fi
grep -q "$(basename "$wal")" "$WORK/refused.log" && grep -q "offset" "$WORK/refused.log" && grep -q "fsck" "$WORK/refused.log" ||
  { cat "$WORK/refused.log" >&2; fail "the refusal does not name the WAL, the offset and fsck"; }
fsck_reports "a damaged WAL"
repair "a damaged WAL" "$(basename "$wal")"
mount_fresh
good=$(count_good "$MNT" 50)
[ "$good" -ge 48 ] || fail "only $good of 50 fsync'ed files survived the repair of one damaged WAL record"
echo "figure: one flipped byte in the middle of a WAL: $good of 50 fsync'ed files kept by --repair"
unmount
rm -rf "$DATA"/damaged-*

# 2. A truncated table, then 3. a missing one.
mount_fresh
mkdir "$MNT/d"
for i in $(seq 1 40); do
  dd if=/dev/urandom of="$MNT/f$i" bs=64k count=4 status=none || fail "writing f$i"
done
(cd "$MNT" && for i in $(seq 1 40); do echo "$(sha256sum < f$i | cut -d' ' -f1)  f$i"; done) > "$WORK/sums"
unmount
"$IRONFS" compact "$DATA" >/dev/null || fail "ironfs compact (offline) failed"
fsck_clean
table=$(ls -S "$DATA"/*.sst | head -1)
truncate -s $(($(stat -c %s "$table") / 2)) "$table"
if "$IRONFS" "$DATA" "$MNT" -f -o allow_other 2>"$WORK/refused.log"; then
  unmount
  fail "mounted with a truncated table without fencing it"
fi
grep -q "fsck --repair" "$WORK/refused.log" || { cat "$WORK/refused.log" >&2; fail "the refusal does not point to fsck --repair"; }
fsck_reports "a truncated table"
repair "a truncated table" "$(basename "$table")"
"$IRONFS" compact "$DATA" >/dev/null || fail "compact fails after the repair of a truncated table"
fsck_clean
mount_fresh
good=$(count_good "$MNT" 40)
[ "$good" -ge 10 ] && [ "$good" -lt 40 ] || fail "$good of 40 files intact after a table was cut in half"
echo "figure: a table cut in half: $good of 40 files intact after --repair"
unmount
rm -rf "$DATA"/damaged-*

table=$(ls -S "$DATA"/*.sst | head -1)
rm "$table"
fsck_reports "a missing table"
set +e; "$IRONFS" fsck --repair "$DATA" > "$WORK/repair.out" 2>&1; status=$?; set -e
[ $status -eq 1 ] || { cat "$WORK/repair.out" >&2; fail "fsck --repair exited $status on a missing table"; }
grep -q "^lost: $(basename "$table")" "$WORK/repair.out" || { cat "$WORK/repair.out" >&2; fail "--repair does not name the missing table"; }
fsck_clean
"$IRONFS" compact "$DATA" >/dev/null || fail "compact fails after the repair of a missing table"
fsck_clean
mount_fresh
ls -la "$MNT" > /dev/null || fail "listing after the repair of a missing table"
unmount

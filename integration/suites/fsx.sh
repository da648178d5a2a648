# fsx (from xfstests): random reads, writes, truncates, mmap, fallocate
# (keep-size, punch-hole, zero-range) and copy_file_range on one file,
# checked against a model after every operation. FSX names a built fsx
# program; FSX_OPS sets the operation count (default 50000).
if [ -z "${FSX:-}" ]; then
  echo "set FSX to a built fsx program to run it"
  exit 77
fi
. "$(dirname "$0")/../lib.sh"
[ -x "$FSX" ] || fail "FSX=$FSX is not a program"
mount_fresh
ops=${FSX_OPS:-50000}
start=$(date +%s)
(cd "$MNT" && "$FSX" -N "$ops" -S 1 "$MNT/fsx.file") >"$WORK/fsx.log" 2>&1 ||
  { tail -40 "$WORK/fsx.log"; fail "fsx -N $ops failed"; }
echo "figure: fsx -N $ops: $(( $(date +%s) - start )) s, no error"
grep -i "not supported\|disabl" "$WORK/fsx.log" | sed 's/^/figure: fsx: /' || true
cd /
unmount
fsck_clean

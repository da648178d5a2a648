# The filesystem benchmark (integration/bench/run) runs end to end at its
# smallest sizes: every target mounts, every workload completes and the
# table comes out. Its figures at these sizes mean nothing; the real run is
# in integration/bench/FIGURES.md.
. "$(dirname "$0")/../lib.sh"
build=$(dirname "$IRONFS")
if ! out=$("$(dirname "$0")/../bench/run" "$build" --quick --reps 1 --work "$WORK/bench" 2>&1); then
  echo "$out" | tail -30 >&2
  fail "integration/bench/run --quick failed"
fi
echo "$out" | grep -q "^small_create " || fail "no metadata rows in the table"
echo "$out" | grep -q "^space_after_rm_vs_before " || fail "no space row in the table"
echo "$out" | grep -q "IronFS (default options) against each target" || fail "no comparison table"
# The FUSE floor mounted and served the metadata and small-file workloads.
for metric in small_create tar_x rm_rf; do
  awk -F'\t' -v m="$metric" '$1 == m && $2 == "floor" { found = 1 } END { exit !found }' \
    "$WORK/bench/results.tsv" || fail "no $metric figure for the floor"
done

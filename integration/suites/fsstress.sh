# fsstress (from xfstests): several processes of random filesystem
# operations; then the checker, also after an unmount and a remount.
# FSSTRESS names a built fsstress program. FSSTRESS_OPS and FSSTRESS_PROCS
# set its size (default 20000 operations in each of 8 processes).
if [ -z "${FSSTRESS:-}" ]; then
  echo "set FSSTRESS to a built fsstress program to run it"
  exit 77
fi
. "$(dirname "$0")/../lib.sh"
[ -x "$FSSTRESS" ] || fail "FSSTRESS=$FSSTRESS is not a program"
mount_fresh
mkdir "$MNT/stress"
ops=${FSSTRESS_OPS:-20000}
procs=${FSSTRESS_PROCS:-8}
start=$(date +%s)
"$FSSTRESS" -d "$MNT/stress" -n "$ops" -p "$procs" -s 1 >"$WORK/fsstress.log" 2>&1 ||
  { tail -30 "$WORK/fsstress.log"; fail "fsstress -n $ops -p $procs exited with an error"; }
echo "figure: fsstress -n $ops -p $procs: $(( $(date +%s) - start )) s, no error"
# fsstress leaves gigabytes of (mostly sparse) files: compare every name,
# type, size, mode, link count and owner rather than every byte.
before=$(tree_listing "$MNT")
unmount
fsck_clean
mount_fresh
[ "$(tree_listing "$MNT")" = "$before" ] || fail "the tree changed across unmount and mount"
unmount
fsck_clean

# pjdfstest, the POSIX conformance suite, run as root from inside a fresh
# mount with allow_other. PJDFSTEST_DIR names a built copy of its upstream
# source (the directory holding the pjdfstest program and tests/).
if [ -z "${PJDFSTEST_DIR:-}" ]; then
  echo "set PJDFSTEST_DIR to a built pjdfstest to run it"
  exit 77
fi
. "$(dirname "$0")/../lib.sh"
[ -x "$PJDFSTEST_DIR/pjdfstest" ] || fail "no pjdfstest program in $PJDFSTEST_DIR"
command -v prove >/dev/null || fail "prove (perl) is not installed"
mount_fresh "${PJDFSTEST_OPTIONS:-}"
mkdir "$MNT/pjd" && cd "$MNT/pjd"
if prove -r "$PJDFSTEST_DIR/tests" >"$WORK/prove.log" 2>&1; then status=0; else status=$?; fi
grep -E "^Files=|^Result:|Failed [0-9]+/[0-9]+ subtests" "$WORK/prove.log" | sed 's/^/figure: /'
if [ $status -ne 0 ]; then
  grep -v " ok$" "$WORK/prove.log" | grep -v "^ *ok\|^All tests" | head -60
  fail "pjdfstest failed"
fi
cd /
unmount
fsck_clean

# Shared by the integration tests (sourced). Each test mounts IronFS in a
# fresh temporary directory, as root, with allow_other, and unmounts it on
# exit, also when it fails.
#
# Expects IRONFS: the ironfs program to test.
#
#   mount_fresh [ironfs -o options]   DATA, MNT and PID are set; fails loudly
#                                     if the mount does not appear
#   mount_private [options]           the same without allow_other
#   remount [options]                 unmount (clean) and mount DATA again
#   unmount                           fusermount3 -u and wait for the daemon
#   fsck_clean                        ironfs fsck DATA must say clean
#   tree_digest DIR / tree_listing DIR  a hash of the bytes / the metadata
#   no_sanitizer_reports              the daemon's log holds no report of a
#                                     sanitizer (TSan, ASan, UBSan build)
#   flip FILE OFFSET                  flips the bits of one byte (damage tests)
#   read_back N                       reads f1..fN under MNT against
#                                     WORK/sums: sets good (exact) and bad
#                                     (EIO); wrong bytes or another error fail
#   fail "message"                    report and exit 1
#   AFTER_UNMOUNT="commands"          run on exit after the mount is gone,
#                                     before WORK is removed
set -eu

: "${IRONFS:?IRONFS must name the ironfs program}"
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/ironfs-it.XXXXXX")
DATA=$WORK/data
MNT=$WORK/mnt
PID=
mkdir -p "$MNT"
# A daemon built with a sanitizer reports into daemon.log, goes on, and
# exits with status 66 at its end if it reported anything.
TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export TSAN_OPTIONS

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cleanup() {
  status=$?
  if mountpoint -q "$MNT" 2>/dev/null; then
    fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
  fi
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  # A test that mounted something of its own under WORK unmounts it here.
  if [ -n "${AFTER_UNMOUNT:-}" ]; then eval "$AFTER_UNMOUNT" || true; fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM

# Starts ironfs in the foreground (so that its pid is ours to wait for and
# to kill) and waits up to 10 s for the mount to appear.
mount_fresh() {
  start_daemon -o "allow_other${1:+,$1}"
}

# As mount_fresh, without allow_other: only root may enter the mount.
mount_private() {
  if [ -n "${1:-}" ]; then start_daemon -o "$1"; else start_daemon; fi
}

start_daemon() {
  "$IRONFS" "$DATA" "$MNT" -f "$@" 2>>"$WORK/daemon.log" &
  PID=$!
  i=0
  while ! mountpoint -q "$MNT"; do
    if ! kill -0 "$PID" 2>/dev/null; then
      cat "$WORK/daemon.log" >&2
      fail "ironfs exited without mounting $MNT"
    fi
    i=$((i + 1))
    [ $i -lt 100 ] || fail "the mount of $MNT did not appear within 10 s"
    sleep 0.1
  done
}

unmount() {
  fusermount3 -u "$MNT" || fail "fusermount3 -u $MNT failed"
  wait "$PID" || { status=$?; PID=; no_sanitizer_reports; fail "ironfs exited with status $status after unmount"; }
  PID=
}

remount() {
  unmount
  mount_fresh "${1:-}"
}

fsck_clean() {
  out=$("$IRONFS" fsck "$DATA" 2>/dev/null) || { echo "$out" >&2; fail "ironfs fsck found problems"; }
}

no_sanitizer_reports() {
  pattern='WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:'
  if grep -Eq "$pattern" "$WORK/daemon.log" 2>/dev/null; then
    head -300 "$WORK/daemon.log" >&2
    fail "the daemon's sanitizer reported $(grep -Ec "$pattern" "$WORK/daemon.log") problems (above)"
  fi
}

# A sha256 of the path, type, size, mode, link count and owner of every
# name under $1 (not the bytes: cheap on large sparse trees).
tree_listing() {
  (cd "$1" && find . -printf '%p %y %s %m %n %U\n' | sort | sha256sum)
}

# A sha256 of every file and symlink under $1, with paths relative to it.
tree_digest() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum;
   find . -type l -printf '%p -> %l\n' | sort) | sha256sum | cut -d' ' -f1
}

flip() {
  perl -e 'open(my $f, "+<", $ARGV[0]) or die "$ARGV[0]: $!"; seek($f, $ARGV[1], 0);
           read($f, my $b, 1) == 1 or die "short read"; seek($f, $ARGV[1], 0);
           print $f chr(ord($b) ^ 0x5a); close($f) or die $!' "$1" "$2" || fail "cannot flip a byte of $1"
}

read_back() {
  good=0 bad=0
  for n in $(seq 1 "$1"); do
    if out=$(sha256sum "$MNT/f$n" 2>&1); then
      grep -q "$(echo "$out" | cut -d' ' -f1)  f$n" "$WORK/sums" || fail "f$n read back wrong bytes without an error"
      good=$((good + 1))
    else
      echo "$out" | grep -q "Input/output error" || { echo "$out" >&2; fail "reading f$n failed, but not with EIO"; }
      bad=$((bad + 1))
    fi
  done
}

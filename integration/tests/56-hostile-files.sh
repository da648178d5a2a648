# A FIFO where a file of the data directory should be (CURRENT, a WAL)
# must make the mount and fsck fail at once, saying what is wrong; before,
# both hung forever holding LOCK.
. "$(dirname "$0")/../lib.sh"

mount_fresh
echo hello > "$MNT/a" || fail "writing"
unmount

expect_refusal() {  # $1: what the message must say
  status=0
  timeout 20 "$IRONFS" "$DATA" "$MNT" -f -o allow_other 2>"$WORK/refused.log" || status=$?
  [ $status -ne 124 ] || fail "the mount hung with $1"
  [ $status -ne 0 ] || fail "ironfs mounted with $1"
  mountpoint -q "$MNT" && fail "a mount appeared with $1"
  grep -q "$1" "$WORK/refused.log" || { cat "$WORK/refused.log" >&2; fail "the mount's refusal does not say '$1'"; }
  status=0
  timeout 20 "$IRONFS" fsck "$DATA" >"$WORK/fsck.out" 2>&1 || status=$?
  [ $status -ne 124 ] || fail "fsck hung with $1"
  [ $status -ne 0 ] || fail "fsck calls a data directory with $1 clean"
  grep -q "$1" "$WORK/fsck.out" || { cat "$WORK/fsck.out" >&2; fail "fsck does not say '$1'"; }
}

mv "$DATA/CURRENT" "$WORK/CURRENT"
mkfifo "$DATA/CURRENT"
expect_refusal "CURRENT is a FIFO, not a regular file"
rm "$DATA/CURRENT"
mv "$WORK/CURRENT" "$DATA/CURRENT"

mkfifo "$DATA/999999.log"
expect_refusal "999999.log is a FIFO, not a regular file"
rm "$DATA/999999.log"

ln -s "$WORK/CURRENT" "$DATA/888888.log"
expect_refusal "888888.log is a symbolic link, not a regular file"
rm "$DATA/888888.log"

mount_fresh
[ "$(cat "$MNT/a")" = hello ] || fail "the data did not survive"
unmount
echo "figure: FIFO as CURRENT and as a WAL, symlink as a WAL: refused at once, with a message"

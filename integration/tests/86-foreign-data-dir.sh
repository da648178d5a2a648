# Root uses only a DATA_DIR that is root's alone, as sshd's StrictModes
# does: one owned by another user, or writable by group or others (the
# directory, a file in it, or a directory above it that is not sticky) is
# refused with a message naming the file, its owner and mode, and the
# option that allows it, -o allow_foreign_data_dir. Otherwise an ordinary
# user owning a 0777 DATA_DIR could truncate a table under the shared mount
# and take it down for everyone.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || { echo "not run: needs root"; exit 77; }
chmod 711 "$WORK"

refused() {  # dir, message pattern...
  dir=$1
  shift
  # As a daemon, which returns (an old ironfs that mounts must not hang the test).
  if "$IRONFS" "$dir" "$MNT" -o allow_other 2>"$WORK/refused.log"; then
    fail "root mounted $dir"
  fi
  mountpoint -q "$MNT" && fail "a mount appeared anyway"
  for pattern in "$@" allow_foreign_data_dir; do
    grep -q -- "$pattern" "$WORK/refused.log" || fail "the refusal of $dir does not say '$pattern': $(cat "$WORK/refused.log")"
  done
}

# An ordinary user's 0777 directory: refused; with the option, mounted.
mkdir "$WORK/users"
chown 4242:4242 "$WORK/users"
chmod 777 "$WORK/users"
refused "$WORK/users" "$WORK/users (owner uid 4242, mode 0777)" "another user"
own=$DATA
DATA=$WORK/users
mount_fresh allow_foreign_data_dir
echo data > "$MNT/file" || fail "write with allow_foreign_data_dir"
unmount
DATA=$own

# Root's own data directory, with one file gone astray.
mount_fresh
echo data > "$MNT/file"
unmount
chmod 620 "$DATA/CURRENT"
refused "$DATA" "$DATA/CURRENT (owner uid 0, mode 0620)" "writable by its group"
chmod 600 "$DATA/CURRENT"
chown 4242 "$DATA/CURRENT"
refused "$DATA" "$DATA/CURRENT (owner uid 4242" "another user"
chown 0 "$DATA/CURRENT"
chmod 707 "$DATA"
refused "$DATA" "$DATA (owner uid 0, mode 0707)" "writable by others"
chmod 700 "$DATA"
mount_fresh
[ "$(cat "$MNT/file")" = data ] || fail "the data after the refusals"
unmount

# A directory above DATA_DIR that others may write: they could swap
# DATA_DIR for one of their own. Sticky (as /tmp), it is fine.
mkdir -m 777 "$WORK/open"
chmod 777 "$WORK/open"
refused "$WORK/open/data" "$WORK/open (owner uid 0, mode 0777)" "writable by others"
chmod 1777 "$WORK/open"
DATA=$WORK/open/data
mount_fresh
unmount
fsck_clean

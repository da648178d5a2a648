# Unmount, mount again: every file identical, and the checker finds nothing.
. "$(dirname "$0")/../lib.sh"
mount_fresh
cp -a /usr/include/linux "$MNT/linux" || fail "cp -a"
mkdir -p "$MNT/d/e" && ln -s ../linux "$MNT/d/e/up" && ln "$MNT/linux/fs.h" "$MNT/d/fs-link.h"
setfattr -n user.k -v v "$MNT/d"
dd if=/dev/urandom of="$MNT/d/random" bs=64k count=40 2>/dev/null
before=$(tree_digest "$MNT")
unmount
fsck_clean
mount_fresh
[ "$(tree_digest "$MNT")" = "$before" ] || fail "the tree changed across unmount and mount"
[ "$(getfattr --only-values -n user.k "$MNT/d")" = v ] || fail "xattr lost across remount"
[ "$(stat -c %h "$MNT/d/fs-link.h")" = 2 ] || fail "hard link count lost"
unmount
fsck_clean

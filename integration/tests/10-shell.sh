# Everyday shell use: directories, a copy of /usr/include compared byte for
# byte, tar, links, moves, modes and owners, sparse files, xattrs, find, du, df.
. "$(dirname "$0")/../lib.sh"
mount_fresh

cd "$MNT"
mkdir -p a/b/c/d || fail "mkdir -p"
[ -d a/b/c/d ] || fail "mkdir -p made no a/b/c/d"

# cp -a of a real tree, compared file by file.
cp -a /usr/include "$MNT/include" || fail "cp -a /usr/include"
[ "$(tree_digest /usr/include)" = "$(tree_digest "$MNT/include")" ] || fail "copy of /usr/include differs"
files=$(find "$MNT/include" -type f | wc -l)
echo "figure: cp -a of /usr/include: $files files identical"

# tar round trip.
tar -C "$MNT" -cf "$WORK/include.tar" include || fail "tar c"
mkdir "$MNT/untar"
tar -C "$MNT/untar" -xf "$WORK/include.tar" || fail "tar x"
[ "$(tree_digest /usr/include)" = "$(tree_digest "$MNT/untar/include")" ] || fail "tar round trip differs"

# Links and moves.
echo hello > f
ln f hard || fail "ln"
[ "$(stat -c %h f)" = 2 ] || fail "nlink after ln is $(stat -c %h f)"
ln -s f soft || fail "ln -s"
[ "$(cat soft)" = hello ] || fail "reading through a symlink"
[ "$(readlink soft)" = f ] || fail "readlink"
mv f a/b/moved || fail "mv across directories"
[ "$(cat a/b/moved)" = hello ] && [ ! -e f ] || fail "mv lost or kept the file"
mv a/b/c "$MNT/c-moved" || fail "mv of a directory"
[ -d c-moved/d ] || fail "moved directory lost its child"

# Modes, owners, times.
chmod 4751 a/b/moved && [ "$(stat -c %a a/b/moved)" = 4751 ] || fail "chmod"
chown 1234:5678 a/b/moved && [ "$(stat -c %u:%g a/b/moved)" = 1234:5678 ] || fail "chown"
touch -d '2001-02-03 04:05:06.789' a/b/moved || fail "touch -d"
[ "$(stat -c %y a/b/moved)" = "2001-02-03 04:05:06.789000000 +0000" ] ||
  [ "$(date -d "$(stat -c %y a/b/moved)" +%s)" = "$(date -d '2001-02-03 04:05:06' +%s)" ] ||
  fail "touch -d gave $(stat -c %y a/b/moved)"

# truncate, sparse files, du.
truncate -s 10M sparse || fail "truncate"
[ "$(stat -c %s sparse)" = 10485760 ] || fail "size after truncate"
dd if=/dev/urandom of=sparse bs=4096 seek=1000 count=1 conv=notrunc 2>/dev/null || fail "dd seek"
used=$(du -k sparse | cut -f1)
[ "$used" -lt 100 ] || fail "a 10 MiB sparse file uses ${used} KiB"
dd if=/dev/zero of=sparse bs=1M seek=20 count=1 2>/dev/null || fail "dd seek past the end"
[ "$(stat -c %s sparse)" = 22020096 ] || fail "size after dd seek"
[ "$(dd if=sparse bs=4096 skip=5 count=1 2>/dev/null | tr -d '\0' | wc -c)" = 0 ] || fail "a hole reads as non-zero"

# Extended attributes.
setfattr -n user.color -v blue a/b/moved || fail "setfattr"
[ "$(getfattr --only-values -n user.color a/b/moved)" = blue ] || fail "getfattr"
setfattr -x user.color a/b/moved || fail "setfattr -x"
getfattr -n user.color a/b/moved 2>/dev/null && fail "removed xattr still there"

# find, du, df.
[ "$(find "$MNT/include" -name stdio.h | wc -l)" -ge 1 ] || fail "find"
du -sh "$MNT" >/dev/null || fail "du"
df -T "$MNT" | grep -q 'fuse.ironfs' || fail "df does not show fuse.ironfs: $(df -T "$MNT")"
mount | grep -q " $MNT type fuse.ironfs" || fail "mount does not show fuse.ironfs"

# Everything removed, and the tree checks clean.
rm -rf "$MNT"/* || fail "rm -rf"
[ -z "$(ls -A "$MNT")" ] || fail "not empty after rm -rf: $(ls -A "$MNT")"
cd /
unmount
fsck_clean

# The mount options every FUSE filesystem takes, as sshfs honours them:
# fsname= names the source and subtype= the type (fuse.NAME) that mount,
# df and findmnt show, given to ironfs or through mount(8) and
# mount.fuse3; ro makes the mount read-only whatever the other options
# hold (the letters "ro" inside subtype=ironfs or fsname= do not).
. "$(dirname "$0")/../lib.sh"

# SOURCE FSTYPE of the mount on MNT.
shown() { findmnt -n -o SOURCE,FSTYPE "$MNT" | awk '{ print $1, $2 }'; }

# Given to ironfs.
mount_fresh "subtype=plain,fsname=tank"
[ "$(shown)" = "tank fuse.plain" ] || fail "ironfs -o subtype=plain,fsname=tank shows '$(shown)'"
echo data > "$MNT/file" || fail "writing on the renamed mount"
df -T "$MNT" | grep -q "fuse.plain" || fail "df -T does not show fuse.plain: $(df -T "$MNT")"
# A second mount of the same DATA_DIR is refused at once, though the
# mount's source (tank) does not name DATA_DIR: the LOCK's holder serves it.
mkdir "$WORK/mnt2"
start=$(date +%s)
if "$IRONFS" "$DATA" "$WORK/mnt2" 2>"$WORK/second.err"; then
  fusermount3 -u "$WORK/mnt2"
  fail "a second mount of a mounted DATA_DIR succeeded"
fi
took=$(($(date +%s) - start))
grep -q "in use" "$WORK/second.err" || fail "the second mount's message: $(cat "$WORK/second.err")"
[ $took -le 5 ] || fail "the second mount was refused after $took s, not at once"
unmount

# The defaults: DATA_DIR and fuse.ironfs.
mount_fresh
[ "$(shown)" = "$DATA fuse.ironfs" ] || fail "the defaults show '$(shown)'"
unmount

# ro with the default subtype (which holds the letters "ro"): read-only.
mount_fresh "ro"
findmnt -n -o OPTIONS "$MNT" | tr ',' '\n' | grep -qx ro || fail "-o ro is not read-only in the kernel"
if echo x > "$MNT/new" 2>/dev/null; then fail "a write succeeded on a -o ro mount"; fi
[ "$(cat "$MNT/file")" = data ] || fail "reading on the -o ro mount"
unmount

# A subtype or fsname of those letters does not make a mount read-only.
mount_fresh "subtype=ro,fsname=ro"
[ "$(shown)" = "ro fuse.ro" ] || fail "-o subtype=ro,fsname=ro shows '$(shown)'"
echo more > "$MNT/more" || fail "a mount with subtype=ro is read-only"
unmount

# Through mount(8) and mount.fuse3, as an /etc/fstab line would: the
# user's subtype wins over the fuse.ironfs of the type. mount.fuse3 finds
# "ironfs" on the system's PATH: if none is installed, the one under test
# stands in for the duration.
linked=
if ! PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v ironfs >/dev/null; then
  ln -s "$IRONFS" /usr/local/sbin/ironfs && linked=/usr/local/sbin/ironfs
fi
if mount -t fuse.ironfs "$DATA" "$MNT" -o allow_other,subtype=other,fsname=pool; then status=0; else status=$?; fi
[ -n "$linked" ] && rm -f "$linked"
[ $status -eq 0 ] || fail "mount -t fuse.ironfs -o subtype=other,fsname=pool failed"
[ "$(shown)" = "pool fuse.other" ] || { umount "$MNT"; fail "mount -t fuse.ironfs -o subtype=other,fsname=pool shows '$(shown)'"; }
[ "$(cat "$MNT/more")" = more ] || { umount "$MNT"; fail "contents through mount -t"; }
umount "$MNT" || fail "umount"
i=0
while ! "$IRONFS" fsck "$DATA" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 50 ] || fail "the daemon did not release DATA_DIR after umount"; sleep 0.1
done

# File capabilities on the mount behave as on ext4: a write by a user who
# is not the owner but may write the file succeeds and drops the file's
# capabilities (the kernel removes security.capability as the writer);
# a user who may not write the file changes nothing.
. "$(dirname "$0")/../lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is not installed"
if ! command -v setcap >/dev/null || ! command -v getcap >/dev/null; then
  echo "not run: setcap/getcap (libcap2-bin) are not installed"
  exit 77
fi
chmod 711 "$WORK"  # other users may pass through to the mount point
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

mount_fresh
cp /bin/true "$MNT/open" && chmod 0666 "$MNT/open" || fail "making open"
cp /bin/true "$MNT/closed" && chmod 0644 "$MNT/closed" || fail "making closed"
for f in open closed; do
  setcap cap_net_raw+ep "$MNT/$f" || fail "setcap on $f"
  getcap "$MNT/$f" | grep -q cap_net_raw || fail "getcap does not show the capability of $f"
done

as_nobody sh -c "echo x >> '$MNT/open'" || fail "a writer who is not the owner was refused"
[ -z "$(getcap "$MNT/open")" ] || fail "the write left the capabilities: $(getcap "$MNT/open")"
if as_nobody sh -c "echo x >> '$MNT/closed'" 2>/dev/null; then fail "a user wrote a 0644 file of root's"; fi
getcap "$MNT/closed" | grep -q cap_net_raw || fail "a refused write dropped the capabilities"
unmount
fsck_clean

# With no_default_permissions IronFS alone judges execve: the kernel only
# checks that some execute bit is set, then opens the file with its exec
# flag (__FMODE_EXEC), which IronFS judges on the execute bits for the
# caller, as ext4 does: a 0711 program runs for others, a 0744 one does not.
. "$(dirname "$0")/../lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is not installed"
chmod 711 "$WORK"  # other users may pass through to the mount point
# Through a shell: the shell's execve is the one judged.
run_as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "'$1'" 2>/dev/null; }

for mode in default_permissions no_default_permissions; do
  mount_fresh "$mode"
  cp /bin/true "$MNT/p744" && chmod 0744 "$MNT/p744" || fail "making p744"
  cp /bin/true "$MNT/p711" && chmod 0711 "$MNT/p711" || fail "making p711"
  if run_as_nobody "$MNT/p744"; then fail "$mode: a 0744 program of root's ran for another user"; fi
  run_as_nobody "$MNT/p711" || fail "$mode: a 0711 program of root's did not run for another user"
  "$MNT/p744" || fail "$mode: root could not run a 0744 program"
  unmount
done

# With no_default_permissions IronFS alone judges what the kernel leaves to
# it, as ext4 would, and the same checks hold with default_permissions:
# - execve: the kernel only checks that some execute bit is set, then opens
#   the file with its exec flag (__FMODE_EXEC), which IronFS judges on the
#   execute bits for the caller: a 0711 program runs for others, a 0744
#   one does not;
# - privilege comes from capabilities, not uid 0: root without
#   CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH cannot read another user's
#   0600 file, nor without CAP_CHOWN give it away.
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
  echo secret > "$MNT/secret" && chown 65534:65534 "$MNT/secret" && chmod 0600 "$MNT/secret" ||
    fail "making secret"
  bare_root() { setpriv --bounding-set=-dac_override,-dac_read_search,-chown,-fowner sh -c "$1" 2>/dev/null; }
  if bare_root "cat '$MNT/secret' >/dev/null"; then fail "$mode: root without CAP_DAC_* read a 0600 file of another user"; fi
  if bare_root "chown 0 '$MNT/secret'"; then fail "$mode: root without CAP_CHOWN gave a file away"; fi
  cat "$MNT/secret" >/dev/null || fail "$mode: root could not read a 0600 file"
  unmount
done

# What a daemon started by root holds once mounted: no descriptor it
# inherited (a launching shell's fd 7 and 9 here), and no capability in
# any set of any thread. Unmounting on SIGTERM goes through an unmounter
# process that keeps CAP_SYS_ADMIN alone and holds one pipe, nothing else.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || { echo "not run: needs root"; exit 77; }
zero=0000000000000000
cap_sys_admin=0000000000200000

start_inheriting() {
  "$IRONFS" "$DATA" "$MNT" -f -o allow_other 2>>"$WORK/daemon.log" 7>"$WORK/seven" 9<"$WORK/nine" &
  PID=$!
  i=0
  while ! mountpoint -q "$MNT"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; fail "ironfs exited without mounting"; }
    i=$((i + 1)); [ $i -lt 100 ] || fail "the mount did not appear within 10 s"
    sleep 0.1
  done
}

echo nine > "$WORK/nine"
start_inheriting
echo data > "$MNT/file" || fail "write"

unmounters=$(ps -o pid= --ppid "$PID" | tr -d ' ')
unmounter_fds=$(for h in $unmounters; do for fd in /proc/"$h"/fd/*; do readlink "$fd"; done; done)

# Descriptors: the data directory's files, /dev/fuse, the engine's
# /proc/self/statm, the pipe to the unmounter, stdin/stdout/stderr; nothing
# the launcher had open.
fds=$(for fd in /proc/"$PID"/fd/*; do printf '%s %s\n' "$(basename "$fd")" "$(readlink "$fd")"; done)
echo "$fds" | grep -q "$WORK/seven\|$WORK/nine" && fail "the daemon holds an inherited descriptor: $fds"
stray=$(echo "$fds" | awk -v data="$DATA/" -v pipe="$unmounter_fds" \
  '$1 >= 3 && index($2, data) != 1 && $2 != "/dev/fuse" && $2 != pipe && $2 !~ /^\/proc\/[0-9]+\/statm$/')
[ -z "$stray" ] || fail "the daemon holds descriptors that are none of its own: $stray"

# Capabilities: none, in every thread, bounding set included.
for status in /proc/"$PID"/task/*/status; do
  thread=$(basename "$(dirname "$status")")
  for set in CapEff CapPrm CapBnd CapAmb; do
    value=$(awk -v s="$set:" '$1 == s {print $2}' "$status")
    [ "$value" = $zero ] || fail "daemon thread $thread: $set is $value"
  done
  [ "$(awk '/^NoNewPrivs:/ {print $2}' "$status")" = 1 ] || fail "daemon thread $thread lacks no_new_privs"
done

# The unmounter: the daemon's one child, CAP_SYS_ADMIN alone, one pipe.
[ "$(echo "$unmounters" | wc -w)" = 1 ] || fail "the daemon has children '$unmounters', not one unmounter"
status=/proc/$unmounters/status
[ "$(awk '/^CapPrm:/ {print $2}' "$status")" = $cap_sys_admin ] || fail "the unmounter's permitted set: $(grep Cap "$status")"
[ "$(awk '/^CapEff:/ {print $2}' "$status")" = $zero ] || fail "the unmounter's effective set: $(grep Cap "$status")"
[ "$(echo "$unmounter_fds" | wc -l)" = 1 ] && echo "$unmounter_fds" | grep -q '^pipe:' ||
  fail "the unmounter holds more than its pipe: $unmounter_fds"

# SIGTERM unmounts through the unmounter; both processes are gone after.
kill -TERM "$PID"
wait "$PID" || fail "ironfs exited with status $? on SIGTERM"
PID=
mountpoint -q "$MNT" && fail "SIGTERM left the mount behind"
kill -0 "$unmounters" 2>/dev/null && fail "the unmounter outlived the daemon"

# fusermount3 -u as before; the unmounter leaves without unmounting anything.
start_inheriting
unmounters=$(ps -o pid= --ppid "$PID" | tr -d ' ')
unmount
kill -0 "$unmounters" 2>/dev/null && fail "the unmounter outlived the daemon"
# kill -9: the unmounter leaves the (dead) mount for fusermount3 -u.
start_inheriting
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
sleep 0.5
mountpoint -q "$MNT" 2>/dev/null || grep -q " $MNT " /proc/self/mountinfo || fail "kill -9 of the daemon unmounted"
fusermount3 -u "$MNT" || umount -l "$MNT" || fail "cannot unmount after kill -9"
mount_fresh
[ "$(cat "$MNT/file")" = data ] || fail "data"
unmount
fsck_clean

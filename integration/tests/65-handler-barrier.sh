# A FUSE handler that throws costs one request, not the mount: the request
# is answered EIO (ENOMEM for a failed allocation), the daemon logs it, and
# the mount goes on serving everyone. The throw comes from a test hook, a
# lookup of a name the hook knows, compiled only into a build configured
# with -DIRON_TEST_HOOKS=ON (tests/run's ASan leg); other builds skip this.
. "$(dirname "$0")/../lib.sh"
"$IRONFS" --version | grep -q "test hooks compiled in" ||
  { echo "not run: this ironfs has no test hooks (configure with -DIRON_TEST_HOOKS=ON)"; exit 77; }

# Under ASan, LeakSanitizer checks the daemon at exit: nothing may leak but
# libfuse's copy of the mount point, which only fuse_session_unmount frees;
# a daemon whose mount was unmounted from outside (fusermount3 -u, as here)
# or by its unmounter process does not call it.
printf 'leak:fuse_session_mount\n' > "$WORK/lsan.supp"
export LSAN_OPTIONS="suppressions=$WORK/lsan.supp ${LSAN_OPTIONS:-}"

mount_fresh
echo before > "$MNT/before" || fail "writing a file"

# stat prints the error of the lookup: the barrier's answer.
out=$(stat "$MNT/.ironfs-test-throw-runtime-error" 2>&1) && fail "a throwing lookup succeeded"
echo "$out" | grep -q "Input/output error" || fail "a throwing lookup did not answer EIO: $out"
out=$(stat "$MNT/.ironfs-test-throw-bad-alloc" 2>&1) && fail "a lookup that ran out of memory succeeded"
echo "$out" | grep -q "Cannot allocate memory" || fail "a failed allocation did not answer ENOMEM: $out"
kill -0 "$PID" 2>/dev/null || fail "the daemon died"

# Many throws, in parallel with ordinary work, and the mount still serves.
# (The stats run in one background shell: a bare `wait` would wait for
# the daemon too.)
(for i in $(seq 1 50); do stat "$MNT/.ironfs-test-throw-runtime-error" >/dev/null 2>&1 & done; wait) &
throws=$!
mkdir "$MNT/d" || fail "mkdir after the throws"
for i in $(seq 1 20); do echo "file $i" > "$MNT/d/f$i" || fail "writing d/f$i after the throws"; done
wait "$throws"
[ "$(cat "$MNT/before")" = before ] || fail "a file written before the throws reads back wrong"
[ "$(cat "$MNT/d/f20")" = "file 20" ] || fail "a file written after the throws reads back wrong"
[ "$(ls "$MNT/d" | wc -l)" = 20 ] || fail "readdir after the throws"
kill -0 "$PID" 2>/dev/null || fail "the daemon died"
grep -q "lookup failed with an exception (test hook: a handler threw); answered EIO" "$WORK/daemon.log" ||
  fail "the daemon's log does not name the exception: $(tail -5 "$WORK/daemon.log")"
grep -q "answered ENOMEM" "$WORK/daemon.log" || fail "the daemon's log does not say ENOMEM"
unmount
no_sanitizer_reports
fsck_clean
echo "figure: 52 throwing lookups answered, the mount served on"

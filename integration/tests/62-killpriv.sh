# FUSE_HANDLE_KILLPRIV_V2 is negotiated (init_flags.h: added to libfuse
# 3.14's INIT reply, or asked of a libfuse that knows it): the kernel asks
# for a file's security.capability (GETXATTR) before its first write only,
# not before each one. Counted in the daemon's debug log (-d).
. "$(dirname "$0")/../lib.sh"

start_daemon -d -o allow_other
for i in 1 2 3 4 5 6 7 8; do echo "line $i" >> "$MNT/file" || fail "append $i"; done
[ "$(wc -l < "$MNT/file")" -eq 8 ] || fail "the file does not hold 8 lines"
unmount
writes=$(grep -c "opcode: WRITE " "$WORK/daemon.log" || true)
getxattrs=$(grep -c "opcode: GETXATTR " "$WORK/daemon.log" || true)
[ "$writes" -ge 8 ] || fail "the debug log shows $writes WRITE requests, not 8: is -d logging requests?"
[ "$getxattrs" -le 2 ] || fail "$getxattrs GETXATTR requests for $writes writes: FUSE_HANDLE_KILLPRIV_V2 was not negotiated"
echo "figure: $writes writes, $getxattrs GETXATTR"

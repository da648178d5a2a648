# kill -9 of the daemon at random moments under a mixed load, again and
# again on one data directory. In each round a writer makes files (with
# fsync, and without: kill -9 must lose nothing acknowledged either),
# renames and removes some of them, and writes down each operation only
# once it has returned; the daemon is killed after a random 0.2-3 s; then
# the dead mount is removed, `ironfs fsck` must find the data directory
# clean, and after a remount every recorded file must hold exactly its
# bytes, every recorded removal must still be gone, and the whole tree must
# be walkable: find, stat and read of everything without an error.
#
# Sizes (environment):
#   KILL_ROUNDS  rounds (default 10); a soak sets e.g. KILL_ROUNDS=1000
#   KILL_KEEP    rounds whose files are kept and checked (default 5); older
#                rounds' files are removed, and checked to stay removed
#   KILL_LOADERS processes of load (default 4)
#   KILL_SEED    seed of the random delays and operations (default: the
#                time; printed, so that a failure's sequence can be rerun)
#   FSSTRESS     a built fsstress program (xfstests): if set, it is the load
#                (-p KILL_LOADERS), instead of this test's shell load
# A failure keeps a copy of the data directory and the daemon's log.
. "$(dirname "$0")/../lib.sh"
rounds=${KILL_ROUNDS:-10}
keep=${KILL_KEEP:-5}
loaders=${KILL_LOADERS:-4}
seed=${KILL_SEED:-$(date +%s)}
if [ -n "${FSSTRESS:-}" ]; then
  [ -x "$FSSTRESS" ] || fail "FSSTRESS=$FSSTRESS is not a program"
fi
echo "kill-loop: $rounds rounds, seed $seed"

# The load: random operations on a bounded set of names, errors ignored
# (half of them fail by design, and all of them once the daemon is dead).
cat >"$WORK/load.sh" <<'EOF'
dir=$1
mkdir -p "$dir" 2>/dev/null
awk -v seed="$2" 'BEGIN { srand(seed); while (1) print int(rand() * 65536) }' |
while read -r r; do
  f=$dir/f$((r % 40))
  d=$dir/d$((r % 8))
  case $((r % 16)) in
    0 | 1) head -c $((r * 16)) /dev/urandom >"$f" ;;
    2) dd if=/dev/urandom of="$f" bs=4k count=$((r % 64 + 1)) conv=fsync status=none ;;
    3) dd if=/dev/urandom of="$f" bs=512 count=$((r % 16 + 1)) seek=$((r % 300)) conv=notrunc status=none ;;
    4) mv "$f" "$dir/f$(((r / 40) % 40))" ;;
    5) rm -f "$f" ;;
    6) truncate -s $((r * 8)) "$f" ;;
    7) mkdir "$d" ;;
    8) rmdir "$d" ;;
    9) ln "$f" "$d/h$((r % 5))" ;;
    10) ln -sf "../f$((r % 40))" "$d/s$((r % 5))" ;;
    11) mkdir -p "$d/e" && cp "$f" "$d/e/c$((r % 5))" ;;
    12) mv "$d" "$dir/d$(((r / 8) % 8))" ;;
    13) rm -rf "$d" ;;
    14) cat "$f" >/dev/null ;;
    15) sync "$f" ;;
  esac 2>/dev/null
done
EOF

# The writer of the round: records in $WORK/exist ("sha256  path") what
# must be there and in $WORK/absent what must not, each only after the
# operation returned; stops at the first error (the daemon is dead).
cat >"$WORK/writer.sh" <<'EOF'
dir=$1 work=$2
src=$work/src
mkdir "$dir" && sync "$(dirname "$dir")" || exit 0
i=0
while :; do
  i=$((i + 1))
  head -c $(( $(od -An -N2 -tu2 /dev/urandom) * 4 )) /dev/urandom >"$src"
  sum=$(sha256sum <"$src" | cut -c1-64)
  case $((i % 6)) in
    0)  # no fsync: acknowledged is enough to survive kill -9
      cp "$src" "$dir/a$i" || exit 0
      echo "$sum  $dir/a$i" >>"$work/exist" ;;
    1)  # fsync'ed under a temporary name, renamed, directory fsync'ed
      dd if="$src" of="$dir/t$i" bs=64k conv=fsync status=none || exit 0
      mv "$dir/t$i" "$dir/f$i" && sync "$dir" || exit 0
      echo "$sum  $dir/f$i" >>"$work/exist"
      echo "$dir/t$i" >>"$work/absent" ;;
    2)  # an earlier file overwritten in place, shorter or longer
      j=$((i - 1))
      [ -e "$dir/f$j" ] || j=$((i - 2))
      grep -v "  $dir/[af]$j\$" "$work/exist" >"$work/exist.new"; mv "$work/exist.new" "$work/exist"
      dd if="$src" of="$dir/f$j" bs=64k conv=fsync status=none 2>/dev/null || exit 0
      echo "$sum  $dir/f$j" >>"$work/exist" ;;
    3)  # an earlier file removed
      j=$((i - 3))
      grep -v "  $dir/[af]$j\$" "$work/exist" >"$work/exist.new"; mv "$work/exist.new" "$work/exist"
      rm -f "$dir/f$j" "$dir/a$j" || exit 0
      echo "$dir/f$j" >>"$work/absent"
      echo "$dir/a$j" >>"$work/absent" ;;
    *)  # fsync'ed, then the directory
      dd if="$src" of="$dir/f$i" bs=64k conv=fsync status=none || exit 0
      sync "$dir" || exit 0
      echo "$sum  $dir/f$i" >>"$work/exist" ;;
  esac
done
EOF

groups=
start_group() {  # command...: in a session of its own, to be killed whole
  setsid "$@" >/dev/null 2>&1 &
  groups="$groups $!"
}
stop_groups() {
  for g in $groups; do kill -KILL "-$g" 2>/dev/null || kill -KILL "$g" 2>/dev/null || true; done
  for g in $groups; do wait "$g" 2>/dev/null || true; done
  groups=
}
trap 'status=$?; stop_groups; set +e; (exit $status); cleanup' EXIT
trap 'exit 130' INT TERM

evidence() {  # message: keep what a person needs, then fail
  if [ -n "$PID" ]; then  # a hung daemon would hang the unmount too
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=
  fi
  kept=$(mktemp -d "${TMPDIR:-/var/tmp}/ironfs-kill-loop-failed.XXXXXX")
  cp -a "$DATA" "$kept/data" 2>/dev/null || true
  cp "$WORK/daemon.log" "$WORK/exist" "$WORK/absent" "$kept/" 2>/dev/null || true
  fail "round $round of $rounds (seed $seed): $* (data directory and logs kept in $kept)"
}

random() {  # n lo hi: a number from the seeded sequence
  awk -v s="$seed" -v n="$1" -v lo="$2" -v hi="$3" \
    'BEGIN { srand(s); for (i = 0; i < n; i++) rand(); printf "%.2f", lo + rand() * (hi - lo) }'
}

: >"$WORK/exist"
: >"$WORK/absent"
mount_fresh
mkdir -p "$MNT/durable" "$MNT/load"
round=0 checked=0 gone=0 walked=0
while [ $round -lt "$rounds" ]; do
  round=$((round + 1))
  # Older rounds' files go, and must stay gone.
  old=$((round - keep))
  if [ $old -ge 1 ] && [ -d "$MNT/durable/r$old" ]; then
    grep -v "  $MNT/durable/r$old/" "$WORK/exist" >"$WORK/exist.new" || true
    mv "$WORK/exist.new" "$WORK/exist"
    rm -rf "$MNT/durable/r$old" || evidence "rm -rf of an old round's files"
    echo "$MNT/durable/r$old" >>"$WORK/absent"
  fi

  if [ -n "${FSSTRESS:-}" ]; then
    rm -rf "$MNT/load/fsstress" || evidence "rm -rf of the last fsstress tree"
    start_group "$FSSTRESS" -d "$MNT/load/fsstress" -n 10000000 -p "$loaders" -s $((seed + round))
  else
    l=0
    while [ $l -lt "$loaders" ]; do
      l=$((l + 1))
      start_group sh "$WORK/load.sh" "$MNT/load/p$l" $((seed + round * 100 + l))
    done
  fi
  start_group sh "$WORK/writer.sh" "$MNT/durable/r$round" "$WORK"
  writer=${groups##* }
  delay=$(random "$round" 0.2 3)
  sleep "$delay"
  kill -KILL "$PID"
  wait "$PID" 2>/dev/null || true
  PID=
  # The writer stops by itself at its first failed call; what it recorded
  # before then had returned before the kill.
  i=0
  while [ "$(cut -d' ' -f3 "/proc/$writer/stat" 2>/dev/null)" != Z ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  stop_groups
  fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" || evidence "cannot remove the dead mount"

  out=$("$IRONFS" fsck "$DATA" 2>&1) || { echo "$out" >&2; evidence "fsck after kill -9 at ${delay}s found problems"; }
  mount_fresh

  # Every acknowledged file has its bytes; every acknowledged removal holds.
  if [ -s "$WORK/exist" ]; then
    timeout 300 sha256sum -c --quiet "$WORK/exist" >"$WORK/check.log" 2>&1 ||
      { cat "$WORK/check.log" >&2; evidence "acknowledged files lost or changed after kill -9 at ${delay}s"; }
  fi
  while read -r p; do
    if [ -e "$p" ] || [ -L "$p" ]; then evidence "$p was removed (acknowledged) but is back after kill -9"; fi
    gone=$((gone + 1))
  done <"$WORK/absent"
  checked=$((checked + $(wc -l <"$WORK/exist")))
  # The tree is whole: every entry found, stat'ed, and every file read
  # (within 300 s each: a hung daemon fails the test rather than stalls it).
  timeout 300 find "$MNT" >"$WORK/walk" 2>"$WORK/walk.err" || { cat "$WORK/walk.err" >&2; evidence "find over the tree failed"; }
  walked=$(wc -l <"$WORK/walk")
  timeout 300 find "$MNT" -exec stat -c '%i %h %s' {} + >/dev/null 2>"$WORK/walk.err" ||
    { head "$WORK/walk.err" >&2; evidence "stat of the tree failed"; }
  timeout 300 find "$MNT" -type f -exec cat {} + >/dev/null 2>"$WORK/walk.err" ||
    { head "$WORK/walk.err" >&2; evidence "reading every file failed"; }
  echo "round $round: killed at ${delay}s; $(wc -l <"$WORK/exist") files checked, $walked entries walked"
done
unmount
fsck_clean
echo "figure: kill -9 rounds survived: $round (seed $seed${FSSTRESS:+, load fsstress})"
echo "figure: kill-loop: $checked acknowledged files verified, $gone acknowledged removals held, last tree $walked entries"

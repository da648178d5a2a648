# Many processes at once on one mount, for a while: writers (each file
# written whole under a temporary name, some fsync'ed, then renamed over one
# of its slots; an append-only log), readers (every copy they read must be
# one whole generation of a writer's file), directory walkers (find, ls -lR,
# du over the whole tree while it changes) and metadata churn (mkdir,
# create, link, symlink, chmod, setxattr, truncate, rename of files and
# directories, rm -rf). No process may see an unexpected error; a watchdog
# fails the test, with the daemon's thread stacks, if the load stalls for
# 10 s or does not stop in time; the daemon's memory is sampled every
# second. After the load: unmount, fsck clean, remount, the tree unchanged
# and every writer's last generation of every slot, and its log, exact.
#
# Run against a ThreadSanitizer build of ironfs (tests/run does), any report
# of the sanitizer in the daemon's log fails the test.
#
# Sizes (environment):
#   LOAD_SECONDS       how long the load runs (default 60); a soak sets e.g. 3600
#   LOAD_PROCS         processes (default 16; a quarter each role, at least 4)
#   LOAD_RSS_LIMIT_MB  the daemon's peak RSS limit (default 768)
#   LOAD_MARGIN        seconds the processes get to stop once told (default 60)
. "$(dirname "$0")/../lib.sh"
command -v setfattr >/dev/null || fail "setfattr (attr) is not installed (tests/install-deps installs it)"
seconds=${LOAD_SECONDS:-60}
procs=${LOAD_PROCS:-16}
rss_limit=${LOAD_RSS_LIMIT_MB:-768}
margin=${LOAD_MARGIN:-60}
[ "$procs" -ge 4 ] || fail "LOAD_PROCS must be at least 4 (one of each role)"
writers=$((procs / 4))
readers=$((procs / 4))
walkers=$((procs / 4))
churners=$((procs - writers - readers - walkers))
mkdir "$WORK/count"
: >"$WORK/errors"

# The bytes of generation $2 of writer $1's files: a header line, then
# numbered lines unique to the writer and generation, 16 B to 256 KiB.
content() {
  echo "writer $1 generation $2"
  first=$((($1 * 10000000 + $2) * 100000))
  seq -f '%015.0f' $first $((first + ($2 * 7919 + $1 * 104729) % 16384))
}
content_size() {
  header="writer $1 generation $2"
  echo $((${#header} + 1 + 16 * (($2 * 7919 + $1 * 104729) % 16384 + 1)))
}
log_lines() {  # writer, generations: the writer's log after them
  awk -v w="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "writer %d generation %d\n", w, i }'
}

die() {  # message: the role fails, with the last lines of its stderr
  { echo "$role: $*"; tail -n 3 "$WORK/$role.stderr" 2>/dev/null | sed 's/^/    /'; } >>"$WORK/errors"
  exit 1
}

write_generation() {  # writer, generation
  dir=$MNT/w$1
  if [ $(($2 % 2)) = 0 ]; then
    content "$1" "$2" | dd of="$dir/.tmp" bs=1M iflag=fullblock conv=fsync status=none ||
      die "writing generation $2 with fsync"
  else
    content "$1" "$2" >"$dir/.tmp" || die "writing generation $2"
  fi
  mv "$dir/.tmp" "$dir/s$(($2 % 8))" || die "renaming generation $2 over its slot"
  echo "writer $1 generation $2" >>"$dir/log" || die "appending to the log"
}

writer() {
  g=8 ops=0 bytes=0
  while [ ! -e "$WORK/stop" ]; do
    g=$((g + 1))
    write_generation "$1" $g
    ops=$((ops + 3))
    bytes=$((bytes + $(content_size "$1" $g)))
    echo "$ops $bytes" >"$WORK/count/w$1"
    echo $g >"$WORK/generations.$1"
  done
}

reader() {
  i=$1 ops=0 copy=$WORK/reader$1
  while [ ! -e "$WORK/stop" ]; do
    i=$((i + 1))
    w=$((i % writers + 1))
    cat "$MNT/w$w/s$((i % 8))" >"$copy" || die "reading w$w/s$((i % 8))"
    read -r _ hw _ hg <"$copy" || die "w$w/s$((i % 8)) has no header"
    [ "$hw" = $w ] || die "w$w/s$((i % 8)) holds writer $hw's data"
    content "$hw" "$hg" | cmp -s - "$copy" || die "w$w/s$((i % 8)) is not whole generation $hg"
    if [ $((i % 4)) = 0 ]; then
      cat "$MNT/w$w/log" >"$copy" || die "reading w$w/log"
      awk -v w=$w 'partial { bad = 1 }
        { want = "writer " w " generation " NR }
        $0 != want { if (index(want, $0) == 1) partial = 1; else bad = 1 }
        END { exit bad }' "$copy" || die "w$w/log is not a sequence of whole appends"
      ops=$((ops + 1))
    fi
    ops=$((ops + 1))
    echo "$ops 0" >"$WORK/count/r$1"
  done
}

# Entries that vanish under a walker are expected; anything else is not.
unexpected() { grep -v 'No such file or directory' "$1" | head -5; }

walker() {
  i=0 ops=0 err=$WORK/walker$1.err
  while [ ! -e "$WORK/stop" ]; do
    i=$((i + 1))
    case $((i % 3)) in
      0) find "$MNT" -printf '%y %s %m %n %p\n' >/dev/null 2>"$err" || true ;;
      1) ls -lRa "$MNT" >/dev/null 2>"$err" || true ;;
      2) du -s "$MNT" >/dev/null 2>"$err" || true ;;
    esac
    [ -z "$(unexpected "$err")" ] || die "walking the tree: $(unexpected "$err")"
    stat -c '%s %Y' "$MNT"/w*/s* >/dev/null || die "stat of the writers' files"
    ops=$((ops + 2))
    echo "$ops 0" >"$WORK/count/k$1"
  done
}

churner() {
  dir=$MNT/c$1 i=0 ops=0
  mkdir "$dir" || die "mkdir $dir"
  while [ ! -e "$WORK/stop" ]; do
    i=$((i + 1))
    d=$dir/d$i
    mkdir "$d" || die "mkdir d$i"
    for k in 1 2 3; do echo "$i $k" >"$d/f$k" || die "create d$i/f$k"; done
    ln "$d/f1" "$d/h1" || die "link d$i/h1"
    ln -s f2 "$d/s2" || die "symlink d$i/s2"
    chmod 640 "$d/f3" || die "chmod d$i/f3"
    setfattr -n user.i -v "$i" "$d/f3" || die "setxattr d$i/f3"
    truncate -s 100 "$d/f2" || die "truncate d$i/f2"
    mv "$d/f3" "$dir/x$i" || die "rename d$i/f3 up"
    mv "$d" "$dir/m$i" || die "rename d$i to m$i"
    [ "$(cat "$dir/m$i/h1")" = "$i 1" ] || die "m$i/h1 does not hold its bytes"
    if [ $i -gt 4 ]; then
      rm -rf "$dir/m$((i - 4))" "$dir/x$((i - 4))" || die "rm -rf m$((i - 4))"
    fi
    ops=$((ops + 14))
    echo "$ops 0" >"$WORK/count/c$1"
  done
}

# The daemon's threads, and where the load's processes wait in the kernel.
stacks() {
  echo "--- the daemon's threads (pid $PID)"
  if command -v gdb >/dev/null; then
    timeout 60 gdb -batch -p "$PID" -ex 'thread apply all bt' 2>&1 | grep -v '^\[New LWP' | head -400
  else
    for t in /proc/"$PID"/task/*; do echo "thread ${t##*/}:"; cat "$t/stack" 2>/dev/null; done
  fi
  echo "--- the load's processes"
  ps -eo pid,stat,wchan:32,args | grep -F "$MNT" | grep -v grep | head -40
}

pids=
stop_load() {
  touch "$WORK/stop" 2>/dev/null || true
  for p in $pids; do kill "$p" 2>/dev/null || true; done
}
# A stalled or hung load: the stacks, kept in a file that outlives the
# test, then kill -9 of the daemon so that every waiting request fails and
# the processes exit.
hung() {
  kept=$(mktemp "${TMPDIR:-/var/tmp}/ironfs-load-stacks.XXXXXX")
  stacks >"$kept" 2>&1
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=
  stop_load
  cat "$kept" >&2
  fail "$* (the stacks above are kept in $kept)"
}
trap 'status=$?; stop_load; set +e; (exit $status); cleanup' EXIT
trap 'exit 130' INT TERM

rss() { awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$PID/status"; }
sample_counts() {  # sets ops_now, bytes_now, and ops_w, ops_r, ops_k, ops_c by role
  ops_now=0 bytes_now=0 ops_w=0 ops_r=0 ops_k=0 ops_c=0
  for f in "$WORK"/count/*; do
    [ -e "$f" ] || continue
    o='' b='' tries=0
    while [ -z "$o" ] && [ $tries -lt 20 ]; do  # between truncate and write
      read -r o b <"$f" 2>/dev/null || true
      [ -n "$o" ] || sleep 0.01
      tries=$((tries + 1))
    done
    ops_now=$((ops_now + ${o:-0}))
    bytes_now=$((bytes_now + ${b:-0}))
    case ${f##*/} in
      w*) ops_w=$((ops_w + ${o:-0})) ;;
      r*) ops_r=$((ops_r + ${o:-0})) ;;
      k*) ops_k=$((ops_k + ${o:-0})) ;;
      c*) ops_c=$((ops_c + ${o:-0})) ;;
    esac
  done
}

mount_fresh
role=setup
w=0
while [ $w -lt $writers ]; do
  w=$((w + 1))
  mkdir "$MNT/w$w"
  g=0
  while [ $g -lt 8 ]; do g=$((g + 1)); write_generation $w $g; done
  echo 8 >"$WORK/generations.$w"
done
[ -s "$WORK/errors" ] && fail "setup: $(cat "$WORK/errors")"

start_role() {  # role, how many
  n=0
  while [ $n -lt "$2" ]; do
    n=$((n + 1))
    role="$1$n"
    "$1" $n 2>"$WORK/$role.stderr" &
    pids="$pids $!"
  done
}
start_role writer $writers
start_role reader $readers
start_role walker $walkers
start_role churner $churners
echo "load: $writers writers, $readers readers, $walkers walkers, $churners churners for $seconds s"

# The run: RSS every second, throughput every 10 s; a 10 s without any
# operation done, or without any write, is a stall.
t=0 rss_max=0 last_ops=0 last_bytes=0 last_wops=0 series='' mb_series=''
while [ $t -lt "$seconds" ]; do
  sleep 1
  t=$((t + 1))
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; fail "the daemon died under load after $t s"; }
  r=$(rss)
  [ "$r" -gt $rss_max ] && rss_max=$r
  if [ $((t % 10)) = 0 ]; then
    sample_counts
    series="$series $(((ops_now - last_ops) / 10))"
    mb_series="$mb_series $(awk -v b=$((bytes_now - last_bytes)) 'BEGIN { printf "%.1f", b / 10485760 }')"
    [ $ops_now -gt $last_ops ] || hung "no operation finished in the 10 s up to $t s (ops/s so far:$series)"
    [ $ops_w -gt $last_wops ] || hung "no write finished in the 10 s up to $t s (ops/s so far:$series)"
    last_ops=$ops_now last_bytes=$bytes_now last_wops=$ops_w
  fi
  if [ -s "$WORK/errors" ]; then
    stop_load
    fail "a load process failed after $t s: $(cat "$WORK/errors")"
  fi
done

# Stop, and every process must stop within the margin and exit 0.
touch "$WORK/stop"
t=0
for p in $pids; do
  while [ -e "/proc/$p" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ]; do
    [ $t -lt $((margin * 10)) ] || hung "the load did not stop within $margin s of being told (a deadlock?)"
    sleep 0.1
    t=$((t + 1))
  done
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
pids=
[ $failed -eq 0 ] || fail "$failed load processes failed: $(cat "$WORK/errors")"
sample_counts
hwm=$(awk '/^VmHWM:/ { print int($2 / 1024) }' "/proc/$PID/status")
echo "figure: load ops/s per 10 s:$series"
echo "figure: load write MiB/s per 10 s:$mb_series"
echo "figure: load totals: $ops_now operations ($ops_w by writers, $ops_r by readers, $ops_k by walkers, $ops_c by churners), $((bytes_now / 1048576)) MiB written, in $seconds s"
echo "figure: peak RSS of the daemon: $hwm MB (VmHWM; highest 1 s sample $rss_max MB; limit $rss_limit MB)"
[ "$hwm" -le "$rss_limit" ] || fail "the daemon's peak RSS $hwm MB is above LOAD_RSS_LIMIT_MB=$rss_limit"

# What the writers wrote last is there, also after a remount.
verify_writers() {  # when
  w=0
  while [ $w -lt $writers ]; do
    w=$((w + 1))
    gens=$(cat "$WORK/generations.$w")
    s=0
    while [ $s -lt 8 ]; do
      g=$gens
      while [ $((g % 8)) != $s ]; do g=$((g - 1)); done
      content $w $g | cmp -s - "$MNT/w$w/s$s" || fail "$1: w$w/s$s is not generation $g"
      s=$((s + 1))
    done
    log_lines $w "$gens" | cmp -s - "$MNT/w$w/log" || fail "$1: the log of writer $w is not generations 1..$gens"
    [ ! -e "$MNT/w$w/.tmp" ] || fail "$1: writer $w's temporary file is left"
  done
}
verify_writers "after the load"
before=$(tree_listing "$MNT")
no_sanitizer_reports
unmount
no_sanitizer_reports
fsck_clean
mount_fresh
[ "$(tree_listing "$MNT")" = "$before" ] || fail "the tree changed across unmount and mount"
verify_writers "after a remount"
unmount
no_sanitizer_reports
fsck_clean

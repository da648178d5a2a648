# Real programs on the mount: git, sqlite3, stress-ng's filesystem
# stressors with verification, fio with verify=crc32c.
. "$(dirname "$0")/../lib.sh"
for tool in git sqlite3 stress-ng fio; do
  command -v $tool >/dev/null || fail "$tool is not installed (tests/install-deps installs it)"
done
mount_fresh
cd "$MNT"

# git: a repository made here, then cloned onto the mount, then checked.
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
git init -q repo || fail "git init"
cd repo
cp -a /usr/include/linux . && git add -A && git commit -qm one || fail "git commit"
echo change >> linux/fs.h && git commit -qam two || fail "git commit -a"
git status --porcelain | grep -q . && fail "git status not clean"
cd "$MNT"
git clone -q repo clone || fail "git clone"
(cd clone && git fsck --full >/dev/null 2>&1) || fail "git fsck of the clone"
git clone -q --bare repo bare.git && (cd bare.git && git fsck --full >/dev/null 2>&1) || fail "git fsck of a bare clone"

# sqlite3: thousands of transactions, then an integrity check.
{
  echo "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
  for i in $(seq 1 3000); do
    echo "BEGIN; INSERT INTO t(v) VALUES (hex(randomblob(64))); UPDATE t SET v = v || 'x' WHERE id = $(( (i * 7) % i + 1 )); COMMIT;"
  done
} | sqlite3 db.sqlite || fail "sqlite3 transactions"
[ "$(sqlite3 db.sqlite 'PRAGMA integrity_check;')" = ok ] || fail "sqlite3 integrity_check"
[ "$(sqlite3 db.sqlite 'SELECT count(*) FROM t;')" = 3000 ] || fail "sqlite3 lost rows"

# stress-ng: filesystem stressors that verify what they read back.
mkdir stress
stress-ng --temp-path "$MNT/stress" --verify --timeout 20s --metrics-brief \
  --hdd 2 --hdd-bytes 32M --dir 1 --dentry 1 --link 1 --symlink 1 --rename 1 \
  --fallocate 1 --xattr 1 --seek 1 --lockf 1 >"$WORK/stress.log" 2>&1 ||
  { tail -20 "$WORK/stress.log"; fail "stress-ng"; }
grep -qi "fail\|error" "$WORK/stress.log" && { tail -20 "$WORK/stress.log"; fail "stress-ng reported errors"; }

# fio: sequential and random writes verified with crc32c.
fio --name=seq --directory="$MNT" --rw=write --bs=1M --size=128M --verify=crc32c \
  --ioengine=psync --end_fsync=1 >"$WORK/fio.log" 2>&1 || { tail -20 "$WORK/fio.log"; fail "fio sequential"; }
fio --name=rand --directory="$MNT" --rw=randwrite --bs=4k --size=32M --verify=crc32c \
  --ioengine=psync --fsync=32 >>"$WORK/fio.log" 2>&1 || { tail -20 "$WORK/fio.log"; fail "fio random"; }
grep -q "verify" "$WORK/fio.log" || true
cd /
unmount
fsck_clean

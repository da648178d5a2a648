# Security: the data directory is private to root (0700, files 0600); other
# users meet the POSIX permission rules on the mount, both when the kernel
# checks them too (default_permissions) and when IronFS alone does
# (no_default_permissions); names are limited to 255 bytes and "." and ".."
# cannot be made or replaced; a mount without allow_other keeps every other
# user out; the daemon drops every capability it does not need. Users are switched with setpriv to uids that need no account:
# 65534 (nobody) and 4242.
. "$(dirname "$0")/../lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is not installed"
command -v perl >/dev/null || fail "perl is not installed (tests/install-deps installs it)"
export LC_ALL=C
U1=65534
U2=4242
chmod 711 "$WORK"  # other users may pass through to the mount point

# Every check is made and each failed one reported; the test fails at the end.
problems=0
bad() {
  echo "FAIL: $*" >&2
  problems=$((problems + 1))
}

strerror() {
  case $1 in
    EACCES) echo "Permission denied" ;;
    EPERM) echo "Operation not permitted" ;;
    ENAMETOOLONG) echo "File name too long" ;;
    EEXIST) echo "File exists" ;;
    EBUSY) echo "Device or resource busy" ;;
    EINVAL) echo "Invalid argument" ;;
    ENOTEMPTY) echo "Directory not empty" ;;
    *) fail "strerror: unknown errno name $1" ;;
  esac
}

# as UID[:GID[:GROUP,...]] command...: runs the command as that user, with
# exactly those groups (none but GID unless given).
as() {
  uid=${1%%:*}
  rest=${1#"$uid"}
  rest=${rest#:}
  gid=${rest%%:*}
  groups=${rest#"$gid"}
  groups=${groups#:}
  shift
  if [ -n "$groups" ]; then
    setpriv --reuid="$uid" --regid="${gid:-$uid}" --groups="$groups" -- "$@"
  else
    setpriv --reuid="$uid" --regid="${gid:-$uid}" --clear-groups -- "$@"
  fi
}

# denied ERRNO USER command...: the command must fail with that errno
# (coreutils and sh print its strerror text).
denied() {
  want=$1 user=$2
  shift 2
  if out=$(as "$user" "$@" 2>&1); then
    bad "[$mode] as $user: '$*' succeeded; expected $want"
    return 0
  fi
  case $out in
    *"$(strerror "$want")"*) ;;
    *) bad "[$mode] as $user: '$*': expected $want ($(strerror "$want")), got: $out" ;;
  esac
}

allowed() {  # USER command...
  user=$1
  shift
  out=$(as "$user" "$@" 2>&1) || bad "[$mode] as $user: '$*' failed: $out"
}

# rename(2) itself (mv would turn a target directory into a destination),
# as a program other users may run.
rename=$WORK/rename
printf '%s\n' '#!/usr/bin/perl' 'rename($ARGV[0], $ARGV[1]) or die "rename: $!\n";' >"$rename"
chmod 755 "$rename"

same() {  # what, expected, got
  [ "$2" = "$3" ] || bad "[$mode] $1: expected '$2', got '$3'"
}

# (b), (c): the POSIX rules for other users, on the mount now up.
permission_checks() {
  cd "$MNT"
  mkdir -m 755 owned
  printf secret >owned/secret && chmod 600 owned/secret
  printf public >owned/public && chmod 644 owned/public
  printf group >owned/group && chown 0:4243 owned/group && chmod 640 owned/group
  mkdir -m 700 owned/private && touch owned/private/inside
  mkdir -m 1777 sticky
  printf rootfile >sticky/rootfile && chmod 666 sticky/rootfile

  # A 0600 root file: not readable, not writable, not the user's to change.
  denied EACCES $U1 cat owned/secret
  denied EACCES $U1 sh -c 'echo x > owned/secret'
  denied EACCES $U1 sh -c 'echo x >> owned/secret'
  denied EACCES $U1 truncate -s 0 owned/secret
  denied EACCES $U1 touch -c owned/secret              # times to now: needs write
  denied EPERM $U1 touch -c -d 2001-01-01 owned/public  # times to a value: owner only
  denied EPERM $U1 chmod 666 owned/secret
  denied EPERM $U1 chmod 666 owned/public
  denied EPERM $U1 chown $U1 owned/secret
  denied EPERM $U1 chown :$U1 owned/public
  denied EACCES $U1 setfattr -n user.k -v v owned/public
  # A 0755 root directory: nothing may be added, removed or renamed in it.
  denied EACCES $U1 rm -f owned/public
  denied EACCES $U1 mv owned/public owned/moved
  denied EACCES $U1 "$rename" owned/secret owned/moved
  denied EACCES $U1 touch owned/new
  denied EACCES $U1 mkdir owned/newdir
  denied EACCES $U1 ln -s public owned/link
  denied EACCES $U1 rmdir owned/private
  # A 0700 directory: not listable, not searchable.
  denied EACCES $U1 ls owned/private
  denied EACCES $U1 cat owned/private/inside
  denied EACCES $U1 stat owned/private/inside
  # Groups: the file's group reads a 0640 file, also as a supplementary group.
  denied EACCES $U1 cat owned/group
  allowed $U2:4243 cat owned/group
  allowed $U2:$U2:4243 cat owned/group
  denied EACCES $U2:$U2:4244 cat owned/group
  denied EACCES $U2:4243 sh -c 'echo x >> owned/group'
  # What is allowed is allowed.
  allowed $U1 cat owned/public
  allowed $U1 ls -l owned
  allowed $U1 stat owned/secret
  # Nothing denied happened anyway.
  same "secret after denials" secret "$(cat owned/secret)"
  same "public after denials" public "$(cat owned/public)"
  same "group after denials" group "$(cat owned/group)"
  same "secret's mode and owner" "600 0:0" "$(stat -c '%a %u:%g' owned/secret)"
  same "public's mode and owner" "644 0:0" "$(stat -c '%a %u:%g' owned/public)"
  same "owned/ listing" "group private public secret" "$(ls owned | tr '\n' ' ' | sed 's/ $//')"
  getfattr -n user.k owned/public >/dev/null 2>&1 && bad "[$mode] a denied setfattr set user.k"

  # A sticky 1777 directory: everyone creates; only an entry's owner (or
  # the directory's, or root) removes or renames it.
  allowed $U1 sh -c 'echo one > sticky/u1file'
  allowed $U2 sh -c 'echo two > sticky/u2file'
  same "owner of a file made by $U1" "$U1:$U1" "$(stat -c %u:%g sticky/u1file)"
  denied EPERM $U1 rm -f sticky/rootfile
  denied EPERM $U1 "$rename" sticky/rootfile sticky/taken
  denied EPERM $U2 rm -f sticky/u1file
  denied EPERM $U2 "$rename" sticky/u1file sticky/taken
  denied EPERM $U2 "$rename" sticky/u2file sticky/u1file  # replacing another's
  allowed $U1 sh -c 'echo more >> sticky/rootfile'   # 0666: writing is fine
  allowed $U1 "$rename" sticky/u1file sticky/u1renamed
  allowed $U1 rm sticky/u1renamed
  same "sticky/ listing" "rootfile u2file" "$(ls sticky | tr '\n' ' ' | sed 's/ $//')"
  same "sticky/rootfile" "rootfilemore" "$(tr -d '\n' <sticky/rootfile)"
  rm sticky/u2file || bad "[$mode] root cannot remove a user's file from a sticky directory"

  # The user's own files: chmod yes, giving them away no.
  allowed $U1 sh -c 'echo own > sticky/own && chmod 600 sticky/own && cat sticky/own'
  denied EPERM $U1 chown $U2 sticky/own
  denied EACCES $U2 cat sticky/own
  cd /
  rm -rf "${MNT:?}"/owned "$MNT"/sticky || bad "[$mode] root cannot remove the test tree"
}

# (a) The data directory, made by the daemon with the most permissive
# umask, is 0700 and all in it private to root.
data_dir_private() {  # when
  same "mode of the data directory $1" 700 "$(stat -c %a "$DATA")"
  loose=$(find "$DATA" -mindepth 1 \( -type d ! -perm 700 -o ! -type d ! -perm 600 \) -printf '%m %p\n')
  [ -z "$loose" ] || bad "$1: not private in the data directory: $loose"
  others=$(find "$DATA" \( ! -uid 0 -o ! -gid 0 \) -printf '%u:%g %p\n')
  [ -z "$others" ] || bad "$1: not root's in the data directory: $others"
}

mode=default_permissions
umask 000
mount_fresh
umask 022
head -c 5M /dev/urandom >"$MNT/big"
mkdir -p "$MNT/a/b" && echo x >"$MNT/a/b/c" && setfattr -n user.k -v v "$MNT/a"
sync
data_dir_private "while mounted"
permission_checks
unmount
data_dir_private "after unmount"
fsck_clean

mode=no_default_permissions
mount_fresh no_default_permissions
permission_checks

# (d) Names: 255 bytes are allowed, 256 are ENAMETOOLONG, for every call
# that makes or looks up a name; "." and ".." are never new names.
mode=names
cd "$MNT"
n255=$(head -c 255 /dev/zero | tr '\0' a)
n256=$(head -c 256 /dev/zero | tr '\0' b)
m255=$(head -c 255 /dev/zero | tr '\0' c)
mkdir n && cd n
touch "$n255" || bad "touch of a 255-byte name"
[ "$(ls)" = "$n255" ] || bad "ls does not show the 255-byte name"
mv "$n255" "$m255" || bad "rename to a 255-byte name"
mkdir "$n255" || bad "mkdir of a 255-byte name"
ln -s "$m255" "$n255/$n255" || bad "symlink of a 255-byte name"
[ "$(readlink "$n255/$n255")" = "$m255" ] || bad "readlink of a 255-byte target"
ln "$m255" "$n255/$m255" || bad "hard link with a 255-byte name"
denied ENAMETOOLONG 0 touch "$n256"
denied ENAMETOOLONG 0 mkdir "$n256"
denied ENAMETOOLONG 0 stat "$n256"
denied ENAMETOOLONG 0 ln -s x "$n256"
denied ENAMETOOLONG 0 ln "$m255" "$n256"
denied ENAMETOOLONG 0 mkfifo "$n256"
denied ENAMETOOLONG 0 "$rename" "$m255" "$n256"
[ "$(ls | wc -l)" = 2 ] || bad "the refused names left entries: $(ls | wc -l) in the directory, not 2"
touch f && mkdir d
denied EEXIST 0 mkdir .
denied EEXIST 0 mkdir ..
denied EEXIST 0 mkdir d/.
denied EEXIST 0 mkdir d/..
denied EBUSY 0 "$rename" f d/.
denied EBUSY 0 "$rename" f d/..
denied EBUSY 0 "$rename" d/. d2
denied EINVAL 0 rmdir d/.
denied ENOTEMPTY 0 rmdir d/..
denied EEXIST 0 ln -T f d/.
[ -f f ] && [ -d d ] && [ ! -e d2 ] || bad "a refused rename or rmdir changed the tree"
# Any other byte is a name byte: spaces, newlines, backslashes, high bytes,
# a leading dash; every name survives a remount.
names=0
for name in 'with space' "$(printf 'new\nline')" 'back\slash' "$(printf 'high\377\200byte')" \
  -dash "$(printf '\303\251t\303\251')" "$(printf 'tab\there')" '*' '?' "'quote\"" ' '; do
  names=$((names + 1))
  shown=$(printf '%s' "$name" | od -An -c | tr -s ' ')
  printf '%s' "$name" >"./$name" || { bad "creating the name $shown"; continue; }
  [ "$(cat "./$name")" = "$name" ] || bad "the file named $shown reads back wrong"
done
entries=$(find . -mindepth 1 -maxdepth 1 -printf x | wc -c)
[ "$entries" = $((names + 4)) ] || bad "the directory lists $entries entries, not $((names + 4))"
listing() { find "$MNT/n" -print0 | sort -z | od -c | sha256sum; }
before=$(listing)
cd /
unmount
fsck_clean
mount_fresh
[ "$(listing)" = "$before" ] || bad "names changed across a remount"
unmount
fsck_clean

# (e) Without allow_other nobody but root enters the mount.
mode=private
mount_private
echo root >"$MNT/file" || bad "root cannot write on its own private mount"
denied EACCES $U1 ls "$MNT"
denied EACCES $U1 stat "$MNT/file"
denied EACCES $U1 cat "$MNT/file"
denied EACCES $U2 touch "$MNT/new"
[ ! -e "$MNT/new" ] || bad "a user made a file on a private mount"
unmount
fsck_clean

# (f) A daemon started by root keeps no capability once mounted, in any
# set of any thread; nothing it could exec gains any (no_new_privs). (Its
# unmounter process is checked by 87-daemon-hygiene.)
mount_fresh
for status in /proc/"$PID"/task/*/status; do
  thread=$(basename "$(dirname "$status")")
  eff=$(awk '/^CapEff:/ {print $2}' "$status")
  prm=$(awk '/^CapPrm:/ {print $2}' "$status")
  bnd=$(awk '/^CapBnd:/ {print $2}' "$status")
  nnp=$(awk '/^NoNewPrivs:/ {print $2}' "$status")
  [ "$eff" = 0000000000000000 ] || bad "daemon thread $thread has effective capabilities $eff"
  [ "$prm" = 0000000000000000 ] || bad "daemon thread $thread has permitted capabilities $prm"
  [ "$bnd" = 0000000000000000 ] || bad "daemon thread $thread has bounding set $bnd"
  [ "$nnp" = 1 ] || bad "daemon thread $thread may gain privileges through exec"
done
echo ok >"$MNT/after-drop" && [ "$(cat "$MNT/after-drop")" = ok ] || bad "the daemon cannot work without its capabilities"
unmount
fsck_clean
mount_fresh
kill -TERM "$PID"
wait "$PID" || bad "ironfs exited with status $? after SIGTERM"
PID=
mountpoint -q "$MNT" && bad "SIGTERM left the mount behind: the daemon's unmounter could not unmount"

# (g) Symbolic links planted in the data directory lead nowhere: the
# daemon (root) neither appends its log to, nor writes its statistics over,
# the files they point to.
echo "keep me" >"$WORK/outside-log"
echo "keep me" >"$WORK/outside-stats"
rm -f "$DATA/LOG" "$DATA/ironfs.stats.tmp"
ln -s "$WORK/outside-log" "$DATA/LOG"
ln -s "$WORK/outside-stats" "$DATA/ironfs.stats.tmp"
mount_fresh
echo data >"$MNT/planted" || bad "the daemon cannot write beside planted links"
unmount
for f in outside-log outside-stats; do
  [ "$(cat "$WORK/$f")" = "keep me" ] || bad "the daemon wrote through a planted link to $f"
done
rm -f "$DATA/LOG" "$DATA/ironfs.stats.tmp"
fsck_clean

[ $problems -eq 0 ] || fail "$problems security checks failed (listed above)"
echo "figure: security: data dir 0700/0600; denials hold with and without default_permissions; 255/256-byte names; private mount closed; daemon keeps no capability once mounted, in every thread; planted links not followed"

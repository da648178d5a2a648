# File handles: name_to_handle_at and open_by_handle_at work on the mount,
# as the kernel's NFS server would use them (FUSE_EXPORT_SUPPORT): after
# the kernel forgot the inode (drop_caches), after a remount, for files
# and directories; a deleted inode's handle answers ESTALE.
. "$(dirname "$0")/../lib.sh"

command -v cc >/dev/null || fail "no C compiler (cc) to build the handle probe"
cat > "$WORK/handle.c" <<'PROBE'
/* handle save PATH FILE: stores PATH's file handle in FILE.
 * handle open MOUNT FILE: opens the handle in FILE on MOUNT and prints
 * "ok" and the first line of a file, or "ok dir", or the errno's name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  struct file_handle* h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
  if (strcmp(argv[1], "save") == 0) {
    int mount_id;
    h->handle_bytes = MAX_HANDLE_SZ;
    if (name_to_handle_at(AT_FDCWD, argv[2], h, &mount_id, 0) != 0) {
      printf("%s\n", strerrorname_np(errno));
      return 1;
    }
    FILE* f = fopen(argv[3], "w");
    fwrite(h, sizeof(*h) + h->handle_bytes, 1, f);
    return fclose(f) == 0 ? 0 : 1;
  }
  FILE* f = fopen(argv[3], "r");
  if (!f || fread(h, 1, sizeof(*h) + MAX_HANDLE_SZ, f) < sizeof(*h)) return 2;
  int mount_fd = open(argv[2], O_RDONLY | O_DIRECTORY);
  int fd = open_by_handle_at(mount_fd, h, O_RDONLY);
  if (fd < 0) {
    printf("%s\n", strerrorname_np(errno));
    return 0;
  }
  struct stat st;
  fstat(fd, &st);
  if (S_ISDIR(st.st_mode)) {
    printf("ok dir\n");
    return 0;
  }
  char buf[64] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n < 0) {
    printf("read %s\n", strerrorname_np(errno));
    return 0;
  }
  buf[strcspn(buf, "\n")] = 0;
  printf("ok %s\n", buf);
  return 0;
}
PROBE
cc -O1 -o "$WORK/handle" "$WORK/handle.c" || fail "building the handle probe"
probe() { "$WORK/handle" "$@"; }
forget() { sync; echo 3 > /proc/sys/vm/drop_caches; }

mount_fresh
mkdir -p "$MNT/d/e"
echo hello > "$MNT/f"
echo inner > "$MNT/d/e/g"
echo doomed > "$MNT/gone"
for name in f d d/e d/e/g gone; do
  key=$(echo "$name" | tr / _)
  probe save "$MNT/$name" "$WORK/$key.fh" || fail "name_to_handle_at $name: $(probe save "$MNT/$name" "$WORK/$key.fh")"
done

expect() {  # expect NAME ANSWER WHEN
  got=$(probe open "$MNT" "$WORK/$(echo "$1" | tr / _).fh")
  [ "$got" = "$2" ] || fail "open_by_handle_at $1 $3: '$got', expected '$2'"
}
check_all() {
  expect f "ok hello" "$1"
  expect d "ok dir" "$1"
  expect d/e "ok dir" "$1"
  expect d/e/g "ok inner" "$1"
}
check_all "with the inode cached"
forget
check_all "after drop_caches"
remount
check_all "after a remount"
forget
check_all "after a remount and drop_caches"

rm "$MNT/gone"
forget
expect gone ESTALE "after the file was deleted"
unmount
fsck_clean
echo "file handles: open_by_handle_at after drop_caches and remount, ESTALE when deleted"

/* meta_bench: metadata operations per second on any directory.
 *
 *   meta_bench PHASE DIR FILES [DIRS]
 *
 * FILES empty files named f<i> spread over DIRS subdirectories d<j> of DIR
 * (DIRS = 0: all in DIR itself). PHASE is one of
 *   create  mkdir the subdirectories, then open(O_CREAT|O_EXCL)+close each
 *   list    read every directory to its end (what `ls -f` does)
 *   stat    lstat every file
 *   rename  rename f<i> to r<i> in the same directory
 *   unlink  unlink every file (r<i> if renamed, else f<i>), then rmdir
 * and the program prints one line, `PHASE ops=N seconds=S ops_per_s=R`.
 * Phases are separate runs so that a benchmark can create everywhere
 * before it deletes anywhere. Any failing call ends the run with the call,
 * the path and the errno, exit 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char* dir;
static long files, dirs;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char* call, const char* path) {
  fprintf(stderr, "meta_bench: %s %s: %s\n", call, path, strerror(errno));
  exit(1);
}

/* The directory file i lives in. */
static void parent_of(long i, char* out, size_t size) {
  if (dirs == 0)
    snprintf(out, size, "%s", dir);
  else
    snprintf(out, size, "%s/d%ld", dir, i % dirs);
}

static void path_of(long i, char prefix, char* out, size_t size) {
  char parent[2048];
  parent_of(i, parent, sizeof parent);
  snprintf(out, size, "%s/%c%ld", parent, prefix, i);
}

/* Unlink finds files under either name, so it also cleans up after a
 * run that stopped before its rename phase. */
static long run(const char* phase) {
  char path[4096], other[4096];
  if (strcmp(phase, "create") == 0) {
    for (long j = 0; j < dirs; j++) {
      snprintf(path, sizeof path, "%s/d%ld", dir, j);
      if (mkdir(path, 0755) != 0) die("mkdir", path);
    }
    for (long i = 0; i < files; i++) {
      path_of(i, 'f', path, sizeof path);
      int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
      if (fd < 0) die("open", path);
      if (close(fd) != 0) die("close", path);
    }
    return files;
  }
  if (strcmp(phase, "list") == 0) {
    long entries = 0;
    for (long j = 0; j < (dirs ? dirs : 1); j++) {
      parent_of(j, path, sizeof path);
      DIR* d = opendir(path);
      if (d == NULL) die("opendir", path);
      errno = 0;
      while (readdir(d) != NULL) entries++;
      if (errno != 0) die("readdir", path);
      closedir(d);
    }
    return entries;
  }
  if (strcmp(phase, "stat") == 0) {
    struct stat st;
    for (long i = 0; i < files; i++) {
      path_of(i, 'f', path, sizeof path);
      if (lstat(path, &st) != 0) die("lstat", path);
    }
    return files;
  }
  if (strcmp(phase, "rename") == 0) {
    for (long i = 0; i < files; i++) {
      path_of(i, 'f', path, sizeof path);
      path_of(i, 'r', other, sizeof other);
      if (rename(path, other) != 0) die("rename", path);
    }
    return files;
  }
  if (strcmp(phase, "unlink") == 0) {
    for (long i = 0; i < files; i++) {
      path_of(i, 'r', path, sizeof path);
      if (unlink(path) == 0) continue;
      if (errno != ENOENT) die("unlink", path);
      path_of(i, 'f', path, sizeof path);
      if (unlink(path) != 0) die("unlink", path);
    }
    for (long j = 0; j < dirs; j++) {
      snprintf(path, sizeof path, "%s/d%ld", dir, j);
      if (rmdir(path) != 0) die("rmdir", path);
    }
    return files;
  }
  fprintf(stderr, "meta_bench: unknown phase '%s'\n", phase);
  exit(2);
}

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr,
            "usage: meta_bench create|list|stat|rename|unlink DIR FILES [DIRS]\n");
    return 2;
  }
  dir = argv[2];
  files = atol(argv[3]);
  dirs = argc == 5 ? atol(argv[4]) : 0;
  if (files <= 0 || dirs < 0) {
    fprintf(stderr, "meta_bench: FILES must be positive and DIRS not negative\n");
    return 2;
  }
  double start = now();
  long ops = run(argv[1]);
  double seconds = now() - start;
  printf("%s ops=%ld seconds=%.3f ops_per_s=%.0f\n", argv[1], ops, seconds,
         ops / seconds);
  return 0;
}

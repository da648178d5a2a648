/* fsync_bench: what a database on a filesystem feels at each commit.
 *
 *   fsync_bench FILE COUNT [fsync|fdatasync]
 *
 * Writes 4 KiB COUNT times, each followed by fsync (or fdatasync), into
 * the first 1 MiB of FILE (created and filled first, so that on a block
 * filesystem the sync writes data, not allocation), and prints
 *   write+SYNC count=N p50_us=A p99_us=B max_us=C ops_per_s=R
 * On a plain directory this is the disk's own commit latency. Any failing
 * call ends the run with the call and the errno, exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kBlock = 4096, kSpan = 256 };

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void die(const char* call, const char* path) {
  fprintf(stderr, "fsync_bench: %s %s: %s\n", call, path, strerror(errno));
  exit(1);
}

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: fsync_bench FILE COUNT [fsync|fdatasync]\n");
    return 2;
  }
  const char* path = argv[1];
  long count = atol(argv[2]);
  int data_only = argc == 4 && strcmp(argv[3], "fdatasync") == 0;
  if (count <= 0 || (argc == 4 && !data_only && strcmp(argv[3], "fsync") != 0)) {
    fprintf(stderr, "fsync_bench: COUNT must be positive, the call fsync or fdatasync\n");
    return 2;
  }
  char block[kBlock];
  memset(block, 'x', sizeof block);
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) die("open", path);
  for (int i = 0; i < kSpan; i++)
    if (pwrite(fd, block, kBlock, (off_t)i * kBlock) != kBlock) die("pwrite", path);
  if (fsync(fd) != 0) die("fsync", path);

  double* lat = malloc(sizeof(double) * count);
  if (lat == NULL) die("malloc", "");
  double start = now_us();
  for (long i = 0; i < count; i++) {
    double t = now_us();
    block[0] = (char)i;
    if (pwrite(fd, block, kBlock, (off_t)(i % kSpan) * kBlock) != kBlock) die("pwrite", path);
    if ((data_only ? fdatasync(fd) : fsync(fd)) != 0) die("fsync", path);
    lat[i] = now_us() - t;
  }
  double total = now_us() - start;
  if (close(fd) != 0) die("close", path);
  qsort(lat, count, sizeof(double), by_value);
  printf("write+%s count=%ld p50_us=%.0f p99_us=%.0f max_us=%.0f ops_per_s=%.0f\n",
         data_only ? "fdatasync" : "fsync", count, lat[count / 2], lat[count * 99 / 100],
         lat[count - 1], count / (total / 1e6));
  free(lat);
  return 0;
}

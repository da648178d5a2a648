// Housekeeping: the daemon's periodic chores, on a thread of their own
// that wakes every few seconds while the filesystem is mounted.
//
// - Rewrites DATA_DIR/ironfs.stats (read-write mounts only: a read-only
//   mount writes nothing in the data directory).
// - When nothing was written or read since the previous round, the
//   filesystem is at rest and gives memory back to the system: a MemTable
//   holding more than kIdleFlushBytes is flushed to a table (read-write
//   mounts), then the engine's MemTable blocks kept for reuse, its block
//   cache and the free pages of the C library's heaps (malloc_trim) are
//   released. A filesystem that
//   created and removed many files shrinks back to near its idle size
//   within seconds of going quiet; under load none of it runs, so the
//   chores cost neither writers nor readers anything.
//
// Thread safety: the constructor starts the thread, the destructor stops
// and joins it; `db` and `fs` must outlive the object.
#pragma once

#include <cstdint>
#include <string>
#include <thread>

#include "fs/filesystem.h"
#include "lsm/db.h"
#include "lsm/mutex.h"

namespace iron::mount {

class Housekeeping {
 public:
  // A resting MemTable smaller than this stays: flushing it would make a
  // table of a few entries after every short burst of work.
  static constexpr uint64_t kIdleFlushBytes = 1 << 20;

  Housekeeping(lsm::DB* db, fs::Filesystem* fs, std::string data_dir, bool read_only);
  ~Housekeeping();
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

 private:
  void Run();
  // One round of the chores.
  void Round();

  lsm::DB* const db_;
  fs::Filesystem* const fs_;
  const std::string data_dir_;
  const bool read_only_;
  // The engine's writes and block-cache lookups last round (thread only).
  uint64_t last_activity_ = ~uint64_t{0};
  std::string stats_failure_;  // the last failure to write the stats file, said once (thread only)

  lsm::Mutex mu_;
  lsm::CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace iron::mount

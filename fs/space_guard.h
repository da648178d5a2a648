// SpaceGuard: refuses new data while the data directory's disk is nearly
// full, so that what was accepted can always be flushed.
//
// The engine needs room after a write has been accepted: its MemTables are
// flushed to tables before their WAL files are deleted, and a fresh WAL is
// preallocated. A disk that fills to the last byte leaves it unable to do
// either, and then even deletes fail. So the filesystem keeps `reserve`
// bytes of the host filesystem free: operations that add data (writes,
// creates, links, xattrs) fail with ENOSPC once fewer than `reserve` bytes
// are free, while reads, deletes, renames and truncates, which need only a
// little WAL, go on. Once space is freed (outside, or by deleting files and
// compacting) writes are admitted again, with no remount. When another
// program takes even the reserve, deletes still find WAL space: the engine
// keeps a spare for them (WriteOptions::may_use_reserve).
//
// The free space is read with statvfs at most every 100 ms, or sooner when
// the bytes admitted since the last look would exhaust what was free.
//
// Deleted data takes space until the store compacts it away. The guard
// counts it (Deleted), and a refusal while some waits starts one
// compaction of the store in the background, so that a filesystem filled
// and then emptied admits writes again without help.
//
// Thread safety: Admit and Deleted may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "fs/store.h"
#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"

namespace iron::fs {

class SpaceGuard {
 public:
  // An empty `dir` or a zero `reserve` admits everything. `store` is what
  // a refusal compacts (null: nothing); it must outlive the guard.
  SpaceGuard(std::string dir, uint64_t reserve, Store* store = nullptr);
  // Waits for a compaction the guard started.
  ~SpaceGuard();
  SpaceGuard(const SpaceGuard&) = delete;
  SpaceGuard& operator=(const SpaceGuard&) = delete;

  // 0 if `bytes` more may be written, else ENOSPC (or the errno of statvfs).
  int Admit(uint64_t bytes);

  // `bytes` of stored data were deleted: a compaction could give them back.
  void Deleted(uint64_t bytes) { deleted_bytes_ += bytes; }

 private:
  int Refresh(uint64_t now_us);
  // Starts a compaction of store_ unless one runs or nothing was deleted.
  void StartReclaim();

  const std::string dir_;
  const uint64_t reserve_;
  lsm::Mutex mu_;  // one statvfs at a time
  // Bytes that may still be admitted: free space beyond the reserve at the
  // last look, less what was admitted since.
  std::atomic<int64_t> budget_{0};
  std::atomic<uint64_t> next_look_us_{0};

  Store* const store_;
  // Deleted bytes since the last compaction the guard started.
  std::atomic<uint64_t> deleted_bytes_{0};
  std::atomic<bool> reclaiming_{false};
  lsm::Mutex reclaim_mu_;
  std::thread reclaimer_ GUARDED_BY(reclaim_mu_);
};

}  // namespace iron::fs

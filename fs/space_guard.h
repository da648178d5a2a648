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
// Thread safety: Admit may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"

namespace iron::fs {

class SpaceGuard {
 public:
  // An empty `dir` or a zero `reserve` admits everything.
  SpaceGuard(std::string dir, uint64_t reserve);

  // 0 if `bytes` more may be written, else ENOSPC (or the errno of statvfs).
  int Admit(uint64_t bytes);

 private:
  int Refresh(uint64_t now_us);

  const std::string dir_;
  const uint64_t reserve_;
  lsm::Mutex mu_;  // one statvfs at a time
  // Bytes that may still be admitted: free space beyond the reserve at the
  // last look, less what was admitted since.
  std::atomic<int64_t> budget_{0};
  std::atomic<uint64_t> next_look_us_{0};
};

}  // namespace iron::fs

// Store: everything the filesystem asks of the key-value engine under it,
// and nothing more. This is the seam between fs and a store: IronFS's own
// engine implements it in lsm_store.h; a filesystem kept in RocksDB or in
// a distributed key-value store would implement these same calls.
//
// What a Store must give (shared/DESIGN.md's contract):
//   - Write applies a batch atomically: after a crash, all of it or none;
//     it is durable before return when WriteOptions::sync, and otherwise
//     by the next Sync that returns OK. WriteOptions::may_use_reserve
//     marks a batch that deletes: a store that keeps space in reserve
//     lets it through when the disk is full, so that a full disk can
//     always be emptied.
//   - Get and NewIterator read one consistent state: the snapshot given in
//     ReadOptions, or the moment of the call; iterators honour the
//     lower/upper bounds and report damage as status() (or step over it
//     into ReadOptions::skip_damaged_blocks when the caller asks).
//   - Compact gives the space of deleted keys back to the disk; it may be
//     slow and is for maintenance.
// Keys are compared bytewise.
//
// Errors are lsm::Status values; ToErrno says what a system call answers
// for each, the filesystem's decision, not the store's.
//
// Thread safety: every call may come from any number of threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fs/result.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "lsm/snapshot.h"
#include "lsm/status.h"
#include "lsm/write_batch.h"

namespace iron::fs {

class Store {
 public:
  virtual ~Store() = default;

  virtual lsm::Status Write(const lsm::WriteOptions& options, lsm::WriteBatch* batch) = 0;
  // NotFound if `key` has no value.
  virtual lsm::Status Get(const lsm::ReadOptions& options, std::string_view key,
                          std::string* value) = 0;
  // Destroyed before the Store.
  virtual std::unique_ptr<lsm::Iterator> NewIterator(const lsm::ReadOptions& options) = 0;
  virtual std::shared_ptr<const lsm::Snapshot> GetSnapshot() = 0;
  // Makes every write returned so far durable.
  virtual lsm::Status Sync() = 0;
  virtual lsm::Status Compact() = 0;
};

// The errno a system call answers when the store fails with `s`: ENOSPC
// for a full disk, EROFS for a read-only store, EIO for damage and I/O
// errors (a damaged key is never reported as absent), 0 for OK.
int ToErrno(const lsm::Status& s);

inline Result<void> ResultOf(const lsm::Status& s) { return ResultOfErrno(ToErrno(s)); }

}  // namespace iron::fs

// DB: a persistent, ordered map from byte-string keys to byte-string values.
//
// This is the engine's public face. A DB lives in one directory, which it
// holds with a LOCK file so that no second process (or second DB object)
// opens it at the same time. Every write goes to the write-ahead log before
// it is acknowledged, then to an in-memory MemTable; full MemTables are
// flushed to sorted tables by a background thread, and tables are merged by
// leveled compaction on another.
//
// Durability: a returned write survives the death of the process. A write
// with WriteOptions::sync, or any write followed by a returned Sync(),
// survives power loss.
//
// Thread safety: a DB is safe for concurrent use by any number of threads
// without external synchronization.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/iterator.h"
#include "lsm/options.h"
#include "lsm/snapshot.h"
#include "lsm/status.h"
#include "lsm/write_batch.h"

namespace iron::lsm {

struct LevelStats {
  int files = 0;
  uint64_t bytes = 0;
  uint64_t compactions = 0;      // compactions that wrote into this level
  uint64_t bytes_read = 0;       // by those compactions
  uint64_t bytes_written = 0;    // by those compactions (flushes for L0)
  uint64_t compaction_micros = 0;
};

struct DBStats {
  std::vector<LevelStats> levels;
  uint64_t user_bytes_written = 0;  // keys + values handed to Put/Write
  uint64_t wal_bytes_written = 0;
  uint64_t wal_syncs = 0;
  uint64_t wal_sync_micros = 0;     // time spent in those syncs
  uint64_t writes = 0;              // batches written
  uint64_t write_groups = 0;        // WAL appends (group commits)
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t compaction_micros = 0;
  uint64_t bloom_useful = 0;    // table lookups a filter answered "absent"
  uint64_t bloom_checked = 0;   // table lookups that consulted a filter
  uint64_t stall_micros = 0;    // time writers were delayed or stopped
  uint64_t stalls = 0;
  uint64_t memtable_bytes = 0;  // active + immutable
  uint64_t live_table_bytes = 0;
  // Reads of table data blocks (Options::block_cache_bytes). Zero with
  // Options::mmap_reads, where the kernel's page cache does this work.
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;       // each one a pread of a block
  uint64_t block_cache_inserts = 0;
  uint64_t block_cache_evictions = 0;
  uint64_t block_cache_bytes = 0;        // held now
  uint64_t block_cache_capacity = 0;
  uint64_t table_pinned_bytes = 0;       // indexes and filters the open tables hold
  // Tables a compaction deleted whole, unread, because newer range
  // tombstones covered them.
  uint64_t tables_dropped_whole = 0;

  // (WAL + flush + compaction bytes written) / user bytes written.
  double WriteAmplification() const;
  // Multi-line human-readable report.
  std::string ToString() const;
};

class DB {
 public:
  // Opens (creating if Options::create_if_missing) the DB in `dir`,
  // recovering from its manifest and write-ahead log.
  static Status Open(const Options& options, const std::string& dir,
                     std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the DB if Close() was not called; errors are then only logged.
  virtual ~DB() = default;

  virtual Status Put(const WriteOptions& options, std::string_view key,
                     std::string_view value) = 0;
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Deletes [begin, end) in O(1); see WriteBatch::DeleteRange.
  virtual Status DeleteRange(const WriteOptions& options, std::string_view begin,
                             std::string_view end) = 0;
  virtual Status Write(const WriteOptions& options, WriteBatch* batch) = 0;

  // NotFound if the key has no value.
  virtual Status Get(const ReadOptions& options, std::string_view key,
                     std::string* value) = 0;

  // Iterates user keys in ascending order, as of options.snapshot (or of
  // the moment of the call), within options' bounds. The iterator must be
  // destroyed before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  virtual std::shared_ptr<const Snapshot> GetSnapshot() = 0;

  // Makes every write returned so far durable (one fdatasync of the WAL,
  // shared with concurrent callers; none if nothing was written since the
  // last). Writers that do not sync never wait for it, unless the Env's
  // WAL file cannot sync beside appends (WritableFile::IsSyncThreadSafe):
  // then it queues with the writers.
  virtual Status Sync() = 0;
  // Writes the MemTable to a level-0 table and waits for it.
  virtual Status Flush() = 0;
  // Compacts every table overlapping [*begin, *end] (nullptr: unbounded)
  // down to the last level and waits; deleted data's space is then free.
  virtual Status CompactRange(const std::string* begin, const std::string* end) = 0;

  virtual DBStats GetStats() = 0;

  // Gives back to the system the memory the engine keeps for reuse (the
  // blocks of flushed MemTables that nothing has reused for a few
  // seconds, and the block cache); returns the bytes given back. For a
  // caller that knows the engine has been idle: the next MemTable after it
  // pays a page fault per page of its memory, and the next reads a pread
  // per block.
  virtual size_t ReleaseIdleMemory() = 0;

  // Damage Open met and skipped (Options::wal_recovery == kSkipDamage): one
  // line per dropped region of a WAL, naming the file, the offset and the
  // bytes dropped. Empty when recovery found none.
  virtual std::vector<std::string> RecoveryDamage() const = 0;

  // Reads every block of every live table (as a checker would) and adds a
  // line per damaged block to `problems`; reads elsewhere stop at the first.
  virtual Status VerifyTables(std::vector<std::string>* problems) = 0;

  // Syncs the WAL and releases the LOCK, promptly: a running flush or
  // compaction (background, or a CompactRange on another thread) is given
  // up at its next entry, not finished; the WAL holds what a flush would
  // have written and the next open compacts. Writes after Close fail.
  // Idempotent; a Close called while another runs waits for it and returns
  // its outcome.
  virtual Status Close() = 0;
};

// Removes every file of the DB in `dir` (tests and tools).
Status DestroyDB(const std::string& dir, const Options& options);

}  // namespace iron::lsm

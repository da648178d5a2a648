// Options: how a DB is tuned, and how one read or write behaves.
//
// Defaults are chosen for the filesystem that runs on the engine and were
// measured on a 2-core machine with a commodity SSD (see README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lsm/damaged_block.h"

namespace iron::lsm {

class Env;
class Logger;
class Snapshot;

// What Open does with a WAL record that is damaged rather than torn: one
// that fails its checksum or has an impossible length with data after it,
// in particular with valid records after it (media damage or a stray
// write, never a crash). A torn tail (the last record cut short, nothing
// valid after it) is always dropped quietly: it was never acknowledged.
// (RocksDB's kTolerateCorruptedTailRecords and kSkipAnyCorruptedRecords.)
enum class WalRecovery {
  // Open fails with a Corruption naming the WAL and the offset, before it
  // has changed anything in the directory.
  kRefuseDamage,
  // Salvage: every damaged region is skipped (reading resumes at the next
  // offset where a whole record with a matching checksum starts), every
  // valid record before and after it is replayed, and each region is
  // listed by DB::RecoveryDamage(). For fsck and fsck --repair.
  kSkipDamage,
};

struct Options {
  // File I/O goes through this; nullptr means Env::Default().
  Env* env = nullptr;

  bool create_if_missing = true;
  bool error_if_exists = false;

  // Diagnostics. nullptr: the DB writes DATA_DIR/LOG (none if read_only).
  std::shared_ptr<Logger> info_log;

  // --- Recovery ---
  WalRecovery wal_recovery = WalRecovery::kRefuseDamage;
  // Open writes nothing at all in the directory, ever: the WALs are
  // replayed into memory only; no table, manifest, CURRENT, WAL or LOG is
  // written and nothing is removed; no background work runs; every write,
  // Flush and CompactRange fails with Status::ReadOnly. The LOCK file must
  // exist already (it is opened read-only and locked shared, so several
  // read-only opens may run together, but none beside a writer); a
  // directory without one is opened unlocked. Works on read-only storage.
  bool read_only = false;

  // --- Write path ---
  // A MemTable this large becomes immutable and is flushed to level 0.
  size_t write_buffer_size = 8 << 20;

  // --- Tables ---
  size_t block_size = 4096;         // uncompressed bytes per data block
  int block_restart_interval = 16;  // keys between prefix-compression restarts
  int bloom_bits_per_key = 10;      // 0 disables the filter
  // Tables are also cut where the first this-many bytes of the user key
  // change (0: never), so that keys of different classes live in different
  // tables. Data written in key order then makes tables that overlap no
  // other, which compaction moves down a level instead of rewriting.
  size_t table_partition_prefix = 0;
  uint64_t target_file_size = 16 << 20;

  // --- Compaction shape ---
  int num_levels = 7;
  int level0_compaction_trigger = 4;  // L0 files that start a compaction
  int level0_slowdown_trigger = 12;   // each write is delayed 1 ms
  int level0_stop_trigger = 20;       // writes wait for compaction
  uint64_t max_bytes_for_level_base = 64ull << 20;  // L1; Ln = L1 * 10^(n-1)
  int level_size_multiplier = 10;

  // --- Reads ---
  // Bytes of table data blocks kept in memory, least recently used out,
  // one cache for all the DB's tables (0: none; every block read is then a
  // pread, usually from the kernel's page cache). Each table also holds its
  // index and filter for its life, about 2.2 bytes per key besides (a
  // 10 bits/key filter and one index entry per 4 KiB block), which this
  // budget does not count. 64 MiB: the size the engine is measured at
  // beside LevelDB and RocksDB, and with two 8 MiB MemTables and the
  // indexes and filters of 10M keys (about 25 MB) it keeps the process
  // well under 256 MB.
  size_t block_cache_bytes = 64 << 20;
  // Read tables through a memory mapping of each whole file instead of
  // pread and the block cache: no copy and no system call per block, but
  // every miss a page fault, and a table that shrinks under the engine
  // fences the whole table (guarded_mapping.h). For small databases that
  // fit in memory; lsm/bench/FIGURES.md has the comparison.
  bool mmap_reads = false;
  // With mmap_reads: bytes of mapped table data allowed to stay resident
  // in this process; beyond it the coldest mappings are released to the
  // page cache.
  size_t max_resident_table_bytes = 160 << 20;
};

struct ReadOptions {
  // Read as of this snapshot; nullptr means the latest state.
  const Snapshot* snapshot = nullptr;
  // Iterators only: user keys outside [lower_bound, upper_bound) are never
  // returned, and files that hold none of them are never opened.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
  // Iterators only, for checkers and salvage: if set, a data block that
  // cannot be read is stepped over instead of ending the iteration with a
  // Corruption, and appended here (once per iterator). What the block held
  // is then missing from the iteration, and an older version of a key it
  // held (from a deeper table) may show in its place. The vector must
  // outlive the iterator, which alone appends to it.
  std::vector<DamagedBlock>* skip_damaged_blocks = nullptr;
};

struct WriteOptions {
  // fdatasync the WAL before the write returns (group commit: concurrent
  // synced writers share one sync). Without it a write survives the death
  // of the process but not a power cut.
  bool sync = false;
  // The write frees space (a delete, a truncate): it may be appended to
  // the WAL's spare space (kWalSpareBytes, wal_writer.h), which other
  // writes leave untouched and fail with NoSpace rather than use; and
  // when the disk is full it neither starts a new WAL nor waits for a
  // flush: its MemTable grows past write_buffer_size instead. So a disk
  // that filled up, even to the last byte by another program, can always
  // be emptied through the DB. Keep such batches small: they share that
  // one spare until the disk has room again.
  bool may_use_reserve = false;
};

}  // namespace iron::lsm

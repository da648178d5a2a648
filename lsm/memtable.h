// MemTable: the newest writes, in memory, ordered by internal key.
//
// Point entries (values and deletions) live in a SkipList over an Arena:
// each entry is one arena allocation
//   varint32 internal_key_len | internal key | varint32 value_len | value
// and nothing is freed until the MemTable dies. Range tombstones are kept
// apart, in a small list that readers see in fragmented form.
//
// Thread safety: Add is called by one writer at a time (the DB's write
// leader, or recovery). Get, NewIterator and RangeTombstones may run in any
// number of threads concurrently with the writer and need no lock on the
// point-entry path. A MemTable is shared through std::shared_ptr: readers
// keep it alive while they use it, even after it was flushed.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "arena.h"
#include "internal_key.h"
#include "lsm/iterator.h"
#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"
#include "memtable_filter.h"
#include "range_tombstone.h"
#include "skiplist.h"

namespace iron::lsm {

class MemTable {
 public:
  // filter_bits: size of the bloom filter over its user keys (0: none).
  explicit MemTable(size_t filter_bits = 0);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // For ValueType::kRangeDeletion, key is the range's begin and value its
  // (exclusive) end.
  void Add(SequenceNumber seq, ValueType type, std::string_view key, std::string_view value);

  struct LookupResult {
    bool found = false;  // an entry for the key, visible at the lookup's sequence
    ValueType type = ValueType::kValue;
    SequenceNumber sequence = 0;
    std::string_view value;  // valid while this MemTable lives
  };
  // The newest point entry for key.user_key() with sequence <= the key's.
  // Range tombstones are not consulted here; see RangeTombstones().
  LookupResult Get(const LookupKey& key) const;
  // The same, given BloomHash(key.user_key()), which the caller computes
  // once for the MemTables and every table of a lookup.
  LookupResult Get(const LookupKey& key, uint64_t user_key_hash) const;

  // Point entries in internal-key order.
  std::unique_ptr<Iterator> NewIterator() const;

  bool HasRangeTombstones() const {
    return tombstone_count_.load(std::memory_order_acquire) != 0;
  }
  // The highest sequence <= snapshot of a range tombstone covering
  // user_key, or 0.
  SequenceNumber MaxCoveringTombstone(std::string_view user_key, SequenceNumber snapshot) const;
  // The range tombstones overlapping [lower, upper) (nullptr: unbounded),
  // fragmented, for an iterator; nullptr if there are none. Given
  // `snapshots` (ascending), only the sequences a reader at one of them or
  // later can tell apart (range_tombstone.h): what a flush writes, and all
  // an iterator at one snapshot needs.
  RangeTombstonesPtr RangeTombstonesIn(
      const std::string* lower, const std::string* upper,
      const std::vector<SequenceNumber>* snapshots = nullptr) const;

  size_t ApproximateMemoryUsage() const;
  uint64_t NumEntries() const { return entries_.load(std::memory_order_relaxed); }
  // Point deletions and range tombstones added.
  uint64_t NumDeletions() const {
    return deletions_.load(std::memory_order_relaxed) +
           tombstone_count_.load(std::memory_order_relaxed);
  }
  bool Empty() const { return NumEntries() == 0; }

  // Orders the arena's length-prefixed entries by internal key.
  struct KeyComparator {
    int operator()(const char* a, const char* b) const;
  };

 private:
  using Table = SkipList<const char*, KeyComparator>;

  Arena arena_;
  Table table_;
  MemTableFilter filter_;
  std::atomic<uint64_t> entries_{0};
  std::atomic<uint64_t> deletions_{0};
  // What tombstones_ takes, which nesting can make grow faster than the
  // tombstones added: counted in ApproximateMemoryUsage, so that the
  // MemTable fills (and is flushed, collapsed) within write_buffer_size.
  std::atomic<size_t> tombstone_bytes_{0};
  std::atomic<uint64_t> tombstone_count_{0};

  mutable SharedMutex tombstones_mu_;
  RangeTombstoneMap tombstones_ GUARDED_BY(tombstones_mu_);
};

}  // namespace iron::lsm

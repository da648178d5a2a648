// Version: the set of live tables per level at one moment.
//
// Level 0 holds flushed MemTables; its tables may overlap and are ordered
// newest first. Every deeper level holds tables with disjoint key ranges,
// ordered by smallest key, each level about ten times the size of the one
// above. For any user key, entries in a shallower level (or a newer level-0
// table) are newer than entries in a deeper one; range tombstones obey the
// same rule because a table's key range includes its tombstones' extents.
//
// Thread safety: a Version is immutable once published and is shared with
// std::shared_ptr, so readers and iterators keep their tables alive (and
// their files undeleted) for as long as they need them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "internal_key.h"
#include "lsm/iterator.h"
#include "lsm/status.h"
#include "range_tombstone.h"
#include "table.h"
#include "version_edit.h"

namespace iron::lsm {

// A table of the version: its metadata and the open (mapped) table.
struct LiveFile {
  FileMetaData meta;
  std::shared_ptr<Table> table;

  std::string_view smallest_user_key() const { return ExtractUserKey(meta.smallest); }
  std::string_view largest_user_key() const { return ExtractUserKey(meta.largest); }
};
using LiveFilePtr = std::shared_ptr<const LiveFile>;

struct VersionGetStats {
  uint64_t tables_read = 0;
  uint64_t bloom_checked = 0;
  uint64_t bloom_useful = 0;
};

// A table whose deletions (point deletes and range tombstones) hide data
// in deeper levels: compacting it down frees `hidden_bytes` (an estimate)
// for `cost_bytes` read (the table and what it overlaps one level down).
struct DeletionDebt {
  int level = 0;
  LiveFilePtr file;
  uint64_t hidden_bytes = 0;
  uint64_t cost_bytes = 0;
};

class Version {
 public:
  explicit Version(int num_levels) : levels_(num_levels) {}

  int num_levels() const { return static_cast<int>(levels_.size()); }
  const std::vector<LiveFilePtr>& files(int level) const { return levels_[level]; }
  std::vector<LiveFilePtr>& mutable_files(int level) { return levels_[level]; }
  uint64_t LevelBytes(int level) const;

  // Continues a point lookup that found no answer in the MemTables.
  // *max_tombstone carries in (and out) the highest covering range
  // tombstone sequence seen so far in newer sources. On return *found says
  // whether a live value was found (into *value).
  // user_key_hash is BloomHash(key.user_key()).
  Status Get(const LookupKey& key, uint64_t user_key_hash, std::string* value, bool* found,
             SequenceNumber* max_tombstone, VersionGetStats* stats) const;

  // Iterators over every table that may hold user keys in
  // [lower, upper) (nullptr: unbounded), and their range tombstones.
  // skip_damaged: see ReadOptions::skip_damaged_blocks.
  void AddIterators(const std::string* lower, const std::string* upper,
                    std::vector<std::unique_ptr<Iterator>>* iters,
                    std::vector<RangeTombstonesPtr>* tombstones,
                    std::vector<DamagedBlock>* skip_damaged = nullptr) const;

  // Files of `level` whose user-key range overlaps [begin, end]
  // (nullptr: unbounded). For level 0 the range grows to cover every
  // overlapping file transitively, so the result is closed under overlap.
  std::vector<LiveFilePtr> OverlappingFiles(int level, const std::string_view* begin,
                                            const std::string_view* end) const;

  // True if any file of a level deeper than `level` overlaps [begin, end].
  bool DeeperLevelsOverlap(int level, std::string_view begin, std::string_view end) const;

  // Index into a sorted level of the first file whose largest key >= ikey.
  static size_t FindFile(const std::vector<LiveFilePtr>& files, std::string_view ikey);

  // Deletion-triggered compaction. Called once, before the version is
  // published: finds every table (above the last level) whose deletions
  // hide data deeper down, or that is mostly deletions, most hidden bytes
  // per byte read first. Reads only the tables' indexes (mapped).
  void ComputeDeletionDebts();
  const std::vector<DeletionDebt>& deletion_debts() const { return deletion_debts_; }

 private:
  std::vector<std::vector<LiveFilePtr>> levels_;
  std::vector<DeletionDebt> deletion_debts_;
};

}  // namespace iron::lsm

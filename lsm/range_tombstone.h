// Range tombstones: "every key in [begin, end) older than `sequence` is
// deleted", and the fragmented form in which reads consult them.
//
// A DeleteRange writes one RangeTombstone. MemTables and tables keep their
// tombstones apart from point entries (a table stores them in its range-del
// block). To answer "is user key k, written at sequence s, deleted as of
// snapshot S?" the tombstones of a source are cut into non-overlapping
// fragments, each carrying the sequences of every tombstone that covers it,
// so a lookup is one binary search.
//
// Thread safety: a FragmentedRangeTombstones is immutable after
// construction and may be shared by any number of readers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "internal_key.h"

namespace iron::lsm {

struct RangeTombstone {
  std::string begin;  // inclusive user key
  std::string end;    // exclusive user key
  SequenceNumber sequence = 0;
};

class FragmentedRangeTombstones {
 public:
  FragmentedRangeTombstones() = default;
  explicit FragmentedRangeTombstones(std::vector<RangeTombstone> tombstones);

  bool empty() const { return fragments_.empty(); }
  // The tombstones as given (sorted by begin).
  const std::vector<RangeTombstone>& tombstones() const { return tombstones_; }

  // The highest sequence <= snapshot among tombstones covering user_key, or
  // 0 if none does.
  SequenceNumber MaxCoveringSequence(std::string_view user_key,
                                     SequenceNumber snapshot) const;

  // True if an entry for user_key written at `sequence` is hidden, as of
  // `snapshot`, by one of these tombstones.
  bool Covers(std::string_view user_key, SequenceNumber sequence,
              SequenceNumber snapshot) const {
    return MaxCoveringSequence(user_key, snapshot) > sequence;
  }

 private:
  struct Fragment {
    std::string begin;
    std::string end;
    std::vector<SequenceNumber> sequences;  // descending
  };
  std::vector<RangeTombstone> tombstones_;
  std::vector<Fragment> fragments_;  // sorted, non-overlapping
};

using RangeTombstonesPtr = std::shared_ptr<const FragmentedRangeTombstones>;

// The growing set of a MemTable's tombstones, kept fragmented as they
// arrive so that a lookup stays one O(log n) search however many ranges a
// workload deletes (a filesystem adds one per deleted file).
//
// Thread safety: none; the MemTable guards it with a lock.
class RangeTombstoneMap {
 public:
  void Add(const RangeTombstone& t);
  bool empty() const { return fragments_.empty(); }
  SequenceNumber MaxCoveringSequence(std::string_view user_key, SequenceNumber snapshot) const;
  // Tombstone pieces overlapping [lower, upper) (nullptr: unbounded), one
  // per fragment and sequence.
  std::vector<RangeTombstone> Overlapping(const std::string* lower,
                                          const std::string* upper) const;

 private:
  struct Piece {
    std::string end;
    std::vector<SequenceNumber> sequences;  // descending
  };
  // Splits the piece containing `key` strictly inside it, if any, at `key`.
  void SplitAt(const std::string& key);

  std::map<std::string, Piece, std::less<>> fragments_;  // by begin; disjoint
};

}  // namespace iron::lsm

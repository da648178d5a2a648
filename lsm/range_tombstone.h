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
// Memory. A fragment holds every sequence that covers it, so n nested
// tombstones (a file truncated n times: [k_i, end) for each i) make n
// fragments of up to n sequences each. Only some of those sequences can
// still be told apart by a reader: the newest, and for each live snapshot
// the newest at or below it (RocksDB's snapshot stripes). Whatever writes
// tombstones out (a flush, a compaction) keeps only those (Collapse), so
// what a table holds is linear in its tombstones whatever their nesting.
//
// Thread safety: a FragmentedRangeTombstones is immutable after
// construction and may be shared by any number of readers.
#pragma once

#include <functional>
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

// Keeps of `sequences` (descending) only those a reader can tell apart:
// the newest, and for each of `snapshots` (ascending) the newest at or
// below it.
void KeepVisibleSequences(const std::vector<SequenceNumber>& snapshots,
                          std::vector<SequenceNumber>* sequences);

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

  // The fragments as tombstones to write out: one per fragment and
  // sequence that a reader at `snapshots` (ascending) or later can tell
  // apart (see above), without those `drop` says have done their work,
  // with neighbours that abut and carry the same sequence joined again.
  // Sorted by begin.
  std::vector<RangeTombstone> Collapse(
      const std::vector<SequenceNumber>& snapshots,
      const std::function<bool(const RangeTombstone&)>& drop = nullptr) const;

  // True if every user key from `begin` to `last` (inclusive, or
  // exclusive if !last_inclusive) is covered, as of `snapshot`, by a
  // tombstone newer than `sequence`: a table holding only such keys, none
  // newer than `sequence`, is deleted whole.
  bool CoversWhole(std::string_view begin, std::string_view last, bool last_inclusive,
                   SequenceNumber sequence, SequenceNumber snapshot) const;

  // Fragments held (a measure of memory, for tests).
  size_t fragment_count() const { return fragments_.size(); }
  size_t sequence_count() const;

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
  // per fragment and sequence; given `snapshots` (ascending), only the
  // sequences a reader at one of them or later can tell apart, with
  // abutting pieces of one sequence joined.
  std::vector<RangeTombstone> Overlapping(
      const std::string* lower, const std::string* upper,
      const std::vector<SequenceNumber>* snapshots = nullptr) const;
  // Bytes the fragments take (keys, sequences and bookkeeping): grows
  // with nesting, which the count of tombstones added does not show.
  size_t ApproximateMemoryUsage() const { return bytes_; }

 private:
  struct Piece {
    std::string end;
    std::vector<SequenceNumber> sequences;  // descending
  };
  // Splits the piece containing `key` strictly inside it, if any, at `key`.
  void SplitAt(const std::string& key);

  static size_t PieceBytes(const std::string& begin, const Piece& p) {
    return begin.size() + p.end.size() + p.sequences.size() * sizeof(SequenceNumber) + 96;
  }

  std::map<std::string, Piece, std::less<>> fragments_;  // by begin; disjoint
  size_t bytes_ = 0;
};

// Joins abutting tombstones of one sequence; `pieces` sorted by begin,
// pieces of one sequence disjoint.
void JoinAbutting(std::vector<RangeTombstone>* pieces);

}  // namespace iron::lsm

// DBIter: the user-key iterator a DB hands out.
//
// It walks the merge of every source's internal-key iterator (MemTables and
// tables, newest entries of a key first) and yields, for each user key, the
// newest entry with sequence <= the read's snapshot, provided that entry is
// a value and no range tombstone newer than it (and visible at the
// snapshot) covers the key. Keys outside [lower, upper) are never yielded.
//
// The iterator holds `pins` (the MemTables and Version it reads) so that
// what it reads stays alive while it exists.
//
// Thread safety: one thread at a time, like any Iterator.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "internal_key.h"
#include "lsm/iterator.h"
#include "range_tombstone.h"

namespace iron::lsm {

struct DBIterParams {
  std::unique_ptr<Iterator> internal;  // merged internal-key iterator
  std::vector<RangeTombstonesPtr> tombstones;
  SequenceNumber snapshot = kMaxSequenceNumber;
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
  std::vector<std::shared_ptr<const void>> pins;
  // Called once per internal entry stepped over (resident-memory accounting).
  std::function<void(uint64_t)> on_entries_read;
  // Called once, when the iterator is destroyed, if it ended in an error.
  std::function<void(const Status&)> on_error;
};

std::unique_ptr<Iterator> NewDBIterator(DBIterParams params);

}  // namespace iron::lsm

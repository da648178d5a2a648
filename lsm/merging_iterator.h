// MergingIterator: the k-way merge of sorted internal-key iterators.
//
// Yields every entry of every child in internal-key order (duplicates of a
// user key come newest first, by the internal-key order itself). Used by
// reads over MemTables and levels and by compaction. A child's error stops
// the merge and is reported by status().
//
// Thread safety: one thread at a time, like any Iterator.
#pragma once

#include <memory>
#include <vector>

#include "lsm/iterator.h"

namespace iron::lsm {

std::unique_ptr<Iterator> NewMergingIterator(std::vector<std::unique_ptr<Iterator>> children);

}  // namespace iron::lsm

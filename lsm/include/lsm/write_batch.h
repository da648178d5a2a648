// WriteBatch: a group of updates applied atomically, in order.
//
// Either every update of a batch is visible (and, after a crash, recovered)
// or none is. Later updates in a batch win over earlier ones for the same key.
//
// Representation (also the WAL record payload, see FORMAT.md):
//   sequence: fixed64, count: fixed32, then `count` records:
//     kValue          varstring key, varstring value
//     kDeletion       varstring key
//     kRangeDeletion  varstring begin, varstring end     (deletes [begin, end))
//
// Thread safety: a batch is built by one thread; a const batch may be read
// by many.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lsm/status.h"

namespace iron::lsm {

class WriteBatch {
 public:
  WriteBatch();

  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Deletes every key k with begin <= k < end, in O(1) whatever the number
  // of keys: the range is recorded once and its space is reclaimed by
  // compaction. An empty range (begin >= end) is a no-op.
  void DeleteRange(std::string_view begin, std::string_view end);

  void Clear();
  // Number of updates.
  uint32_t Count() const;
  // Bytes of the encoded batch (what the WAL will hold).
  size_t ApproximateSize() const { return rep_.size(); }
  // Appends every update of `other` after this batch's.
  void Append(const WriteBatch& other);

  // Calls the handler for each update in order.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
    virtual void DeleteRange(std::string_view begin, std::string_view end) = 0;
  };
  Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;
  std::string rep_;
};

}  // namespace iron::lsm

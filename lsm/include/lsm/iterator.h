// Iterator: a forward cursor over an ordered sequence of key/value pairs.
//
// The DB hands out iterators over user keys; inside the engine the same
// interface walks internal keys (memtables, table blocks, merged levels).
// key() and value() stay valid until the next move of the iterator. An
// iterator that meets an error becomes !Valid() and reports it in status().
//
// Thread safety: an iterator is used by one thread at a time.
#pragma once

#include <memory>
#include <string_view>

#include "lsm/status.h"

namespace iron::lsm {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

// An iterator with no entries, carrying `status` (OK by default).
std::unique_ptr<Iterator> NewEmptyIterator(Status status = Status::OK());

}  // namespace iron::lsm

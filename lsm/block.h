// Block and BlockIter: reading a block written by BlockBuilder.
//
// A Block is a view of verified block contents (its checksum was checked
// by ReadBlock); it owns nothing. Even so, every length and offset in it is
// bounds-checked as it is decoded: damaged contents make the iterator
// invalid with a Corruption status that names `context` (the file and
// block), never an out-of-bounds read.
//
// Thread safety: a Block is immutable; a BlockIter is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lsm/iterator.h"

namespace iron::lsm {

using BlockComparator = int (*)(std::string_view, std::string_view);

class BlockIter final : public Iterator {
 public:
  // `contents` must outlive the iterator. An entry whose key is shorter
  // than min_key_size (kTagSize for internal keys, which the comparator
  // reads the tag of) is corruption.
  BlockIter(std::string_view contents, BlockComparator cmp, const std::string* context,
            size_t min_key_size = 0);

  bool Valid() const override { return valid_; }
  void SeekToFirst() override;
  void Seek(std::string_view target) override;
  void Next() override;
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  // Decodes the entry at offset into key_/value_; false (and corrupt) if bad.
  bool ParseEntryAt(uint32_t offset);
  uint32_t RestartPoint(uint32_t i) const;
  void SetCorrupt(const char* what);

  const char* data_ = nullptr;
  uint32_t restarts_ = 0;      // offset of the restart array
  uint32_t num_restarts_ = 0;
  BlockComparator cmp_;
  const std::string* context_;
  size_t min_key_size_;
  uint32_t current_ = 0;       // offset of the current entry
  uint32_t next_ = 0;          // offset just past it
  std::string_view key_;   // into the block (restart entries) or key_buf_
  std::string key_buf_;    // a prefix-compressed key, rebuilt
  std::string_view value_;
  bool valid_ = false;
  Status status_;
};

}  // namespace iron::lsm

// MemTableFilter: a bloom filter over the user keys in a MemTable, so that
// a lookup of a key the MemTable does not hold (most lookups, once the data
// outgrows one MemTable) costs one cache line instead of a skip-list search.
//
// Blocked layout: a key's bits all fall in one 64-byte line, chosen by the
// high half of its 64-bit hash; 6 bits in that line come from the low half.
// Bits are set with relaxed atomic ORs by the MemTable's single writer.
// A reader is guaranteed to see a key's bits if it can see the key: the
// DB publishes a write (its sequence number, under the DB mutex) after the
// insert that set them.
//
// Thread safety: Add by one writer at a time; MayContain from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace iron::lsm {

class MemTableFilter {
 public:
  // bits == 0: no filter; MayContain always answers true.
  explicit MemTableFilter(size_t bits);

  void Add(uint64_t hash);
  bool MayContain(uint64_t hash) const;

 private:
  static constexpr int kProbes = 6;
  static constexpr size_t kWordsPerLine = 8;  // 512 bits

  size_t lines_ = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

}  // namespace iron::lsm

// Arena: bump allocation for a MemTable's skip-list nodes and entries.
//
// Memory is carved from 4 KiB blocks (larger requests get a block of their
// own) and released all at once when the arena is destroyed, so a MemTable
// pays no per-entry heap allocation and frees in O(blocks).
//
// Thread safety: Allocate* is called by one writer at a time (the MemTable's
// single inserter); MemoryUsage() may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace iron::lsm {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `bytes` of uninitialized memory, unaligned.
  char* Allocate(size_t bytes) {
    if (bytes <= remaining_) {
      char* result = ptr_;
      ptr_ += bytes;
      remaining_ -= bytes;
      return result;
    }
    return AllocateFallback(bytes);
  }

  // Returns `bytes` aligned for any pointer or 64-bit integer.
  char* AllocateAligned(size_t bytes);

  // Bytes taken from the heap, including block slack.
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockSize = 4096;

  char* AllocateFallback(size_t bytes);
  char* NewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> usage_{0};
};

}  // namespace iron::lsm

// Arena: bump allocation for a MemTable's skip-list nodes and entries.
//
// Memory is carved from blocks (a request larger than a quarter block gets
// a block of its own) and released all at once when the arena is
// destroyed, so a MemTable pays no per-entry heap allocation and frees in
// O(blocks). Blocks start at 4 KiB and grow with the arena, to an eighth of
// what it holds and at most 1 MiB, so that slack stays small while a large
// MemTable takes its memory from the kernel in few, large, pre-faulted
// mappings: page by page, growing a heap costs a system call or a fault
// per page, as much as the write that needed it. Full-size blocks of a
// destroyed arena wait in a process-wide pool (up to 48 MiB) for the
// next one: memory touched before costs nothing to touch again, where
// fresh memory costs a fault per page even when pre-faulted (on a
// virtual machine that fills its page tables lazily). Blocks the pool
// kept but nobody took for a while go back to the system through
// ReleaseIdleBlocks, so that an idle process shrinks back.
//
// Thread safety: Allocate* is called by one writer at a time (the MemTable's
// single inserter); MemoryUsage() may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <vector>

namespace iron::lsm {

class Arena {
 public:
  // The largest block size: the blocks the process-wide pool keeps.
  static constexpr size_t kMaxBlock = 1 << 20;

  Arena() = default;
  ~Arena();
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

  // Unmaps the pooled free blocks that have waited longer than `idle` for
  // an arena to take them; returns the bytes given back. Thread-safe.
  static size_t ReleaseIdleBlocks(std::chrono::steady_clock::duration idle);

 private:
  static constexpr size_t kMinBlock = 4096;
  // From this size on, a block is its own pre-faulted mapping.
  static constexpr size_t kMapped = 64 << 10;

  struct Block {
    char* data;
    size_t size;
  };

  size_t NextBlockSize() const;
  char* AllocateFallback(size_t bytes);
  char* NewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<Block> blocks_;
  std::atomic<size_t> usage_{0};
};

}  // namespace iron::lsm

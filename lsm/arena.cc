#include "lsm/arena.h"

#include <cstdint>

namespace iron::lsm {

char* Arena::NewBlock(size_t bytes) {
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
  usage_.fetch_add(bytes + sizeof(char*), std::memory_order_relaxed);
  return blocks_.back().get();
}

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    // Large objects get their own block so the current one is not wasted.
    return NewBlock(bytes);
  }
  ptr_ = NewBlock(kBlockSize);
  remaining_ = kBlockSize;
  char* result = ptr_;
  ptr_ += bytes;
  remaining_ -= bytes;
  return result;
}

char* Arena::AllocateAligned(size_t bytes) {
  constexpr size_t kAlign = alignof(std::max_align_t) > 8 ? alignof(std::max_align_t) : 8;
  size_t mod = reinterpret_cast<uintptr_t>(ptr_) & (kAlign - 1);
  size_t slop = mod == 0 ? 0 : kAlign - mod;
  size_t needed = bytes + slop;
  if (needed <= remaining_) {
    char* result = ptr_ + slop;
    ptr_ += needed;
    remaining_ -= needed;
    return result;
  }
  // Fresh blocks from new[] are suitably aligned.
  return AllocateFallback(bytes);
}

}  // namespace iron::lsm

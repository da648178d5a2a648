#include "lsm/arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

namespace iron::lsm {

Arena::~Arena() {
  for (const Block& b : blocks_) {
    if (b.size >= kMapped) {
      ::munmap(b.data, b.size);
    } else {
      delete[] b.data;
    }
  }
}

size_t Arena::NextBlockSize() const {
  size_t size = kMinBlock;
  while (size < kMaxBlock && size < MemoryUsage() / 8) size *= 2;
  return size;
}

char* Arena::NewBlock(size_t bytes) {
  char* data;
  if (bytes >= kMapped) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                     -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data = static_cast<char*>(p);
  } else {
    data = new char[bytes];
  }
  blocks_.push_back(Block{data, bytes});
  usage_.fetch_add(bytes + sizeof(Block), std::memory_order_relaxed);
  return data;
}

char* Arena::AllocateFallback(size_t bytes) {
  size_t block = NextBlockSize();
  if (bytes > block / 4) {
    // Large objects get their own block so the current one is not wasted.
    return NewBlock(bytes);
  }
  ptr_ = NewBlock(block);
  remaining_ = block;
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
  // Fresh blocks (from new[] or mmap) are suitably aligned.
  return AllocateFallback(bytes);
}

}  // namespace iron::lsm

#include "arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

#include "lsm/mutex.h"

namespace iron::lsm {
namespace {

// Free blocks of Arena's largest size, mapped and touched before.
class BlockPool {
 public:
  static constexpr size_t kCapacity = 48;  // blocks (48 MiB)
  using Clock = std::chrono::steady_clock;

  static BlockPool& Instance() {
    static BlockPool* pool = new BlockPool;  // never destroyed: arenas may outlive statics
    return *pool;
  }
  // The block given back last (the one most likely still in the caches),
  // or null.
  char* Take() {
    MutexLock l(&mu_);
    if (free_.empty()) return nullptr;
    char* b = free_.back().block;
    free_.pop_back();
    return b;
  }
  // False if the pool is full: the caller unmaps the block.
  bool Give(char* block) {
    MutexLock l(&mu_);
    if (free_.size() >= kCapacity) return false;
    free_.push_back(Free{block, Clock::now()});
    return true;
  }
  // Blocks are taken from the back, so the ones given back longest ago
  // sit at the front.
  size_t ReleaseIdle(Clock::duration idle) {
    std::vector<char*> released;
    {
      MutexLock l(&mu_);
      Clock::time_point cutoff = Clock::now() - idle;
      auto end = free_.begin();
      while (end != free_.end() && end->since <= cutoff) ++end;
      for (auto it = free_.begin(); it != end; ++it) released.push_back(it->block);
      free_.erase(free_.begin(), end);
    }
    for (char* b : released) ::munmap(b, Arena::kMaxBlock);
    return released.size() * Arena::kMaxBlock;
  }

 private:
  struct Free {
    char* block;
    Clock::time_point since;  // when it was given back
  };
  Mutex mu_;
  std::vector<Free> free_ GUARDED_BY(mu_);
};

}  // namespace

size_t Arena::ReleaseIdleBlocks(std::chrono::steady_clock::duration idle) {
  return BlockPool::Instance().ReleaseIdle(idle);
}

Arena::~Arena() {
  for (const Block& b : blocks_) {
    if (b.size == kMaxBlock && BlockPool::Instance().Give(b.data)) continue;
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
  char* data = bytes == kMaxBlock ? BlockPool::Instance().Take() : nullptr;
  if (data == nullptr && bytes >= kMapped) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                     -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data = static_cast<char*>(p);
  } else if (data == nullptr) {
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

// GuardedMapping: a read-only file mapping that survives the loss of its
// pages.
//
// Reading a mapped page that the file no longer backs (someone truncated
// the file) or that the disk cannot read raises SIGBUS, whose default
// action kills the process: for a daemon serving a mount, every user at
// once. A GuardedMapping registers its address range with a process-wide
// SIGBUS handler. When a fault lies inside a registered range, the handler
// marks that mapping damaged and maps an anonymous zero page over the
// faulting page (one mmap system call, safe in a signal handler on Linux),
// so the read resumes and sees zeros. Readers check damaged() after a read
// and discard what they read if it is set; the zeros also fail any block
// checksum. A fault anywhere else goes to the handler that was installed
// before (a sanitizer's, say) or, if none, kills the process as before.
//
// The registry is lock-free: the handler only loads atomics. Its slots live
// in chunks that are never freed, so a handler never reads freed memory.
//
// Thread safety: construction and destruction from any thread; damaged()
// from any thread. The owner must destroy the GuardedMapping before it
// unmaps the range (so that a later mapping at the same address is never
// taken for this one) and must not copy it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace iron::lsm {

struct GuardedMappingSlot {
  std::atomic<bool> in_use{false};
  std::atomic<uintptr_t> begin{0};  // [begin, end) page-aligned; both 0 while unused
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> damaged{false};
};

class GuardedMapping {
 public:
  GuardedMapping(const void* base, size_t size);
  ~GuardedMapping();
  GuardedMapping(const GuardedMapping&) = delete;
  GuardedMapping& operator=(const GuardedMapping&) = delete;

  // True once a page of the range was lost; it then reads as zeros.
  // A read that faulted sets this before the read resumes, on the same
  // thread: the fence keeps the compiler from moving the check before it.
  bool damaged() const {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return slot_->damaged.load(std::memory_order_acquire);
  }
  const std::atomic<bool>* damaged_flag() const { return &slot_->damaged; }

 private:
  GuardedMappingSlot* const slot_;
};

}  // namespace iron::lsm

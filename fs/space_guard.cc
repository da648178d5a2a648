#include "space_guard.h"

#include <errno.h>
#include <sys/statvfs.h>

#include <chrono>
#include <system_error>

namespace iron::fs {

namespace {

constexpr uint64_t kLookEveryUs = 100'000;

uint64_t NowUs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

SpaceGuard::SpaceGuard(std::string dir, uint64_t reserve, Store* store)
    : dir_(std::move(dir)), reserve_(reserve), store_(store) {}

SpaceGuard::~SpaceGuard() {
  lsm::MutexLock lock(&reclaim_mu_);
  if (reclaimer_.joinable()) reclaimer_.join();
}

int SpaceGuard::Admit(uint64_t bytes) {
  if (dir_.empty() || reserve_ == 0) return 0;
  const int64_t want = static_cast<int64_t>(bytes);
  const uint64_t now = NowUs();
  if (now >= next_look_us_.load(std::memory_order_relaxed) ||
      budget_.load(std::memory_order_relaxed) < want) {
    if (int err = Refresh(now); err != 0) return err;
  }
  if (budget_.fetch_sub(want, std::memory_order_relaxed) < want) {
    budget_.fetch_add(want, std::memory_order_relaxed);
    StartReclaim();
    return ENOSPC;
  }
  return 0;
}

void SpaceGuard::StartReclaim() {
  if (store_ == nullptr || deleted_bytes_.load() == 0 || reclaiming_.exchange(true)) return;
  lsm::MutexLock lock(&reclaim_mu_);
  if (reclaimer_.joinable()) reclaimer_.join();  // the last one has finished
  const uint64_t deleted = deleted_bytes_.exchange(0);
  try {
    reclaimer_ = std::thread([this] {
      // A failure is in the store's log; the next refusal tries again.
      store_->Compact().IgnoreError();
      reclaiming_ = false;
    });
  } catch (const std::system_error&) {
    // No thread to be had: the next refusal tries again.
    deleted_bytes_ += deleted;
    reclaiming_ = false;
  }
}

int SpaceGuard::Refresh(uint64_t now_us) {
  lsm::MutexLock lock(&mu_);
  struct statvfs st;
  if (statvfs(dir_.c_str(), &st) != 0) return errno;
  const uint64_t free = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  budget_.store(free > reserve_ ? static_cast<int64_t>(free - reserve_) : 0,
                std::memory_order_relaxed);
  next_look_us_.store(now_us + kLookEveryUs, std::memory_order_relaxed);
  return 0;
}

}  // namespace iron::fs

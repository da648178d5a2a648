#include "fs/space_guard.h"

#include <errno.h>
#include <sys/statvfs.h>

#include <chrono>

namespace iron::fs {

namespace {

constexpr uint64_t kLookEveryUs = 100'000;

uint64_t NowUs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

SpaceGuard::SpaceGuard(std::string dir, uint64_t reserve) : dir_(std::move(dir)), reserve_(reserve) {}

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
    return ENOSPC;
  }
  return 0;
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

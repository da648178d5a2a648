#include "dir_cookies.h"

namespace iron::fs {

uint64_t DirCookies::After(std::string_view name) {
  lsm::MutexLock l(&mu_);
  auto [it, inserted] = cookies_.try_emplace(std::string(name), kFirstName + names_.size());
  if (inserted) names_.push_back(&it->first);
  return it->second;
}

std::optional<std::string> DirCookies::NameOf(uint64_t cookie) {
  lsm::MutexLock l(&mu_);
  if (cookie < kFirstName || cookie - kFirstName >= names_.size()) return std::nullopt;
  return *names_[cookie - kFirstName];
}

}  // namespace iron::fs

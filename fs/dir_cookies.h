// DirCookies: the readdir cookies of one directory, shared by every open
// stream of it.
//
// A cookie names the entry it follows, so that a listing resumes right
// after that entry however the directory changed meanwhile: cookie 1
// follows ".", 2 follows "..", and 3 + i follows the i-th distinct name
// ever listed. Cookies belong to the directory, not to one open of it,
// because the kernel lists from its readdir cache and, when a cached page
// was evicted midway, goes on with the last cached cookie on whatever open
// file it has now.
//
// Memory: every distinct name listed, while the directory's inode is in
// use or cached (see InodeTable), i.e. while the kernel may hold cookies.
//
// Thread safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"

namespace iron::fs {

class DirCookies {
 public:
  static constexpr uint64_t kAfterDot = 1;
  static constexpr uint64_t kAfterDotDot = 2;

  // The cookie that resumes after `name` (the same one every time).
  uint64_t After(std::string_view name);
  // The name `cookie` resumes after; nullopt if it was never given out
  // (1 and 2 are not names).
  std::optional<std::string> NameOf(uint64_t cookie);

 private:
  static constexpr uint64_t kFirstName = 3;
  lsm::Mutex mu_;
  std::unordered_map<std::string, uint64_t> cookies_ GUARDED_BY(mu_);
  std::vector<const std::string*> names_ GUARDED_BY(mu_);  // keys of cookies_
};

}  // namespace iron::fs

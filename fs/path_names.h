// PathNames: how the checker and the repair name inodes in their reports.
//
// Reports say "inode 12 (/a/b)", not key bytes. A path exists only where a
// chain of directory entries leads from the root to the inode; the caller
// records the entries it has seen (Add), and a path is built by walking
// them upwards. An inode with no such chain is named by number alone.
//
// Control bytes in names are shown as \xNN, so that a hostile name cannot
// forge report lines; other bytes (UTF-8) are shown as they are.
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace iron::fs {

class PathNames {
 public:
  // `ino` is named `name` in directory `parent`; the first name recorded
  // for an inode is the one used.
  void Add(uint64_t ino, uint64_t parent, std::string_view name);
  bool Has(uint64_t ino) const { return names_.count(ino) != 0; }
  void Clear() { names_.clear(); }

  // "/a/b" ("/" for the root), or "" if no chain of names leads from the
  // root (a cycle, a missing directory on the way).
  std::string PathOf(uint64_t ino) const;
  // "inode 12 (/a/b)", or "inode 12" when there is no path.
  std::string Inode(uint64_t ino) const;
  // "entry /a/b (in inode 3)", or "entry 'b' in inode 3" when the
  // directory has no path.
  std::string Entry(uint64_t parent, std::string_view name) const;

  // `name` with control bytes escaped.
  static std::string Printable(std::string_view name);

 private:
  std::unordered_map<uint64_t, std::pair<uint64_t, std::string>> names_;
};

}  // namespace iron::fs

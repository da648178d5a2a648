// The filesystem checker (fsck): walks every key of a filesystem and
// reports each broken invariant of the key schema (key_schema.h).
//
// It checks: the superblock decodes; the root exists and is a directory;
// every key parses; every inode decodes and its number is below the
// superblock's inode limit; every directory entry lives in a directory and
// names an existing inode of the type it records; a non-directory's nlink
// equals the entries naming it; a directory has exactly one name (the root
// none), nlink 2 + its subdirectories and a parent field that matches; every
// directory is reachable from the root; every block belongs to an existing
// regular file, lies below its size and holds no byte past it; every xattr
// belongs to an existing inode flagged as having some; an inode with no
// names has an orphan key and every orphan key an unnamed inode. Then it
// reads every block of every table and names each damaged one (a scan of
// keys stops at the first).
//
// Orphans are not errors: a crash while files were open leaves them, and
// the next mount reclaims them. They are counted.
//
// It reads through one snapshot, so it may run while the filesystem is
// mounted in this process, though a live filesystem's orphans then count.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lsm/db.h"

namespace iron::fs {

struct CheckReport {
  std::vector<std::string> problems;  // one line each, naming the keys
  uint64_t keys = 0;
  uint64_t inodes = 0;
  uint64_t directories = 0;
  uint64_t entries = 0;
  uint64_t blocks = 0;
  uint64_t block_bytes = 0;
  uint64_t xattrs = 0;
  uint64_t orphans = 0;

  bool clean() const { return problems.empty(); }
  std::string ToString() const;
};

// `progress`, if given, is called every 2^20 keys with the count so far.
CheckReport CheckFilesystem(lsm::DB* db, const std::function<void(uint64_t)>& progress = {});

}  // namespace iron::fs

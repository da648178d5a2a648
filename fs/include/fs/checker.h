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
// names has an orphan key and every orphan key an unnamed inode.
//
// Damaged table blocks do not stop it: its scans step over a block that
// cannot be read (lsm::ReadOptions::skip_damaged_blocks) and go on to the
// end, and each such block is reported with what it held in the
// filesystem's terms: which inodes' records, entries, data blocks or xattrs,
// and their paths where the namespace can be walked. What the lost keys
// leave behind (an entry naming an inode whose record was lost, say) is
// reported too, as ordinary problems.
//
// Problems name inode numbers and, where the surviving entries lead from
// the root to them, paths ("inode 12 (/a/b): ..."); only keys that do not
// parse at all are shown as (escaped) bytes.
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

#include "fs/store.h"

namespace iron::fs {

struct CheckReport {
  // One line each, naming inodes and paths; damaged table blocks first.
  std::vector<std::string> problems;
  uint64_t keys = 0;  // keys read; those of damaged blocks are not among them
  uint64_t inodes = 0;
  uint64_t directories = 0;
  uint64_t entries = 0;
  uint64_t blocks = 0;
  uint64_t block_bytes = 0;
  uint64_t xattrs = 0;
  uint64_t orphans = 0;
  uint64_t damaged_blocks = 0;  // table blocks that could not be read

  bool clean() const { return problems.empty(); }
  std::string ToString() const;
};

// `progress`, if given, is called every 2^20 keys with the count so far.
CheckReport CheckFilesystem(Store* store, const std::function<void(uint64_t)>& progress = {});

}  // namespace iron::fs

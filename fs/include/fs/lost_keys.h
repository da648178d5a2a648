// DescribeLostKeys: what the engine's salvage lost (lsm/repair.h), in the
// filesystem's terms, for fsck --repair to print.
//
// The salvage knows lost keys only as ranges of engine keys; here each
// becomes "inode 12 (/a/b): data blocks 3-9", "inodes 40-97: records",
// and so on. The keys a damaged WAL record held are gathered per inode.
// Paths come from the directory entries of `store` (the repaired engine),
// where a chain of names leads from the root; with store null, inodes are
// named by number alone.
//
// Thread safety: reads `store` through one iterator; call with nothing
// writing to it.
#pragma once

#include <string>
#include <vector>

#include "fs/store.h"
#include "lsm/repair.h"

namespace iron::fs {

// One line per lost range (or per inode of a damaged WAL record), each
// starting with the file the keys were in.
std::vector<std::string> DescribeLostKeys(Store* store, const std::vector<lsm::LostRange>& lost);

}  // namespace iron::fs

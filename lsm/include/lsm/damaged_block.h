// DamagedBlock: a data block of a table that an iterator stepped over
// because it could not be read (bad checksum, or entries that do not
// parse), as asked by ReadOptions::skip_damaged_blocks.
//
// It says where the block is and which user keys it may have held, so a
// checker can name what was lost in its own terms. The key range comes from
// the table's index, which records each block's last key: the block held
// keys in [smallest, largest], where smallest is the last key of the block
// before it (entries of one key may continue into the next block) or, for a
// table's first block, the table's smallest key.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <string>

namespace iron::lsm {

struct DamagedBlock {
  std::string file;     // the table file, as the engine opened it
  uint64_t offset = 0;  // of the block in the file
  std::string error;    // what is wrong with it
  std::string smallest;  // user keys the block may have held, inclusive
  std::string largest;
};

}  // namespace iron::lsm

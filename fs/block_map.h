// BlockMap: the bytes of regular files, kept in the Store as blocks of
// block_size bytes ('B' ino block -> bytes, key_schema.h). A block that
// is not stored is a hole and reads as zeros; a stored block may be
// shorter than block_size (the rest reads as zeros too). An Inode's
// `blocks` counts its stored blocks and `size` its length; the methods
// that change blocks keep both true in the Inode they are given.
//
// Changes go into the caller's WriteBatch, with the inode itself, so that
// a file's bytes and its inode change in one atomic write. Reads see the
// Store as of the call.
//
// Thread safety: any number of threads, each on a different inode (the
// caller holds that inode's lock across a read-modify-write).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "inode_codec.h"
#include "fs/result.h"
#include "fs/store.h"
#include "lsm/write_batch.h"

namespace iron::fs {

class SpaceGuard;

class BlockMap {
 public:
  // Deleted blocks are counted into `space` (SpaceGuard::Deleted): what a
  // compaction could give back. Both must outlive the map.
  BlockMap(Store* store, uint32_t block_size, SpaceGuard* space)
      : store_(store), block_size_(block_size), space_(space) {}

  uint32_t block_size() const { return block_size_; }
  // Blocks needed to hold `bytes`.
  uint64_t BlocksFor(uint64_t bytes) const { return (bytes + block_size_ - 1) / block_size_; }

  // Reads up to out.size() bytes at `offset`; fewer at the end of the file.
  Result<size_t> Read(const Inode& inode, uint64_t offset, std::span<char> out);
  // Writes `data` at `offset`, growing the file if it ends past its size.
  Result<void> Write(lsm::WriteBatch* batch, Inode* inode, uint64_t offset,
                     std::string_view data);
  // Zeroes [begin, end) (holes where whole blocks fall).
  Result<void> Zero(lsm::WriteBatch* batch, Inode* inode, uint64_t begin, uint64_t end);
  // Changes the size; a shrink drops the bytes past the new end.
  Result<void> Resize(lsm::WriteBatch* batch, Inode* inode, uint64_t size);
  // Stored blocks among [first, end) of `ino`.
  Result<uint64_t> Count(uint64_t ino, uint64_t first, uint64_t end);
  // Stores an empty block (reads as zeros) for each block of [first, end)
  // of `ino` that is not stored; calls `flush` whenever `batch` has grown
  // large, so that any range fits in memory.
  Result<void> FillHoles(lsm::WriteBatch* batch, uint64_t ino, uint64_t first, uint64_t end,
                         const std::function<Result<void>()>& flush);
  // SEEK_DATA or SEEK_HOLE from `offset` (< inode.size); ENXIO when there
  // is no data at or after it.
  Result<uint64_t> Seek(const Inode& inode, uint64_t offset, int whence);
  // Deletes every block of `inode` (which is being purged).
  void DeleteAll(lsm::WriteBatch* batch, const Inode& inode);

 private:
  // The one way blocks are deleted (purge, truncate, hole punching): blocks
  // [first, end) of `ino`, a point delete each up to kPointDeleteLimit of
  // them, else one range tombstone, O(1) whatever the size (with
  // `to_last_key`, it reaches past `end` to the file's last key). `stored`,
  // how many of them are stored, is counted as deleted space.
  void Delete(lsm::WriteBatch* batch, uint64_t ino, uint64_t first, uint64_t end,
              uint64_t stored, bool to_last_key);
  Result<std::string> ReadBlock(uint64_t ino, uint64_t block, bool* exists);

  Store* const store_;
  const uint32_t block_size_;
  SpaceGuard* const space_;
};

}  // namespace iron::fs

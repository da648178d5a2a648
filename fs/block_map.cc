#include "block_map.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "coding.h"
#include "key_schema.h"
#include "space_guard.h"

namespace iron::fs {
namespace {

// Up to this many blocks are deleted with one point delete each; more with
// one range tombstone (Delete: purge, truncate and hole punching).
constexpr uint64_t kPointDeleteLimit = 16;
// FillHoles stores its empty blocks this many to a batch.
constexpr uint32_t kFillBatchBlocks = 1 << 16;

}  // namespace

Result<std::string> BlockMap::ReadBlock(uint64_t ino, uint64_t block, bool* exists) {
  std::string value;
  lsm::Status s = store_->Get({}, BlockKey(ino, block), &value);
  if (s.IsNotFound()) {
    *exists = false;
    return std::string();
  }
  if (!s.ok()) return Errno{ToErrno(s)};
  if (value.size() > block_size_) return Errno{EIO};
  *exists = true;
  return value;
}

Result<size_t> BlockMap::Read(const Inode& inode, uint64_t offset, std::span<char> out) {
  if (offset >= inode.size) return size_t{0};
  size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), inode.size - offset));
  std::memset(out.data(), 0, n);  // holes and short blocks read as zeros
  uint64_t first = offset / block_size_;
  uint64_t last = (offset + n - 1) / block_size_;
  auto copy_block = [&](uint64_t block, std::string_view value) {
    uint64_t block_start = block * block_size_;
    uint64_t from = std::max(offset, block_start);
    uint64_t to = std::min<uint64_t>(offset + n, block_start + value.size());
    if (from < to) std::memcpy(out.data() + (from - offset), value.data() + (from - block_start), to - from);
  };
  if (first == last) {
    bool exists;
    Result<std::string> value = ReadBlock(inode.ino, first, &exists);
    if (!value.ok()) return Errno{value.error()};
    copy_block(first, *value);
    return n;
  }
  lsm::ReadOptions ro;
  ro.lower_bound = BlockKey(inode.ino, first);
  ro.upper_bound = BlockKey(inode.ino, last + 1);
  auto it = store_->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key();
    if (it->value().size() > block_size_) return Errno{EIO};
    copy_block(DecodeBigEndian64(key.data() + 9), it->value());
  }
  if (!it->status().ok()) return Errno{ToErrno(it->status())};
  return n;
}

Result<void> BlockMap::Write(lsm::WriteBatch* batch, Inode* inode, uint64_t offset,
                                     std::string_view data) {
  const uint64_t end = offset + data.size();
  const uint64_t old_size = inode->size;
  // Without holes every block under the old size is stored, so a block
  // written over in full needs no read (not even to count it).
  const bool dense = inode->blocks == (old_size + block_size_ - 1) / block_size_;
  uint64_t pos = offset;
  while (pos < end) {
    uint64_t block = pos / block_size_;
    uint64_t block_start = block * block_size_;
    size_t from = static_cast<size_t>(pos - block_start);
    size_t to = static_cast<size_t>(std::min<uint64_t>(end - block_start, block_size_));
    std::string_view piece = data.substr(pos - offset, to - from);
    // Bytes this block may already hold: none at or past the old size.
    uint64_t held = old_size > block_start ? std::min<uint64_t>(old_size - block_start, block_size_) : 0;
    std::string value;
    if (held == 0) {
      value.assign(from, '\0');
      value.append(piece);
      ++inode->blocks;
    } else if (dense && from == 0 && to >= held) {
      value.assign(piece);
    } else {
      bool exists;
      Result<std::string> old = ReadBlock(inode->ino, block, &exists);
      if (!old.ok()) return Errno{old.error()};
      value = std::move(*old);
      if (!exists) ++inode->blocks;
      if (value.size() < to) value.resize(to, '\0');
      std::memcpy(value.data() + from, piece.data(), piece.size());
    }
    batch->Put(BlockKey(inode->ino, block), value);
    pos = block_start + to;
  }
  inode->size = std::max(old_size, end);
  return Ok();
}

Result<uint64_t> BlockMap::Count(uint64_t ino, uint64_t first, uint64_t end) {
  if (first >= end) return uint64_t{0};
  lsm::ReadOptions ro;
  ro.lower_bound = BlockKey(ino, first);
  ro.upper_bound = BlockKey(ino, end);
  auto it = store_->NewIterator(ro);
  uint64_t count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  if (!it->status().ok()) return Errno{ToErrno(it->status())};
  return count;
}

Result<void> BlockMap::Zero(lsm::WriteBatch* batch, Inode* inode, uint64_t begin,
                                    uint64_t end) {
  end = std::min(end, inode->size);
  if (begin >= end) return Ok();
  // Whole blocks inside the range are deleted: block b goes if it starts
  // at or after `begin` and all it may hold ends by `end` (the file's last
  // block qualifies when the range runs to the end of the file).
  const uint64_t first_whole = (begin + block_size_ - 1) / block_size_;
  const uint64_t end_whole =
      end == inode->size ? (end + block_size_ - 1) / block_size_ : end / block_size_;
  // A block the range covers in part has its stored bytes zeroed in place.
  auto zero_part = [&](uint64_t block) -> Result<void> {
    bool exists;
    Result<std::string> value = ReadBlock(inode->ino, block, &exists);
    if (!value.ok()) return Errno{value.error()};
    uint64_t block_start = block * block_size_;
    uint64_t from = std::max(begin, block_start) - block_start;
    uint64_t to = std::min<uint64_t>(end - block_start, value->size());
    if (!exists || from >= to) return Ok();
    std::memset(value->data() + from, 0, to - from);
    batch->Put(BlockKey(inode->ino, block), *value);
    return Ok();
  };
  const uint64_t head = begin / block_size_;
  if (begin % block_size_ != 0) IRON_FS_TRY(zero_part(head));
  if (end % block_size_ != 0 && end != inode->size) {
    uint64_t tail = end / block_size_;
    if (tail != head || begin % block_size_ == 0) IRON_FS_TRY(zero_part(tail));
  }
  if (first_whole >= end_whole) return Ok();
  Result<uint64_t> count = Count(inode->ino, first_whole, end_whole);
  if (!count.ok()) return Errno{count.error()};
  if (*count > 0) {
    Delete(batch, inode->ino, first_whole, end_whole, *count, /*to_last_key=*/false);
    inode->blocks -= std::min(inode->blocks, *count);
  }
  return Ok();
}

void BlockMap::Delete(lsm::WriteBatch* batch, uint64_t ino, uint64_t first, uint64_t end,
                              uint64_t stored, bool to_last_key) {
  if (end - first <= kPointDeleteLimit) {
    for (uint64_t b = first; b < end; ++b) batch->Delete(BlockKey(ino, b));
  } else {
    batch->DeleteRange(BlockKey(ino, first),
                       to_last_key ? ObjectEnd(KeyKind::kBlock, ino) : BlockKey(ino, end));
  }
  space_->Deleted(stored * block_size_);
}

Result<void> BlockMap::Resize(lsm::WriteBatch* batch, Inode* inode, uint64_t size) {
  if (size < inode->size) {
    uint64_t keep = (size + block_size_ - 1) / block_size_;  // blocks that stay
    uint64_t had = (inode->size + block_size_ - 1) / block_size_;
    if (size % block_size_ != 0) {
      // The new last block keeps only the bytes before the new end.
      bool exists;
      uint64_t last = size / block_size_;
      Result<std::string> value = ReadBlock(inode->ino, last, &exists);
      if (!value.ok()) return Errno{value.error()};
      size_t limit = static_cast<size_t>(size - last * block_size_);
      if (exists && value->size() > limit) {
        value->resize(limit);
        batch->Put(BlockKey(inode->ino, last), *value);
      }
    }
    if (had > keep) {
      uint64_t stored = inode->blocks - std::min(inode->blocks, keep);
      Delete(batch, inode->ino, keep, had, stored, /*to_last_key=*/true);
    }
    inode->blocks = std::min(inode->blocks, keep);
  }
  inode->size = size;
  return Ok();
}

Result<void> BlockMap::FillHoles(lsm::WriteBatch* batch, uint64_t ino, uint64_t first,
                                 uint64_t end, const std::function<Result<void>()>& flush) {
  lsm::ReadOptions ro;
  ro.lower_bound = BlockKey(ino, first);
  ro.upper_bound = BlockKey(ino, end);
  auto it = store_->NewIterator(ro);
  it->SeekToFirst();
  for (uint64_t b = first; b < end; ++b) {
    if (it->Valid() && DecodeBigEndian64(it->key().data() + 9) == b) {
      it->Next();
      continue;
    }
    batch->Put(BlockKey(ino, b), "");
    if (batch->Count() >= kFillBatchBlocks) IRON_FS_TRY(flush());
  }
  if (!it->status().ok()) return Errno{ToErrno(it->status())};
  return Ok();
}

Result<uint64_t> BlockMap::Seek(const Inode& inode, uint64_t offset, int whence) {
  uint64_t expect = offset / block_size_;
  lsm::ReadOptions ro;
  ro.lower_bound = BlockKey(inode.ino, expect);
  ro.upper_bound = ObjectEnd(KeyKind::kBlock, inode.ino);
  auto it = store_->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t block = DecodeBigEndian64(it->key().data() + 9);
    if (whence == SEEK_DATA) return std::max(offset, block * block_size_);
    if (block != expect) break;  // a missing block: the hole starts there
    ++expect;
  }
  if (!it->status().ok()) return Errno{ToErrno(it->status())};
  if (whence == SEEK_DATA) return Errno{ENXIO};
  return std::max(offset, std::min<uint64_t>(expect * block_size_, inode.size));
}

void BlockMap::DeleteAll(lsm::WriteBatch* batch, const Inode& inode) {
  Delete(batch, inode.ino, 0, BlocksFor(inode.size), inode.blocks, /*to_last_key=*/true);
}

}  // namespace iron::fs

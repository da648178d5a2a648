// Regular files: open and release, and the bytes, kept as blocks
// ('B' ino block, see key_schema.h).
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "fs/coding.h"
#include "fs/filesystem.h"
#include "fs/key_schema.h"
#include "lsm/write_batch.h"

namespace iron::fs {
namespace {

// Largest copy_file_range served in one call (and one batch); callers loop.
constexpr size_t kMaxCopyChunk = 16 << 20;
// Up to this many blocks are deleted with one point delete each; more with
// one range tombstone (DeleteBlocks: purge, truncate and hole punching).
constexpr uint64_t kPointDeleteLimit = 16;
// A large fallocate stores its empty blocks this many to a batch.
constexpr uint32_t kAllocateBatchBlocks = 1 << 16;

}  // namespace

Result<std::unique_ptr<OpenFile>> Filesystem::Open(const Caller& c, uint64_t ino, int flags) {
  auto node = table_.Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = Load(*node);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode& n = **loaded;
  auto file = std::make_unique<OpenFile>(OpenFile{ino, flags});
  if (n.IsSymlink()) return Errno{ELOOP};
  if (n.IsDir() && (file->writable() || (flags & O_TRUNC))) return Errno{EISDIR};
  int mask = (file->readable() ? kMayRead : 0) | (file->writable() ? kMayWrite : 0);
  // execve opens read-only but is judged on the execute bits alone (a
  // 0711 program runs for others, a 0744 one does not).
  if ((flags & kOpenForExec) && !file->writable()) mask = kMayExec;
  if (flags & O_TRUNC) mask |= kMayWrite;
  if (CheckAccess(c, n, mask) != 0) return Errno{EACCES};
  if ((flags & O_TRUNC) && n.IsRegular()) {
    // As Linux's handle_truncate: times change even if the file was empty.
    Inode t = n;
    lsm::WriteBatch batch;
    IRON_FS_TRY(ResizeLocked(&batch, &t, 0));
    t.Touch(Now(), true);
    DropPrivileges(c, &t, &batch);
    PutInode(&batch, t);
    // Only a truncate that frees something may use the reserve: a loop of
    // empty ones must not use up what deletes need.
    IRON_FS_TRY(Commit(&batch, /*frees_space=*/n.size > 0));
    n = std::move(t);
  }
  ++node->opens;
  return file;
}

Result<Inode*> Filesystem::LoadRegular(Node& node, int not_regular) {
  Result<Inode*> inode = Load(node);
  if (!inode.ok()) return inode;
  if ((*inode)->IsDir()) return Errno{EISDIR};
  if (!(*inode)->IsRegular()) return Errno{not_regular};
  return inode;
}

void Filesystem::Release(std::unique_ptr<OpenFile> file) {
  if (!file) return;
  auto node = table_.Get(file->ino);
  {
    lsm::MutexLock l(&node->mu);
    if (node->opens > 0) --node->opens;
    MaybeReclaim(*node);
  }
  table_.Unref(std::move(node));
}

Result<std::string> Filesystem::ReadBlock(uint64_t ino, uint64_t block, bool* exists) {
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

Result<size_t> Filesystem::ReadLocked(const Inode& inode, uint64_t offset, std::span<char> out) {
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

Result<size_t> Filesystem::Read(const OpenFile& file, uint64_t offset, std::span<char> out) {
  auto node = table_.Get(file.ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = LoadRegular(*node, EINVAL);
  if (!inode.ok()) return Errno{inode.error()};
  return ReadLocked(**inode, offset, out);
}

Result<void> Filesystem::WriteLocked(lsm::WriteBatch* batch, Inode* inode, uint64_t offset,
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

Result<size_t> Filesystem::Write(const Caller& c, const OpenFile& file, uint64_t offset,
                                 std::string_view data) {
  auto node = table_.Get(file.ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = LoadRegular(*node, EINVAL);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode& n = **loaded;
  if (file.flags & O_APPEND) offset = n.size;
  if (data.empty()) return size_t{0};
  if (offset >= kMaxFileSize) return Errno{EFBIG};
  data = data.substr(0, static_cast<size_t>(std::min<uint64_t>(data.size(), kMaxFileSize - offset)));
  if (int err = AdmitBytes(data.size()); err != 0) return Errno{err};

  Inode t = n;
  lsm::WriteBatch batch;
  IRON_FS_TRY(WriteLocked(&batch, &t, offset, data));
  t.Touch(Now(), true);
  DropPrivileges(c, &t, &batch);
  PutInode(&batch, t);
  IRON_FS_TRY(Commit(&batch));
  n = std::move(t);
  return data.size();
}

Result<uint64_t> Filesystem::CountBlocks(uint64_t ino, uint64_t first, uint64_t end) {
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

Result<void> Filesystem::ZeroLocked(lsm::WriteBatch* batch, Inode* inode, uint64_t begin,
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
  Result<uint64_t> count = CountBlocks(inode->ino, first_whole, end_whole);
  if (!count.ok()) return Errno{count.error()};
  if (*count > 0) {
    DeleteBlocks(batch, inode->ino, first_whole, end_whole, *count, /*to_last_key=*/false);
    inode->blocks -= std::min(inode->blocks, *count);
  }
  return Ok();
}

void Filesystem::DeleteBlocks(lsm::WriteBatch* batch, uint64_t ino, uint64_t first, uint64_t end,
                              uint64_t stored, bool to_last_key) {
  if (end - first <= kPointDeleteLimit) {
    for (uint64_t b = first; b < end; ++b) batch->Delete(BlockKey(ino, b));
  } else {
    batch->DeleteRange(BlockKey(ino, first),
                       to_last_key ? ObjectEnd(KeyKind::kBlock, ino) : BlockKey(ino, end));
  }
  deleted_bytes_ += stored * block_size_;
}

Result<void> Filesystem::ResizeLocked(lsm::WriteBatch* batch, Inode* inode, uint64_t size) {
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
      DeleteBlocks(batch, inode->ino, keep, had, stored, /*to_last_key=*/true);
    }
    inode->blocks = std::min(inode->blocks, keep);
  }
  inode->size = size;
  return Ok();
}

Result<void> Filesystem::Fallocate(const Caller& c, const OpenFile& file, int mode,
                                   uint64_t offset, uint64_t length) {
  const int known = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if (mode & ~known) return Errno{EOPNOTSUPP};
  if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE)) return Errno{EOPNOTSUPP};
  if ((mode & FALLOC_FL_PUNCH_HOLE) && (mode & FALLOC_FL_ZERO_RANGE)) return Errno{EOPNOTSUPP};
  if (length == 0) return Errno{EINVAL};
  if (!file.writable()) return Errno{EBADF};
  if (offset > kMaxFileSize || length > kMaxFileSize - offset) return Errno{EFBIG};
  auto node = table_.Get(file.ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = LoadRegular(*node, ENODEV);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode& n = **loaded;

  const uint64_t end = offset + length;
  Inode t = n;
  lsm::WriteBatch batch;
  const bool allocate = !(mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE));
  if (!allocate) IRON_FS_TRY(ZeroLocked(&batch, &t, offset, end));
  if (!(mode & FALLOC_FL_KEEP_SIZE) && end > t.size) t.size = end;
  // Allocation: the blocks of the range that are not stored yet are
  // admitted by the space guard (ENOSPC if the disk has not that much
  // room, as on ext4) and stored empty (they read as zeros), so st_blocks
  // counts them. Under KEEP_SIZE the part past the end of the file is only
  // admitted: no block is ever stored past the size.
  const uint64_t first = offset / block_size_;
  const uint64_t last = allocate ? (std::min(end, t.size) + block_size_ - 1) / block_size_ : first;
  uint64_t missing = 0;
  if (last > first) {
    Result<uint64_t> stored = CountBlocks(t.ino, first, last);
    if (!stored.ok()) return Errno{stored.error()};
    missing = last - first - *stored;
  }
  if (allocate) {
    const uint64_t past_end = end > t.size ? end - std::max(offset, t.size) : 0;
    if (int err = AdmitBytes(missing * block_size_ + past_end); err != 0) return Errno{err};
  }
  t.blocks += missing;
  // As ext4 (file_modified): even a fallocate that changes nothing counts
  // as a modification, for the times and the privilege bits.
  t.Touch(Now(), true);
  DropPrivileges(c, &t, &batch);
  // The inode goes first: if a later batch fails, it overstates its blocks
  // (harmless), never leaves a block past its size.
  PutInode(&batch, t);
  if (missing > 0) {
    lsm::ReadOptions ro;
    ro.lower_bound = BlockKey(t.ino, first);
    ro.upper_bound = BlockKey(t.ino, last);
    auto it = store_->NewIterator(ro);
    it->SeekToFirst();
    for (uint64_t b = first; b < last; ++b) {
      if (it->Valid() && DecodeBigEndian64(it->key().data() + 9) == b) {
        it->Next();
        continue;
      }
      batch.Put(BlockKey(t.ino, b), "");
      if (batch.Count() >= kAllocateBatchBlocks) {
        IRON_FS_TRY(Commit(&batch));
        n = t;
        batch.Clear();
      }
    }
    if (!it->status().ok()) return Errno{ToErrno(it->status())};
  }
  IRON_FS_TRY(Commit(&batch));
  n = std::move(t);
  return Ok();
}

Result<uint64_t> Filesystem::SeekData(const OpenFile& file, uint64_t offset, int whence) {
  if (whence != SEEK_DATA && whence != SEEK_HOLE) return Errno{EINVAL};
  auto node = table_.Get(file.ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = Load(*node);
  if (!loaded.ok()) return Errno{loaded.error()};
  const Inode& n = **loaded;
  if (offset >= n.size) return Errno{ENXIO};
  uint64_t expect = offset / block_size_;
  lsm::ReadOptions ro;
  ro.lower_bound = BlockKey(n.ino, expect);
  ro.upper_bound = ObjectEnd(KeyKind::kBlock, n.ino);
  auto it = store_->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t block = DecodeBigEndian64(it->key().data() + 9);
    if (whence == SEEK_DATA) return std::max(offset, block * block_size_);
    if (block != expect) break;  // a missing block: the hole starts there
    ++expect;
  }
  if (!it->status().ok()) return Errno{ToErrno(it->status())};
  if (whence == SEEK_DATA) return Errno{ENXIO};
  return std::max(offset, std::min<uint64_t>(expect * block_size_, n.size));
}

Result<size_t> Filesystem::CopyFileRange(const Caller& c, const OpenFile& in, uint64_t in_offset,
                                         const OpenFile& out, uint64_t out_offset, size_t length) {
  if (!in.readable() || !out.writable() || (out.flags & O_APPEND)) return Errno{EBADF};
  length = std::min(length, kMaxCopyChunk);
  if (in.ino == out.ino && in_offset < out_offset + length && out_offset < in_offset + length) {
    return Errno{EINVAL};
  }
  auto src = table_.Get(in.ino);
  auto dst = table_.Get(out.ino);
  LockSet locks(src, dst);
  Result<Inode*> s = Load(*src);
  if (!s.ok()) return Errno{s.error()};
  Result<Inode*> d = Load(*dst);
  if (!d.ok()) return Errno{d.error()};
  if ((*s)->IsDir() || (*d)->IsDir()) return Errno{EISDIR};
  if (!(*s)->IsRegular() || !(*d)->IsRegular()) return Errno{EINVAL};
  if (in_offset >= (*s)->size) return size_t{0};
  length = static_cast<size_t>(std::min<uint64_t>(length, (*s)->size - in_offset));
  if (out_offset >= kMaxFileSize || length > kMaxFileSize - out_offset) return Errno{EFBIG};

  std::string buffer(length, '\0');
  Result<size_t> n = ReadLocked(**s, in_offset, buffer);
  if (!n.ok()) return Errno{n.error()};
  buffer.resize(*n);
  Inode t = **d;
  lsm::WriteBatch batch;
  IRON_FS_TRY(WriteLocked(&batch, &t, out_offset, buffer));
  t.Touch(Now(), true);
  DropPrivileges(c, &t, &batch);
  PutInode(&batch, t);
  IRON_FS_TRY(Commit(&batch));
  **d = std::move(t);
  return buffer.size();
}

}  // namespace iron::fs

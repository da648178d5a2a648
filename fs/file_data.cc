// Regular files: open and release, read, write, fallocate, seek and copy.
// Their bytes are the BlockMap's (block_map.h).
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "block_map.h"
#include "coding.h"
#include "dir_cookies.h"
#include "fs/filesystem.h"
#include "inode_store.h"
#include "key_schema.h"
#include "permission.h"
#include "space_guard.h"
#include "lsm/write_batch.h"

namespace iron::fs {
namespace {

// Largest copy_file_range served in one call (and one batch); callers loop.
constexpr size_t kMaxCopyChunk = 16 << 20;

}  // namespace

Result<std::unique_ptr<OpenFile>> Filesystem::Open(const Caller& c, uint64_t ino, int flags) {
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->Load(*node);
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
    IRON_FS_TRY(blocks_->Resize(&batch, &t, 0));
    t.Touch(Now(), true);
    DropPrivileges(c, &t, &batch);
    InodeStore::Put(&batch, t);
    // Only a truncate that frees something may use the reserve: a loop of
    // empty ones must not use up what deletes need.
    IRON_FS_TRY(inodes_->Commit(&batch, /*frees_space=*/n.size > 0));
    n = std::move(t);
  }
  ++node->opens;
  return file;
}

void Filesystem::Release(std::unique_ptr<OpenFile> file) {
  if (!file) return;
  auto node = inodes_->Get(file->ino);
  {
    lsm::MutexLock l(&node->mu);
    if (node->opens > 0) --node->opens;
    inodes_->MaybeReclaim(*node);
  }
  inodes_->Unref(std::move(node));
}

Result<size_t> Filesystem::Read(const OpenFile& file, uint64_t offset, std::span<char> out) {
  auto node = inodes_->Get(file.ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = inodes_->LoadRegular(*node, EINVAL);
  if (!inode.ok()) return Errno{inode.error()};
  return blocks_->Read(**inode, offset, out);
}

Result<size_t> Filesystem::Write(const Caller& c, const OpenFile& file, uint64_t offset,
                                 std::string_view data) {
  auto node = inodes_->Get(file.ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->LoadRegular(*node, EINVAL);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode& n = **loaded;
  if (file.flags & O_APPEND) offset = n.size;
  if (data.empty()) return size_t{0};
  if (offset >= kMaxFileSize) return Errno{EFBIG};
  data = data.substr(0, static_cast<size_t>(std::min<uint64_t>(data.size(), kMaxFileSize - offset)));
  if (int err = space_->Admit(data.size()); err != 0) return Errno{err};

  Inode t = n;
  lsm::WriteBatch batch;
  IRON_FS_TRY(blocks_->Write(&batch, &t, offset, data));
  t.Touch(Now(), true);
  DropPrivileges(c, &t, &batch);
  InodeStore::Put(&batch, t);
  IRON_FS_TRY(inodes_->Commit(&batch));
  n = std::move(t);
  return data.size();
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
  auto node = inodes_->Get(file.ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->LoadRegular(*node, ENODEV);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode& n = **loaded;

  const uint64_t end = offset + length;
  Inode t = n;
  lsm::WriteBatch batch;
  const bool allocate = !(mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE));
  if (!allocate) IRON_FS_TRY(blocks_->Zero(&batch, &t, offset, end));
  if (!(mode & FALLOC_FL_KEEP_SIZE) && end > t.size) t.size = end;
  // Allocation: the blocks of the range that are not stored yet are
  // admitted by the space guard (ENOSPC if the disk has not that much
  // room, as on ext4) and stored empty (they read as zeros), so st_blocks
  // counts them. Under KEEP_SIZE the part past the end of the file is only
  // admitted: no block is ever stored past the size.
  const uint32_t block_size = blocks_->block_size();
  const uint64_t first = offset / block_size;
  const uint64_t last = allocate ? blocks_->BlocksFor(std::min(end, t.size)) : first;
  uint64_t missing = 0;
  if (last > first) {
    Result<uint64_t> stored = blocks_->Count(t.ino, first, last);
    if (!stored.ok()) return Errno{stored.error()};
    missing = last - first - *stored;
  }
  if (allocate) {
    const uint64_t past_end = end > t.size ? end - std::max(offset, t.size) : 0;
    if (int err = space_->Admit(missing * block_size + past_end); err != 0) return Errno{err};
  }
  t.blocks += missing;
  // As ext4 (file_modified): even a fallocate that changes nothing counts
  // as a modification, for the times and the privilege bits.
  t.Touch(Now(), true);
  DropPrivileges(c, &t, &batch);
  // The inode goes first: if a later batch fails, it overstates its blocks
  // (harmless), never leaves a block past its size.
  InodeStore::Put(&batch, t);
  if (missing > 0) {
    IRON_FS_TRY(blocks_->FillHoles(&batch, t.ino, first, last, [&]() -> Result<void> {
      IRON_FS_TRY(inodes_->Commit(&batch));
      n = t;
      batch.Clear();
      return Ok();
    }));
  }
  IRON_FS_TRY(inodes_->Commit(&batch));
  n = std::move(t);
  return Ok();
}

Result<uint64_t> Filesystem::SeekData(const OpenFile& file, uint64_t offset, int whence) {
  if (whence != SEEK_DATA && whence != SEEK_HOLE) return Errno{EINVAL};
  auto node = inodes_->Get(file.ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->Load(*node);
  if (!loaded.ok()) return Errno{loaded.error()};
  const Inode& n = **loaded;
  if (offset >= n.size) return Errno{ENXIO};
  return blocks_->Seek(n, offset, whence);
}

Result<size_t> Filesystem::CopyFileRange(const Caller& c, const OpenFile& in, uint64_t in_offset,
                                         const OpenFile& out, uint64_t out_offset, size_t length) {
  if (!in.readable() || !out.writable() || (out.flags & O_APPEND)) return Errno{EBADF};
  length = std::min(length, kMaxCopyChunk);
  if (in.ino == out.ino && in_offset < out_offset + length && out_offset < in_offset + length) {
    return Errno{EINVAL};
  }
  auto src = inodes_->Get(in.ino);
  auto dst = inodes_->Get(out.ino);
  LockSet locks(src, dst);
  Result<Inode*> s = inodes_->Load(*src);
  if (!s.ok()) return Errno{s.error()};
  Result<Inode*> d = inodes_->Load(*dst);
  if (!d.ok()) return Errno{d.error()};
  if ((*s)->IsDir() || (*d)->IsDir()) return Errno{EISDIR};
  if (!(*s)->IsRegular() || !(*d)->IsRegular()) return Errno{EINVAL};
  if (in_offset >= (*s)->size) return size_t{0};
  length = static_cast<size_t>(std::min<uint64_t>(length, (*s)->size - in_offset));
  if (out_offset >= kMaxFileSize || length > kMaxFileSize - out_offset) return Errno{EFBIG};

  std::string buffer(length, '\0');
  Result<size_t> n = blocks_->Read(**s, in_offset, buffer);
  if (!n.ok()) return Errno{n.error()};
  buffer.resize(*n);
  Inode t = **d;
  lsm::WriteBatch batch;
  IRON_FS_TRY(blocks_->Write(&batch, &t, out_offset, buffer));
  t.Touch(Now(), true);
  DropPrivileges(c, &t, &batch);
  InodeStore::Put(&batch, t);
  IRON_FS_TRY(inodes_->Commit(&batch));
  **d = std::move(t);
  return buffer.size();
}

}  // namespace iron::fs

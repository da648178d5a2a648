// Directory listing: OpenDir, ReadDir with cookies that survive changes.
#include <dirent.h>
#include <errno.h>

#include "fs/filesystem.h"
#include "fs/key_schema.h"

namespace iron::fs {

Result<std::unique_ptr<DirStream>> Filesystem::OpenDir(const Caller& c, uint64_t ino) {
  auto node = table_.Get(ino);
  std::lock_guard l(node->mu);
  Result<Inode*> inode = Load(*node);
  if (!inode.ok()) return Errno{inode.error()};
  if (!(*inode)->IsDir()) return Errno{ENOTDIR};
  if (CheckAccess(c, **inode, kMayRead) != 0) return Errno{EACCES};
  ++node->opens;
  return std::make_unique<DirStream>(ino);
}

void Filesystem::ReleaseDir(std::unique_ptr<DirStream> dir) {
  if (!dir) return;
  auto node = table_.Get(dir->ino());
  std::lock_guard l(node->mu);
  if (node->opens > 0) --node->opens;
  MaybeReclaim(*node);
}

Result<void> Filesystem::ReadDir(DirStream& dir, uint64_t cookie,
                                 const std::function<bool(const DirEntryView&)>& emit) {
  std::lock_guard sl(dir.mu_);
  uint64_t parent;
  {
    auto node = table_.Get(dir.ino());
    std::lock_guard l(node->mu);
    Result<Inode*> inode = Load(*node);
    if (!inode.ok()) return Errno{inode.error()};
    // A removed directory lists as empty, without "." and "..".
    if ((*inode)->nlink == 0) return Ok();
    parent = (*inode)->parent;
  }
  if (cookie == 0) {
    dir.names_.clear();
    if (!emit({".", dir.ino(), DT_DIR, 1})) return Ok();
    cookie = 1;
  }
  if (cookie == 1) {
    if (!emit({"..", parent, DT_DIR, 2})) return Ok();
    cookie = 2;
  }
  lsm::ReadOptions ro;
  ro.upper_bound = ObjectEnd(KeyKind::kDirEntry, dir.ino());
  if (cookie == 2) {
    ro.lower_bound = ObjectBegin(KeyKind::kDirEntry, dir.ino());
  } else {
    uint64_t index = cookie - 3;
    if (index >= dir.names_.size()) return Errno{EINVAL};  // not a cookie we gave
    // Strictly after the name the cookie was given with.
    ro.lower_bound = DirEntryKey(dir.ino(), dir.names_[index]);
    ro.lower_bound->push_back('\0');
    dir.names_.resize(index + 1);
  }
  auto it = db_->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedKey key;
    DirEntry entry;
    if (!ParseKey(it->key(), &key) || !DecodeDirEntry(it->value(), &entry)) return Errno{EIO};
    dir.names_.emplace_back(key.name);
    uint64_t next = 3 + dir.names_.size() - 1;
    if (!emit({dir.names_.back(), entry.ino, entry.type, next})) {
      dir.names_.pop_back();  // not taken: the next call starts with it
      return Ok();
    }
  }
  if (!it->status().ok()) return Errno{it->status().ToErrno()};
  return Ok();
}

Result<void> Filesystem::ReadDirPlus(
    DirStream& dir, uint64_t cookie,
    const std::function<bool(const DirEntryView&, const Entry&)>& emit) {
  return ReadDir(dir, cookie, [&](const DirEntryView& view) {
    if (view.name == "." || view.name == "..") return emit(view, Entry{});
    Entry entry;
    {
      auto node = table_.Get(view.ino);
      std::lock_guard l(node->mu);
      // Removed since the listing read its name: no attributes to give.
      if (Load(*node).ok()) entry = ToEntry(*node);
    }
    bool taken = emit(view, entry);
    if (!taken && entry.ino != 0) Forget(entry.ino, 1);
    return taken;
  });
}

}  // namespace iron::fs

// Directory listing: OpenDir, ReadDir with cookies that survive changes.
#include <dirent.h>
#include <errno.h>

#include "block_map.h"
#include "dir_cookies.h"
#include "fs/filesystem.h"
#include "inode_store.h"
#include "key_schema.h"
#include "permission.h"
#include "space_guard.h"

namespace iron::fs {

Result<std::unique_ptr<DirStream>> Filesystem::OpenDir(const Caller& c, uint64_t ino) {
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = inodes_->Load(*node);
  if (!inode.ok()) return Errno{inode.error()};
  if (!(*inode)->IsDir()) return Errno{ENOTDIR};
  if (CheckAccess(c, **inode, kMayRead) != 0) return Errno{EACCES};
  ++node->opens;
  if (!node->cookies) node->cookies = std::make_shared<DirCookies>();
  return std::make_unique<DirStream>(ino, node->cookies);
}

void Filesystem::ReleaseDir(std::unique_ptr<DirStream> dir) {
  if (!dir) return;
  auto node = inodes_->Get(dir->ino());
  {
    lsm::MutexLock l(&node->mu);
    if (node->opens > 0) --node->opens;
    inodes_->MaybeReclaim(*node);
  }
  inodes_->Unref(std::move(node));
}

Result<void> Filesystem::ReadDir(DirStream& dir, uint64_t cookie,
                                 const std::function<bool(const DirEntryView&)>& emit) {
  uint64_t parent;
  {
    auto node = inodes_->Get(dir.ino());
    lsm::MutexLock l(&node->mu);
    Result<Inode*> inode = inodes_->Load(*node);
    if (!inode.ok()) return Errno{inode.error()};
    // A removed directory lists as empty, without "." and "..".
    if ((*inode)->nlink == 0) return Ok();
    parent = (*inode)->parent;
  }
  if (cookie == 0) {
    if (!emit({".", dir.ino(), DT_DIR, DirCookies::kAfterDot})) return Ok();
    cookie = DirCookies::kAfterDot;
  }
  if (cookie == DirCookies::kAfterDot) {
    if (!emit({"..", parent, DT_DIR, DirCookies::kAfterDotDot})) return Ok();
    cookie = DirCookies::kAfterDotDot;
  }
  lsm::ReadOptions ro;
  ro.upper_bound = ObjectEnd(KeyKind::kDirEntry, dir.ino());
  if (cookie == DirCookies::kAfterDotDot) {
    ro.lower_bound = ObjectBegin(KeyKind::kDirEntry, dir.ino());
  } else {
    std::optional<std::string> after = dir.cookies_->NameOf(cookie);
    if (!after) return Errno{EINVAL};  // not a cookie we gave
    // Strictly after the name the cookie was given with.
    ro.lower_bound = DirEntryKey(dir.ino(), *after);
    ro.lower_bound->push_back('\0');
  }
  auto it = store_->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedKey key;
    DirEntry entry;
    if (!ParseKey(it->key(), &key) || !DecodeDirEntry(it->value(), &entry)) return Errno{EIO};
    // Not taken: the next call starts with it.
    if (!emit({key.name, entry.ino, entry.type, dir.cookies_->After(key.name)})) return Ok();
  }
  if (!it->status().ok()) return Errno{ToErrno(it->status())};
  return Ok();
}

Result<void> Filesystem::ReadDirPlus(
    DirStream& dir, uint64_t cookie,
    const std::function<bool(const DirEntryView&, const Entry&)>& emit) {
  return ReadDir(dir, cookie, [&](const DirEntryView& view) {
    if (view.name == "." || view.name == "..") return emit(view, Entry{});
    Entry entry;
    {
      auto node = inodes_->Get(view.ino);
      lsm::MutexLock l(&node->mu);
      // Removed since the listing read its name: no attributes to give.
      if (inodes_->Load(*node).ok()) entry = inodes_->ToEntry(*node);
    }
    bool taken = emit(view, entry);
    if (!taken && entry.ino != 0) Forget(entry.ino, 1);
    return taken;
  });
}

}  // namespace iron::fs

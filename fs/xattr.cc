// Extended attributes ('X' ino name), with Linux's namespace rules
// (xattr_permission): user.* on files and directories for those who may
// read or write them, trusted.* for root only, security.* left to the
// caller's privileges. POSIX ACLs (system.*) are not supported.
#include <errno.h>
#include <sys/xattr.h>

#include "block_map.h"
#include "dir_cookies.h"
#include "fs/filesystem.h"
#include "inode_store.h"
#include "key_schema.h"
#include "permission.h"
#include "space_guard.h"
#include "lsm/write_batch.h"

namespace iron::fs {
namespace {

// Dropped by writes, truncates and chowns (DropCapabilities) without the
// name count hearing of it: so it is never counted, and always allowed for.
constexpr std::string_view kCapabilityName = "security.capability";
constexpr uint64_t kCapabilityListed = kCapabilityName.size() + 1;

// node.xattr_list_bytes, counted if it was not.
Result<uint64_t> XattrListBytes(Store* store, InodeTable::Node& node) REQUIRES(node.mu) {
  if (node.xattr_list_bytes) return *node.xattr_list_bytes;
  uint64_t bytes = 0;
  if (node.inode.flags & kInodeHasXattrs) {
    lsm::ReadOptions ro;
    ro.lower_bound = ObjectBegin(KeyKind::kXattr, node.ino);
    ro.upper_bound = ObjectEnd(KeyKind::kXattr, node.ino);
    auto it = store->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedKey key;
      if (!ParseKey(it->key(), &key)) return Errno{EIO};
      if (key.name != kCapabilityName) bytes += key.name.size() + 1;
    }
    if (!it->status().ok()) return Errno{ToErrno(it->status())};
  }
  node.xattr_list_bytes = bytes;
  return bytes;
}

enum class Namespace { kUser, kTrusted, kSecurity, kSystem, kUnknown };

Namespace NamespaceOf(std::string_view name) {
  if (name.starts_with("user.")) return Namespace::kUser;
  if (name.starts_with("trusted.")) return Namespace::kTrusted;
  if (name.starts_with("security.")) return Namespace::kSecurity;
  if (name.starts_with("system.")) return Namespace::kSystem;
  return Namespace::kUnknown;
}

// 0 or the errno for accessing attribute `name` of `n` for `mask`.
int XattrPermission(const Caller& c, const Inode& n, std::string_view name, int mask) {
  switch (NamespaceOf(name)) {
    case Namespace::kSecurity:
      // Without a security module to decide: the owner's (or root's) to set.
      return (mask & kMayWrite) && !IsOwnerOrRoot(c, n) ? EPERM : 0;
    case Namespace::kSystem:
      return EOPNOTSUPP;
    case Namespace::kTrusted:
      if (!c.Capable(CAP_SYS_ADMIN)) return (mask & kMayWrite) ? EPERM : ENODATA;
      return 0;
    case Namespace::kUser:
      if (!n.IsRegular() && !n.IsDir()) return (mask & kMayWrite) ? EPERM : ENODATA;
      if (n.IsDir() && (n.mode & S_ISVTX) && (mask & kMayWrite) && !IsOwnerOrRoot(c, n)) {
        return EPERM;
      }
      return CheckAccess(c, n, mask);
    case Namespace::kUnknown:
      return EOPNOTSUPP;
  }
  return EOPNOTSUPP;
}

int CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return ERANGE;
  if (name.find('\0') != std::string_view::npos) return EINVAL;
  // A prefix alone names nothing (the kernel's xattr_resolve_name).
  if (name.back() == '.' && name.find('.') == name.size() - 1) return EINVAL;
  return 0;
}

}  // namespace

Result<void> Filesystem::SetXattr(const Caller& c, uint64_t ino, std::string_view name,
                                  std::string_view value, int flags) {
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return Errno{EINVAL};
  if (int err = CheckName(name)) return Errno{err};
  if (value.size() > kMaxXattrValue) return Errno{E2BIG};
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->Load(*node);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode& n = **loaded;
  if (int err = XattrPermission(c, n, name, kMayWrite)) return Errno{err};
  if (int err = space_->Admit(name.size() + value.size()); err != 0) return Errno{err};
  bool exists = false;
  if (n.flags & kInodeHasXattrs) {
    std::string old;
    lsm::Status s = store_->Get({}, XattrKey(ino, name), &old);
    if (!s.ok() && !s.IsNotFound()) return Errno{ToErrno(s)};
    exists = s.ok();
  }
  if ((flags & XATTR_CREATE) && exists) return Errno{EEXIST};
  if ((flags & XATTR_REPLACE) && !exists) return Errno{ENODATA};
  const uint64_t listed = name == kCapabilityName ? 0 : name.size() + 1;
  if (!exists && listed != 0) {
    Result<uint64_t> list_bytes = XattrListBytes(store_, *node);
    if (!list_bytes.ok()) return Errno{list_bytes.error()};
    if (*list_bytes + listed + kCapabilityListed > kMaxXattrList) return Errno{ENOSPC};
  }
  Inode t = n;
  t.flags |= kInodeHasXattrs;
  t.Touch(Now(), false);
  lsm::WriteBatch batch;
  batch.Put(XattrKey(ino, name), value);
  InodeStore::Put(&batch, t);
  IRON_FS_TRY(inodes_->Commit(&batch));
  n = std::move(t);
  if (!exists && node->xattr_list_bytes) *node->xattr_list_bytes += listed;
  return Ok();
}

Result<std::string> Filesystem::GetXattr(const Caller& c, uint64_t ino, std::string_view name,
                                         size_t size) {
  if (int err = CheckName(name)) return Errno{err};
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->Load(*node);
  if (!loaded.ok()) return Errno{loaded.error()};
  if (int err = XattrPermission(c, **loaded, name, kMayRead)) return Errno{err};
  if (!((*loaded)->flags & kInodeHasXattrs)) return Errno{ENODATA};
  std::string value;
  lsm::Status s = store_->Get({}, XattrKey(ino, name), &value);
  if (s.IsNotFound()) return Errno{ENODATA};
  if (!s.ok()) return Errno{ToErrno(s)};
  if (size != 0 && value.size() > size) return Errno{ERANGE};
  return value;
}

Result<std::string> Filesystem::ListXattr(const Caller& c, uint64_t ino, size_t size) {
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->Load(*node);
  if (!loaded.ok()) return Errno{loaded.error()};
  std::string names;
  if ((*loaded)->flags & kInodeHasXattrs) {
    lsm::ReadOptions ro;
    ro.lower_bound = ObjectBegin(KeyKind::kXattr, ino);
    ro.upper_bound = ObjectEnd(KeyKind::kXattr, ino);
    auto it = store_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedKey key;
      if (!ParseKey(it->key(), &key)) return Errno{EIO};
      // Only root sees trusted.* names, as on ext4.
      if (NamespaceOf(key.name) == Namespace::kTrusted && !c.Capable(CAP_SYS_ADMIN)) continue;
      names.append(key.name);
      names.push_back('\0');
    }
    if (!it->status().ok()) return Errno{ToErrno(it->status())};
  }
  if (size != 0 && names.size() > size) return Errno{ERANGE};
  return names;
}

Result<void> Filesystem::RemoveXattr(const Caller& c, uint64_t ino, std::string_view name) {
  if (int err = CheckName(name)) return Errno{err};
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->Load(*node);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode& n = **loaded;
  // The kernel removes a file's capabilities before a write by anybody who
  // may write it (file_remove_privs; a removal asked for by a program needs
  // CAP_SETFCAP, which the kernel checks before asking us). As on ext4,
  // such a write must not fail: the writer may remove them.
  const bool killpriv = name == kCapabilityName && CheckAccess(c, n, kMayWrite) == 0;
  if (!killpriv) {
    if (int err = XattrPermission(c, n, name, kMayWrite)) return Errno{err};
  }
  std::string old;
  lsm::Status s = store_->Get({}, XattrKey(ino, name), &old);
  if (s.IsNotFound()) return Errno{ENODATA};
  if (!s.ok()) return Errno{ToErrno(s)};
  Inode t = n;
  t.Touch(Now(), false);
  lsm::WriteBatch batch;
  batch.Delete(XattrKey(ino, name));
  InodeStore::Put(&batch, t);
  IRON_FS_TRY(inodes_->Commit(&batch));
  n = std::move(t);
  if (node->xattr_list_bytes && name != kCapabilityName) {
    *node->xattr_list_bytes -= name.size() + 1;
  }
  return Ok();
}

}  // namespace iron::fs

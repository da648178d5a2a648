// Names: lookup, creation, links, removal, rename.
//
// Each operation checks what Linux checks, in the order Linux checks it
// (path walk, lookup, may_create / may_delete, then the filesystem's own
// limits), so that an operation refused for two reasons answers with the
// same errno as ext4.
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>

#include <map>

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

// A new inode of `mode` (as asked for, before the umask) made by `c` in
// `parent`; its number is the caller's to set.
Inode NewInode(const Caller& c, const Inode& parent, uint32_t mode, Timestamp now) {
  // The order of Linux's vfs_prepare_mode and inode_init_owner: a file may
  // not be setgid to a group its maker is not in (judged on the mode asked
  // for), then the umask applies, then a setgid directory gives its group
  // to what is made in it and its setgid bit to subdirectories.
  const bool setgid_parent = parent.mode & S_ISGID;
  if (!S_ISDIR(mode) && (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && setgid_parent &&
      !c.Capable(CAP_FSETID) && !c.InGroup(parent.gid)) {
    mode &= ~S_ISGID;
  }
  if (!S_ISLNK(mode)) mode &= ~(c.umask & 0777);
  Inode n;
  n.mode = mode;
  n.uid = c.uid;
  n.gid = c.gid;
  if (setgid_parent) {
    n.gid = parent.gid;
    if (S_ISDIR(mode)) n.mode |= S_ISGID;
  }
  n.generation = 1;
  n.atime = n.mtime = n.ctime = n.btime = now;
  return n;
}

bool IsDots(std::string_view name) { return name == "." || name == ".."; }

// 0, or the errno for a name that can never be a directory entry.
int CheckComponent(std::string_view name) {
  if (name.empty()) return ENOENT;
  if (name.size() > kMaxNameLength) return ENAMETOOLONG;
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return EINVAL;
  }
  return 0;
}

// Copies of the inodes an operation changes, keyed by number so that one
// inode reached twice (a rename within one directory) is changed once.
// Every Node given must be locked and loaded.
class InodeEdits {
 public:
  Inode& For(InodeTable::Node& node) REQUIRES(node.mu) {
    auto [it, inserted] = edits_.try_emplace(node.ino, &node, Inode{});
    if (inserted) it->second.second = node.inode;
    return it->second.second;
  }
  void AddTo(lsm::WriteBatch* batch) const {
    for (const auto& [ino, edit] : edits_) batch->Put(InodeKey(ino), EncodeInode(edit.second));
  }
  // An inode the batch deletes instead: its new value is not written.
  void Drop(uint64_t ino) { edits_.erase(ino); }
  // After the batch is written: the cache takes the new values. The Nodes
  // were locked when given and still are (the caller's LockSet), which the
  // analysis cannot follow through the pointers kept here.
  void Install() NO_THREAD_SAFETY_ANALYSIS {
    for (auto& [ino, edit] : edits_) edit.first->inode = edit.second;
  }

 private:
  std::map<uint64_t, std::pair<InodeTable::Node*, Inode>> edits_;
};

// Linux's protected_hardlinks rule (may_linkat): a caller who does not own
// a file may link to it only if it is a regular file it could read and
// write, and not setuid or executable-setgid.
bool MayHardlink(const Caller& c, const Inode& n) {
  if (IsOwnerOrRoot(c, n)) return true;
  if (!n.IsRegular() || (n.mode & S_ISUID)) return false;
  if ((n.mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) return false;
  return CheckAccess(c, n, kMayRead | kMayWrite) == 0;
}

}  // namespace

Result<DirEntry> Filesystem::ReadEntry(uint64_t dir, std::string_view name) {
  std::string value;
  lsm::Status s = store_->Get({}, DirEntryKey(dir, name), &value);
  if (s.IsNotFound()) return Errno{ENOENT};
  if (!s.ok()) return Errno{ToErrno(s)};
  DirEntry e;
  if (!DecodeDirEntry(value, &e)) return Errno{EIO};
  return e;
}

Result<bool> Filesystem::DirIsEmpty(uint64_t dir) {
  lsm::ReadOptions ro;
  ro.lower_bound = ObjectBegin(KeyKind::kDirEntry, dir);
  ro.upper_bound = ObjectEnd(KeyKind::kDirEntry, dir);
  auto it = store_->NewIterator(ro);
  it->SeekToFirst();
  if (!it->status().ok()) return Errno{ToErrno(it->status())};
  return !it->Valid();
}

Result<bool> Filesystem::IsAncestor(uint64_t ancestor, uint64_t dir) {
  // Walks up from dir. Parent links change only under rename_mu_, which
  // the caller holds, so the walk sees one consistent tree.
  for (int depth = 0; depth < (1 << 20); ++depth) {
    if (dir == ancestor) return true;
    if (dir == kRootIno) return false;
    auto node = inodes_->Get(dir);
    lsm::MutexLock l(&node->mu);
    Result<Inode*> inode = inodes_->Load(*node);
    if (!inode.ok()) return Errno{inode.error()};
    dir = (*inode)->parent;
  }
  return Errno{EIO};  // a cycle: the tree is damaged
}

Result<Entry> Filesystem::Lookup(const Caller& c, uint64_t parent, std::string_view name) {
  uint64_t child;
  if (name == ".") {
    // The inode itself, whatever its type and whoever asks: the kernel asks
    // so to turn a file handle (open_by_handle_at, an NFS export) into an
    // inode it no longer holds, having judged the caller itself (a path
    // walk never sends "."). A deleted inode's ENOENT becomes ESTALE there.
    auto node = inodes_->Get(parent);
    lsm::MutexLock l(&node->mu);
    Result<Inode*> inode = inodes_->Load(*node);
    if (!inode.ok()) return Errno{inode.error()};
    return inodes_->ToEntry(*node);
  }
  {
    auto dir = inodes_->Get(parent);
    lsm::MutexLock l(&dir->mu);
    Result<Inode*> p = inodes_->Load(*dir);
    if (!p.ok()) return Errno{p.error()};
    if (!(*p)->IsDir()) return Errno{ENOTDIR};
    if (CheckAccess(c, **p, kMayExec) != 0) return Errno{EACCES};
    if (name == "..") {
      child = (*p)->parent;
    } else {
      if (int err = CheckComponent(name)) return Errno{err};
      Result<DirEntry> e = ReadEntry(parent, name);
      if (!e.ok()) return Errno{e.error()};
      child = e->ino;
    }
  }
  auto node = inodes_->Get(child);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = inodes_->Load(*node);
  if (!inode.ok()) return Errno{inode.error()};
  return inodes_->ToEntry(*node);
}

Result<Entry> Filesystem::CreateObject(const Caller& c, uint64_t parent, std::string_view name,
                                       uint32_t mode, uint64_t rdev, std::string_view symlink,
                                       std::unique_ptr<OpenFile>* open_file, int open_flags) {
  auto dir = inodes_->Get(parent);
  lsm::MutexLock l(&dir->mu);
  Result<Inode*> loaded = inodes_->Load(*dir);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode& p = **loaded;
  if (!p.IsDir()) return Errno{ENOTDIR};
  if (CheckAccess(c, p, kMayExec) != 0) return Errno{EACCES};
  if (IsDots(name)) return Errno{EEXIST};
  if (int err = CheckComponent(name)) return Errno{err};
  Result<DirEntry> existing = ReadEntry(parent, name);
  if (existing.ok()) {
    if (open_file == nullptr || (open_flags & O_EXCL)) return Errno{EEXIST};
    // open(O_CREAT) of a name that exists opens it.
    uint64_t ino = existing->ino;
    Inode dir_copy = p;
    l.Release();
    IRON_FS_TRY(MayOpenExisting(c, dir_copy, ino));
    Result<std::unique_ptr<OpenFile>> file = Open(c, ino, open_flags & ~O_CREAT);
    if (!file.ok()) return Errno{file.error()};
    auto node = inodes_->Get(ino);
    lsm::MutexLock nl(&node->mu);
    Result<Inode*> inode = inodes_->Load(*node);
    if (!inode.ok()) {
      Release(std::move(*file));
      return Errno{inode.error()};
    }
    *open_file = std::move(*file);
    return inodes_->ToEntry(*node);
  }
  if (existing.error() != ENOENT) return Errno{existing.error()};
  if (p.nlink == 0) return Errno{ENOENT};  // the directory was removed
  if (CheckAccess(c, p, kMayWrite | kMayExec) != 0) return Errno{EACCES};
  if ((S_ISCHR(mode) || S_ISBLK(mode)) && !c.Capable(CAP_MKNOD)) return Errno{EPERM};
  if (S_ISDIR(mode) && p.nlink == UINT32_MAX) return Errno{EMLINK};
  if (S_ISLNK(mode)) {
    if (symlink.empty()) return Errno{ENOENT};
    if (symlink.size() > kMaxSymlinkLength) return Errno{ENAMETOOLONG};
  }
  if (int err = space_->Admit(kMetadataBytes + symlink.size()); err != 0) return Errno{err};

  Result<uint64_t> ino = inodes_->Allocate();
  if (!ino.ok()) return Errno{ino.error()};
  Timestamp now = Now();
  Inode n = NewInode(c, p, mode, now);
  n.ino = *ino;
  n.nlink = S_ISDIR(mode) ? 2 : 1;
  if (S_ISDIR(mode)) n.parent = parent;
  if (S_ISCHR(mode) || S_ISBLK(mode)) n.rdev = rdev;
  if (S_ISLNK(mode)) {
    n.symlink.assign(symlink);
    n.size = symlink.size();
  }

  Inode new_parent = p;
  new_parent.Touch(now, true);
  if (S_ISDIR(mode)) ++new_parent.nlink;
  lsm::WriteBatch batch;
  InodeStore::Put(&batch, n);
  batch.Put(DirEntryKey(parent, name), EncodeDirEntry({n.ino, TypeOfMode(n.mode)}));
  InodeStore::Put(&batch, new_parent);
  IRON_FS_TRY(inodes_->Commit(&batch));
  p = new_parent;
  inodes_->Created();

  // The new number is the highest ever given: locking it after the parent
  // keeps the ascending order.
  auto node = inodes_->Get(n.ino);
  lsm::MutexLock nl(&node->mu);
  node->inode = std::move(n);
  node->state = InodeTable::Node::State::kLive;
  if (open_file) {
    ++node->opens;
    *open_file = std::make_unique<OpenFile>(OpenFile{node->ino, open_flags});
  }
  return inodes_->ToEntry(*node);
}

Result<void> Filesystem::MayOpenExisting(const Caller& c, const Inode& dir, uint64_t ino) {
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> n = inodes_->Load(*node);
  if (!n.ok()) return Errno{n.error()};
  if ((*n)->IsDir()) return Errno{EISDIR};
  // Linux's may_create_in_sticky: in a sticky, world-writable directory,
  // O_CREAT does not open an existing non-regular file (a symlink, a
  // device) that belongs neither to the caller nor to the directory's
  // owner. (Regular files and FIFOs are spared while fs.protected_regular
  // and fs.protected_fifos are 0, their default.)
  const Inode& t = **n;
  if ((dir.mode & S_ISVTX) && (dir.mode & S_IWOTH) && !t.IsRegular() && !S_ISFIFO(t.mode) &&
      t.uid != dir.uid && t.uid != c.uid) {
    return Errno{EACCES};
  }
  return Ok();
}

Result<Entry> Filesystem::MakeNode(const Caller& c, uint64_t parent, std::string_view name,
                                   uint32_t mode, uint64_t rdev) {
  uint32_t type = mode & S_IFMT;
  if (type == 0) type = S_IFREG;
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR && type != S_IFBLK) {
    return Errno{EINVAL};
  }
  return CreateObject(c, parent, name, type | (mode & 07777), rdev, {}, nullptr, 0);
}

Result<Entry> Filesystem::MakeDir(const Caller& c, uint64_t parent, std::string_view name,
                                  uint32_t mode) {
  return CreateObject(c, parent, name, S_IFDIR | (mode & 01777), 0, {}, nullptr, 0);
}

Result<Entry> Filesystem::Symlink(const Caller& c, uint64_t parent, std::string_view name,
                                  std::string_view target) {
  return CreateObject(c, parent, name, S_IFLNK | 0777, 0, target, nullptr, 0);
}

Result<std::pair<Entry, std::unique_ptr<OpenFile>>> Filesystem::Create(const Caller& c,
                                                                       uint64_t parent,
                                                                       std::string_view name,
                                                                       uint32_t mode, int flags) {
  std::unique_ptr<OpenFile> file;
  Result<Entry> entry =
      CreateObject(c, parent, name, S_IFREG | (mode & 07777), 0, {}, &file, flags);
  if (!entry.ok()) return Errno{entry.error()};
  return std::make_pair(std::move(*entry), std::move(file));
}

Result<Entry> Filesystem::Link(const Caller& c, uint64_t ino, uint64_t new_parent,
                               std::string_view new_name) {
  auto dir = inodes_->Get(new_parent);
  auto node = inodes_->Get(ino);
  LockSet locks(dir, node);
  Result<Inode*> p = inodes_->Load(*dir);
  if (!p.ok()) return Errno{p.error()};
  Result<Inode*> n = inodes_->Load(*node);
  if (!n.ok()) return Errno{n.error()};
  if (!(*p)->IsDir()) return Errno{ENOTDIR};
  if (CheckAccess(c, **p, kMayExec) != 0) return Errno{EACCES};
  if (IsDots(new_name)) return Errno{EEXIST};
  if (int err = CheckComponent(new_name)) return Errno{err};
  Result<DirEntry> existing = ReadEntry(new_parent, new_name);
  if (existing.ok()) return Errno{EEXIST};
  if (existing.error() != ENOENT) return Errno{existing.error()};
  if (int err = space_->Admit(kMetadataBytes); err != 0) return Errno{err};
  if (options_.protected_hardlinks && !MayHardlink(c, **n)) return Errno{EPERM};
  if ((*p)->nlink == 0) return Errno{ENOENT};
  if (CheckAccess(c, **p, kMayWrite | kMayExec) != 0) return Errno{EACCES};
  if ((*n)->IsDir()) return Errno{EPERM};
  if ((*n)->nlink == 0) return Errno{ENOENT};
  if ((*n)->nlink >= kMaxLinks) return Errno{EMLINK};

  Timestamp now = Now();
  InodeEdits edits;
  Inode& target = edits.For(*node);
  ++target.nlink;
  target.Touch(now, false);
  edits.For(*dir).Touch(now, true);
  lsm::WriteBatch batch;
  batch.Put(DirEntryKey(new_parent, new_name), EncodeDirEntry({ino, TypeOfMode(target.mode)}));
  edits.AddTo(&batch);
  IRON_FS_TRY(inodes_->Commit(&batch));
  edits.Install();
  return inodes_->ToEntry(*node);
}

Result<void> Filesystem::Unlink(const Caller& c, uint64_t parent, std::string_view name) {
  return RemoveEntry(c, parent, name, false);
}

Result<void> Filesystem::RemoveDir(const Caller& c, uint64_t parent, std::string_view name) {
  return RemoveEntry(c, parent, name, true);
}

Result<void> Filesystem::RemoveEntry(const Caller& c, uint64_t parent, std::string_view name,
                                     bool want_dir) {
  auto dir = inodes_->Get(parent);
  for (;;) {
    uint64_t child;
    {
      lsm::MutexLock l(&dir->mu);
      Result<Inode*> p = inodes_->Load(*dir);
      if (!p.ok()) return Errno{p.error()};
      if (!(*p)->IsDir()) return Errno{ENOTDIR};
      if (CheckAccess(c, **p, kMayExec) != 0) return Errno{EACCES};
      if (name == ".") return Errno{want_dir ? EINVAL : EISDIR};
      if (name == "..") return Errno{want_dir ? ENOTEMPTY : EISDIR};
      if (int err = CheckComponent(name)) return Errno{err};
      Result<DirEntry> e = ReadEntry(parent, name);
      if (!e.ok()) return Errno{e.error()};
      child = e->ino;
    }
    auto node = inodes_->Get(child);
    LockSet locks(dir, node);
    Result<Inode*> p = inodes_->Load(*dir);
    if (!p.ok()) return Errno{p.error()};
    Result<DirEntry> e = ReadEntry(parent, name);
    if (!e.ok() && e.error() != ENOENT) return Errno{e.error()};
    if (!e.ok() || e->ino != child) continue;  // changed while unlocked
    Result<Inode*> n = inodes_->Load(*node);
    if (!n.ok()) return Errno{n.error()};

    if (CheckAccess(c, **p, kMayWrite | kMayExec) != 0) return Errno{EACCES};
    if (!MayRemoveFromSticky(c, **p, **n)) return Errno{EPERM};
    if (want_dir) {
      if (!(*n)->IsDir()) return Errno{ENOTDIR};
      if (child == kRootIno) return Errno{EBUSY};
      Result<bool> empty = DirIsEmpty(child);
      if (!empty.ok()) return Errno{empty.error()};
      if (!*empty) return Errno{ENOTEMPTY};
    } else if ((*n)->IsDir()) {
      return Errno{EISDIR};
    }

    Timestamp now = Now();
    InodeEdits edits;
    Inode& pd = edits.For(*dir);
    pd.Touch(now, true);
    Inode& victim = edits.For(*node);
    if (want_dir) {
      --pd.nlink;
      victim.nlink = 0;
    } else {
      --victim.nlink;
    }
    victim.Touch(now, false);
    lsm::WriteBatch batch;
    batch.Delete(DirEntryKey(parent, name));
    bool purge = victim.nlink == 0 && node->lookups == 0 && node->opens == 0;
    if (victim.nlink == 0 && !purge) batch.Put(OrphanKey(child), "");
    if (purge) {
      inodes_->AddPurge(&batch, victim);
      edits.Drop(child);
    }
    edits.AddTo(&batch);
    IRON_FS_TRY(inodes_->Commit(&batch, /*frees_space=*/true));
    edits.Install();
    if (purge) {
      inodes_->Purged(*node);
    }
    return Ok();
  }
}

Result<void> Filesystem::Rename(const Caller& c, uint64_t parent, std::string_view name,
                                uint64_t new_parent, std::string_view new_name, unsigned flags) {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return Errno{EINVAL};
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) return Errno{EINVAL};
  if (flags & RENAME_WHITEOUT) return Errno{EINVAL};  // no whiteouts: no overlay upper dirs
  const bool exchange = flags & RENAME_EXCHANGE;
  const bool cross = parent != new_parent;
  // rename_mu_ guards no field (it orders renames), so a conditional hold
  // the analysis cannot follow costs no check.
  std::optional<lsm::MutexLock> rename_lock;
  if (cross) rename_lock.emplace(&rename_mu_);

  auto src_dir = inodes_->Get(parent);
  auto dst_dir = inodes_->Get(new_parent);
  for (;;) {
    uint64_t src_ino;
    std::optional<uint64_t> dst_ino;
    bool src_is_dir, dst_is_dir = false;
    {
      LockSet locks(src_dir, dst_dir);
      for (auto* d : {src_dir.get(), dst_dir.get()}) {
        d->mu.AssertHeld();  // by `locks`
        Result<Inode*> p = inodes_->Load(*d);
        if (!p.ok()) return Errno{p.error()};
        if (!(*p)->IsDir()) return Errno{ENOTDIR};
        if (CheckAccess(c, **p, kMayExec) != 0) return Errno{EACCES};
      }
      if (IsDots(name) || IsDots(new_name)) return Errno{EBUSY};
      // The source is looked up, then the target (do_renameat2).
      if (int err = CheckComponent(name)) return Errno{err};
      Result<DirEntry> src = ReadEntry(parent, name);
      if (!src.ok()) return Errno{src.error()};
      src_ino = src->ino;
      src_is_dir = src->type == TypeOfMode(S_IFDIR);
      if (int err = CheckComponent(new_name)) return Errno{err};
      Result<DirEntry> dst = ReadEntry(new_parent, new_name);
      if (dst.ok()) {
        dst_ino = dst->ino;
        dst_is_dir = dst->type == TypeOfMode(S_IFDIR);
      } else if (dst.error() != ENOENT) {
        return Errno{dst.error()};
      }
      if (exchange && !dst_ino) return Errno{ENOENT};
      if ((flags & RENAME_NOREPLACE) && dst_ino) return Errno{EEXIST};
    }
    if (cross && src_is_dir) {
      Result<bool> into_itself = IsAncestor(src_ino, new_parent);
      if (!into_itself.ok()) return Errno{into_itself.error()};
      if (*into_itself) return Errno{EINVAL};
    }
    if (cross && dst_ino && dst_is_dir) {
      Result<bool> over_ancestor = IsAncestor(*dst_ino, parent);
      if (!over_ancestor.ok()) return Errno{over_ancestor.error()};
      if (*over_ancestor) return Errno{exchange ? EINVAL : ENOTEMPTY};
    }

    auto src_node = inodes_->Get(src_ino);
    InodeTable::NodeRef dst_node = dst_ino ? inodes_->Get(*dst_ino) : nullptr;
    LockSet locks(src_dir, dst_dir, src_node, dst_node);
    // Everything read before the locks must still hold.
    Result<DirEntry> src = ReadEntry(parent, name);
    Result<DirEntry> dst = ReadEntry(new_parent, new_name);
    if (!src.ok() && src.error() != ENOENT) return Errno{src.error()};
    if (!dst.ok() && dst.error() != ENOENT) return Errno{dst.error()};
    if (!src.ok() || src->ino != src_ino || dst.ok() != dst_ino.has_value() ||
        (dst.ok() && dst->ino != *dst_ino)) {
      continue;
    }
    Result<Inode*> sp = inodes_->Load(*src_dir);
    Result<Inode*> dp = inodes_->Load(*dst_dir);
    Result<Inode*> s = inodes_->Load(*src_node);
    for (auto* r : {&sp, &dp, &s}) {
      if (!r->ok()) return Errno{r->error()};
    }
    Inode* d = nullptr;
    if (dst_node) {
      Result<Inode*> dr = inodes_->Load(*dst_node);
      if (!dr.ok()) return Errno{dr.error()};
      d = *dr;
    }
    if (d && d->ino == src_ino) return Ok();  // two names of one inode

    // may_delete(source), may_create or may_delete(target), as vfs_rename.
    if (CheckAccess(c, **sp, kMayWrite | kMayExec) != 0) return Errno{EACCES};
    if (!MayRemoveFromSticky(c, **sp, **s)) return Errno{EPERM};
    if (!d) {
      if ((*dp)->nlink == 0) return Errno{ENOENT};
      if (CheckAccess(c, **dp, kMayWrite | kMayExec) != 0) return Errno{EACCES};
    } else {
      if (CheckAccess(c, **dp, kMayWrite | kMayExec) != 0) return Errno{EACCES};
      if (!MayRemoveFromSticky(c, **dp, *d)) return Errno{EPERM};
      if (!exchange) {
        if ((*s)->IsDir() && !d->IsDir()) return Errno{ENOTDIR};
        if (!(*s)->IsDir() && d->IsDir()) return Errno{EISDIR};
      }
    }
    if (cross) {
      // A directory that moves rewrites its "..": it must be writable.
      if ((*s)->IsDir() && CheckAccess(c, **s, kMayWrite) != 0) return Errno{EACCES};
      if (exchange && d && d->IsDir() && CheckAccess(c, *d, kMayWrite) != 0) return Errno{EACCES};
    }
    if (!exchange && d && d->IsDir()) {
      Result<bool> empty = DirIsEmpty(d->ino);
      if (!empty.ok()) return Errno{empty.error()};
      if (!*empty) return Errno{ENOTEMPTY};
    }

    Timestamp now = Now();
    InodeEdits edits;
    lsm::WriteBatch batch;
    edits.For(*src_dir).Touch(now, true);
    edits.For(*dst_dir).Touch(now, true);
    Inode& moved = edits.For(*src_node);
    moved.Touch(now, false);
    bool purge = false;
    if (exchange) {
      Inode& other = edits.For(*dst_node);
      other.Touch(now, false);
      batch.Put(DirEntryKey(parent, name), EncodeDirEntry({other.ino, TypeOfMode(other.mode)}));
      batch.Put(DirEntryKey(new_parent, new_name), EncodeDirEntry({moved.ino, TypeOfMode(moved.mode)}));
      if (cross && moved.IsDir()) {
        moved.parent = new_parent;
        --edits.For(*src_dir).nlink;
        ++edits.For(*dst_dir).nlink;
      }
      if (cross && other.IsDir()) {
        other.parent = parent;
        --edits.For(*dst_dir).nlink;
        ++edits.For(*src_dir).nlink;
      }
    } else {
      batch.Delete(DirEntryKey(parent, name));
      batch.Put(DirEntryKey(new_parent, new_name), EncodeDirEntry({moved.ino, TypeOfMode(moved.mode)}));
      if (moved.IsDir() && cross) {
        moved.parent = new_parent;
        --edits.For(*src_dir).nlink;
        ++edits.For(*dst_dir).nlink;
      }
      if (d) {
        Inode& replaced = edits.For(*dst_node);
        replaced.Touch(now, false);
        if (replaced.IsDir()) {
          replaced.nlink = 0;
          --edits.For(*dst_dir).nlink;
        } else {
          --replaced.nlink;
        }
        if (replaced.nlink == 0) {
          purge = dst_node->lookups == 0 && dst_node->opens == 0;
          if (!purge) batch.Put(OrphanKey(replaced.ino), "");
        }
      }
    }
    if (purge) {
      inodes_->AddPurge(&batch, edits.For(*dst_node));
      edits.Drop(dst_node->ino);
    }
    edits.AddTo(&batch);
    // A rename that replaces a file frees it; any other could be repeated
    // without end and must not use up what deletes need.
    IRON_FS_TRY(inodes_->Commit(&batch, /*frees_space=*/d != nullptr && !exchange));
    edits.Install();
    if (purge) {
      inodes_->Purged(*dst_node);
    }
    return Ok();
  }
}

Result<std::string> Filesystem::ReadLink(const Caller& c, uint64_t ino) {
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = inodes_->Load(*node);
  if (!inode.ok()) return Errno{inode.error()};
  if (!(*inode)->IsSymlink()) return Errno{EINVAL};
  return (*inode)->symlink;
}

}  // namespace iron::fs

// Mounting, formatting, inode allocation and reclamation, attributes.
#include "fs/filesystem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/statvfs.h>

#include "block_map.h"
#include "inode_store.h"
#include "key_schema.h"
#include "permission.h"
#include "space_guard.h"
#include "lsm/write_batch.h"

namespace iron::fs {
namespace {

Result<void> FormatEmpty(Store* store, const FormatOptions& format) {
  uint32_t bs = format.block_size;
  if (bs < 512 || bs > (1u << 20) || (bs & (bs - 1)) != 0) return Errno{EINVAL};
  // Nothing else may be in a DB we format: keys without a superblock are a
  // damaged filesystem, not an empty one.
  auto it = store->NewIterator({});
  it->SeekToFirst();
  if (it->Valid()) return Errno{EUCLEAN};
  if (!it->status().ok()) return Errno{ToErrno(it->status())};

  Timestamp now = Now();
  Superblock sb;
  sb.block_size = bs;
  if (getrandom(sb.uuid, sizeof(sb.uuid), 0) != sizeof(sb.uuid)) return Errno{EIO};
  sb.created = now;
  sb.inode_limit = kRootIno + 1 + InodeStore::kReservation;

  Inode root;
  root.ino = kRootIno;
  root.mode = S_IFDIR | (format.root_mode & 07777);
  root.uid = format.root_uid;
  root.gid = format.root_gid;
  root.nlink = 2;
  root.parent = kRootIno;
  root.generation = 1;
  root.atime = root.mtime = root.ctime = root.btime = now;

  lsm::WriteBatch batch;
  batch.Put(SuperblockKey(), EncodeSuperblock(sb));
  batch.Put(InodeKey(kRootIno), EncodeInode(root));
  lsm::WriteOptions wo;
  wo.sync = true;
  return ResultOf(store->Write(wo, &batch));
}

}  // namespace

bool OpenFile::readable() const { return (flags & O_ACCMODE) != O_WRONLY; }
bool OpenFile::writable() const { return (flags & O_ACCMODE) != O_RDONLY; }

Result<std::unique_ptr<Filesystem>> Filesystem::Mount(Store* store, const MountOptions& options,
                                                      const FormatOptions& format) {
  std::string value;
  lsm::Status s = store->Get({}, SuperblockKey(), &value);
  if (s.IsNotFound()) {
    if (options.read_only) return Errno{EROFS};
    IRON_FS_TRY(FormatEmpty(store, format));
    s = store->Get({}, SuperblockKey(), &value);
  }
  // Damage (a value that does not decode, a block that fails its checksum)
  // is EUCLEAN: the caller points to fsck.
  if (!s.ok()) return Errno{s.IsCorruption() ? EUCLEAN : ToErrno(s)};
  Superblock sb;
  if (!DecodeSuperblock(value, &sb)) {
    return Errno{FormatOf(value) > kFormatVersion ? EPROTO : EUCLEAN};
  }
  std::unique_ptr<Filesystem> fs(new Filesystem(store, options, sb));

  {
    auto root = fs->inodes_->Get(kRootIno);
    lsm::MutexLock l(&root->mu);
    Result<Inode*> inode = fs->inodes_->Load(*root);
    if (!inode.ok()) {
      return Errno{inode.error() == ENOENT || inode.error() == EIO ? EUCLEAN : inode.error()};
    }
    if (!(*inode)->IsDir()) return Errno{EUCLEAN};
    root->lookups = 1;  // the kernel's reference to the root never goes away
  }

  IRON_FS_TRY(fs->inodes_->Open());
  if (!options.read_only) IRON_FS_TRY(fs->inodes_->ReclaimOrphans());
  return fs;
}

Filesystem::Filesystem(Store* store, const MountOptions& options, const Superblock& sb)
    : store_(store),
      options_(options),
      space_(std::make_unique<SpaceGuard>(options.data_dir, options.reserve_bytes, store)),
      blocks_(std::make_unique<BlockMap>(store, sb.block_size, space_.get())),
      inodes_(std::make_unique<InodeStore>(
          store, blocks_.get(), sb,
          InodeStore::Options{.cache_entries = options.inode_cache_entries,
                              .sync = options.sync,
                              .read_only = options.read_only})) {}

Filesystem::~Filesystem() = default;

void Filesystem::Forget(uint64_t ino, uint64_t nlookup) {
  auto node = inodes_->Get(ino);
  {
    lsm::MutexLock l(&node->mu);
    node->lookups -= std::min(node->lookups, nlookup);
    inodes_->MaybeReclaim(*node);
  }
  inodes_->Unref(std::move(node));
}

Result<struct stat> Filesystem::GetAttr(uint64_t ino) {
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = inodes_->Load(*node);
  if (!inode.ok()) return Errno{inode.error()};
  return inodes_->Stat(**inode);
}

Result<struct stat> Filesystem::SetAttr(const Caller& c, uint64_t ino, const AttrChanges& ch,
                                        const OpenFile* file) {
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = inodes_->Load(*node);
  if (!loaded.ok()) return Errno{loaded.error()};
  Inode n = **loaded;

  // Checks, in the order Linux makes them (setattr_prepare, may_setattr).
  bool owner = IsOwnerOrRoot(c, n);
  const bool may_chown = c.Capable(CAP_CHOWN);
  if (ch.uid && !(may_chown || (c.uid == n.uid && *ch.uid == n.uid))) return Errno{EPERM};
  if (ch.gid && !(may_chown || (c.uid == n.uid && (c.InGroup(*ch.gid) || *ch.gid == n.gid)))) {
    return Errno{EPERM};
  }
  if (ch.mode && !owner) {
    const uint32_t privileges = S_ISUID | S_ISGID;
    bool only_drops = (*ch.mode & ~privileges) == (n.mode & 07777 & ~privileges) &&
                      (*ch.mode & privileges) != (n.mode & privileges) &&
                      (*ch.mode & ~n.mode & privileges) == 0;
    if (!(ch.from_kernel_killpriv && only_drops && CheckAccess(c, n, kMayWrite) == 0)) {
      return Errno{EPERM};
    }
  }
  bool touch = ch.atime == AttrChanges::Time::kNow && ch.mtime == AttrChanges::Time::kNow;
  bool times = ch.atime != AttrChanges::Time::kOmit || ch.mtime != AttrChanges::Time::kOmit;
  bool kernel_times = ch.ctime.has_value() || ch.size.has_value();
  if (kernel_times) {
    // Checked as the operation they come with (a truncate, a write).
  } else if (touch) {
    if (!owner && CheckAccess(c, n, kMayWrite) != 0) return Errno{EACCES};
  } else if (times && !owner) {
    return Errno{EPERM};
  }
  if (ch.size) {
    if (n.IsDir()) return Errno{EISDIR};
    if (!n.IsRegular()) return Errno{EINVAL};
    if (!(file && file->writable()) && CheckAccess(c, n, kMayWrite) != 0) return Errno{EACCES};
    if (*ch.size > kMaxFileSize) return Errno{EFBIG};
  }

  Timestamp now = Now();
  lsm::WriteBatch batch;
  if (ch.size) {
    if (*ch.size != n.size) {
      IRON_FS_TRY(blocks_->Resize(&batch, &n, *ch.size));
      n.mtime = now;
    }
    DropPrivileges(c, &n, &batch);
  }
  if (ch.mode) {
    uint32_t mode = (n.mode & S_IFMT) | (*ch.mode & 07777);
    if (!c.Capable(CAP_FSETID) && !c.InGroup(ch.gid ? *ch.gid : n.gid)) mode &= ~S_ISGID;
    n.mode = mode;
  }
  if ((ch.uid || ch.gid) && !n.IsDir()) {
    // chown drops setuid, and setgid when it means something (Linux
    // chown_common and setattr_should_drop_sgid), for root as well.
    bool drop_sgid = (n.mode & S_IXGRP) || (!c.Capable(CAP_FSETID) && !c.InGroup(n.gid));
    n.mode &= ~S_ISUID;
    if (drop_sgid) n.mode &= ~S_ISGID;
    DropCapabilities(n, &batch);
  }
  if (ch.uid) n.uid = *ch.uid;
  if (ch.gid) n.gid = *ch.gid;
  if (ch.atime == AttrChanges::Time::kNow) n.atime = now;
  if (ch.atime == AttrChanges::Time::kSet) n.atime = ch.atime_value;
  if (ch.mtime == AttrChanges::Time::kNow) n.mtime = now;
  if (ch.mtime == AttrChanges::Time::kSet) n.mtime = ch.mtime_value;
  n.ctime = ch.ctime ? *ch.ctime : now;

  InodeStore::Put(&batch, n);
  // A shrink writes at most one partial block; a chmod or a utimes adds
  // nothing but is no way to free space either.
  IRON_FS_TRY(inodes_->Commit(&batch, /*frees_space=*/ch.size && *ch.size < (*loaded)->size));
  node->inode = n;
  return inodes_->Stat(n);
}

Result<void> Filesystem::Access(const Caller& c, uint64_t ino, int mask) {
  auto node = inodes_->Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = inodes_->Load(*node);
  if (!inode.ok()) return Errno{inode.error()};
  return ResultOfErrno(CheckAccess(c, **inode, mask));
}

Result<struct statvfs> Filesystem::StatFs() {
  struct statvfs out {};
  out.f_bsize = block_size();
  out.f_frsize = block_size();
  out.f_namemax = kMaxNameLength;
  uint64_t used = inodes_->live();
  if (!options_.data_dir.empty()) {
    struct statvfs host;
    if (statvfs(options_.data_dir.c_str(), &host) != 0) return Errno{errno};
    auto scale = [&](fsblkcnt_t n) { return static_cast<fsblkcnt_t>(
                                         static_cast<unsigned __int128>(n) * host.f_frsize / block_size()); };
    out.f_blocks = scale(host.f_blocks);
    // What the reserve keeps free is not available for files.
    uint64_t avail_bytes = static_cast<uint64_t>(host.f_bavail) * host.f_frsize;
    avail_bytes = avail_bytes > options_.reserve_bytes ? avail_bytes - options_.reserve_bytes : 0;
    out.f_bfree = scale(host.f_bfree);
    out.f_bavail = static_cast<fsblkcnt_t>(avail_bytes / block_size());
    // Inodes cost no fixed space: as many more fit as 1 KiB each allows.
    out.f_ffree = out.f_favail = avail_bytes / 1024;
  }
  out.f_files = used + out.f_ffree;
  return out;
}

Result<void> Filesystem::Fsync() { return ResultOf(store_->Sync()); }

Result<void> Filesystem::Compact() { return ResultOf(store_->Compact()); }

uint32_t Filesystem::block_size() const { return blocks_->block_size(); }

FsStats Filesystem::GetStats() {
  FsStats s;
  s.inodes = inodes_->live();
  s.cached_inodes = inodes_->cached();
  s.orphans_reclaimed_at_mount = inodes_->orphans_reclaimed();
  s.block_size = block_size();
  return s;
}

}  // namespace iron::fs

// Mounting, formatting, inode allocation and reclamation, attributes.
#include "fs/filesystem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/statvfs.h>

#include "fs/key_schema.h"
#include "lsm/write_batch.h"

namespace iron::fs {
namespace {

// Inode numbers are reserved this many at a time (one superblock write).
constexpr uint64_t kInoReservation = 4096;

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
  sb.inode_limit = kRootIno + 1 + kInoReservation;

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
    auto root = fs->table_.Get(kRootIno);
    lsm::MutexLock l(&root->mu);
    Result<Inode*> inode = fs->Load(*root);
    if (!inode.ok()) {
      return Errno{inode.error() == ENOENT || inode.error() == EIO ? EUCLEAN : inode.error()};
    }
    if (!(*inode)->IsDir()) return Errno{EUCLEAN};
    root->lookups = 1;  // the kernel's reference to the root never goes away
  }

  // Count the inodes and find the highest number in use: numbers continue
  // past both it and the reserved range, whichever is higher.
  uint64_t count = 0, highest = 0;
  {
    lsm::ReadOptions ro;
    ro.lower_bound = KindBegin(KeyKind::kInode);
    ro.upper_bound = KindEnd(KeyKind::kInode);
    auto it = store->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedKey key;
      if (ParseKey(it->key(), &key)) highest = std::max(highest, key.ino);
      ++count;
    }
    if (!it->status().ok()) return Errno{ToErrno(it->status())};
  }
  fs->live_inodes_ = count;
  {
    lsm::MutexLock l(&fs->alloc_mu_);
    fs->next_ino_ = std::max(sb.inode_limit, highest + 1);
    fs->superblock_.inode_limit = fs->next_ino_;  // forces a reservation first
  }
  if (!options.read_only) IRON_FS_TRY(fs->ReclaimOrphans());
  return fs;
}

Filesystem::Filesystem(Store* store, const MountOptions& options, const Superblock& sb)
    : store_(store),
      options_(options),
      space_(options.data_dir, options.reserve_bytes),
      block_size_(sb.block_size),
      table_(options.inode_cache_entries),
      superblock_(sb) {}

Filesystem::~Filesystem() {
  lsm::MutexLock lock(&reclaim_mu_);
  if (reclaimer_.joinable()) reclaimer_.join();
}

int Filesystem::AdmitBytes(uint64_t bytes) {
  int err = space_.Admit(bytes);
  if (err != ENOSPC || deleted_bytes_.load() == 0 || reclaiming_.exchange(true)) return err;
  lsm::MutexLock lock(&reclaim_mu_);
  if (reclaimer_.joinable()) reclaimer_.join();  // the last one has finished
  deleted_bytes_ = 0;
  reclaimer_ = std::thread([this] {
    lsm::Status s = store_->Compact();
    (void)s;  // a failure is in the engine's log; the next refusal tries again
    reclaiming_ = false;
  });
  return err;
}

Result<Inode*> Filesystem::Load(Node& node) {
  if (node.state == Node::State::kLive) return &node.inode;
  if (node.state == Node::State::kGone) return Errno{ENOENT};
  std::string value;
  lsm::Status s = store_->Get({}, InodeKey(node.ino), &value);
  if (s.IsNotFound()) {
    node.state = Node::State::kGone;
    return Errno{ENOENT};
  }
  if (!s.ok()) return Errno{ToErrno(s)};
  if (!DecodeInode(node.ino, value, &node.inode)) return Errno{EIO};
  node.state = Node::State::kLive;
  return &node.inode;
}

Result<uint64_t> Filesystem::AllocateIno() {
  lsm::MutexLock l(&alloc_mu_);
  if (next_ino_ >= superblock_.inode_limit) {
    // Raise the persisted mark before handing out any number under it. The
    // WAL keeps writes in order, so any later batch that survives a crash
    // brings this one with it.
    Superblock raised = superblock_;
    raised.inode_limit = next_ino_ + kInoReservation;
    lsm::WriteOptions wo;
    wo.sync = options_.sync;
    lsm::WriteBatch batch;
    batch.Put(SuperblockKey(), EncodeSuperblock(raised));
    lsm::Status s = store_->Write(wo, &batch);
    if (!s.ok()) return Errno{ToErrno(s)};
    superblock_ = raised;
  }
  return next_ino_++;
}

Inode Filesystem::NewInode(const Caller& c, const Inode& parent, uint32_t mode, Timestamp now) {
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

void Filesystem::PutInode(lsm::WriteBatch* batch, const Inode& inode) {
  batch->Put(InodeKey(inode.ino), EncodeInode(inode));
}

Result<void> Filesystem::Commit(lsm::WriteBatch* batch, bool frees_space) {
  lsm::WriteOptions wo;
  wo.sync = options_.sync;
  wo.may_use_reserve = frees_space;
  return ResultOf(store_->Write(wo, batch));
}

struct stat Filesystem::ToStat(const Inode& n) const {
  struct stat st {};
  st.st_ino = n.ino;
  st.st_mode = n.mode;
  st.st_nlink = n.nlink;
  st.st_uid = n.uid;
  st.st_gid = n.gid;
  st.st_rdev = n.rdev;
  st.st_blksize = block_size_;
  if (n.IsDir()) {
    st.st_size = block_size_;
    st.st_blocks = block_size_ / 512;
  } else {
    st.st_size = static_cast<off_t>(n.size);
    // Stored blocks, but never more than the size rounded to 512 bytes: a
    // small file's one short block costs what it holds.
    uint64_t stored = n.blocks * block_size_;
    uint64_t rounded = (n.size + 511) / 512 * 512;
    st.st_blocks = static_cast<blkcnt_t>(std::min(stored, rounded) / 512);
  }
  st.st_atim = {n.atime.sec, n.atime.nsec};
  st.st_mtim = {n.mtime.sec, n.mtime.nsec};
  st.st_ctim = {n.ctime.sec, n.ctime.nsec};
  return st;
}

Entry Filesystem::ToEntry(Node& node) {
  ++node.lookups;
  return Entry{node.ino, node.inode.generation, ToStat(node.inode)};
}

void Filesystem::AddPurge(lsm::WriteBatch* batch, const Inode& inode) {
  batch->Delete(InodeKey(inode.ino));
  batch->Delete(OrphanKey(inode.ino));
  if (inode.IsRegular()) {
    uint64_t blocks = (inode.size + block_size_ - 1) / block_size_;
    DeleteBlocks(batch, inode.ino, 0, blocks, inode.blocks, /*to_last_key=*/true);
  }
  if (inode.flags & kInodeHasXattrs) {
    batch->DeleteRange(ObjectBegin(KeyKind::kXattr, inode.ino), ObjectEnd(KeyKind::kXattr, inode.ino));
  }
}

void Filesystem::MaybeReclaim(Node& node) {
  if (node.state != Node::State::kLive || node.inode.nlink != 0 || node.lookups != 0 ||
      node.opens != 0 || options_.read_only) {
    return;  // (read-only: the next writable mount reclaims it)
  }
  lsm::WriteBatch batch;
  AddPurge(&batch, node.inode);
  // If this fails the orphan key stays and the next mount reclaims it.
  if (Commit(&batch, /*frees_space=*/true).ok()) {
    node.state = Node::State::kGone;
    --live_inodes_;
  }
}

Result<void> Filesystem::ReclaimOrphans() {
  std::vector<uint64_t> orphans;
  {
    lsm::ReadOptions ro;
    ro.lower_bound = KindBegin(KeyKind::kOrphan);
    ro.upper_bound = KindEnd(KeyKind::kOrphan);
    auto it = store_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedKey key;
      if (ParseKey(it->key(), &key)) orphans.push_back(key.ino);
    }
    if (!it->status().ok()) return Errno{ToErrno(it->status())};
  }
  for (uint64_t ino : orphans) {
    auto node = table_.Get(ino);
    lsm::MutexLock l(&node->mu);
    Result<Inode*> inode = Load(*node);
    lsm::WriteBatch batch;
    if (!inode.ok()) {
      batch.Delete(OrphanKey(ino));  // a stray key without its inode
    } else if ((*inode)->nlink == 0) {
      AddPurge(&batch, **inode);
    } else {
      batch.Delete(OrphanKey(ino));  // it was linked again before the crash
    }
    IRON_FS_TRY(Commit(&batch, /*frees_space=*/true));
    if (inode.ok() && (*inode)->nlink == 0) {
      node->state = Node::State::kGone;
      --live_inodes_;
      ++orphans_reclaimed_;
    }
  }
  return Ok();
}

void Filesystem::Forget(uint64_t ino, uint64_t nlookup) {
  auto node = table_.Get(ino);
  {
    lsm::MutexLock l(&node->mu);
    node->lookups -= std::min(node->lookups, nlookup);
    MaybeReclaim(*node);
  }
  table_.Unref(std::move(node));
}

Result<struct stat> Filesystem::GetAttr(uint64_t ino) {
  auto node = table_.Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = Load(*node);
  if (!inode.ok()) return Errno{inode.error()};
  return ToStat(**inode);
}

void Filesystem::DropCapabilities(const Inode& inode, lsm::WriteBatch* batch) {
  // Linux drops a file's capabilities on every write, truncate and chown,
  // whoever makes it (file_remove_privs, cap_inode_killpriv).
  if (inode.flags & kInodeHasXattrs) batch->Delete(XattrKey(inode.ino, "security.capability"));
}

void Filesystem::DropPrivileges(const Caller& c, Inode* inode, lsm::WriteBatch* batch) {
  DropCapabilities(*inode, batch);
  // What a write or truncate by an unprivileged caller does on Linux
  // (setattr_should_drop_suidgid): setuid goes; setgid goes if the file is
  // group-executable or the caller is not in its group.
  if (c.Capable(CAP_FSETID)) return;
  inode->mode &= ~S_ISUID;
  if ((inode->mode & S_IXGRP) || !c.InGroup(inode->gid)) inode->mode &= ~S_ISGID;
}

Result<struct stat> Filesystem::SetAttr(const Caller& c, uint64_t ino, const AttrChanges& ch,
                                        const OpenFile* file) {
  auto node = table_.Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> loaded = Load(*node);
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
      IRON_FS_TRY(ResizeLocked(&batch, &n, *ch.size));
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

  PutInode(&batch, n);
  // A shrink writes at most one partial block; a chmod or a utimes adds
  // nothing but is no way to free space either.
  IRON_FS_TRY(Commit(&batch, /*frees_space=*/ch.size && *ch.size < (*loaded)->size));
  node->inode = n;
  return ToStat(n);
}

Result<void> Filesystem::Access(const Caller& c, uint64_t ino, int mask) {
  auto node = table_.Get(ino);
  lsm::MutexLock l(&node->mu);
  Result<Inode*> inode = Load(*node);
  if (!inode.ok()) return Errno{inode.error()};
  return ResultOfErrno(CheckAccess(c, **inode, mask));
}

Result<struct statvfs> Filesystem::StatFs() {
  struct statvfs out {};
  out.f_bsize = block_size_;
  out.f_frsize = block_size_;
  out.f_namemax = kMaxNameLength;
  uint64_t used = live_inodes_.load();
  if (!options_.data_dir.empty()) {
    struct statvfs host;
    if (statvfs(options_.data_dir.c_str(), &host) != 0) return Errno{errno};
    auto scale = [&](fsblkcnt_t n) { return static_cast<fsblkcnt_t>(
                                         static_cast<unsigned __int128>(n) * host.f_frsize / block_size_); };
    out.f_blocks = scale(host.f_blocks);
    // What the reserve keeps free is not available for files.
    uint64_t avail_bytes = static_cast<uint64_t>(host.f_bavail) * host.f_frsize;
    avail_bytes = avail_bytes > options_.reserve_bytes ? avail_bytes - options_.reserve_bytes : 0;
    out.f_bfree = scale(host.f_bfree);
    out.f_bavail = static_cast<fsblkcnt_t>(avail_bytes / block_size_);
    // Inodes cost no fixed space: as many more fit as 1 KiB each allows.
    out.f_ffree = out.f_favail = avail_bytes / 1024;
  }
  out.f_files = used + out.f_ffree;
  return out;
}

Result<void> Filesystem::Fsync() { return ResultOf(store_->Sync()); }

Result<void> Filesystem::Compact() { return ResultOf(store_->Compact()); }

FsStats Filesystem::GetStats() {
  FsStats s;
  s.inodes = live_inodes_.load();
  s.cached_inodes = table_.size();
  s.orphans_reclaimed_at_mount = orphans_reclaimed_;
  s.block_size = block_size_;
  return s;
}

}  // namespace iron::fs

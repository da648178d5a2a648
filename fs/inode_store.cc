#include "inode_store.h"

#include <errno.h>

#include <algorithm>
#include <vector>

#include "key_schema.h"

namespace iron::fs {

InodeStore::InodeStore(Store* store, BlockMap* blocks, const Superblock& sb,
                       const Options& options)
    : store_(store),
      blocks_(blocks),
      options_(options),
      table_(options.cache_entries),
      superblock_(sb) {}

Result<void> InodeStore::Open() {
  uint64_t count = 0, highest = 0;
  {
    lsm::ReadOptions ro;
    ro.lower_bound = KindBegin(KeyKind::kInode);
    ro.upper_bound = KindEnd(KeyKind::kInode);
    auto it = store_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedKey key;
      if (ParseKey(it->key(), &key)) highest = std::max(highest, key.ino);
      ++count;
    }
    if (!it->status().ok()) return Errno{ToErrno(it->status())};
  }
  live_ = count;
  lsm::MutexLock l(&alloc_mu_);
  next_ino_ = std::max(superblock_.inode_limit, highest + 1);
  superblock_.inode_limit = next_ino_;  // forces a reservation first
  return Ok();
}

void InodeStore::Purged(Node& node) {
  node.state = Node::State::kGone;
  --live_;
}

Result<Inode*> InodeStore::Load(Node& node) {
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

Result<uint64_t> InodeStore::Allocate() {
  lsm::MutexLock l(&alloc_mu_);
  if (next_ino_ >= superblock_.inode_limit) {
    // Raise the persisted mark before handing out any number under it. The
    // WAL keeps writes in order, so any later batch that survives a crash
    // brings this one with it.
    Superblock raised = superblock_;
    raised.inode_limit = next_ino_ + kReservation;
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

void InodeStore::Put(lsm::WriteBatch* batch, const Inode& inode) {
  batch->Put(InodeKey(inode.ino), EncodeInode(inode));
}

Result<void> InodeStore::Commit(lsm::WriteBatch* batch, bool frees_space) {
  lsm::WriteOptions wo;
  wo.sync = options_.sync;
  wo.may_use_reserve = frees_space;
  return ResultOf(store_->Write(wo, batch));
}

struct stat InodeStore::Stat(const Inode& n) const {
  struct stat st {};
  st.st_ino = n.ino;
  st.st_mode = n.mode;
  st.st_nlink = n.nlink;
  st.st_uid = n.uid;
  st.st_gid = n.gid;
  st.st_rdev = n.rdev;
  st.st_blksize = blocks_->block_size();
  if (n.IsDir()) {
    st.st_size = blocks_->block_size();
    st.st_blocks = blocks_->block_size() / 512;
  } else {
    st.st_size = static_cast<off_t>(n.size);
    // Stored blocks, but never more than the size rounded to 512 bytes: a
    // small file's one short block costs what it holds.
    uint64_t stored = n.blocks * blocks_->block_size();
    uint64_t rounded = (n.size + 511) / 512 * 512;
    st.st_blocks = static_cast<blkcnt_t>(std::min(stored, rounded) / 512);
  }
  st.st_atim = {n.atime.sec, n.atime.nsec};
  st.st_mtim = {n.mtime.sec, n.mtime.nsec};
  st.st_ctim = {n.ctime.sec, n.ctime.nsec};
  return st;
}

Entry InodeStore::ToEntry(Node& node) {
  ++node.lookups;
  return Entry{node.ino, node.inode.generation, Stat(node.inode)};
}

void InodeStore::AddPurge(lsm::WriteBatch* batch, const Inode& inode) {
  batch->Delete(InodeKey(inode.ino));
  batch->Delete(OrphanKey(inode.ino));
  if (inode.IsRegular()) blocks_->DeleteAll(batch, inode);
  if (inode.flags & kInodeHasXattrs) {
    batch->DeleteRange(ObjectBegin(KeyKind::kXattr, inode.ino), ObjectEnd(KeyKind::kXattr, inode.ino));
  }
}

void InodeStore::MaybeReclaim(Node& node) {
  if (node.state != Node::State::kLive || node.inode.nlink != 0 || node.lookups != 0 ||
      node.opens != 0 || options_.read_only) {
    return;  // (read-only: the next writable mount reclaims it)
  }
  lsm::WriteBatch batch;
  AddPurge(&batch, node.inode);
  // If this fails the orphan key stays and the next mount reclaims it.
  if (Commit(&batch, /*frees_space=*/true).ok()) Purged(node);
}

Result<void> InodeStore::ReclaimOrphans() {
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
      Purged(*node);
      ++orphans_reclaimed_;
    }
  }
  return Ok();
}

Result<Inode*> InodeStore::LoadRegular(Node& node, int not_regular) {
  Result<Inode*> inode = Load(node);
  if (!inode.ok()) return inode;
  if ((*inode)->IsDir()) return Errno{EISDIR};
  if (!(*inode)->IsRegular()) return Errno{not_regular};
  return inode;
}

}  // namespace iron::fs

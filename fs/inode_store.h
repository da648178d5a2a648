// InodeStore: the inodes of a mounted filesystem. It keeps them decoded in
// the InodeTable (one lock each), loads them from the Store, numbers new
// ones, writes the batches that change them, and purges an inode (with
// its blocks and attributes) once it has no name, no reference from the
// kernel and no open file, or at mount when a crash left it orphaned.
//
// A change to an inode is made on a copy, committed in one batch with
// everything else it touches, and installed in the Node only once the
// batch is written, so that a failed write changes nothing in memory.
//
// Thread safety: every method may be called from any thread; those taking
// a Node need its lock held (REQUIRES).
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>

#include "block_map.h"
#include "fs/filesystem.h"
#include "inode_codec.h"
#include "inode_table.h"
#include "fs/result.h"
#include "fs/store.h"
#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"
#include "lsm/write_batch.h"

namespace iron::fs {

class InodeStore {
 public:
  using Node = InodeTable::Node;
  using NodeRef = InodeTable::NodeRef;

  // Inode numbers are reserved this many at a time (one superblock write).
  static constexpr uint64_t kReservation = 4096;

  struct Options {
    size_t cache_entries = 1 << 16;  // InodeTable's capacity
    bool sync = false;               // every commit durable before it returns
    bool read_only = false;          // nothing is purged
  };

  // `store` and `blocks` must outlive the InodeStore.
  InodeStore(Store* store, BlockMap* blocks, const Superblock& sb, const Options& options);

  // At mount: counts the inodes and continues numbering past the highest
  // in use and the reserved range, whichever is higher.
  Result<void> Open();

  NodeRef Get(uint64_t ino) { return table_.Get(ino); }
  void Unref(NodeRef node) { table_.Unref(std::move(node)); }

  // Loads node's inode if needed; ENOENT if it no longer exists, EIO if
  // it cannot be read or decoded.
  Result<Inode*> Load(Node& node) REQUIRES(node.mu);
  // Load, then EISDIR for a directory and `not_regular` for anything else
  // that is not a regular file.
  Result<Inode*> LoadRegular(Node& node, int not_regular) REQUIRES(node.mu);

  // A number for a new inode. Numbers are reserved in the superblock a
  // range at a time, so none is ever given twice, even across a crash.
  Result<uint64_t> Allocate();
  // The caller committed a batch that made a new inode / purged `node`.
  void Created() { ++live_; }
  void Purged(Node& node) REQUIRES(node.mu);

  static void Put(lsm::WriteBatch* batch, const Inode& inode);
  // Writes `batch` with the mount's durability. `frees_space`: the batch
  // deletes (an unlink, a purge, a truncate that shrinks) and may use the
  // store's reserve, so that a full disk can always be emptied.
  Result<void> Commit(lsm::WriteBatch* batch, bool frees_space = false);
  // Adds to `batch` what removes every key of `inode` (it has no names).
  void AddPurge(lsm::WriteBatch* batch, const Inode& inode);
  // Purges node's inode if it has no names, references or open files.
  void MaybeReclaim(Node& node) REQUIRES(node.mu);
  // At mount: purges the orphans a crash left behind.
  Result<void> ReclaimOrphans();

  // What stat(2) shows of `inode`.
  struct stat Stat(const Inode& inode) const;
  // A lookup's answer: node's attributes, and one more reference.
  Entry ToEntry(Node& node) REQUIRES(node.mu);

  uint64_t live() const { return live_.load(); }
  size_t cached() { return table_.size(); }
  uint64_t orphans_reclaimed() const { return orphans_reclaimed_; }

 private:
  Store* const store_;
  BlockMap* const blocks_;
  const Options options_;
  InodeTable table_;
  std::atomic<uint64_t> live_{0};
  uint64_t orphans_reclaimed_ = 0;  // set by ReclaimOrphans, at mount

  lsm::Mutex alloc_mu_;
  Superblock superblock_ GUARDED_BY(alloc_mu_);
  uint64_t next_ino_ GUARDED_BY(alloc_mu_) = 0;
};

}  // namespace iron::fs

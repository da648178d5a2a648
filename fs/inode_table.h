// InodeTable: the inodes a mounted filesystem is working with, each with
// the lock that serializes changes to it and the counts that decide when an
// unlinked inode may be reclaimed.
//
// A Node caches its inode's decoded value: every change to an inode is made
// by this process, under the Node's lock, and the cached copy is replaced
// only after the change's batch is in the engine, so the cache is never
// ahead of (or behind) what a reader of the engine would see.
//
// Locking: Node::mu guards every field of the Node. A thread that holds
// more than one Node lock took them in ascending inode number (LockSet);
// nobody waits for a lower-numbered Node while holding a higher one. A
// shard's mutex is held only inside Get, Unref and size. Node locks come
// before shard locks (a create holds its directory's lock while Get adds
// the child), so under a shard's mutex a Node's lock is only tried, never
// waited for: Get's Shrink and Unref try each idle Node's lock and keep a
// Node that happens to be locked.
//
// Memory: Nodes the kernel still references (lookups), open ones and ones
// in use are kept; others are dropped once a shard holds more than its
// share of `capacity`. When the kernel references more than that, a shard
// looks for idle Nodes again only after growing by a quarter, so that the
// search costs O(1) per new Node, amortized. And a Node that goes idle
// (forgotten, closed) while its shard is over its share, or whose inode
// is gone, leaves at once (Unref): `capacity` is a cap on what is kept
// beyond the kernel's references, not a high-water mark.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "dir_cookies.h"
#include "inode_codec.h"
#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"

namespace iron::fs {

class InodeTable {
 public:
  struct Node {
    explicit Node(uint64_t n) : ino(n) {}
    enum class State { kUnknown, kLive, kGone };

    const uint64_t ino;
    lsm::Mutex mu;
    State state GUARDED_BY(mu) = State::kUnknown;
    Inode inode GUARDED_BY(mu);    // valid when state == kLive
    uint64_t lookups GUARDED_BY(mu) = 0;  // references the kernel holds
    uint32_t opens GUARDED_BY(mu) = 0;    // open files and directories
    std::shared_ptr<DirCookies> cookies GUARDED_BY(mu);  // a directory's, once listed
    // Bytes listxattr takes for the inode's names (each with its NUL) but
    // security.capability, which writes drop unseen (xattr.cc); once
    // counted, kept in step by every change; never stored.
    std::optional<uint64_t> xattr_list_bytes GUARDED_BY(mu);
  };
  using NodeRef = std::shared_ptr<Node>;

  explicit InodeTable(size_t capacity);
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  // The Node for `ino`, created in state kUnknown if not cached.
  NodeRef Get(uint64_t ino);
  // Gives back a reference after the Node may have gone idle (the caller
  // must not hold its lock): it leaves if nobody else uses it, it has no
  // lookups and no opens, and its shard is over its share or it is gone.
  void Unref(NodeRef node);

  size_t size();

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    lsm::Mutex mu;
    std::unordered_map<uint64_t, NodeRef> nodes GUARDED_BY(mu);
    size_t shrink_above GUARDED_BY(mu) = 0;  // set by the constructor
  };
  void Shrink(Shard* shard) REQUIRES(shard->mu);
  // Gives back the bucket array of a map that has emptied (after the
  // kernel forgot many inodes), so that memory follows the Nodes held.
  static void FitBuckets(Shard* shard) REQUIRES(shard->mu);

  const size_t per_shard_capacity_;
  Shard shards_[kShards];
};

// Locks Nodes in ascending inode number (a Node given twice, once; a null
// one is skipped) and unlocks them when it dies.
class SCOPED_CAPABILITY LockSet {
 public:
  using NodeRef = InodeTable::NodeRef;
  LockSet(const NodeRef& a, const NodeRef& b) ACQUIRE(a->mu, b->mu);
  LockSet(const NodeRef& a, const NodeRef& b, const NodeRef& c, const NodeRef& d)
      ACQUIRE(a->mu, b->mu, c->mu, d->mu);
  ~LockSet() RELEASE();
  LockSet(const LockSet&) = delete;
  LockSet& operator=(const LockSet&) = delete;

 private:
  void LockAll();
  std::vector<NodeRef> nodes_;
};

}  // namespace iron::fs

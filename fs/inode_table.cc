#include "inode_table.h"

#include <algorithm>

namespace iron::fs {

InodeTable::InodeTable(size_t capacity)
    : per_shard_capacity_(std::max<size_t>(16, capacity / kShards)) {
  for (Shard& shard : shards_) {
    lsm::MutexLock l(&shard.mu);
    shard.shrink_above = per_shard_capacity_;
  }
}

InodeTable::NodeRef InodeTable::Get(uint64_t ino) {
  Shard& shard = shards_[ino % kShards];
  lsm::MutexLock l(&shard.mu);
  auto [it, inserted] = shard.nodes.try_emplace(ino);
  if (inserted) {
    it->second = std::make_shared<Node>(ino);
    NodeRef node = it->second;
    if (shard.nodes.size() > shard.shrink_above) {
      Shrink(&shard);
      shard.shrink_above = std::max(per_shard_capacity_, shard.nodes.size() + shard.nodes.size() / 4);
    }
    return node;
  }
  return it->second;
}

void InodeTable::Shrink(Shard* shard) {
  size_t target = per_shard_capacity_ * 3 / 4;
  for (auto it = shard->nodes.begin(); it != shard->nodes.end() && shard->nodes.size() > target;) {
    Node& node = *it->second;
    // Only this map holds a reference, and new references are taken under
    // the shard lock we hold: nobody can start using the Node meanwhile.
    bool idle = it->second.use_count() == 1;
    if (idle) {
      // Node locks are taken before shard locks elsewhere (a create holds
      // its directory's lock while it adds the child): only try this one,
      // which cannot wait, and keep a Node that happens to be locked.
      if (node.mu.TryLock()) {
        idle = node.lookups == 0 && node.opens == 0;
        node.mu.Unlock();
      } else {
        idle = false;
      }
    }
    it = idle ? shard->nodes.erase(it) : std::next(it);
  }
  FitBuckets(shard);
}

void InodeTable::FitBuckets(Shard* shard) {
  // An eighth: a map that shrinks and grows again around one size does
  // not rehash at every step.
  if (shard->nodes.size() < shard->nodes.bucket_count() / 8) shard->nodes.rehash(0);
}

void InodeTable::Unref(NodeRef node) {
  Shard& shard = shards_[node->ino % kShards];
  lsm::MutexLock l(&shard.mu);
  auto it = shard.nodes.find(node->ino);
  if (it == shard.nodes.end() || it->second != node) return;
  // The map's reference and `node`: nobody else holds the Node or its
  // lock, and new references are taken under the shard lock we hold.
  if (node.use_count() != 2) return;
  // Tried, not waited for: see Shrink.
  if (!node->mu.TryLock()) return;
  const bool in_use = node->lookups != 0 || node->opens != 0;
  const bool gone = node->state == Node::State::kGone;
  node->mu.Unlock();
  if (in_use || (!gone && shard.nodes.size() <= per_shard_capacity_)) return;
  shard.nodes.erase(it);
  FitBuckets(&shard);
  // A shard that grew while the kernel held many Nodes shrinks back.
  shard.shrink_above = std::max(per_shard_capacity_,
                                std::min(shard.shrink_above, shard.nodes.size() + shard.nodes.size() / 4));
}

size_t InodeTable::size() {
  size_t n = 0;
  for (Shard& shard : shards_) {
    lsm::MutexLock l(&shard.mu);
    n += shard.nodes.size();
  }
  return n;
}

// The order of locking depends on the inode numbers, which the analysis
// cannot follow: it takes the constructors' and the destructor's word.
LockSet::LockSet(const NodeRef& a, const NodeRef& b) NO_THREAD_SAFETY_ANALYSIS
    : nodes_{a, b} {
  LockAll();
}

LockSet::LockSet(const NodeRef& a, const NodeRef& b, const NodeRef& c, const NodeRef& d)
    NO_THREAD_SAFETY_ANALYSIS : nodes_{a, b, c} {
  if (d) nodes_.push_back(d);
  LockAll();
}

void LockSet::LockAll() NO_THREAD_SAFETY_ANALYSIS {
  std::sort(nodes_.begin(), nodes_.end(), [](const auto& a, const auto& b) { return a->ino < b->ino; });
  nodes_.erase(std::unique(nodes_.begin(), nodes_.end(),
                           [](const auto& a, const auto& b) { return a->ino == b->ino; }),
               nodes_.end());
  for (auto& node : nodes_) node->mu.Lock();
}

LockSet::~LockSet() NO_THREAD_SAFETY_ANALYSIS {
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) (*it)->mu.Unlock();
}

}  // namespace iron::fs

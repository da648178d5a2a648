#include "block_cache.h"

namespace iron::lsm {

namespace {

// What an entry costs beyond its bytes: the entry, its shared_ptr control
// block and its hash-table node, roughly.
constexpr size_t kEntryOverhead = sizeof(void*) * 12 + 48;

}  // namespace

uint64_t BlockCache::Hash(const Key& k) {
  // A 64-bit finalizer (MurmurHash3's fmix64) over both halves: the shard
  // comes from the top bits, the hash table's bucket from the low ones.
  uint64_t h = k.id * 0x9e3779b97f4a7c15ull ^ k.offset;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

BlockCache::BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes) {
  const size_t per_shard = (capacity_bytes + kShards - 1) / kShards;
  for (auto& s : shards_) s.SetCapacity(per_shard);
}

BlockCache::~BlockCache() = default;

BlockCache::Block BlockCache::Lookup(uint64_t id, uint64_t offset) {
  Key k{id, offset};
  return ShardOf(k).Lookup(k);
}

BlockCache::Block BlockCache::Insert(uint64_t id, uint64_t offset, std::string contents) {
  Key k{id, offset};
  return ShardOf(k).Insert(k, std::move(contents));
}

void BlockCache::Erase(uint64_t id, uint64_t offset) {
  Key k{id, offset};
  ShardOf(k).Erase(k);
}

size_t BlockCache::Clear() {
  size_t released = 0;
  for (auto& s : shards_) released += s.Clear();
  return released;
}

BlockCacheStats BlockCache::GetStats() const {
  BlockCacheStats st;
  for (const auto& s : shards_) s.AddStats(&st);
  st.capacity = capacity_;
  return st;
}

// ------------------------------------------------------------------ Shard

BlockCache::Shard::Shard() {
  MutexLock lock(&mu_);
  head_.older = head_.newer = &head_;
}

void BlockCache::Shard::SetCapacity(size_t bytes) {
  MutexLock lock(&mu_);
  capacity_ = bytes;
}

void BlockCache::Shard::Unlink(Entry* e) {
  e->older->newer = e->newer;
  e->newer->older = e->older;
  e->older = e->newer = nullptr;
}

void BlockCache::Shard::LinkNewest(Entry* e) {
  e->newer = &head_;
  e->older = head_.older;
  e->older->newer = e;
  head_.older = e;
}

void BlockCache::Shard::Remove(Entry* e) {
  Unlink(e);
  usage_ -= e->charge;
  const Key k = e->key;  // erase may destroy *e: the entry lives on only if pinned
  table_.erase(k);
}

void BlockCache::Shard::Erase(const Key& k) {
  MutexLock lock(&mu_);
  auto it = table_.find(k);
  if (it != table_.end()) Remove(it->second.get());
}

size_t BlockCache::Shard::Clear() {
  // Destroyed outside the mutex: freeing thousands of blocks need not
  // hold up the shard's readers.
  std::unordered_map<Key, std::shared_ptr<Entry>, KeyHash> dropped;
  size_t released;
  {
    MutexLock lock(&mu_);
    released = usage_;
    dropped.swap(table_);
    head_.older = head_.newer = &head_;
    usage_ = 0;
  }
  return released;
}

BlockCache::Block BlockCache::Shard::Lookup(const Key& k) {
  MutexLock lock(&mu_);
  auto it = table_.find(k);
  if (it == table_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  Entry* e = it->second.get();
  Unlink(e);
  LinkNewest(e);
  // Shares ownership of the entry, points at its bytes.
  return Block(it->second, &e->bytes);
}

BlockCache::Block BlockCache::Shard::Insert(const Key& k, std::string contents) {
  const size_t charge = contents.capacity() + kEntryOverhead;
  auto entry = std::make_shared<Entry>(k, std::move(contents), charge);
  MutexLock lock(&mu_);
  if (capacity_ == 0) return Block(entry, &entry->bytes);
  auto [it, inserted] = table_.try_emplace(k, entry);
  if (!inserted) {
    Entry* e = it->second.get();
    Unlink(e);
    LinkNewest(e);
    return Block(it->second, &e->bytes);
  }
  ++inserts_;
  LinkNewest(entry.get());
  usage_ += charge;
  // The block just added is the newest: it goes last, and only if it alone
  // is over the budget.
  while (usage_ > capacity_ && head_.newer != &head_) {
    Remove(head_.newer);
    ++evictions_;
  }
  return Block(entry, &entry->bytes);
}

void BlockCache::Shard::AddStats(BlockCacheStats* st) const {
  MutexLock lock(&mu_);
  st->hits += hits_;
  st->misses += misses_;
  st->inserts += inserts_;
  st->evictions += evictions_;
  st->usage += usage_;
  st->blocks += table_.size();
}

}  // namespace iron::lsm

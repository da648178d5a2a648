#include "block_cache.h"

namespace iron::lsm {

namespace {

// What an entry costs beyond its bytes: the entry with its shared_ptr
// control block, and its share of the bucket array, roughly.
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
  const uint64_t h = Hash(k);
  return ShardOf(h).Lookup(k, h);
}

BlockCache::Block BlockCache::Insert(uint64_t id, uint64_t offset, std::string contents) {
  Key k{id, offset};
  const uint64_t h = Hash(k);
  return ShardOf(h).Insert(k, h, std::move(contents));
}

void BlockCache::Erase(uint64_t id, uint64_t offset) {
  Key k{id, offset};
  const uint64_t h = Hash(k);
  ShardOf(h).Erase(k, h);
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

// ------------------------------------------------------------ HandleTable

BlockCache::Entry** BlockCache::HandleTable::FindPointer(const Key& k, uint64_t hash) {
  Entry** ptr = &buckets_[hash & (buckets_.size() - 1)];
  while (*ptr != nullptr && ((*ptr)->hash != hash || !((*ptr)->key == k))) {
    ptr = &(*ptr)->next_hash;
  }
  return ptr;
}

void BlockCache::HandleTable::Insert(Entry* e) {
  Entry** ptr = FindPointer(e->key, e->hash);
  e->next_hash = nullptr;
  *ptr = e;
  if (++elems_ > buckets_.size()) Resize();
}

BlockCache::Entry* BlockCache::HandleTable::Remove(const Key& k, uint64_t hash) {
  Entry** ptr = FindPointer(k, hash);
  Entry* e = *ptr;
  if (e != nullptr) {
    *ptr = e->next_hash;
    e->next_hash = nullptr;
    --elems_;
  }
  return e;
}

void BlockCache::HandleTable::Reset() {
  buckets_.clear();
  elems_ = 0;
  Resize();
}

void BlockCache::HandleTable::Resize() {
  size_t n = 16;
  while (n < elems_) n *= 2;
  std::vector<Entry*> fresh(n, nullptr);
  for (Entry* head : buckets_) {
    while (head != nullptr) {
      Entry* next = head->next_hash;
      Entry*& slot = fresh[head->hash & (n - 1)];
      head->next_hash = slot;
      slot = head;
      head = next;
    }
  }
  buckets_.swap(fresh);
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
  table_.Remove(e->key, e->hash);
  // Dropping the cache's reference may destroy *e: it lives on only if pinned.
  std::shared_ptr<Entry> self = std::move(e->self);
}

void BlockCache::Shard::Erase(const Key& k, uint64_t hash) {
  MutexLock lock(&mu_);
  Entry* e = table_.Lookup(k, hash);
  if (e != nullptr) Remove(e);
}

size_t BlockCache::Shard::Clear() {
  // Destroyed outside the mutex: freeing thousands of blocks need not
  // hold up the shard's readers.
  std::vector<std::shared_ptr<Entry>> dropped;
  size_t released;
  {
    MutexLock lock(&mu_);
    released = usage_;
    dropped.reserve(table_.size());
    for (Entry* e = head_.newer; e != &head_; e = e->newer) {
      e->next_hash = nullptr;
      dropped.push_back(std::move(e->self));
    }
    table_.Reset();
    head_.older = head_.newer = &head_;
    usage_ = 0;
  }
  return released;
}

BlockCache::Block BlockCache::Shard::Lookup(const Key& k, uint64_t hash) {
  MutexLock lock(&mu_);
  Entry* e = table_.Lookup(k, hash);
  if (e == nullptr) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  Unlink(e);
  LinkNewest(e);
  // Shares ownership of the entry, points at its bytes.
  return Block(e->self, &e->bytes);
}

BlockCache::Block BlockCache::Shard::Insert(const Key& k, uint64_t hash, std::string contents) {
  const size_t charge = contents.capacity() + kEntryOverhead;
  auto entry = std::make_shared<Entry>(k, hash, std::move(contents), charge);
  MutexLock lock(&mu_);
  if (capacity_ == 0) return Block(entry, &entry->bytes);
  if (Entry* e = table_.Lookup(k, hash); e != nullptr) {
    Unlink(e);
    LinkNewest(e);
    return Block(e->self, &e->bytes);
  }
  ++inserts_;
  entry->self = entry;
  table_.Insert(entry.get());
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

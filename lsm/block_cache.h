// BlockCache: the verified data blocks of a DB's tables, kept in memory up
// to a byte budget, least recently used first out.
//
// A block is named by (cache id, offset): each open table takes a fresh id
// from NewId(), so a table file reopened (or a file number reused by a
// repair) never meets the blocks of its predecessor. The cache is split
// into 16 shards by the hash of the name, each with its own mutex and its
// own sixteenth of the budget, so that readers on different blocks rarely
// wait for one another.
//
// Pins. Lookup and Insert hand out a shared_ptr to the block's bytes:
// while any copy of it lives, the bytes stay valid, even if the cache has
// evicted the block meanwhile (eviction only drops the cache's own
// reference). The budget counts the blocks the cache holds; a block
// evicted while pinned leaves the budget at once and its memory when the
// last pin goes. Pins are held for one lookup, or for as long as an
// iterator stands on the block.
//
// A budget of 0 caches nothing: Insert then only wraps the block in a pin.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"

namespace iron::lsm {

struct BlockCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;    // blocks added (a block already present is not counted)
  uint64_t evictions = 0;  // blocks dropped to stay within the budget
  uint64_t usage = 0;      // bytes charged for the blocks held now
  uint64_t capacity = 0;   // the budget
  uint64_t blocks = 0;     // blocks held now
};

class BlockCache {
 public:
  using Block = std::shared_ptr<const std::string>;

  explicit BlockCache(size_t capacity_bytes);
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // A name space for one open table's blocks.
  uint64_t NewId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  // The block, pinned, or nullptr (a miss). A hit makes it the most
  // recently used.
  Block Lookup(uint64_t id, uint64_t offset);
  // Adds `contents` under (id, offset), charged at its allocated size plus
  // the entry's bookkeeping, evicting the least recently used blocks of the
  // shard while it is over its share of the budget. If the block is
  // already there (another reader loaded it meanwhile), that one is kept
  // and returned and `contents` is dropped. Returns the block, pinned.
  Block Insert(uint64_t id, uint64_t offset, std::string contents);
  // Drops the block if the cache holds it (its table is gone: its blocks
  // would only wait for eviction, holding memory).
  void Erase(uint64_t id, uint64_t offset);
  // Drops every block (the DB rests: memory goes back to the system);
  // returns the bytes the cache was charged for them.
  size_t Clear();

  BlockCacheStats GetStats() const;
  size_t capacity() const { return capacity_; }

 private:
  static constexpr int kShardBits = 4;
  static constexpr int kShards = 1 << kShardBits;

  struct Key {
    uint64_t id;
    uint64_t offset;
    bool operator==(const Key& o) const { return id == o.id && offset == o.offset; }
  };
  static uint64_t Hash(const Key& k);

  // One block, its place in its shard's LRU list and in its shard's hash
  // chain. The bytes are immutable; the links and `self` belong to the
  // shard's mutex.
  struct Entry {
    Entry() = default;
    Entry(Key k, uint64_t h, std::string b, size_t c)
        : key(k), hash(h), bytes(std::move(b)), charge(c) {}
    Key key{0, 0};
    uint64_t hash = 0;
    const std::string bytes;
    size_t charge = 0;
    Entry* older = nullptr;  // LRU links: a ring through the shard's head
    Entry* newer = nullptr;
    Entry* next_hash = nullptr;  // the next entry of the same bucket
    // The cache's own reference while the shard holds the entry; pins
    // share ownership with it.
    std::shared_ptr<Entry> self;
  };

  // An open hash table of entries chained through Entry::next_hash (the
  // shape of LevelDB's HandleTable): no allocation per entry, one probe
  // of a power-of-two bucket array, grown when entries outnumber buckets.
  class HandleTable {
   public:
    HandleTable() { Resize(); }
    Entry* Lookup(const Key& k, uint64_t hash) { return *FindPointer(k, hash); }
    // Adds `e`, whose key must not be present.
    void Insert(Entry* e);
    // Unchains the entry under `k` and returns it, or nullptr.
    Entry* Remove(const Key& k, uint64_t hash);
    size_t size() const { return elems_; }
    // Empties the table; the entries are the caller's.
    void Reset();

   private:
    Entry** FindPointer(const Key& k, uint64_t hash);
    void Resize();
    std::vector<Entry*> buckets_;  // size a power of two
    size_t elems_ = 0;
  };

  class Shard {
   public:
    Shard();
    ~Shard() { Clear(); }  // entries hold the cache's reference to themselves
    void SetCapacity(size_t bytes) EXCLUDES(mu_);
    Block Lookup(const Key& k, uint64_t hash) EXCLUDES(mu_);
    Block Insert(const Key& k, uint64_t hash, std::string contents) EXCLUDES(mu_);
    void Erase(const Key& k, uint64_t hash) EXCLUDES(mu_);
    size_t Clear() EXCLUDES(mu_);
    void AddStats(BlockCacheStats* stats) const EXCLUDES(mu_);

   private:
    void Unlink(Entry* e) REQUIRES(mu_);
    void LinkNewest(Entry* e) REQUIRES(mu_);
    // Unlinks, uncharges and drops from the table.
    void Remove(Entry* e) REQUIRES(mu_);

    mutable Mutex mu_;
    size_t capacity_ GUARDED_BY(mu_) = 0;
    size_t usage_ GUARDED_BY(mu_) = 0;
    HandleTable table_ GUARDED_BY(mu_);
    // head_.newer is the least recently used, head_.older the most.
    Entry head_ GUARDED_BY(mu_);
    uint64_t hits_ GUARDED_BY(mu_) = 0;
    uint64_t misses_ GUARDED_BY(mu_) = 0;
    uint64_t inserts_ GUARDED_BY(mu_) = 0;
    uint64_t evictions_ GUARDED_BY(mu_) = 0;
  };

  Shard& ShardOf(uint64_t hash) { return shards_[hash >> (64 - kShardBits)]; }

  const size_t capacity_;
  std::atomic<uint64_t> next_id_{1};
  std::array<Shard, kShards> shards_;
};

}  // namespace iron::lsm

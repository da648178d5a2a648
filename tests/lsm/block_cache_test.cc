// The block cache: a byte budget it keeps, least recently used blocks out
// first, blocks in use never freed, counters that add up.
#include "lsm/block_cache.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace iron::lsm {
namespace {

constexpr size_t kBlock = 4096;

std::string BlockFor(uint64_t id, uint64_t offset) {
  std::string b = std::to_string(id) + ":" + std::to_string(offset) + ":";
  b.resize(kBlock, static_cast<char>('a' + (id * 31 + offset) % 26));
  return b;
}

TEST(BlockCacheTest, AMissThenAnInsertThenAHit) {
  BlockCache cache(1 << 20);
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  BlockCache::Block b = cache.Insert(1, 0, BlockFor(1, 0));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b, BlockFor(1, 0));
  BlockCache::Block again = cache.Lookup(1, 0);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again.get(), b.get());      // the same bytes, not a copy
  EXPECT_EQ(cache.Lookup(2, 0), nullptr);  // another table's block at the same offset
  EXPECT_EQ(cache.Lookup(1, 4096), nullptr);

  BlockCacheStats st = cache.GetStats();
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.misses, 3u);
  EXPECT_EQ(st.inserts, 1u);
  EXPECT_EQ(st.evictions, 0u);
  EXPECT_EQ(st.blocks, 1u);
  EXPECT_GE(st.usage, kBlock);
  EXPECT_EQ(st.capacity, 1u << 20);
}

TEST(BlockCacheTest, TheBudgetIsKept) {
  const size_t budget = 1 << 20;
  BlockCache cache(budget);
  const int n = 1000;  // about 4 MiB of blocks through a 1 MiB cache
  for (int i = 0; i < n; ++i) {
    cache.Insert(7, static_cast<uint64_t>(i) * kBlock, BlockFor(7, i * kBlock));
    ASSERT_LE(cache.GetStats().usage, budget) << i;
  }
  BlockCacheStats st = cache.GetStats();
  EXPECT_EQ(st.inserts, static_cast<uint64_t>(n));
  EXPECT_EQ(st.evictions + st.blocks, static_cast<uint64_t>(n));
  EXPECT_GT(st.evictions, static_cast<uint64_t>(n / 2));
  EXPECT_GT(st.usage, budget / 2);  // and the budget is used, not wasted
  // The newest is there, the oldest are gone.
  EXPECT_NE(cache.Lookup(7, static_cast<uint64_t>(n - 1) * kBlock), nullptr);
  int oldest_present = 0;
  for (int i = 0; i < 20; ++i) oldest_present += cache.Lookup(7, i * kBlock) != nullptr;
  EXPECT_EQ(oldest_present, 0);
}

TEST(BlockCacheTest, ABlockInUseIsKeptWhileTheOthersGo) {
  BlockCache cache(256 << 10);
  cache.Insert(1, 0, BlockFor(1, 0));
  for (int i = 1; i < 2000; ++i) {
    // Used between every two inserts: always the most recent of its shard.
    ASSERT_NE(cache.Lookup(1, 0), nullptr) << i;
    cache.Insert(2, static_cast<uint64_t>(i) * kBlock, BlockFor(2, i * kBlock));
  }
  EXPECT_NE(cache.Lookup(1, 0), nullptr);
  EXPECT_EQ(cache.Lookup(2, kBlock), nullptr);  // never used again: long gone
}

TEST(BlockCacheTest, APinnedBlockOutlivesItsEviction) {
  BlockCache cache(256 << 10);
  BlockCache::Block pinned = cache.Insert(1, 0, BlockFor(1, 0));
  const std::string* bytes = pinned.get();
  for (int i = 1; i < 500; ++i) {
    cache.Insert(3, static_cast<uint64_t>(i) * kBlock, BlockFor(3, i * kBlock));
  }
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);  // evicted from the cache...
  EXPECT_EQ(pinned.get(), bytes);
  EXPECT_EQ(*pinned, BlockFor(1, 0));      // ...but not freed (ASan would say)
  EXPECT_LE(cache.GetStats().usage, 256u << 10);  // and no longer charged
}

TEST(BlockCacheTest, AnInsertOfABlockAlreadyThereKeepsTheFirst) {
  BlockCache cache(1 << 20);
  BlockCache::Block first = cache.Insert(1, 0, std::string(100, 'x'));
  BlockCache::Block second = cache.Insert(1, 0, std::string(100, 'y'));
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(*second, std::string(100, 'x'));
  BlockCacheStats st = cache.GetStats();
  EXPECT_EQ(st.inserts, 1u);
  EXPECT_EQ(st.blocks, 1u);
}

TEST(BlockCacheTest, ABudgetOfZeroKeepsNothing) {
  BlockCache cache(0);
  BlockCache::Block b = cache.Insert(1, 0, BlockFor(1, 0));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b, BlockFor(1, 0));
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  BlockCacheStats st = cache.GetStats();
  EXPECT_EQ(st.usage, 0u);
  EXPECT_EQ(st.blocks, 0u);
  EXPECT_EQ(st.inserts, 0u);
}

TEST(BlockCacheTest, EraseAndClearDropBlocksButNotPins) {
  BlockCache cache(1 << 20);
  cache.Insert(1, 0, BlockFor(1, 0));
  cache.Insert(1, kBlock, BlockFor(1, kBlock));
  BlockCache::Block pinned = cache.Insert(2, 0, BlockFor(2, 0));
  cache.Erase(1, 0);
  cache.Erase(1, 8 * kBlock);  // not there: nothing happens
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  EXPECT_NE(cache.Lookup(1, kBlock), nullptr);
  EXPECT_EQ(cache.GetStats().blocks, 2u);
  size_t charged = cache.GetStats().usage;
  EXPECT_EQ(cache.Clear(), charged);
  BlockCacheStats st = cache.GetStats();
  EXPECT_EQ(st.usage, 0u);
  EXPECT_EQ(st.blocks, 0u);
  EXPECT_EQ(cache.Lookup(2, 0), nullptr);
  EXPECT_EQ(*pinned, BlockFor(2, 0));
  // And it fills again.
  cache.Insert(3, 0, BlockFor(3, 0));
  EXPECT_NE(cache.Lookup(3, 0), nullptr);
}

TEST(BlockCacheTest, EachTableGetsItsOwnId) {
  BlockCache cache(1 << 20);
  uint64_t a = cache.NewId(), b = cache.NewId();
  EXPECT_NE(a, b);
}

// Readers and loaders on four threads over a cache too small for what they
// touch: every block handed out holds the bytes of its name (the TSan build
// checks the locking).
TEST(BlockCacheTest, ConcurrentReadersAndLoadersSeeTheRightBytes) {
  BlockCache cache(128 << 10);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      uint64_t x = 12345 + t;
      for (int i = 0; i < 20000; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t id = 1 + (x >> 60) % 4;
        uint64_t offset = ((x >> 32) % 200) * kBlock;
        BlockCache::Block b = cache.Lookup(id, offset);
        if (!b) b = cache.Insert(id, offset, BlockFor(id, offset));
        if (*b != BlockFor(id, offset)) wrong.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  BlockCacheStats st = cache.GetStats();
  EXPECT_EQ(st.hits + st.misses, 80000u);
  EXPECT_GT(st.hits, 0u);
  EXPECT_GT(st.evictions, 0u);
  EXPECT_LE(st.usage, 128u << 10);
}

}  // namespace
}  // namespace iron::lsm

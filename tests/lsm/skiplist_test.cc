#include "lsm/skiplist.h"

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "lsm/arena.h"

namespace iron::lsm {
namespace {

struct U64Compare {
  int operator()(uint64_t a, uint64_t b) const { return a < b ? -1 : a > b ? 1 : 0; }
};
using List = SkipList<uint64_t, U64Compare>;

TEST(SkipListTest, Empty) {
  Arena arena;
  List list(U64Compare(), &arena);
  EXPECT_FALSE(list.Contains(10));
  List::Iterator it(&list);
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.Seek(100);
  EXPECT_FALSE(it.Valid());
}

TEST(SkipListTest, MatchesStdSet) {
  Arena arena;
  List list(U64Compare(), &arena);
  std::set<uint64_t> model;
  std::mt19937_64 rng(17);
  for (int i = 0; i < 5000; ++i) {
    uint64_t k = rng() % 20000;
    if (model.insert(k).second) list.Insert(k);
  }
  for (uint64_t k = 0; k < 20000; ++k) ASSERT_EQ(list.Contains(k), model.count(k) == 1);

  List::Iterator it(&list);
  it.SeekToFirst();
  for (uint64_t k : model) {
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(it.key(), k);
    it.Next();
  }
  EXPECT_FALSE(it.Valid());

  for (int i = 0; i < 1000; ++i) {
    uint64_t target = rng() % 21000;
    it.Seek(target);
    auto m = model.lower_bound(target);
    if (m == model.end()) {
      ASSERT_FALSE(it.Valid());
    } else {
      ASSERT_TRUE(it.Valid());
      ASSERT_EQ(it.key(), *m);
    }
  }
}

// One writer inserts while readers iterate without a lock: every reader
// must see a sorted sequence containing at least what was published before
// it started (the writer publishes a watermark after each insert).
TEST(SkipListTest, ReadersRunConcurrentlyWithOneWriter) {
  Arena arena;
  List list(U64Compare(), &arena);
  constexpr uint64_t kCount = 20000;
  std::atomic<uint64_t> published{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (uint64_t i = 1; i <= kCount; ++i) {
      list.Insert(i * 2);
      published.store(i, std::memory_order_release);
    }
  });
  auto reader = [&] {
    while (published.load(std::memory_order_acquire) < kCount) {
      uint64_t floor = published.load(std::memory_order_acquire);
      List::Iterator it(&list);
      uint64_t prev = 0, seen = 0;
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        if (it.key() <= prev) failed = true;
        prev = it.key();
        ++seen;
      }
      if (seen < floor) failed = true;
      if (floor > 0 && !list.Contains(floor * 2)) failed = true;
    }
  };
  std::thread r1(reader), r2(reader);
  writer.join();
  r1.join();
  r2.join();
  EXPECT_FALSE(failed.load());
}

}  // namespace
}  // namespace iron::lsm

#include "lsm/range_tombstone.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace iron::lsm {
namespace {

// The answer by brute force: the highest sequence <= snapshot among the
// tombstones that cover key.
SequenceNumber Brute(const std::vector<RangeTombstone>& ts, const std::string& key,
                     SequenceNumber snapshot) {
  SequenceNumber best = 0;
  for (const auto& t : ts) {
    if (t.begin <= key && key < t.end && t.sequence <= snapshot) best = std::max(best, t.sequence);
  }
  return best;
}

TEST(RangeTombstoneTest, EmptySet) {
  FragmentedRangeTombstones f(std::vector<RangeTombstone>{});
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(f.MaxCoveringSequence("a", 100), 0u);
  RangeTombstoneMap m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.MaxCoveringSequence("a", 100), 0u);
}

TEST(RangeTombstoneTest, OverlappingTombstones) {
  std::vector<RangeTombstone> ts = {{"a", "m", 5}, {"f", "z", 9}, {"c", "d", 12}};
  FragmentedRangeTombstones f(ts);
  EXPECT_EQ(f.MaxCoveringSequence("b", 100), 5u);
  EXPECT_EQ(f.MaxCoveringSequence("c", 100), 12u);
  EXPECT_EQ(f.MaxCoveringSequence("c", 11), 5u);
  EXPECT_EQ(f.MaxCoveringSequence("g", 100), 9u);
  EXPECT_EQ(f.MaxCoveringSequence("g", 8), 5u);
  EXPECT_EQ(f.MaxCoveringSequence("m", 8), 0u);
  EXPECT_EQ(f.MaxCoveringSequence("z", 100), 0u);
  EXPECT_TRUE(f.Covers("b", 4, 100));
  EXPECT_FALSE(f.Covers("b", 5, 100));  // the entry is as new as the tombstone
  EXPECT_FALSE(f.Covers("b", 4, 4));   // tombstone not visible at snapshot 4
}

TEST(RangeTombstoneTest, RandomizedAgainstBruteForce) {
  std::mt19937 rng(7);
  auto key = [&] { return std::string(1, static_cast<char>('a' + rng() % 20)); };
  for (int round = 0; round < 50; ++round) {
    std::vector<RangeTombstone> ts;
    RangeTombstoneMap incremental;
    int n = rng() % 30;
    for (int i = 0; i < n; ++i) {
      std::string b = key(), e = key();
      if (b >= e) continue;
      RangeTombstone t{b, e, static_cast<SequenceNumber>(rng() % 100 + 1)};
      ts.push_back(t);
      incremental.Add(t);
    }
    std::sort(ts.begin(), ts.end(), [](auto& x, auto& y) { return x.begin < y.begin; });
    FragmentedRangeTombstones f(ts);
    for (char c = 'a'; c <= 'u'; ++c) {
      std::string k(1, c);
      for (SequenceNumber snap : {0ull, 10ull, 50ull, 99ull, 1000ull}) {
        ASSERT_EQ(f.MaxCoveringSequence(k, snap), Brute(ts, k, snap)) << k << "@" << snap;
        ASSERT_EQ(incremental.MaxCoveringSequence(k, snap), Brute(ts, k, snap));
      }
    }
    // Overlapping() pieces, fragmented again, answer the same inside the range.
    std::string lo = "e", hi = "p";
    FragmentedRangeTombstones part(incremental.Overlapping(&lo, &hi));
    for (char c = 'e'; c < 'p'; ++c) {
      std::string k(1, c);
      ASSERT_EQ(part.MaxCoveringSequence(k, 1000), Brute(ts, k, 1000));
    }
  }
}

}  // namespace
}  // namespace iron::lsm

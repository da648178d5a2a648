#include "lsm/range_tombstone.h"

#include <cstdio>
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

// Collapsed to the sequences the given snapshots (and the latest reader)
// can tell apart, tombstones answer those readers exactly as before, and
// nested ones no longer multiply.
TEST(RangeTombstoneTest, CollapseKeepsWhatSnapshotsSee) {
  std::mt19937 rng(11);
  auto key = [&] { return std::string(1, static_cast<char>('a' + rng() % 20)); };
  for (int round = 0; round < 200; ++round) {
    std::vector<RangeTombstone> ts;
    RangeTombstoneMap incremental;
    for (int i = 0, n = rng() % 30; i < n; ++i) {
      std::string b = key(), e = key();
      if (b >= e) continue;
      RangeTombstone t{b, e, static_cast<SequenceNumber>(rng() % 100 + 1)};
      ts.push_back(t);
      incremental.Add(t);
    }
    std::vector<SequenceNumber> snaps;
    for (int i = 0, n = rng() % 3; i < n; ++i) snaps.push_back(rng() % 100 + 1);
    std::sort(snaps.begin(), snaps.end());
    FragmentedRangeTombstones whole(ts);
    FragmentedRangeTombstones collapsed(whole.Collapse(snaps));
    FragmentedRangeTombstones flushed(incremental.Overlapping(nullptr, nullptr, &snaps));
    std::vector<SequenceNumber> readers = snaps;
    readers.push_back(kMaxSequenceNumber);
    for (char c = 'a'; c <= 'u'; ++c) {
      std::string k(1, c);
      for (SequenceNumber snap : readers) {
        ASSERT_EQ(collapsed.MaxCoveringSequence(k, snap), Brute(ts, k, snap)) << k << "@" << snap;
        ASSERT_EQ(flushed.MaxCoveringSequence(k, snap), Brute(ts, k, snap)) << k << "@" << snap;
      }
    }
  }
}

TEST(RangeTombstoneTest, NestedTombstonesCollapseToOne) {
  // A file truncated 1,000 times, shorter each time: [k_i, end).
  RangeTombstoneMap m;
  std::vector<RangeTombstone> ts;
  for (int i = 0; i < 1000; ++i) {
    char b[8];
    std::snprintf(b, sizeof b, "k%04d", 1000 - i);
    ts.push_back({b, "z", static_cast<SequenceNumber>(i + 1)});
    m.Add(ts.back());
  }
  EXPECT_EQ(m.Overlapping(nullptr, nullptr).size(), 1000u * 1001 / 2);  // every pair
  const std::vector<SequenceNumber> none;
  std::vector<RangeTombstone> flushed = m.Overlapping(nullptr, nullptr, &none);
  ASSERT_EQ(flushed.size(), 1u);  // the newest, joined across every fragment
  EXPECT_EQ(flushed[0].begin, "k0001");
  EXPECT_EQ(flushed[0].end, "z");
  EXPECT_EQ(flushed[0].sequence, 1000u);
  FragmentedRangeTombstones f(ts);
  EXPECT_EQ(f.Collapse(none).size(), 1u);
  // A snapshot in the middle keeps what it sees too.
  EXPECT_EQ(f.Collapse({500}).size(), 2u);
  EXPECT_GT(m.ApproximateMemoryUsage(), 1000u * 1000 / 2 * sizeof(SequenceNumber));
}

TEST(RangeTombstoneTest, CoversWhole) {
  FragmentedRangeTombstones f({{"b", "d", 10}, {"d", "f", 12}, {"g", "k", 20}});
  EXPECT_TRUE(f.CoversWhole("b", "e", true, 9, 100));
  EXPECT_FALSE(f.CoversWhole("b", "e", true, 10, 100));   // not newer than the table
  EXPECT_FALSE(f.CoversWhole("b", "e", true, 9, 11));     // d.. not visible at 11
  EXPECT_FALSE(f.CoversWhole("b", "f", true, 9, 100));    // f itself is not covered
  EXPECT_TRUE(f.CoversWhole("b", "f", false, 9, 100));    // up to f, exclusive
  EXPECT_FALSE(f.CoversWhole("c", "h", true, 9, 100));    // the gap [f, g)
  EXPECT_TRUE(f.CoversWhole("g", "j", true, 19, 100));
  EXPECT_FALSE(f.CoversWhole("a", "c", true, 1, 100));    // a is before every tombstone
}

}  // namespace
}  // namespace iron::lsm

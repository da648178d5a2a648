#include "lsm/memtable.h"

#include <gtest/gtest.h>

#include "lsm/bloom.h"

namespace iron::lsm {
namespace {

TEST(MemTableTest, NewestVisibleVersionWins) {
  MemTable mem;
  mem.Add(1, ValueType::kValue, "k", "v1");
  mem.Add(5, ValueType::kValue, "k", "v5");
  mem.Add(9, ValueType::kDeletion, "k", "");
  mem.Add(3, ValueType::kValue, "other", "o");

  auto r = mem.Get(LookupKey("k", 4));
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.value, "v1");
  r = mem.Get(LookupKey("k", 5));
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.value, "v5");
  r = mem.Get(LookupKey("k", 100));
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.type, ValueType::kDeletion);
  EXPECT_FALSE(mem.Get(LookupKey("k", 0)).found);
  EXPECT_FALSE(mem.Get(LookupKey("j", 100)).found);
  EXPECT_FALSE(mem.Get(LookupKey("kk", 100)).found);
  EXPECT_EQ(mem.NumEntries(), 4u);
}

TEST(MemTableTest, IteratesInInternalKeyOrder) {
  MemTable mem;
  mem.Add(2, ValueType::kValue, "b", "2");
  mem.Add(1, ValueType::kValue, "a", "1");
  mem.Add(3, ValueType::kValue, "b", "3");
  auto it = mem.NewIterator();
  std::vector<std::string> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen.push_back(std::string(ExtractUserKey(it->key())) + "@" +
                   std::to_string(ExtractSequence(it->key())) + "=" + std::string(it->value()));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a@1=1", "b@3=3", "b@2=2"}));
  it->Seek(MakeInternalKey("b", 2, kValueTypeForSeek));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "2");
}

TEST(MemTableTest, RangeTombstonesAreKeptApart) {
  MemTable mem;
  mem.Add(1, ValueType::kValue, "b", "x");
  mem.Add(2, ValueType::kRangeDeletion, "a", "c");
  mem.Add(3, ValueType::kRangeDeletion, "m", "p");
  EXPECT_TRUE(mem.HasRangeTombstones());
  EXPECT_EQ(mem.MaxCoveringTombstone("b", 10), 2u);
  EXPECT_EQ(mem.MaxCoveringTombstone("b", 1), 0u);  // not yet visible at 1
  EXPECT_EQ(mem.MaxCoveringTombstone("c", 10), 0u);  // end is exclusive
  EXPECT_EQ(mem.MaxCoveringTombstone("n", 10), 3u);
  // The point entry is still there; readers combine the two.
  EXPECT_TRUE(mem.Get(LookupKey("b", 10)).found);
  auto it = mem.NewIterator();
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 1);

  std::string lo = "n", hi = "z";
  auto t = mem.RangeTombstonesIn(&lo, &hi);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->Covers("o", 1, 10));
  EXPECT_FALSE(t->Covers("b", 1, 10));
}

TEST(MemTableTest, MemoryUsageGrows) {
  MemTable mem;
  size_t before = mem.ApproximateMemoryUsage();
  for (int i = 0; i < 1000; ++i) mem.Add(i + 1, ValueType::kValue, std::to_string(i), std::string(100, 'v'));
  EXPECT_GE(mem.ApproximateMemoryUsage(), before + 100 * 1000);
}

}  // namespace
}  // namespace iron::lsm

namespace iron::lsm {
namespace {

TEST(MemTableFilterTest, NoFalseNegativesFewFalsePositives) {
  MemTableFilter filter(1 << 20);
  for (int i = 0; i < 50000; ++i) filter.Add(BloomHash("key" + std::to_string(i)));
  for (int i = 0; i < 50000; ++i) ASSERT_TRUE(filter.MayContain(BloomHash("key" + std::to_string(i))));
  int positives = 0;
  for (int i = 0; i < 50000; ++i) positives += filter.MayContain(BloomHash("absent" + std::to_string(i)));
  EXPECT_LT(positives, 50000 / 50);  // under 2% at ~20 bits per key
  MemTableFilter none(0);
  EXPECT_TRUE(none.MayContain(BloomHash("anything")));
}

TEST(MemTableFilterTest, MemTableWithAFilterFindsEverything) {
  MemTable mem(1 << 16);
  for (int i = 0; i < 5000; ++i) mem.Add(i + 1, ValueType::kValue, "k" + std::to_string(i), "v");
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(mem.Get(LookupKey("k" + std::to_string(i), 10000)).found);
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(mem.Get(LookupKey("x" + std::to_string(i), 10000)).found);
}

}  // namespace
}  // namespace iron::lsm

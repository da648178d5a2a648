#include "lsm/merging_iterator.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

#include "lsm/internal_key.h"
#include "lsm/memtable.h"

namespace iron::lsm {
namespace {

TEST(MergingIteratorTest, NoChildren) {
  auto it = NewMergingIterator({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(MergingIteratorTest, MergesInInternalKeyOrder) {
  std::mt19937 rng(99);
  std::vector<std::unique_ptr<MemTable>> mems;
  std::map<std::string, std::string, bool (*)(const std::string&, const std::string&)> model(
      [](const std::string& a, const std::string& b) { return CompareInternalKeys(a, b) < 0; });
  SequenceNumber seq = 0;
  for (int m = 0; m < 5; ++m) {
    mems.push_back(std::make_unique<MemTable>());
    for (int i = 0; i < 300; ++i) {
      std::string key = "k" + std::to_string(rng() % 200);
      std::string value = std::to_string(++seq);
      mems.back()->Add(seq, ValueType::kValue, key, value);
      model[MakeInternalKey(key, seq, ValueType::kValue)] = value;
    }
  }
  std::vector<std::unique_ptr<Iterator>> children;
  for (auto& m : mems) children.push_back(m->NewIterator());
  children.push_back(NewEmptyIterator());
  auto it = NewMergingIterator(std::move(children));
  it->SeekToFirst();
  for (const auto& [k, v] : model) {
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), k);
    ASSERT_EQ(it->value(), v);
    it->Next();
  }
  EXPECT_FALSE(it->Valid());

  for (int i = 0; i < 200; ++i) {
    std::string target = MakeInternalKey("k" + std::to_string(rng() % 220), rng() % 2000,
                                         kValueTypeForSeek);
    it->Seek(target);
    auto m = model.lower_bound(target);
    if (m == model.end()) {
      ASSERT_FALSE(it->Valid());
    } else {
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(it->key(), m->first);
    }
  }
}

TEST(MergingIteratorTest, ChildErrorStopsTheMerge) {
  MemTable mem;
  mem.Add(1, ValueType::kValue, "a", "1");
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(mem.NewIterator());
  children.push_back(NewEmptyIterator(Status::Corruption("000009.sst: bad block")));
  auto it = NewMergingIterator(std::move(children));
  it->SeekToFirst();
  EXPECT_TRUE(it->status().IsCorruption());
}

}  // namespace
}  // namespace iron::lsm

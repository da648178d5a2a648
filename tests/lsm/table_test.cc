// Block, bloom filter and table: built in memory, read back, and damaged.
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "lsm/block.h"
#include "lsm/block_builder.h"
#include "lsm/bloom.h"
#include "lsm/table.h"
#include "lsm/table_builder.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

int Bytewise(std::string_view a, std::string_view b) { return a.compare(b); }

// A WritableFile into a string, and a MappedFile over one.
class StringSink final : public WritableFile {
 public:
  Status Append(std::string_view d) override {
    data.append(d);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  std::string data;
};

class StringMapped final : public MappedFile {
 public:
  explicit StringMapped(std::string d) : data_(std::move(d)) {}
  const char* data() const override { return data_.data(); }
  size_t size() const override { return data_.size(); }
  void DropResident(size_t, size_t) override {}

 private:
  std::string data_;
};

// ------------------------------------------------------------------ blocks

TEST(BlockTest, RoundTripAndSeek) {
  for (int interval : {1, 16}) {
    BlockBuilder b(interval);
    std::vector<std::string> keys;
    for (int i = 0; i < 500; ++i) keys.push_back("key" + test::NumberKey(i * 2, 6));
    for (const auto& k : keys) b.Add(k, "v" + k);
    std::string contents(b.Finish());
    std::string ctx = "test.sst";
    BlockIter it(contents, Bytewise, &ctx);
    size_t n = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next(), ++n) {
      ASSERT_EQ(it.key(), keys[n]);
      ASSERT_EQ(it.value(), "v" + keys[n]);
    }
    EXPECT_EQ(n, keys.size());
    it.Seek("a");  // before the first
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.key(), keys[0]);
    it.Seek("key" + test::NumberKey(501, 6));  // between two keys
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.key(), "key" + test::NumberKey(502, 6));
    it.Seek("zzz");  // after the last
    EXPECT_FALSE(it.Valid());
    EXPECT_TRUE(it.status().ok());
  }
}

TEST(BlockTest, EmptyBlock) {
  BlockBuilder b(16);
  std::string contents(b.Finish());
  BlockIter it(contents, Bytewise, nullptr);
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(BlockTest, GarbageNeverCrashes) {
  BlockBuilder b(4);
  for (int i = 0; i < 100; ++i) b.Add("k" + test::NumberKey(i, 4), std::string(i % 7, 'x'));
  std::string good(b.Finish());
  std::string ctx = "000042.sst: block at offset 0";
  // Every truncation, and random bytes: invalid or Corruption, never a crash
  // (the ASan build checks that nothing is read out of bounds).
  int corrupt = 0;
  for (size_t cut = 0; cut < good.size(); ++cut) {
    std::string bad = good.substr(0, cut);
    BlockIter it(bad, Bytewise, &ctx);
    for (it.SeekToFirst(); it.Valid(); it.Next()) {}
    it.Seek("k0050");
    if (!it.status().ok()) {
      ++corrupt;
      EXPECT_NE(it.status().message().find("000042.sst"), std::string::npos);
    }
  }
  EXPECT_GT(corrupt, 0);
  std::mt19937 rng(5);
  for (int round = 0; round < 2000; ++round) {
    std::string bad = good;
    for (int i = 0; i < 3; ++i) bad[rng() % bad.size()] = static_cast<char>(rng());
    BlockIter it(bad, Bytewise, &ctx);
    int steps = 0;
    for (it.SeekToFirst(); it.Valid() && steps < 1000; it.Next()) ++steps;
    it.Seek("k0042");
  }
}

// An internal-key block whose key is shorter than a tag is corruption, not
// a tag read from before the key (found by tests/fuzz/block_fuzz).
TEST(BlockTest, ShortInternalKeyIsCorruption) {
  BlockBuilder b(16);
  b.Add("a", "v");
  std::string contents(b.Finish());
  std::string ctx = "000042.sst: block at offset 0";
  BlockIter it(contents, CompareInternalKeys, &ctx, kTagSize);
  it.Seek(MakeInternalKey("a", 7, ValueType::kValue));
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
  BlockIter walk(contents, CompareInternalKeys, &ctx, kTagSize);
  walk.SeekToFirst();
  EXPECT_FALSE(walk.Valid());
  EXPECT_TRUE(walk.status().IsCorruption());
}

// ------------------------------------------------------------------ bloom

TEST(BloomTest, NoFalseNegativesAndFewFalsePositives) {
  BloomFilterBuilder b(10);
  for (int i = 0; i < 100000; ++i) b.AddKey(test::NumberKey(i));
  std::string filter = b.Finish();
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(BloomFilterMayContain(filter, test::NumberKey(i)));
  int positives = 0;
  for (int i = 100000; i < 200000; ++i) positives += BloomFilterMayContain(filter, test::NumberKey(i));
  EXPECT_LT(positives, 1200) << "false-positive rate " << positives / 1000.0 << "%";
}

TEST(BloomTest, DegenerateFilters) {
  EXPECT_TRUE(BloomFilterMayContain("", "k"));          // no filter: filters nothing
  EXPECT_TRUE(BloomFilterMayContain(std::string("\0\x63", 2), "k"));  // unknown k
  BloomFilterBuilder empty(10);
  std::string f = empty.Finish();
  EXPECT_FALSE(BloomFilterMayContain(f, "anything"));
}

// ------------------------------------------------------------------ tables

struct Entry {
  std::string user_key;
  SequenceNumber seq;
  ValueType type;
  std::string value;
};

class TableTest : public ::testing::Test {
 protected:
  // Three versions of each of n keys: seq 3i+1 (value), 3i+2 (value), and
  // for every fifth key a deletion at 3i+3.
  void Build(int n, int bloom_bits = 10, std::vector<RangeTombstone> tombs = {}) {
    Options o;
    o.block_size = 1024;
    o.bloom_bits_per_key = bloom_bits;
    StringSink sink;
    TableBuilder builder(o, &sink);
    for (int i = 0; i < n; ++i) {
      std::string k = test::NumberKey(i * 2);
      SequenceNumber base = 3 * static_cast<SequenceNumber>(i);
      if (i % 5 == 0) entries_.push_back({k, base + 3, ValueType::kDeletion, ""});
      entries_.push_back({k, base + 2, ValueType::kValue, "new" + k});
      entries_.push_back({k, base + 1, ValueType::kValue, "old" + k});
    }
    for (const auto& e : entries_) builder.Add(MakeInternalKey(e.user_key, e.seq, e.type), e.value);
    for (const auto& t : tombs) builder.AddRangeTombstone(t);
    ASSERT_TRUE(builder.Finish().ok());
    EXPECT_EQ(builder.NumEntries(), entries_.size());
    EXPECT_EQ(builder.FileSize(), sink.data.size());
    bytes_ = sink.data;
  }
  Status Open(std::string bytes) {
    return Table::Open(Options(), "000007.sst", std::make_unique<StringMapped>(std::move(bytes)),
                       &table_);
  }

  std::vector<Entry> entries_;
  std::string bytes_;
  std::shared_ptr<Table> table_;
};

TEST_F(TableTest, GetSeesTheVersionOfTheSnapshot) {
  Build(20000);
  ASSERT_TRUE(Open(bytes_).ok());
  for (int i = 0; i < 20000; i += 7) {
    std::string k = test::NumberKey(i * 2);
    SequenceNumber base = 3 * static_cast<SequenceNumber>(i);
    TableGetResult r;
    ASSERT_TRUE(table_->Get(LookupKey(k, base + 1).internal_key(), &r).ok());
    ASSERT_TRUE(r.found);
    EXPECT_EQ(r.value, "old" + k);
    ASSERT_TRUE(table_->Get(LookupKey(k, base + 2).internal_key(), &r).ok());
    EXPECT_EQ(r.value, "new" + k);
    ASSERT_TRUE(table_->Get(LookupKey(k, kMaxSequenceNumber).internal_key(), &r).ok());
    ASSERT_TRUE(r.found);
    EXPECT_EQ(r.type, i % 5 == 0 ? ValueType::kDeletion : ValueType::kValue);
    ASSERT_TRUE(table_->Get(LookupKey(k, base).internal_key(), &r).ok());
    EXPECT_FALSE(r.found);  // written after the snapshot
  }
}

TEST_F(TableTest, FilterSparesDataBlocksForMissingKeys) {
  Build(20000);
  ASSERT_TRUE(Open(bytes_).ok());
  int excluded = 0;
  for (int i = 0; i < 20000; ++i) {
    TableGetResult r;
    ASSERT_TRUE(table_->Get(LookupKey(test::NumberKey(i * 2 + 1), kMaxSequenceNumber).internal_key(), &r).ok());
    EXPECT_FALSE(r.found);
    EXPECT_TRUE(r.filter_checked);
    excluded += r.filter_excluded;
  }
  EXPECT_GE(excluded, 19800);  // >= 99% read no data block
}

TEST_F(TableTest, WithoutAFilterStillCorrect) {
  Build(2000, /*bloom_bits=*/0);
  ASSERT_TRUE(Open(bytes_).ok());
  TableGetResult r;
  ASSERT_TRUE(table_->Get(LookupKey(test::NumberKey(3), kMaxSequenceNumber).internal_key(), &r).ok());
  EXPECT_FALSE(r.found);
  EXPECT_FALSE(r.filter_checked);
  ASSERT_TRUE(table_->Get(LookupKey(test::NumberKey(4), kMaxSequenceNumber).internal_key(), &r).ok());
  EXPECT_TRUE(r.found);
}

TEST_F(TableTest, IteratorScansAndSeeks) {
  Build(5000);
  ASSERT_TRUE(Open(bytes_).ok());
  auto it = table_->NewIterator();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    ASSERT_LT(n, entries_.size());
    ASSERT_EQ(it->key(), MakeInternalKey(entries_[n].user_key, entries_[n].seq, entries_[n].type));
    ASSERT_EQ(it->value(), entries_[n].value);
  }
  EXPECT_EQ(n, entries_.size());
  EXPECT_TRUE(it->status().ok());
  it->Seek(LookupKey(test::NumberKey(101), kMaxSequenceNumber).internal_key());
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(ExtractUserKey(it->key()), test::NumberKey(102));
  table_.reset();  // the iterator keeps the table alive
  it->Next();
  EXPECT_TRUE(it->Valid());
}

TEST_F(TableTest, RangeTombstonesComeBack) {
  Build(10, 10, {{"b", "d", 7}, {"a", "c", 9}, {"x", "x", 3}});  // the empty range is dropped
  ASSERT_TRUE(Open(bytes_).ok());
  ASSERT_TRUE(table_->range_tombstones());
  EXPECT_EQ(table_->range_tombstones()->tombstones().size(), 2u);
  EXPECT_EQ(table_->range_tombstones()->MaxCoveringSequence("b", 100), 9u);
  EXPECT_EQ(table_->range_tombstones()->MaxCoveringSequence("c", 100), 7u);
}

TEST_F(TableTest, DamagedDataBlockIsCorruptionNamingTheFile) {
  Build(5000);
  std::string bad = bytes_;
  bad[bad.size() / 3] ^= 0x20;
  ASSERT_TRUE(Open(bad).ok());  // footer, index and filter are intact
  int corrupt = 0;
  for (int i = 0; i < 5000; ++i) {
    TableGetResult r;
    Status s = table_->Get(LookupKey(test::NumberKey(i * 2), kMaxSequenceNumber).internal_key(), &r);
    if (!s.ok()) {
      ++corrupt;
      EXPECT_TRUE(s.IsCorruption());
      EXPECT_NE(s.message().find("000007.sst"), std::string::npos) << s.message();
    }
  }
  EXPECT_GT(corrupt, 0);
  auto it = table_->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {}
  EXPECT_TRUE(it->status().IsCorruption());
}

TEST_F(TableTest, NotATable) {
  Build(100);
  EXPECT_TRUE(Open(bytes_.substr(0, 30)).IsCorruption());
  std::string bad_magic = bytes_;
  bad_magic.back() ^= 1;
  Status s = Open(bad_magic);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("magic"), std::string::npos);
  std::string bad_index = bytes_;
  bad_index[bad_index.size() - kFooterSize - 3] ^= 1;  // inside the index block's trailer
  EXPECT_TRUE(Open(bad_index).IsCorruption());
}

}  // namespace
}  // namespace iron::lsm

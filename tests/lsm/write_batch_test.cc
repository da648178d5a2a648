#include "lsm/write_batch.h"

#include <gtest/gtest.h>

#include "lsm/memtable.h"
#include "lsm/write_batch_internal.h"

namespace iron::lsm {
namespace {

struct Recorder : WriteBatch::Handler {
  std::string log;
  void Put(std::string_view k, std::string_view v) override {
    log += "Put(" + std::string(k) + "," + std::string(v) + ")";
  }
  void Delete(std::string_view k) override { log += "Delete(" + std::string(k) + ")"; }
  void DeleteRange(std::string_view b, std::string_view e) override {
    log += "DeleteRange(" + std::string(b) + "," + std::string(e) + ")";
  }
};

TEST(WriteBatchTest, EmptyBatch) {
  WriteBatch b;
  EXPECT_EQ(b.Count(), 0u);
  EXPECT_EQ(WriteBatchInternal::ByteSize(b), WriteBatchInternal::kHeaderSize);
  Recorder r;
  ASSERT_TRUE(b.Iterate(&r).ok());
  EXPECT_EQ(r.log, "");
}

TEST(WriteBatchTest, RecordsInOrder) {
  WriteBatch b;
  b.Put("foo", "bar");
  b.Delete("box");
  b.DeleteRange("a", "c");
  b.Put("", "");  // empty keys and values are legal
  b.DeleteRange("z", "a");  // empty range: no-op
  EXPECT_EQ(b.Count(), 4u);
  Recorder r;
  ASSERT_TRUE(b.Iterate(&r).ok());
  EXPECT_EQ(r.log, "Put(foo,bar)Delete(box)DeleteRange(a,c)Put(,)");
}

TEST(WriteBatchTest, SequenceAndAppend) {
  WriteBatch a, b;
  a.Put("k1", "v1");
  b.Delete("k2");
  b.Put("k3", "v3");
  WriteBatchInternal::SetSequence(&a, 100);
  EXPECT_EQ(WriteBatchInternal::Sequence(a), 100u);
  a.Append(b);
  EXPECT_EQ(a.Count(), 3u);
  EXPECT_EQ(WriteBatchInternal::Sequence(a), 100u);
  Recorder r;
  ASSERT_TRUE(a.Iterate(&r).ok());
  EXPECT_EQ(r.log, "Put(k1,v1)Delete(k2)Put(k3,v3)");
}

TEST(WriteBatchTest, ContentsRoundTrip) {
  WriteBatch a;
  a.Put("x", std::string(1000, 'y'));
  a.DeleteRange("b", "e");
  WriteBatch b;
  ASSERT_TRUE(WriteBatchInternal::SetContents(&b, WriteBatchInternal::Contents(a)).ok());
  Recorder ra, rb;
  ASSERT_TRUE(a.Iterate(&ra).ok());
  ASSERT_TRUE(b.Iterate(&rb).ok());
  EXPECT_EQ(ra.log, rb.log);
}

TEST(WriteBatchTest, DamagedContentsAreCorruption) {
  WriteBatch b;
  EXPECT_TRUE(WriteBatchInternal::SetContents(&b, "short").IsCorruption());

  WriteBatch a;
  a.Put("key", "value");
  std::string rep(WriteBatchInternal::Contents(a));
  // Truncated record.
  ASSERT_TRUE(WriteBatchInternal::SetContents(&b, rep.substr(0, rep.size() - 2)).ok());
  Recorder r;
  EXPECT_TRUE(b.Iterate(&r).IsCorruption());
  // Count says more records than there are.
  ASSERT_TRUE(WriteBatchInternal::SetContents(&b, rep).ok());
  WriteBatchInternal::SetCount(&b, 2);
  EXPECT_TRUE(b.Iterate(&r).IsCorruption());
  // Unknown record type.
  rep[WriteBatchInternal::kHeaderSize] = 0x7f;
  ASSERT_TRUE(WriteBatchInternal::SetContents(&b, rep).ok());
  EXPECT_TRUE(b.Iterate(&r).IsCorruption());
}

TEST(WriteBatchTest, InsertIntoMemTableNumbersFromSequence) {
  WriteBatch b;
  b.Put("a", "1");
  b.Put("a", "2");
  b.Delete("b");
  WriteBatchInternal::SetSequence(&b, 50);
  MemTable mem;
  ASSERT_TRUE(WriteBatchInternal::InsertInto(b, &mem).ok());
  auto r = mem.Get(LookupKey("a", 100));
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.sequence, 51u);
  EXPECT_EQ(r.value, "2");
  r = mem.Get(LookupKey("a", 50));
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.value, "1");
  r = mem.Get(LookupKey("b", 100));
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.type, ValueType::kDeletion);
  EXPECT_EQ(r.sequence, 52u);
}

// A WAL record whose checksum matched but whose batch is damaged past its
// first update is applied not at all (found by tests/fuzz/write_batch_fuzz).
TEST(WriteBatchTest, DamagedBatchInsertsNothing) {
  WriteBatch a;
  a.Put("key", "value");
  a.DeleteRange("a", "z");
  std::string rep(WriteBatchInternal::Contents(a));
  rep.push_back(0x7f);  // a third update of an unknown type
  WriteBatch b;
  ASSERT_TRUE(WriteBatchInternal::SetContents(&b, rep).ok());
  WriteBatchInternal::SetCount(&b, 3);
  MemTable mem;
  EXPECT_TRUE(WriteBatchInternal::InsertInto(b, &mem).IsCorruption());
  EXPECT_TRUE(mem.Empty());
  EXPECT_FALSE(mem.Get(LookupKey("key", 100)).found);
  EXPECT_FALSE(mem.HasRangeTombstones());
}

// Sequence numbers past 2^56 - 1 do not fit in a tag: Corruption, not
// entries with wrapped sequences.
TEST(WriteBatchTest, SequenceBeyondMaximumIsCorruption) {
  WriteBatch b;
  b.Put("a", "1");
  b.Put("b", "2");
  MemTable mem;
  WriteBatchInternal::SetSequence(&b, kMaxSequenceNumber);
  EXPECT_TRUE(WriteBatchInternal::InsertInto(b, &mem).IsCorruption());
  EXPECT_TRUE(mem.Empty());
  WriteBatchInternal::SetSequence(&b, kMaxSequenceNumber - 1);
  EXPECT_TRUE(WriteBatchInternal::InsertInto(b, &mem).ok());
}

}  // namespace
}  // namespace iron::lsm

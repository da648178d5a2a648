// Tables read with pread through the block cache (the default): a table
// that shrinks under an open DB fails the reads of the blocks it lost with
// a Corruption naming it, serves the blocks it kept, and raises no signal;
// a failed read is an IOError; the cache's counters reach DBStats.
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/fault_injection_env.h"
#include "lsm/filename.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

std::string Value(int i) { return std::string(200, static_cast<char>('a' + i % 26)); }

// SIGBUS back to its default action (death) for the life of the object:
// no handler may quietly absorb a fault on a mapped table.
class NoSigbusHandler {
 public:
  NoSigbusHandler() {
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGBUS, &dfl, &saved_);
  }
  ~NoSigbusHandler() { ::sigaction(SIGBUS, &saved_, nullptr); }

 private:
  struct sigaction saved_ = {};
};

class TableReadTest : public ::testing::Test {
 protected:
  void Open(Options o = Options()) {
    Status s = DB::Open(o, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void FillTable(int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE(db_->Put(WriteOptions(), test::NumberKey(i), Value(i)).ok());
    }
    ASSERT_TRUE(db_->Flush().ok());
  }
  std::vector<std::string> Tables() { return test::FilesOfType(dir_.path(), FileType::kTable); }

  test::ScratchDir dir_;
  FaultInjectionEnv fault_env_;  // outlives db_
  std::unique_ptr<DB> db_;
};

TEST_F(TableReadTest, ATableThatShrinksUnderTheDBFailsItsLostBlocksWithoutASignal) {
  Open();
  FillTable(0, 2000);     // the table to cut (about 110 blocks)
  FillTable(2000, 4000);  // a healthy one beside it
  auto tables = Tables();
  ASSERT_EQ(tables.size(), 2u);
  uint64_t size = std::filesystem::file_size(tables[0]);
  NoSigbusHandler no_handler;
  ASSERT_EQ(::truncate(tables[0].c_str(), static_cast<off_t>(size / 2)), 0);

  std::string v;
  int served = 0, failed = 0, first_failed = -1;
  for (int i = 0; i < 2000; ++i) {
    Status s = db_->Get({}, test::NumberKey(i), &v);
    if (s.ok()) {
      EXPECT_EQ(v, Value(i)) << i;  // never wrong data
      EXPECT_EQ(first_failed, -1) << i << ": served after a lost key";
      ++served;
      continue;
    }
    ++failed;
    if (first_failed < 0) first_failed = i;
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find(tables[0]), std::string::npos) << s.ToString();
    EXPECT_NE(s.ToString().find("offset"), std::string::npos) << s.ToString();
  }
  // The first half of the file holds the first half of the keys, more or
  // less: those are served, the rest fail.
  EXPECT_GT(served, 800);
  EXPECT_GT(failed, 800);
  for (int i = 2000; i < 4000; ++i) {
    ASSERT_TRUE(db_->Get({}, test::NumberKey(i), &v).ok()) << i;
    EXPECT_EQ(v, Value(i));
  }

  // A scan returns the keys the table kept, in order, then stops with the
  // same error.
  auto it = db_->NewIterator({});
  int scanned = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++scanned) {
    ASSERT_EQ(it->key(), test::NumberKey(scanned));
    ASSERT_EQ(it->value(), Value(scanned));
  }
  EXPECT_EQ(scanned, served);
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  EXPECT_NE(it->status().ToString().find(tables[0]), std::string::npos);
  // A seek into the lost part fails too.
  it->Seek(test::NumberKey(1900));
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  it.reset();

  // The database still takes writes and serves them.
  ASSERT_TRUE(db_->Put(WriteOptions(), "new", "value").ok());
  ASSERT_TRUE(db_->Get({}, "new", &v).ok());
  EXPECT_EQ(v, "value");
}

TEST_F(TableReadTest, ATableCutToNothingFailsItsReadsAndItsReopen) {
  Open();
  FillTable(0, 2000);
  auto tables = Tables();
  ASSERT_EQ(tables.size(), 1u);
  NoSigbusHandler no_handler;
  ASSERT_EQ(::truncate(tables[0].c_str(), 0), 0);
  std::string v;
  // The index and the filter were read when the table opened: the lookup
  // reaches a data block, which is gone.
  Status s = db_->Get({}, test::NumberKey(5), &v);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(tables[0]), std::string::npos) << s.ToString();
  // Reopened, the table is refused for what it is.
  db_.reset();
  Status open = DB::Open(Options(), dir_.path(), &db_);
  EXPECT_FALSE(open.ok());
  EXPECT_NE(open.ToString().find(tables[0]), std::string::npos) << open.ToString();
}

TEST_F(TableReadTest, AFailedReadIsAnIOErrorNamingTheTable) {
  Options o;
  o.env = &fault_env_;
  Open(o);
  FillTable(0, 2000);
  fault_env_.FailAfter(FaultInjectionEnv::Op::kRead, 0, Status::IOError("injected: EIO"), ".sst");
  std::string v;
  Status s = db_->Get({}, test::NumberKey(7), &v);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  auto it = db_->NewIterator({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError()) << it->status().ToString();
  it.reset();
  // A failed read is not cached: once the disk reads again, so does the DB.
  fault_env_.ClearFailures();
  ASSERT_TRUE(db_->Get({}, test::NumberKey(7), &v).ok());
  EXPECT_EQ(v, Value(7));
}

TEST_F(TableReadTest, TheCacheServesRepeatedReadsAndCountsThem) {
  Open();
  FillTable(0, 2000);
  std::string v;
  ASSERT_TRUE(db_->Get({}, test::NumberKey(100), &v).ok());
  DBStats first = db_->GetStats();
  EXPECT_EQ(first.block_cache_misses, 1u);
  EXPECT_EQ(first.block_cache_inserts, 1u);
  EXPECT_EQ(first.block_cache_capacity, Options().block_cache_bytes);
  EXPECT_GE(first.block_cache_bytes, 4096u);
  EXPECT_GT(first.table_pinned_bytes, 0u);  // the index and the filter
  ASSERT_TRUE(db_->Get({}, test::NumberKey(101), &v).ok());  // the same block
  DBStats second = db_->GetStats();
  EXPECT_EQ(second.block_cache_hits, first.block_cache_hits + 1);
  EXPECT_EQ(second.block_cache_misses, 1u);
  EXPECT_NE(second.ToString().find("block cache: 1 hits, 1 misses"), std::string::npos)
      << second.ToString();

  // A block in the cache still serves after its file is gone.
  NoSigbusHandler no_handler;
  ASSERT_EQ(::truncate(Tables()[0].c_str(), 0), 0);
  ASSERT_TRUE(db_->Get({}, test::NumberKey(102), &v).ok());
  EXPECT_EQ(v, Value(102));
}

TEST_F(TableReadTest, ACompactionDoesNotFillTheCache) {
  Options o;
  o.level0_compaction_trigger = 10;  // only the manual one
  Open(o);
  ASSERT_TRUE(db_);
  for (int t = 0; t < 4; ++t) FillTable(t * 1000, t * 1000 + 1000);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  DBStats st = db_->GetStats();
  EXPECT_EQ(st.block_cache_inserts, 0u);
  std::string v;
  ASSERT_TRUE(db_->Get({}, test::NumberKey(3999), &v).ok());
  EXPECT_EQ(v, Value(3999));
}

TEST_F(TableReadTest, ATableGoneTakesItsBlocksAndARestingDBGivesTheCacheBack) {
  Options o;
  o.level0_compaction_trigger = 10;  // only the manual one
  Open(o);
  ASSERT_TRUE(db_);
  FillTable(0, 2000);
  FillTable(1000, 3000);  // overlapping: the compaction must rewrite both
  std::string v;
  for (int i = 0; i < 3000; i += 10) ASSERT_TRUE(db_->Get({}, test::NumberKey(i), &v).ok());
  EXPECT_GT(db_->GetStats().block_cache_bytes, 100u << 10);
  // The compaction replaces both tables: their blocks leave with them.
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(db_->GetStats().block_cache_bytes, 0u);

  for (int i = 0; i < 3000; i += 10) ASSERT_TRUE(db_->Get({}, test::NumberKey(i), &v).ok());
  uint64_t held = db_->GetStats().block_cache_bytes;
  EXPECT_GT(held, 100u << 10);
  EXPECT_GE(db_->ReleaseIdleMemory(), held);
  EXPECT_EQ(db_->GetStats().block_cache_bytes, 0u);
  ASSERT_TRUE(db_->Get({}, test::NumberKey(77), &v).ok());
  EXPECT_EQ(v, Value(77));
}

TEST_F(TableReadTest, NoCacheAtAllStillReads) {
  Options o;
  o.block_cache_bytes = 0;
  Open(o);
  FillTable(0, 2000);
  std::string v;
  for (int i = 0; i < 2000; i += 7) {
    ASSERT_TRUE(db_->Get({}, test::NumberKey(i), &v).ok()) << i;
    EXPECT_EQ(v, Value(i));
  }
  auto it = db_->NewIterator({});
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(n, 2000);
  EXPECT_EQ(db_->GetStats().block_cache_bytes, 0u);
}

TEST_F(TableReadTest, MappedReadsGiveTheSameAnswers) {
  Options o;
  o.mmap_reads = true;
  Open(o);
  FillTable(0, 2000);
  std::string v;
  for (int i = 0; i < 2000; i += 3) {
    ASSERT_TRUE(db_->Get({}, test::NumberKey(i), &v).ok()) << i;
    EXPECT_EQ(v, Value(i));
  }
  DBStats st = db_->GetStats();
  EXPECT_EQ(st.block_cache_hits + st.block_cache_misses, 0u);
}

}  // namespace
}  // namespace iron::lsm

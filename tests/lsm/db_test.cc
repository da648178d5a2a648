// The DB's behaviour through its public interface, one property per test.
#include "lsm/db.h"

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "lsm/env.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

class DBTest : public ::testing::Test {
 protected:
  void Open(Options o = Options()) {
    options_ = o;
    Status s = DB::Open(o, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Reopen() {
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
    Open(options_);
  }
  std::string Get(std::string_view key, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string value;
    Status s = db_->Get(ro, key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return value;
  }
  std::string Scan(ReadOptions ro = ReadOptions()) {
    std::string out;
    auto it = db_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out += std::string(it->key()) + "=" + std::string(it->value()) + ";";
    }
    if (!it->status().ok()) out += "ERROR: " + it->status().ToString();
    return out;
  }
  uint64_t DirBytes() {
    uint64_t total = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      if (e.is_regular_file()) total += e.file_size();
    }
    return total;
  }

  test::ScratchDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
  WriteOptions wo_;
};

TEST_F(DBTest, PutGetDelete) {
  Open();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  ASSERT_TRUE(db_->Put(wo_, "a", "1").ok());
  ASSERT_TRUE(db_->Put(wo_, "b", "").ok());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "");
  ASSERT_TRUE(db_->Put(wo_, "a", "2").ok());
  EXPECT_EQ(Get("a"), "2");
  ASSERT_TRUE(db_->Delete(wo_, "a").ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  ASSERT_TRUE(db_->Delete(wo_, "never-there").ok());
}

TEST_F(DBTest, BinaryKeysAndLargeValues) {
  Open();
  std::string key("\0\xff\x01", 3);
  std::string big(3 << 20, 'x');
  ASSERT_TRUE(db_->Put(wo_, key, big).ok());
  EXPECT_EQ(Get(key), big);
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Get(key), big);
  Reopen();
  EXPECT_EQ(Get(key), big);
}

TEST_F(DBTest, SurvivesReopenFromWalAndFromTables) {
  Open();
  ASSERT_TRUE(db_->Put(wo_, "wal", "only").ok());
  Reopen();
  EXPECT_EQ(Get("wal"), "only");
  ASSERT_TRUE(db_->Put(wo_, "table", "flushed").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Delete(wo_, "wal").ok());
  Reopen();
  EXPECT_EQ(Get("table"), "flushed");
  EXPECT_EQ(Get("wal"), "NOT_FOUND");
}

TEST_F(DBTest, AbandonedWithoutCloseStillRecovers) {
  // Writes are in the kernel once acknowledged: a process that dies
  // without Close loses nothing. (Simulated by opening a second
  // directory copy of the files as they stand.)
  Open();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(db_->Put(wo_, test::NumberKey(i), "v").ok());
  test::ScratchDir copy;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    if (e.path().filename() == "LOCK") continue;
    std::filesystem::copy(e.path(), copy.path() + "/" + e.path().filename().string());
  }
  std::unique_ptr<DB> other;
  ASSERT_TRUE(DB::Open(Options(), copy.path(), &other).ok());
  std::string v;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(other->Get({}, test::NumberKey(i), &v).ok()) << i;
}

TEST_F(DBTest, IteratorOrderSeekAndBounds) {
  Open();
  for (const char* k : {"d", "a", "c", "b", "e"}) ASSERT_TRUE(db_->Put(wo_, k, k).ok());
  ASSERT_TRUE(db_->Delete(wo_, "c").ok());
  EXPECT_EQ(Scan(), "a=a;b=b;d=d;e=e;");
  ReadOptions ro;
  ro.lower_bound = "b";
  ro.upper_bound = "e";
  EXPECT_EQ(Scan(ro), "b=b;d=d;");
  auto it = db_->NewIterator(ro);
  it->Seek("a");  // below the lower bound: clamped
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Seek("e");
  EXPECT_FALSE(it->Valid());
  // The same after the data moves into tables.
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Scan(ro), "b=b;d=d;");
}

TEST_F(DBTest, PrefixScanWithBounds) {
  Open();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(db_->Put(wo_, "p" + std::to_string(i % 10) + "/" + std::to_string(i), "x").ok());
  }
  ReadOptions ro;
  ro.lower_bound = "p3/";
  ro.upper_bound = "p30";  // '0' follows '/': the end of prefix "p3/"
  int n = 0;
  auto it = db_->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    EXPECT_EQ(it->key().substr(0, 3), "p3/");
    ++n;
  }
  EXPECT_EQ(n, 10);
}

TEST_F(DBTest, IteratorIsAConsistentSnapshot) {
  Open();
  ASSERT_TRUE(db_->Put(wo_, "a", "1").ok());
  ASSERT_TRUE(db_->Put(wo_, "b", "1").ok());
  auto it = db_->NewIterator(ReadOptions());
  ASSERT_TRUE(db_->Put(wo_, "a", "2").ok());
  ASSERT_TRUE(db_->Put(wo_, "c", "2").ok());
  ASSERT_TRUE(db_->Delete(wo_, "b").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  std::string seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen += std::string(it->key()) + "=" + std::string(it->value()) + ";";
  }
  EXPECT_EQ(seen, "a=1;b=1;");
  EXPECT_EQ(Scan(), "a=2;c=2;");
}

TEST_F(DBTest, SnapshotsSurviveFlushAndCompaction) {
  Open();
  ASSERT_TRUE(db_->Put(wo_, "k", "old").ok());
  auto snap = db_->GetSnapshot();
  ASSERT_TRUE(db_->Put(wo_, "k", "new").ok());
  ASSERT_TRUE(db_->Put(wo_, "gone", "x").ok());
  auto snap2 = db_->GetSnapshot();
  ASSERT_TRUE(db_->Delete(wo_, "gone").ok());
  ASSERT_TRUE(db_->DeleteRange(wo_, "a", "z").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(Get("k", snap.get()), "old");
  EXPECT_EQ(Get("gone", snap.get()), "NOT_FOUND");
  EXPECT_EQ(Get("k", snap2.get()), "new");
  EXPECT_EQ(Get("gone", snap2.get()), "x");
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  snap.reset();
  snap2.reset();
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  EXPECT_EQ(db_->GetStats().live_table_bytes, 0u);  // nothing left to keep
}

TEST_F(DBTest, DeleteRangeHidesOnlyOlderKeysInRange) {
  Open();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db_->Put(wo_, test::NumberKey(i, 3), "v").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->DeleteRange(wo_, test::NumberKey(10, 3), test::NumberKey(90, 3)).ok());
  ASSERT_TRUE(db_->Put(wo_, test::NumberKey(50, 3), "reborn").ok());
  EXPECT_EQ(Get(test::NumberKey(9, 3)), "v");
  EXPECT_EQ(Get(test::NumberKey(10, 3)), "NOT_FOUND");
  EXPECT_EQ(Get(test::NumberKey(89, 3)), "NOT_FOUND");
  EXPECT_EQ(Get(test::NumberKey(90, 3)), "v");
  EXPECT_EQ(Get(test::NumberKey(50, 3)), "reborn");
  int n = 0;
  {
    auto it = db_->NewIterator(ReadOptions());  // iterators die before their DB
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  }
  EXPECT_EQ(n, 10 + 10 + 1);
  Reopen();
  EXPECT_EQ(Get(test::NumberKey(10, 3)), "NOT_FOUND");
  EXPECT_EQ(Get(test::NumberKey(50, 3)), "reborn");
}

TEST_F(DBTest, DeleteRangeReclaimsSpaceAfterCompaction) {
  Options o;
  o.write_buffer_size = 1 << 20;
  Open(o);
  std::string value(4000, 'v');
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(db_->Put(wo_, test::NumberKey(i), value).ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  uint64_t full = db_->GetStats().live_table_bytes;
  EXPECT_GT(full, 5000u * 4000u / 2);
  ASSERT_TRUE(db_->DeleteRange(wo_, test::NumberKey(0), test::NumberKey(5000)).ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(db_->GetStats().live_table_bytes, 0u);
  EXPECT_LT(DirBytes(), full / 10);
}

TEST_F(DBTest, ManyFlushesCompactIntoLevels) {
  Options o;
  o.write_buffer_size = 256 << 10;
  o.target_file_size = 256 << 10;
  o.max_bytes_for_level_base = 1 << 20;
  Open(o);
  std::string value(100, 'v');
  for (int i = 0; i < 60000; ++i) {
    ASSERT_TRUE(db_->Put(wo_, test::NumberKey((i * 7919) % 60000), value).ok());
  }
  ASSERT_TRUE(db_->Flush().ok());
  DBStats st = db_->GetStats();
  EXPECT_GT(st.flushes, 10u);
  EXPECT_GT(st.compactions, 0u);
  EXPECT_GT(st.WriteAmplification(), 1.0);
  int deeper = 0;
  for (size_t l = 1; l < st.levels.size(); ++l) deeper += st.levels[l].files;
  EXPECT_GT(deeper, 0);
  for (int i = 0; i < 60000; i += 997) EXPECT_EQ(Get(test::NumberKey(i)), value);
  EXPECT_NE(st.ToString().find("write amplification"), std::string::npos);
}

// Keys written in order, each batch also touching one key of another
// class (as a file's data and its inode): with tables cut between classes
// the ordered data never overlaps older tables and moves down unrewritten.
TEST_F(DBTest, OrderedDataInItsOwnPartitionMovesDownWithoutRewrite) {
  auto run = [&](size_t partition_prefix) {
    Options o;
    o.write_buffer_size = 256 << 10;
    o.target_file_size = 256 << 10;
    o.max_bytes_for_level_base = 1 << 20;
    o.table_partition_prefix = partition_prefix;
    EXPECT_TRUE(DestroyDB(dir_.path(), o).ok());
    Open(o);
    std::string value(1000, 'v');
    for (int i = 0; i < 8000; ++i) {
      WriteBatch b;
      b.Put("B" + test::NumberKey(i), value);
      b.Put("I-inode", std::to_string(i));
      EXPECT_TRUE(db_->Write(wo_, &b).ok());
    }
    EXPECT_TRUE(db_->Flush().ok());
    for (int i = 0; i < 8000; i += 331) EXPECT_EQ(Get("B" + test::NumberKey(i)), value);
    EXPECT_EQ(Get("I-inode"), "7999");
    DBStats st = db_->GetStats();
    uint64_t rewritten = 0;
    for (size_t l = 1; l < st.levels.size(); ++l) rewritten += st.levels[l].bytes_written;
    EXPECT_GT(st.compactions, 0u);
    EXPECT_TRUE(db_->Close().ok());
    db_.reset();
    return rewritten;
  };
  uint64_t unpartitioned = run(0);
  uint64_t partitioned = run(1);
  EXPECT_GT(unpartitioned, 4u << 20);  // ~8 MB of data, merged at least once
  EXPECT_LT(partitioned, unpartitioned / 10);
}

TEST_F(DBTest, BloomFilterSparesTableReadsForMissingKeys) {
  Open();
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(db_->Put(wo_, test::NumberKey(i * 2), "v").ok());
  ASSERT_TRUE(db_->Flush().ok());
  DBStats before = db_->GetStats();
  for (int i = 0; i < 20000; ++i) EXPECT_EQ(Get(test::NumberKey(i * 2 + 1)), "NOT_FOUND");
  DBStats after = db_->GetStats();
  uint64_t checked = after.bloom_checked - before.bloom_checked;
  uint64_t useful = after.bloom_useful - before.bloom_useful;
  ASSERT_GE(checked, 19900u);  // keys past the table's last are never probed
  EXPECT_GE(static_cast<double>(useful) / static_cast<double>(checked), 0.99);
}

TEST_F(DBTest, SecondOpenOfTheSameDirectoryIsBusy) {
  Open();
  std::unique_ptr<DB> second;
  Status s = DB::Open(Options(), dir_.path(), &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.message().find("LOCK"), std::string::npos) << s.message();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  EXPECT_TRUE(DB::Open(Options(), dir_.path(), &second).ok());
}

TEST_F(DBTest, CloseIsIdempotentAndLaterCallsFail) {
  Open();
  ASSERT_TRUE(db_->Put(wo_, "a", "1").ok());
  ASSERT_TRUE(db_->Close().ok());
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_FALSE(db_->Put(wo_, "a", "2").ok());
  std::string v;
  EXPECT_FALSE(db_->Get({}, "a", &v).ok());
}

TEST_F(DBTest, OpenOptionsAreChecked) {
  Options o;
  o.create_if_missing = false;
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir_.Join("absent"), &db);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  Open();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  o.create_if_missing = true;
  o.error_if_exists = true;
  EXPECT_TRUE(DB::Open(o, dir_.path(), &db).IsInvalidArgument());
  Options bad;
  bad.write_buffer_size = 10;
  EXPECT_TRUE(DB::Open(bad, dir_.Join("x"), &db).IsInvalidArgument());
}

TEST_F(DBTest, SyncedWritesAndSyncCountAsGroupCommits) {
  Open();
  WriteOptions sync;
  sync.sync = true;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        EXPECT_TRUE(db_->Put(sync, "t" + std::to_string(t) + "-" + std::to_string(i), "v").ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(db_->Sync().ok());
  DBStats st = db_->GetStats();
  EXPECT_EQ(st.writes, 1600u);
  EXPECT_LE(st.wal_syncs, 1601u);
  EXPECT_GE(st.wal_syncs, 1u);
  Reopen();
  EXPECT_EQ(Get("t7-199"), "v");
}

TEST_F(DBTest, SyncSyncsOnlyWhatIsNewAndWritersAndSyncsMix) {
  Open();
  ASSERT_TRUE(db_->Put(wo_, "a", "1").ok());
  ASSERT_TRUE(db_->Sync().ok());
  uint64_t syncs = db_->GetStats().wal_syncs;
  ASSERT_TRUE(db_->Sync().ok());  // nothing new: no fdatasync
  EXPECT_EQ(db_->GetStats().wal_syncs, syncs);
  // Writers and syncers at once, across WAL switches (small MemTables).
  Options o;
  o.write_buffer_size = 64 << 10;
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  Open(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        EXPECT_TRUE(db_->Put(wo_, "k" + std::to_string(t) + "-" + std::to_string(i),
                             std::string(200, 'v')).ok());
        if (t % 2 == 0 && i % 10 == 0) {
          EXPECT_TRUE(db_->Sync().ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(db_->Sync().ok());
  Reopen();
  for (int t = 0; t < 6; ++t) EXPECT_EQ(Get("k" + std::to_string(t) + "-499"), std::string(200, 'v'));
}

TEST_F(DBTest, DestroyRemovesEverything) {
  Open();
  ASSERT_TRUE(db_->Put(wo_, "a", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  ASSERT_TRUE(DestroyDB(dir_.path(), Options()).ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

}  // namespace
}  // namespace iron::lsm

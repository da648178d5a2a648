// Crashes and I/O failures, simulated by FaultInjectionEnv: what the DB
// acknowledged as durable survives a power cut, failed writes report their
// errors, and a full disk is reported rather than waited on forever.
#include <filesystem>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/fault_injection_env.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

Options FaultOptions(Env* env) {
  Options o;
  o.env = env;
  o.write_buffer_size = 64 << 10;  // frequent WAL switches, flushes, compactions
  o.target_file_size = 64 << 10;
  o.max_bytes_for_level_base = 256 << 10;
  o.level0_compaction_trigger = 2;
  return o;
}

std::string ValueFor(int i) { return "value-" + std::to_string(i) + std::string(i % 150, '.'); }

// Writes keys 0, 1, 2, ... in order (some synced), cuts the power at a
// random point, and checks what recovery finds: a prefix of the writes,
// never shorter than the last one acknowledged as durable.
class PowerCutTest : public ::testing::TestWithParam<int> {};

TEST_P(PowerCutTest, RecoveryKeepsEverySyncedWriteAndOnlyAPrefix) {
  std::mt19937_64 rng(GetParam());
  test::ScratchDir dir;
  FaultInjectionEnv env;
  env.SetRealSyncs(false);  // the power only ever goes through env
  int next = 0;
  for (int cycle = 0; cycle < 4; ++cycle) {
    std::unique_ptr<DB> db;
    Status s = DB::Open(FaultOptions(&env), dir.path(), &db);
    ASSERT_TRUE(s.ok()) << s.ToString();

    // Everything written before this cycle must be there.
    for (int i = 0; i < next; i += 1 + static_cast<int>(rng() % 7)) {
      std::string v;
      ASSERT_TRUE(db->Get({}, test::NumberKey(i), &v).ok()) << "cycle " << cycle << " key " << i;
      ASSERT_EQ(v, ValueFor(i));
    }

    int durable = next;  // every key < durable was acknowledged durable
    int writes = 500 + static_cast<int>(rng() % 2000);
    for (int n = 0; n < writes; ++n, ++next) {
      WriteOptions wo;
      wo.sync = rng() % 10 == 0;
      ASSERT_TRUE(db->Put(wo, test::NumberKey(next), ValueFor(next)).ok());
      if (wo.sync) durable = next + 1;
      if (rng() % 200 == 0) {
        ASSERT_TRUE(db->Sync().ok());
        durable = next + 1;
      }
    }
    // Power fails: nothing more reaches the disk, and what was not synced
    // is lost. The DB object is then torn down as the dead process would be.
    env.SetFilesystemActive(false);
    db.reset();
    env.PowerCut();
    env.SetFilesystemActive(true);

    s = DB::Open(FaultOptions(&env), dir.path(), &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    int recovered = 0;
    while (recovered < next) {
      std::string v;
      if (!db->Get({}, test::NumberKey(recovered), &v).ok()) break;
      ASSERT_EQ(v, ValueFor(recovered));
      ++recovered;
    }
    ASSERT_GE(recovered, durable) << "lost acknowledged durable writes";
    for (int i = recovered; i < next; ++i) {
      std::string v;
      ASSERT_TRUE(db->Get({}, test::NumberKey(i), &v).IsNotFound()) << "hole before key " << i;
    }
    next = recovered;
    ASSERT_TRUE(db->Close().ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PowerCutTest, ::testing::Values(1, 2, 3, 4, 5, 6));

TEST(FaultTest, FullDiskOnAWalAppendIsReportedAndTheNextWriteWorks) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  ASSERT_TRUE(db->Put({}, "before", "1").ok());
  env.FailAfter(FaultInjectionEnv::Op::kAppend, 0, Status::NoSpace("injected ENOSPC"));
  Status s = db->Put({}, "failed", "2");
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  env.ClearFailures();
  ASSERT_TRUE(db->Put({}, "after", "3").ok());
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  std::string v;
  EXPECT_TRUE(db->Get({}, "before", &v).ok());
  EXPECT_TRUE(db->Get({}, "failed", &v).IsNotFound());
  EXPECT_TRUE(db->Get({}, "after", &v).ok());
}

// After an I/O error on any write the DB cannot know what reached the
// disk: it refuses writes (naming the first error) and keeps serving
// reads; reopening recovers everything acknowledged before the error.
class ReadOnlyAfterIoErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DB::Open(FaultOptions(&env_), dir_.path(), &db_).ok());
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(db_->Put({}, test::NumberKey(i), ValueFor(i)).ok());
    }
  }
  // The DB refuses writes with `error`'s message and still reads.
  void ExpectReadOnly(const std::string& error) {
    Status s = db_->Put({}, "refused", "x");
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.ToString().find(error), std::string::npos) << s.ToString();
    std::string v;
    for (int i = 0; i < 300; i += 7) {
      ASSERT_TRUE(db_->Get({}, test::NumberKey(i), &v).ok()) << i;
      EXPECT_EQ(v, ValueFor(i));
    }
    EXPECT_NE(test::ReadFileOrDie(dir_.Join("LOG")).find("read-only"), std::string::npos);
  }
  void ExpectReopenKeepsEverything() {
    env_.ClearFailures();
    // Close may repeat the injected failure; what counts is the reopen.
    db_->Close().IgnoreError();
    db_.reset();
    Status s = DB::Open(FaultOptions(&env_), dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::string v;
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(db_->Get({}, test::NumberKey(i), &v).ok()) << i;
      EXPECT_EQ(v, ValueFor(i));
    }
    ASSERT_TRUE(db_->Put({}, "after", "1").ok());
    ASSERT_TRUE(db_->Close().ok());
  }

  test::ScratchDir dir_;
  FaultInjectionEnv env_;
  std::unique_ptr<DB> db_;
};

TEST_F(ReadOnlyAfterIoErrorTest, WalAppend) {
  env_.FailAfter(FaultInjectionEnv::Op::kAppend, 0, Status::IOError("injected EIO on the WAL"),
                 ".log");
  EXPECT_TRUE(db_->Put({}, "failed", "2").IsIOError());
  env_.ClearFailures();
  ExpectReadOnly("injected EIO on the WAL");
  ExpectReopenKeepsEverything();
}

TEST_F(ReadOnlyAfterIoErrorTest, TableWriteOfAFlush) {
  env_.FailAfter(FaultInjectionEnv::Op::kAppend, 0, Status::IOError("injected EIO on a table"),
                 ".sst");
  Status s = db_->Flush();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  ExpectReadOnly("injected EIO on a table");
  ExpectReopenKeepsEverything();
}

TEST_F(ReadOnlyAfterIoErrorTest, ManifestWriteOfAFlush) {
  env_.FailAfter(FaultInjectionEnv::Op::kAppend, 0,
                 Status::IOError("injected EIO on the manifest"), "MANIFEST");
  EXPECT_FALSE(db_->Flush().ok());
  ExpectReadOnly("injected EIO on the manifest");
  ExpectReopenKeepsEverything();
}

TEST_F(ReadOnlyAfterIoErrorTest, ManifestSync) {
  env_.FailAfter(FaultInjectionEnv::Op::kSync, 0, Status::IOError("injected EIO on fsync"),
                 "MANIFEST");
  EXPECT_FALSE(db_->Flush().ok());
  ExpectReadOnly("injected EIO on fsync");
  ExpectReopenKeepsEverything();
}

TEST_F(ReadOnlyAfterIoErrorTest, TableWriteOfACompaction) {
  ASSERT_TRUE(db_->Flush().ok());
  for (int i = 0; i < 300; i += 2) ASSERT_TRUE(db_->Put({}, test::NumberKey(i), ValueFor(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());  // two overlapping tables: the merge writes
  env_.FailAfter(FaultInjectionEnv::Op::kAppend, 0,
                 Status::IOError("injected EIO on a compaction output"), ".sst");
  Status s = db_->CompactRange(nullptr, nullptr);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  ExpectReadOnly("injected EIO on a compaction output");
  ExpectReopenKeepsEverything();
}

TEST(FaultTest, FullDiskOnTheManifestStartsAFreshOne) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  ASSERT_TRUE(db->Put({}, "a", "1").ok());
  env.FailAfter(FaultInjectionEnv::Op::kAppend, 0, Status::NoSpace("injected ENOSPC"),
                "MANIFEST");
  EXPECT_TRUE(db->Flush().IsNoSpace());
  env.ClearFailures();
  // The flush is retried (once a second) into a fresh manifest.
  Status s;
  for (int tries = 0; tries < 50; ++tries) {
    s = db->Flush();
    if (s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(db->Put({}, "b", "2").ok());
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  std::string v;
  EXPECT_TRUE(db->Get({}, "a", &v).ok());
  EXPECT_TRUE(db->Get({}, "b", &v).ok());
}

TEST(FaultTest, FailedSyncMakesTheDatabaseReadOnly) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  ASSERT_TRUE(db->Put({}, "a", "1").ok());
  env.FailAfter(FaultInjectionEnv::Op::kSync, 0, Status::IOError("injected fdatasync error"));
  WriteOptions sync;
  sync.sync = true;
  Status s = db->Put(sync, "b", "2");
  EXPECT_FALSE(s.ok());
  env.ClearFailures();
  // The kernel's copy of the WAL is now unknown: no further writes.
  EXPECT_FALSE(db->Put({}, "c", "3").ok());
  std::string v;
  EXPECT_TRUE(db->Get({}, "a", &v).ok());  // reads still work
  db->Close().IgnoreError();  // may repeat the failed sync; the reopen is the test
  db.reset();
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());  // reopening clears it
  EXPECT_TRUE(db->Get({}, "a", &v).ok());
  EXPECT_TRUE(db->Put({}, "c", "3").ok());
}

TEST(FaultTest, FullDiskIsReportedNotWaitedOn) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  env.SetSpaceLimit(2 << 20);
  std::string value(1000, 'v');
  Status s;
  int written = 0;
  for (; written < 100000; ++written) {
    s = db->Put({}, test::NumberKey(written), value);
    if (!s.ok()) break;
  }
  ASSERT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  // Space comes back: writes work again without a reopen.
  env.SetSpaceLimit(0);
  Status again;
  for (int tries = 0; tries < 50; ++tries) {
    again = db->Put({}, "after", "x");
    if (again.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // flush retries once a second
  }
  ASSERT_TRUE(again.ok()) << again.ToString();
  std::string v;
  for (int i = 0; i < written; i += 97) ASSERT_TRUE(db->Get({}, test::NumberKey(i), &v).ok()) << i;
  ASSERT_TRUE(db->Close().ok());
}

// Every write on a full disk fails and rolls the WAL (it may end in a
// partial record); a roll must not leave one more empty WAL behind each
// time (29,766 failed chmods once left 29,767 of them).
TEST(FaultTest, FailedWritesOnAFullDiskLeaveNoPileOfWals) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  ASSERT_TRUE(db->Put({}, "before", "1").ok());
  env.SetSpaceLimit(1);  // every append fails
  for (int i = 0; i < 40; ++i) {
    Status s = db->Put({}, test::NumberKey(i), "x");
    ASSERT_TRUE(s.IsNoSpace()) << i << ": " << s.ToString();
  }
  auto count_logs = [&] {
    int logs = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
      if (e.path().extension() == ".log") ++logs;
    }
    return logs;
  };
  EXPECT_LE(count_logs(), 3);
  env.SetSpaceLimit(0);
  ASSERT_TRUE(db->Put({}, "after", "2").ok());
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  EXPECT_LE(count_logs(), 3);
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  std::string v;
  EXPECT_TRUE(db->Get({}, "before", &v).ok());
  EXPECT_TRUE(db->Get({}, "after", &v).ok());
  EXPECT_TRUE(db->Get({}, test::NumberKey(0), &v).IsNotFound());
}

// Another program takes the last byte of the disk: ordinary writes are
// refused, but deletes (WriteOptions::may_use_reserve) still go into the
// WAL's spare and survive.
TEST(FaultTest, DeletesFitWhenAnotherProgramFillsTheDisk) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  const std::string value(1000, 'v');
  constexpr int kKeys = 400;
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(db->Put({}, test::NumberKey(i), value).ok());
  // A flush or a compaction may still be running when the disk fills:
  // the deletes must not depend on it.
  env.SetSpaceLimit(1);
  EXPECT_TRUE(db->Put({}, "new", value).IsNoSpace());
  WriteOptions frees;
  frees.may_use_reserve = true;
  for (int i = 0; i < kKeys; ++i) {
    Status s = db->Delete(frees, test::NumberKey(i));
    ASSERT_TRUE(s.ok()) << "delete " << i << ": " << s.ToString();
  }
  // Ordinary writes never eat into what deletes need.
  EXPECT_TRUE(db->Put({}, "new", "x").IsNoSpace());
  std::string v;
  EXPECT_TRUE(db->Get({}, test::NumberKey(0), &v).IsNotFound());
  env.SetSpaceLimit(0);
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  ASSERT_TRUE(DB::Open(FaultOptions(&env), dir.path(), &db).ok());
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(db->Get({}, test::NumberKey(i), &v).IsNotFound()) << i;
  }
  EXPECT_TRUE(db->Put({}, "new", value).ok());
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace
}  // namespace iron::lsm

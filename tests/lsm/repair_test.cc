// RepairDB on damaged tables and manifests: every readable key is kept,
// what is lost is named, a dry run changes nothing, and the repaired
// directory opens and verifies clean.
#include "lsm/repair.h"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/filename.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

constexpr int kKeys = 6000;

std::string ValueOf(int i) { return std::string(100, static_cast<char>('a' + i % 26)); }

class RepairTest : public ::testing::Test {
 protected:
  // kKeys keys in two tables (the first half flushed, then the second).
  void Fill() {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), dir_.path(), &db).ok());
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(db->Put(WriteOptions(), test::NumberKey(i), ValueOf(i)).ok());
      if (i == kKeys / 2) {
        ASSERT_TRUE(db->Flush().ok());
      }
    }
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Close().ok());
  }
  std::vector<std::string> Tables() { return test::FilesOfType(dir_.path(), FileType::kTable); }
  std::map<std::string, std::string> Snapshot() {
    std::map<std::string, std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      if (e.path().filename() == "LOG") continue;
      files[e.path().filename()] = test::ReadFileOrDie(e.path());
    }
    return files;
  }
  // Opens the repaired DB, checks its tables verify clean, and counts the
  // keys that read back with their value; a wrong value fails the test.
  int CountGoodKeys() {
    std::unique_ptr<DB> db;
    Status s = DB::Open(Options(), dir_.path(), &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return -1;
    std::vector<std::string> problems;
    EXPECT_TRUE(db->VerifyTables(&problems).ok());
    EXPECT_TRUE(problems.empty()) << problems.front();
    int good = 0;
    for (int i = 0; i < kKeys; ++i) {
      std::string v;
      Status g = db->Get({}, test::NumberKey(i), &v);
      if (g.ok()) {
        EXPECT_EQ(v, ValueOf(i)) << i;
        ++good;
      } else {
        EXPECT_TRUE(g.IsNotFound()) << g.ToString();
      }
    }
    EXPECT_TRUE(db->Close().ok());
    return good;
  }

  test::ScratchDir dir_;
};

TEST_F(RepairTest, SoundDirectoryIsLeftAlone) {
  Fill();
  auto before = Snapshot();
  RepairReport report;
  ASSERT_TRUE(RepairDB(Options(), dir_.path(), false, &report).ok());
  EXPECT_TRUE(report.damaged_files.empty());
  EXPECT_TRUE(report.lost.empty());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(RepairTest, DamagedBlockLosesOnlyItsKeys) {
  Fill();
  auto tables = Tables();
  ASSERT_EQ(tables.size(), 2u);
  std::string data = test::ReadFileOrDie(tables[0]);
  data[20000] ^= 0x10;
  test::WriteFileOrDie(tables[0], data);
  auto before = Snapshot();

  RepairReport dry;
  ASSERT_TRUE(RepairDB(Options(), dir_.path(), true, &dry).ok());
  EXPECT_EQ(Snapshot(), before) << "a dry run wrote";
  ASSERT_EQ(dry.damaged_files.size(), 1u);
  EXPECT_EQ(dry.damaged_files[0], std::filesystem::path(tables[0]).filename().string());
  ASSERT_EQ(dry.lost.size(), 1u);
  ASSERT_TRUE(dry.lost[0].first && dry.lost[0].last);
  EXPECT_LT(*dry.lost[0].first, *dry.lost[0].last);

  RepairReport report;
  ASSERT_TRUE(RepairDB(Options(), dir_.path(), false, &report).ok());
  int good = CountGoodKeys();
  // A 4 KiB block holds about 35 of these entries.
  EXPECT_GE(good, kKeys - 80);
  EXPECT_LT(good, kKeys);
  // The keys lost lie in the range reported.
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(Options(), dir_.path(), &db).ok());
  for (int i = 0; i < kKeys; ++i) {
    std::string v;
    if (db->Get({}, test::NumberKey(i), &v).IsNotFound()) {
      EXPECT_GE(test::NumberKey(i), *report.lost[0].first);
      EXPECT_LE(test::NumberKey(i), *report.lost[0].last);
    }
  }
}

TEST_F(RepairTest, TruncatedTableKeepsItsReadableBlocks) {
  Fill();
  auto tables = Tables();
  std::string data = test::ReadFileOrDie(tables[0]);
  test::WriteFileOrDie(tables[0], data.substr(0, data.size() / 2));
  std::unique_ptr<DB> db;
  EXPECT_FALSE(DB::Open(Options(), dir_.path(), &db).ok());

  RepairReport report;
  ASSERT_TRUE(RepairDB(Options(), dir_.path(), false, &report).ok());
  EXPECT_FALSE(report.lost.empty());
  int good = CountGoodKeys();
  // The first table held ~3,000 keys; about half of its blocks survive.
  EXPECT_GE(good, kKeys / 2 + kKeys / 5);
  EXPECT_LT(good, kKeys);
}

TEST_F(RepairTest, DamagedFooterIsScannedPast) {
  Fill();
  auto tables = Tables();
  std::string data = test::ReadFileOrDie(tables[1]);
  data[data.size() - 3] ^= 0x40;  // the magic number
  test::WriteFileOrDie(tables[1], data);
  RepairReport report;
  ASSERT_TRUE(RepairDB(Options(), dir_.path(), false, &report).ok());
  // Every data block is intact: every key comes back.
  EXPECT_EQ(CountGoodKeys(), kKeys);
}

TEST_F(RepairTest, MissingTableLosesItsRange) {
  Fill();
  auto tables = Tables();
  std::filesystem::remove(tables[0]);
  RepairReport report;
  ASSERT_TRUE(RepairDB(Options(), dir_.path(), false, &report).ok());
  ASSERT_EQ(report.lost.size(), 1u);
  EXPECT_EQ(report.lost[0].first, test::NumberKey(0));
  int good = CountGoodKeys();
  EXPECT_GE(good, kKeys / 2 - 2);
  EXPECT_LE(good, kKeys / 2 + 2);
}

TEST_F(RepairTest, GarbledCurrentIsRebuiltFromTheTables) {
  Fill();
  test::WriteFileOrDie(dir_.Join("CURRENT"), "garbage");
  std::unique_ptr<DB> db;
  EXPECT_FALSE(DB::Open(Options(), dir_.path(), &db).ok());
  RepairReport report;
  ASSERT_TRUE(RepairDB(Options(), dir_.path(), false, &report).ok());
  EXPECT_TRUE(report.manifest_rebuilt);
  EXPECT_EQ(CountGoodKeys(), kKeys);
}

TEST_F(RepairTest, DamageInTheMiddleOfAWalIsReportedAndLeftForOpen) {
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(Options(), dir_.path(), &db).ok());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(db->Put(WriteOptions{.sync = true}, test::NumberKey(i), ValueOf(i)).ok());
  }
  db.reset();  // no Close: the writes are only in the WAL
  std::string wal_name;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    uint64_t n;
    FileType t;
    if (ParseFileName(e.path().filename(), &n, &t) && t == FileType::kLog &&
        std::filesystem::file_size(e.path()) > 0) {
      wal_name = e.path().filename();
    }
  }
  ASSERT_FALSE(wal_name.empty());
  std::string wal = test::ReadFileOrDie(dir_.Join(wal_name));
  wal[5000] ^= 0x01;  // about the 38th of 200 records of ~130 bytes
  test::WriteFileOrDie(dir_.Join(wal_name), wal);
  auto before = Snapshot();
  RepairReport report;
  ASSERT_TRUE(RepairDB(Options(), dir_.path(), false, &report).ok());
  ASSERT_EQ(report.damaged_files.size(), 1u);
  EXPECT_EQ(report.damaged_files[0], wal_name);
  EXPECT_EQ(Snapshot(), before) << "repair changed a WAL";
}

}  // namespace
}  // namespace iron::lsm

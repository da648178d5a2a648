// Damaged files: the DB must report what is wrong, never crash, and never
// return wrong data.
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/filename.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

class CorruptionTest : public ::testing::Test {
 protected:
  void Fill(int n, bool flush) {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), dir_.path(), &db).ok());
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(db->Put(WriteOptions(), test::NumberKey(i), std::string(100, 'a' + i % 26)).ok());
    }
    if (flush) {
      ASSERT_TRUE(db->Flush().ok());
    }
    ASSERT_TRUE(db->Close().ok());
  }
  // Paths of the directory's files of one type, oldest first.
  std::vector<std::string> Files(FileType want) { return test::FilesOfType(dir_.path(), want); }
  Status Open(std::unique_ptr<DB>* db) { return DB::Open(Options(), dir_.path(), db); }
  // Every file of the directory, by name, with its bytes.
  std::map<std::string, std::string> Snapshot() {
    std::map<std::string, std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      files[e.path().filename()] = test::ReadFileOrDie(e.path());
    }
    return files;
  }
  // Fills 100 records into the WAL and flips one byte in the middle
  // record's payload; returns the WAL's path.
  std::string DamageTheMiddleOfTheWal() {
    Fill(100, /*flush=*/false);
    auto logs = Files(FileType::kLog);
    EXPECT_EQ(logs.size(), 1u);
    std::string wal = test::ReadFileOrDie(logs.back());
    wal[wal.size() / 2] ^= 0x20;
    test::WriteFileOrDie(logs.back(), wal);
    return logs.back();
  }

  test::ScratchDir dir_;
};

TEST_F(CorruptionTest, TornWalTailIsDroppedWithAWarning) {
  Fill(100, /*flush=*/false);
  auto logs = Files(FileType::kLog);
  ASSERT_FALSE(logs.empty());
  std::string wal = test::ReadFileOrDie(logs.back());
  ASSERT_GT(wal.size(), 50u);
  test::WriteFileOrDie(logs.back(), wal.substr(0, wal.size() - 30));  // cut the last record

  std::unique_ptr<DB> db;
  ASSERT_TRUE(Open(&db).ok());
  std::string v;
  EXPECT_TRUE(db->Get({}, test::NumberKey(98), &v).ok());
  EXPECT_TRUE(db->Get({}, test::NumberKey(99), &v).IsNotFound());
  EXPECT_TRUE(db->RecoveryDamage().empty());  // a torn tail is not damage
  db.reset();
  std::string log = test::ReadFileOrDie(dir_.Join("LOG"));
  EXPECT_NE(log.find("WARNING"), std::string::npos) << log;
}

// One flipped bit with valid records after it is media damage, not a
// crash: dropping the records after it would lose acknowledged writes.
TEST_F(CorruptionTest, DamagedWalRecordWithRecordsAfterItRefusesToOpenAndChangesNothing) {
  const std::string wal = DamageTheMiddleOfTheWal();
  const auto before = Snapshot();
  std::unique_ptr<DB> db;
  Status s = Open(&db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(wal), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("checksum mismatch at offset "), std::string::npos) << s.message();
  EXPECT_EQ(Snapshot(), before) << "a refused open changed the directory";
  // And again: the refusal is lasting, not a one-time warning.
  EXPECT_TRUE(Open(&db).IsCorruption());
  EXPECT_EQ(Snapshot(), before);
}

// After a power cut a page of the mapped WAL may never have been written
// back while later ones were: that is the end of what was synced, not
// damage, and Open keeps the records before it.
TEST_F(CorruptionTest, UnwrittenPageAfterAPowerCutEndsTheWalWithoutRefusing) {
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(Open(&db).ok());
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(db->Put(WriteOptions(), test::NumberKey(i), std::string(100, 'x')).ok());
    }
    db.reset();  // not closed: the writes are in the WAL only
  }
  auto logs = Files(FileType::kLog);
  ASSERT_FALSE(logs.empty());
  std::string wal = test::ReadFileOrDie(logs.back());
  ASSERT_GT(wal.size(), 4u * 4096);
  std::fill(wal.begin() + 8192, wal.begin() + 3 * 4096, '\0');
  test::WriteFileOrDie(logs.back(), wal);
  std::unique_ptr<DB> db;
  Status s = Open(&db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string v;
  EXPECT_TRUE(db->Get({}, test::NumberKey(0), &v).ok());
  EXPECT_TRUE(db->Get({}, test::NumberKey(199), &v).IsNotFound());
}

TEST_F(CorruptionTest, SkipDamageKeepsTheRecordsBeforeAndAfterAndReportsTheRegion) {
  const std::string wal = DamageTheMiddleOfTheWal();
  Options o;
  o.wal_recovery = WalRecovery::kSkipDamage;
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir_.path(), &db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<std::string> damage = db->RecoveryDamage();
  ASSERT_EQ(damage.size(), 1u);
  EXPECT_NE(damage[0].find(wal), std::string::npos) << damage[0];
  EXPECT_NE(damage[0].find("at offset "), std::string::npos) << damage[0];
  EXPECT_NE(damage[0].find("bytes dropped"), std::string::npos) << damage[0];
  // One record (one Put) is lost; every other, before and after it, is back.
  std::vector<int> missing;
  std::string v;
  for (int i = 0; i < 100; ++i) {
    if (!db->Get({}, test::NumberKey(i), &v).ok()) missing.push_back(i);
  }
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_GT(missing[0], 10);
  EXPECT_LT(missing[0], 90);
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  // The salvage was written back: a plain open now finds it clean.
  ASSERT_TRUE(Open(&db).ok());
  EXPECT_TRUE(db->RecoveryDamage().empty());
  EXPECT_TRUE(db->Get({}, test::NumberKey(99), &v).ok());
  EXPECT_TRUE(db->Get({}, test::NumberKey(missing[0]), &v).IsNotFound());
}

// A torn final record may hold a copy of a WAL (a data directory copied
// onto the filesystem): its records are whole and checksummed, but they do
// not continue this log's sequence numbers, so the tail is still torn.
TEST_F(CorruptionTest, AnOldRecordInsideATornTailDoesNotMakeItDamage) {
  Fill(100, /*flush=*/false);
  auto logs = Files(FileType::kLog);
  std::string wal = test::ReadFileOrDie(logs.back());
  const size_t record = wal.size() / 100;
  std::string torn(8, '\0');
  torn[0] = 0x11;                          // a checksum that cannot match
  torn[4] = static_cast<char>(0xe8);      // length 1000: runs past the end
  torn[5] = 0x03;
  torn += wal.substr(0, record) + "tail";  // a whole, valid, old record
  test::WriteFileOrDie(logs.back(), wal + torn);
  std::unique_ptr<DB> db;
  Status s = Open(&db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string v;
  EXPECT_TRUE(db->Get({}, test::NumberKey(99), &v).ok());
}

// A flipped bit in a length can make a record in the middle look like a
// torn final record; the valid records after it tell.
TEST_F(CorruptionTest, LengthThatRunsPastTheEndWithRecordsAfterItIsDamage) {
  Fill(100, /*flush=*/false);
  auto logs = Files(FileType::kLog);
  std::string wal = test::ReadFileOrDie(logs.back());
  // Record i sits at i * record_size (every Put has the same size).
  const size_t record = wal.size() / 100;
  wal[50 * record + 4 + 2] ^= 0x40;  // the length's third byte: + 4 MiB
  test::WriteFileOrDie(logs.back(), wal);
  std::unique_ptr<DB> db;
  Status s = Open(&db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("offset " + std::to_string(50 * record)), std::string::npos)
      << s.message();
}

TEST_F(CorruptionTest, GarbageAfterWalIsDropped) {
  Fill(10, /*flush=*/false);
  auto logs = Files(FileType::kLog);
  std::string wal = test::ReadFileOrDie(logs.back());
  test::WriteFileOrDie(logs.back(), wal + std::string(100, '\x5a'));
  std::unique_ptr<DB> db;
  ASSERT_TRUE(Open(&db).ok());
  std::string v;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(db->Get({}, test::NumberKey(i), &v).ok());
}

TEST_F(CorruptionTest, DamagedTableBlockIsReportedNamingTheFile) {
  Fill(5000, /*flush=*/true);
  auto tables = Files(FileType::kTable);
  ASSERT_EQ(tables.size(), 1u);
  std::string data = test::ReadFileOrDie(tables[0]);
  data[data.size() / 4] ^= 0x40;  // inside a data block
  test::WriteFileOrDie(tables[0], data);

  std::unique_ptr<DB> db;
  ASSERT_TRUE(Open(&db).ok());
  int corrupt = 0, ok = 0;
  std::string v;
  for (int i = 0; i < 5000; ++i) {
    Status s = db->Get({}, test::NumberKey(i), &v);
    if (s.ok()) {
      ASSERT_EQ(v, std::string(100, 'a' + i % 26));  // never wrong data
      ++ok;
    } else {
      ASSERT_TRUE(s.IsCorruption()) << s.ToString();
      EXPECT_NE(s.message().find(".sst"), std::string::npos) << s.message();
      ++corrupt;
    }
  }
  EXPECT_GT(corrupt, 0);
  EXPECT_GT(ok, 4000);
  auto it = db->NewIterator({});
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_TRUE(it->status().IsCorruption());
  EXPECT_LT(n, 5000);
}

TEST_F(CorruptionTest, VerifyTablesNamesEveryDamagedBlock) {
  Fill(5000, /*flush=*/true);
  auto tables = Files(FileType::kTable);
  ASSERT_EQ(tables.size(), 1u);
  std::string data = test::ReadFileOrDie(tables[0]);
  data[data.size() / 4] ^= 0x40;  // two data blocks far apart
  data[data.size() / 2] ^= 0x40;
  test::WriteFileOrDie(tables[0], data);

  std::unique_ptr<DB> db;
  ASSERT_TRUE(Open(&db).ok());
  std::vector<std::string> problems;
  ASSERT_TRUE(db->VerifyTables(&problems).ok());
  ASSERT_EQ(problems.size(), 2u);
  for (const std::string& p : problems) {
    EXPECT_NE(p.find(tables[0]), std::string::npos) << p;
    EXPECT_NE(p.find("block at offset"), std::string::npos) << p;
    EXPECT_NE(p.find("keys end at user key"), std::string::npos) << p;
  }
  problems.clear();
  db.reset();
  Fill(10, /*flush=*/true);  // a clean table beside it adds nothing
  ASSERT_TRUE(Open(&db).ok());
  ASSERT_TRUE(db->VerifyTables(&problems).ok());
  EXPECT_EQ(problems.size(), 2u);
}

// A checker's scan steps over a damaged block and goes on to the end,
// naming the block and the keys it may have held.
TEST_F(CorruptionTest, IteratorCanSkipDamagedBlocks) {
  Fill(5000, /*flush=*/true);
  auto tables = Files(FileType::kTable);
  ASSERT_EQ(tables.size(), 1u);
  std::string data = test::ReadFileOrDie(tables[0]);
  data[data.size() / 4] ^= 0x40;
  data[data.size() / 2] ^= 0x40;
  test::WriteFileOrDie(tables[0], data);

  std::unique_ptr<DB> db;
  ASSERT_TRUE(Open(&db).ok());
  std::vector<DamagedBlock> skipped;
  ReadOptions ro;
  ro.skip_damaged_blocks = &skipped;
  std::set<std::string> seen;
  auto it = db->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSERT_EQ(it->value(), std::string(100, 'a' + std::stoi(std::string(it->key())) % 26));
    seen.insert(std::string(it->key()));
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  ASSERT_EQ(skipped.size(), 2u);
  // Every key is either seen or inside a skipped block's range.
  for (int i = 0; i < 5000; ++i) {
    std::string k = test::NumberKey(i);
    bool in_skipped = false;
    for (const DamagedBlock& d : skipped) in_skipped |= d.smallest <= k && k <= d.largest;
    EXPECT_TRUE(seen.count(k) == 1 || in_skipped) << k;
  }
  EXPECT_GT(seen.size(), 4800u);
  for (const DamagedBlock& d : skipped) {
    EXPECT_EQ(d.file, tables[0]);
    EXPECT_GT(d.offset, 0u);
    EXPECT_LT(d.smallest, d.largest);
    EXPECT_FALSE(d.error.empty());
  }
  // A seek into a damaged block lands on the next good one, and the block
  // is recorded once per iterator however often it is met.
  it.reset();
  const DamagedBlock first = skipped[0];
  std::vector<DamagedBlock> again;
  ro.skip_damaged_blocks = &again;
  auto it2 = db->NewIterator(ro);
  it2->Seek(first.largest);
  it2->Seek(first.largest);
  ASSERT_TRUE(it2->Valid());
  EXPECT_GT(std::string(it2->key()), first.largest);
  EXPECT_EQ(again.size(), 1u);
}

TEST_F(CorruptionTest, MissingCurrentWithDataRefusesToStartOver) {
  Fill(10, /*flush=*/true);
  std::filesystem::remove(dir_.Join("CURRENT"));
  std::unique_ptr<DB> db;
  Status s = Open(&db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("CURRENT"), std::string::npos) << s.message();
}

TEST_F(CorruptionTest, CurrentNamingAMissingManifest) {
  Fill(10, /*flush=*/true);
  for (const auto& m : Files(FileType::kManifest)) std::filesystem::remove(m);
  std::unique_ptr<DB> db;
  Status s = Open(&db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("MANIFEST"), std::string::npos) << s.message();
}

TEST_F(CorruptionTest, GarbledManifestNamesTheManifest) {
  Fill(10, /*flush=*/true);
  auto manifests = Files(FileType::kManifest);
  ASSERT_EQ(manifests.size(), 1u);
  std::string m = test::ReadFileOrDie(manifests[0]);
  for (size_t i = 8; i < m.size() / 2; ++i) m[i] ^= 0x11;
  test::WriteFileOrDie(manifests[0], m);
  std::unique_ptr<DB> db;
  Status s = Open(&db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("MANIFEST"), std::string::npos) << s.message();
}

TEST_F(CorruptionTest, GarbageCurrentFile) {
  Fill(10, /*flush=*/false);
  test::WriteFileOrDie(dir_.Join("CURRENT"), "nonsense\n");
  std::unique_ptr<DB> db;
  Status s = Open(&db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace iron::lsm

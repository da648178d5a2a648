// Options::read_only: a read-only open sees everything (tables and the
// WALs, replayed into memory) and changes nothing in the directory, not a
// byte, not a name.
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

struct FileState {
  std::string bytes;
  int64_t mtime_ns = 0;
  bool operator==(const FileState&) const = default;
};

std::map<std::string, FileState> Snapshot(const std::string& dir) {
  std::map<std::string, FileState> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    struct stat st;
    EXPECT_EQ(::lstat(e.path().c_str(), &st), 0);
    files[e.path().filename()] = {test::ReadFileOrDie(e.path()),
                                  st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec};
  }
  return files;
}

Options SmallOptions() {
  Options o;
  o.write_buffer_size = 64 << 10;  // tables on several levels, and a WAL
  o.target_file_size = 64 << 10;
  o.level0_compaction_trigger = 2;
  return o;
}

// Tables (flushed and compacted) and, after them, writes only in the WAL.
void Fill(const std::string& dir, int n) {
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(SmallOptions(), dir, &db).ok());
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(db->Put({}, test::NumberKey(i), std::string(200, 'a' + i % 26)).ok());
  }
  ASSERT_TRUE(db->Flush().ok());
  for (int i = n; i < n + 50; ++i) {
    ASSERT_TRUE(db->Put({}, test::NumberKey(i), std::string(200, 'a' + i % 26)).ok());
  }
  ASSERT_TRUE(db->Delete({}, test::NumberKey(0)).ok());
  ASSERT_TRUE(db->Close().ok());
}

TEST(ReadOnlyTest, ReadsEverythingAndWritesNothing) {
  test::ScratchDir dir;
  Fill(dir.path(), 2000);
  std::filesystem::remove(dir.Join("LOG"));  // and none may be made
  const auto before = Snapshot(dir.path());

  Options o = SmallOptions();
  o.read_only = true;
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir.path(), &db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string v;
  EXPECT_TRUE(db->Get({}, test::NumberKey(0), &v).IsNotFound());  // the WAL's delete
  for (int i = 1; i < 2050; ++i) ASSERT_TRUE(db->Get({}, test::NumberKey(i), &v).ok()) << i;
  auto it = db->NewIterator({});
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 2049);
  it.reset();

  s = db->Put({}, "k", "v");
  EXPECT_TRUE(s.IsReadOnly()) << s.ToString();
  EXPECT_TRUE(s.IsReadOnly()) << s.ToString();
  EXPECT_TRUE(db->Delete({}, test::NumberKey(1)).IsReadOnly());
  EXPECT_TRUE(db->Flush().IsReadOnly());
  EXPECT_TRUE(db->CompactRange(nullptr, nullptr).IsReadOnly());
  EXPECT_TRUE(db->Sync().ok());  // nothing to make durable
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  EXPECT_EQ(Snapshot(dir.path()), before) << "a read-only open changed the directory";
}

TEST(ReadOnlyTest, ReadersShareTheLockAndKeepWritersOut) {
  test::ScratchDir dir;
  Fill(dir.path(), 100);
  Options ro = SmallOptions();
  ro.read_only = true;
  std::unique_ptr<DB> a, b, writer;
  ASSERT_TRUE(DB::Open(ro, dir.path(), &a).ok());
  ASSERT_TRUE(DB::Open(ro, dir.path(), &b).ok());
  EXPECT_TRUE(DB::Open(SmallOptions(), dir.path(), &writer).IsBusy());
  a.reset();
  b.reset();
  ASSERT_TRUE(DB::Open(SmallOptions(), dir.path(), &writer).ok());
  EXPECT_TRUE(DB::Open(ro, dir.path(), &a).IsBusy());
}

TEST(ReadOnlyTest, NeverCreatesAnything) {
  test::ScratchDir dir;
  Options ro;
  ro.read_only = true;
  std::unique_ptr<DB> db;
  EXPECT_FALSE(DB::Open(ro, dir.path(), &db).ok());  // no database to read
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_FALSE(DB::Open(ro, dir.Join("missing"), &db).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.Join("missing")));
}

TEST(ReadOnlyTest, ADamagedWalIsRefusedOrSkippedInMemory) {
  test::ScratchDir dir;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), dir.path(), &db).ok());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Put({}, test::NumberKey(i), "value").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  std::string wal_path;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().extension() == ".log") wal_path = e.path();
  }
  ASSERT_FALSE(wal_path.empty());
  std::string wal = test::ReadFileOrDie(wal_path);
  wal[wal.size() / 3] ^= 0x01;
  test::WriteFileOrDie(wal_path, wal);
  const auto before = Snapshot(dir.path());

  Options o;
  o.read_only = true;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open(o, dir.path(), &db).IsCorruption());
  o.wal_recovery = WalRecovery::kSkipDamage;  // what fsck does
  ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());
  EXPECT_EQ(db->RecoveryDamage().size(), 1u);
  std::string v;
  EXPECT_TRUE(db->Get({}, test::NumberKey(99), &v).ok());
  db.reset();
  EXPECT_EQ(Snapshot(dir.path()), before);
}

}  // namespace
}  // namespace iron::lsm

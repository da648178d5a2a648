// A table file that shrinks under the engine (a local user truncating it)
// or a page the disk cannot read: the reads that need it fail with a
// Corruption naming the file, and the process lives on to serve the rest.
#include "lsm/guarded_mapping.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/env.h"
#include "lsm/filename.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

void Shrink(const std::string& path, uint64_t size) {
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(size)), 0) << path;
}

TEST(GuardedMappingTest, LostPagesReadAsZerosAndMarkTheFileDamaged) {
  test::ScratchDir dir;
  std::string path = dir.Join("f");
  test::WriteFileOrDie(path, std::string(64 << 10, 'x'));
  std::unique_ptr<MappedFile> m;
  ASSERT_TRUE(Env::Default()->NewMappedFile(path, &m).ok());
  EXPECT_EQ(m->data()[40000], 'x');
  EXPECT_FALSE(m->damaged());

  Shrink(path, 4096);
  EXPECT_EQ(m->data()[100], 'x');  // what the file still holds reads as before
  EXPECT_FALSE(m->damaged());
  EXPECT_EQ(m->data()[40000], '\0');  // SIGBUS without the guard
  EXPECT_TRUE(m->damaged());
  EXPECT_EQ(m->data()[60000], '\0');
}

TEST(GuardedMappingTest, OtherMappingsAreNotMarked) {
  test::ScratchDir dir;
  test::WriteFileOrDie(dir.Join("a"), std::string(32 << 10, 'a'));
  test::WriteFileOrDie(dir.Join("b"), std::string(32 << 10, 'b'));
  std::unique_ptr<MappedFile> a, b;
  ASSERT_TRUE(Env::Default()->NewMappedFile(dir.Join("a"), &a).ok());
  ASSERT_TRUE(Env::Default()->NewMappedFile(dir.Join("b"), &b).ok());
  Shrink(dir.Join("a"), 0);
  EXPECT_EQ(a->data()[20000], '\0');
  EXPECT_TRUE(a->damaged());
  EXPECT_FALSE(b->damaged());
  EXPECT_EQ(b->data()[20000], 'b');
  // A slot given back and taken again starts clean.
  a.reset();
  test::WriteFileOrDie(dir.Join("c"), std::string(8 << 10, 'c'));
  std::unique_ptr<MappedFile> c;
  ASSERT_TRUE(Env::Default()->NewMappedFile(dir.Join("c"), &c).ok());
  EXPECT_FALSE(c->damaged());
}

TEST(GuardedMappingDeathTest, ASigbusElsewhereStillEndsTheProcess) {
  test::ScratchDir dir;
  std::string path = dir.Join("f");
  test::WriteFileOrDie(path, std::string(32 << 10, 'x'));
  std::unique_ptr<MappedFile> guarded;  // installs the handler
  ASSERT_TRUE(Env::Default()->NewMappedFile(path, &guarded).ok());
  EXPECT_DEATH(
      {
        int fd = ::open(path.c_str(), O_RDWR);
        void* p = ::mmap(nullptr, 32 << 10, PROT_READ, MAP_SHARED, fd, 0);
        ::ftruncate(fd, 0);
        volatile const char* bytes = static_cast<const char*>(p);
        [[maybe_unused]] char c = bytes[20000];  // not a guarded range
        ::_exit(0);
      },
      "");
  EXPECT_DEATH(::raise(SIGBUS), "");  // sent, not a fault
}

class TableFaultTest : public ::testing::Test {
 protected:
  // Paths of the directory's tables, oldest first.
  std::vector<std::string> Tables() { return test::FilesOfType(dir_.path(), FileType::kTable); }
  static std::string Value(int i) { return std::string(200, static_cast<char>('a' + i % 26)); }

  void FillTable(int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE(db_->Put(WriteOptions(), test::NumberKey(i), Value(i)).ok());
    }
    ASSERT_TRUE(db_->Flush().ok());
  }

  test::ScratchDir dir_;
  std::unique_ptr<DB> db_;
};

// Tables read through mappings (Options::mmap_reads); table_read_test.cc
// has the same for the default, pread.
TEST_F(TableFaultTest, ShrunkTableFailsItsReadsAndTheOthersServe) {
  Options o;
  o.mmap_reads = true;
  ASSERT_TRUE(DB::Open(o, dir_.path(), &db_).ok());
  FillTable(0, 2000);     // the table to damage
  FillTable(2000, 4000);  // a healthy one beside it
  auto tables = Tables();
  ASSERT_EQ(tables.size(), 2u);
  uint64_t size = std::filesystem::file_size(tables[0]);
  Shrink(tables[0], size / 2);

  std::string v;
  int failed = 0;
  for (int i = 0; i < 2000; ++i) {
    Status s = db_->Get({}, test::NumberKey(i), &v);
    if (s.ok()) {
      EXPECT_EQ(v, Value(i)) << i;  // never wrong data
      continue;
    }
    ++failed;
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find(tables[0]), std::string::npos) << s.ToString();
  }
  EXPECT_EQ(failed, 2000);  // the lookup's filter lies past the cut: the table is fenced whole
  for (int i = 2000; i < 4000; ++i) {
    ASSERT_TRUE(db_->Get({}, test::NumberKey(i), &v).ok()) << i;
    EXPECT_EQ(v, Value(i));
  }

  // A scan over it stops with the same error.
  auto it = db_->NewIterator({});
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  EXPECT_NE(it->status().ToString().find(tables[0]), std::string::npos);
  it.reset();

  // The database still takes writes and serves them.
  ASSERT_TRUE(db_->Put(WriteOptions(), "new", "value").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Get({}, "new", &v).ok());
  EXPECT_EQ(v, "value");
  // And the damaged table stays failed.
  Status s = db_->Get({}, test::NumberKey(10), &v);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace iron::lsm

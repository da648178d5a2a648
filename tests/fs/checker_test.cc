// The checker finds each kind of broken invariant, planted by writing keys
// behind the filesystem's back.
#include "fs/checker.h"

#include <filesystem>

#include "fs/key_schema.h"
#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class CheckerTest : public FsFixture {
 protected:
  void SetUp() override {
    FsFixture::SetUp();
    dir_ino_ = Mkdir(kRootIno, "dir");
    file_ino_ = WriteFile(dir_ino_, "file", "hello");
    Mkdir(dir_ino_, "sub");
    ASSERT_TRUE(CheckFilesystem(store()).clean());
  }
  void TearDown() override { Unmount(); }  // the damage stays

  // Runs the checker and expects one problem mentioning `text`.
  void ExpectProblem(const std::string& text) {
    CheckReport report = CheckFilesystem(store());
    ASSERT_FALSE(report.clean());
    bool found = false;
    for (const std::string& p : report.problems) found |= p.find(text) != std::string::npos;
    EXPECT_TRUE(found) << "no problem mentions '" << text << "':\n" << report.ToString();
  }
  void Put(const std::string& key, const std::string& value) {
    ASSERT_TRUE(db_->Put({}, key, value).ok());
  }
  void Delete(const std::string& key) { ASSERT_TRUE(db_->Delete({}, key).ok()); }
  Inode Read(uint64_t ino) {
    std::string v;
    EXPECT_TRUE(db_->Get({}, InodeKey(ino), &v).ok());
    Inode n;
    EXPECT_TRUE(DecodeInode(ino, v, &n));
    return n;
  }

  uint64_t dir_ino_ = 0, file_ino_ = 0;
};

TEST_F(CheckerTest, EntryToAMissingInode) {
  Delete(InodeKey(file_ino_));
  ExpectProblem("names missing");
}

TEST_F(CheckerTest, NlinkNotMatchingTheEntries) {
  Inode n = Read(file_ino_);
  n.nlink = 2;
  Put(InodeKey(file_ino_), EncodeInode(n));
  ExpectProblem("nlink 2 but named by 1");
}

TEST_F(CheckerTest, DirectoryNlink) {
  Inode n = Read(dir_ino_);
  n.nlink = 2;
  Put(InodeKey(dir_ino_), EncodeInode(n));
  ExpectProblem("directory nlink 2, expected 3");
}

TEST_F(CheckerTest, BlocksPastTheSizeOrOfMissingInodes) {
  Put(BlockKey(file_ino_, 3), "x");
  ExpectProblem("past the size");
  Delete(BlockKey(file_ino_, 3));
  Put(BlockKey(999999, 0), "x");
  ExpectProblem("no such inode");
}

TEST_F(CheckerTest, LeakedInodeAndStrayOrphan) {
  Delete(DirEntryKey(dir_ino_, "file"));
  ExpectProblem("nlink 1 but named by 0");
  Inode n = Read(file_ino_);
  n.nlink = 0;
  Put(InodeKey(file_ino_), EncodeInode(n));
  ExpectProblem("leaked");
  Put(OrphanKey(file_ino_), "");
  EXPECT_TRUE(CheckFilesystem(store()).clean());  // an orphan is fine
  Put(OrphanKey(dir_ino_), "");
  ExpectProblem("orphan key but nlink");
}

TEST_F(CheckerTest, UnreachableDirectories) {
  // Move "sub" under itself behind the filesystem's back: a cycle.
  uint64_t sub = Ino("dir/sub");
  std::string entry;
  ASSERT_TRUE(db_->Get({}, DirEntryKey(dir_ino_, "sub"), &entry).ok());
  Delete(DirEntryKey(dir_ino_, "sub"));
  Put(DirEntryKey(sub, "loop"), entry);
  Inode d = Read(dir_ino_);
  d.nlink = 2;
  Put(InodeKey(dir_ino_), EncodeInode(d));
  Inode s = Read(sub);
  s.nlink = 3;
  s.parent = sub;
  Put(InodeKey(sub), EncodeInode(s));
  ExpectProblem("unreachable");
}

TEST_F(CheckerTest, DamagedValuesAndStrangeKeys) {
  Put(InodeKey(file_ino_), "garbage");
  ExpectProblem("does not decode");
  Put("Zkey", "");
  ExpectProblem("unknown kind");
  Put(SuperblockKey(), "bad");
  ExpectProblem("superblock");
}

// Mount refuses what it cannot trust (the daemon turns EUCLEAN into a
// message that points to fsck), and fsck reports the same damage.
TEST_F(CheckerTest, UnreadableSuperblockOrRootRefusesTheMount) {
  for (const auto& [key, value] : {std::pair{SuperblockKey(), std::string("\x01garbage")},
                                   std::pair{InodeKey(kRootIno), std::string("garbage")}}) {
    std::string saved;
    ASSERT_TRUE(db_->Get({}, key, &saved).ok());
    Put(key, value);
    fs_.reset();
    auto refused = Filesystem::Mount(store(), MountOptions{});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error(), EUCLEAN);
    EXPECT_FALSE(CheckFilesystem(store()).clean());
    Put(key, saved);
    auto mounted = Filesystem::Mount(store(), MountOptions{});
    ASSERT_TRUE(mounted.ok()) << "errno " << mounted.error();
    fs_ = std::move(*mounted);
  }
}

TEST_F(CheckerTest, InodeBeyondTheLimit) {
  Inode n = Read(file_ino_);
  n.ino = 1ull << 50;
  Put(InodeKey(n.ino), EncodeInode(n));
  Put(DirEntryKey(kRootIno, "far"), EncodeDirEntry({n.ino, TypeOfMode(n.mode)}));
  Inode f = Read(file_ino_);
  ExpectProblem("inode limit");
}

// The largest table of the data directory (the file data's, here).
std::string LargestTable(const std::string& dir) {
  std::string best;
  uintmax_t best_size = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".sst" && e.file_size() > best_size) {
      best_size = e.file_size();
      best = e.path().string();
    }
  }
  return best;
}

// A flipped byte in one data block of a table: the checker steps over the
// block, counts every other key, and says which file lost which blocks.
TEST_F(CheckerTest, DamagedBlockIsSteppedOverAndNamedByInodeAndPath) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i * 7 % 26);
  uint64_t big_ino = WriteFile(dir_ino_, "big", big);
  for (int i = 0; i < 20; ++i) WriteFile(dir_ino_, "small" + std::to_string(i), "data");
  ASSERT_TRUE(db_->Flush().ok());
  uint64_t keys_before = CheckFilesystem(store()).keys;
  Unmount();

  std::string table = LargestTable(dir_.path());
  ASSERT_FALSE(table.empty());
  std::string data = lsm::test::ReadFileOrDie(table);
  data[data.size() / 2] ^= 0x40;
  lsm::test::WriteFileOrDie(table, data);

  ASSERT_TRUE(lsm::DB::Open(EngineOptions(), dir_.path(), &db_).ok());
  CheckReport report = CheckFilesystem(store());
  ASSERT_FALSE(report.clean());
  // One table block holds one or two file blocks; every other key is read.
  EXPECT_LT(report.keys, keys_before);
  EXPECT_GE(report.keys + 2, keys_before) << report.ToString();
  std::string name = "inode " + std::to_string(big_ino) + " (/dir/big): data blocks ";
  std::string sst = std::filesystem::path(table).filename().string();
  bool named = false;
  for (const std::string& p : report.problems) {
    named |= p.find(name) == 0 && p.find("unreadable (table " + sst + " at offset ") != std::string::npos;
    EXPECT_EQ(p.find("\\x"), std::string::npos) << "raw key bytes: " << p;
  }
  EXPECT_TRUE(named) << report.ToString();
}

// Lost inode records are named by the paths of the entries that name them.
TEST_F(CheckerTest, DamagedInodeBlockNamesThePathsOfTheLostInodes) {
  std::vector<uint64_t> inos;
  for (int i = 0; i < 400; ++i) inos.push_back(WriteFile(dir_ino_, "f" + std::to_string(i), ""));
  ASSERT_TRUE(db_->Flush().ok());
  Unmount();
  // The inode records' table is the largest: the files are empty.
  std::string table = LargestTable(dir_.path());
  std::string data = lsm::test::ReadFileOrDie(table);
  data[data.size() / 3] ^= 0x40;
  lsm::test::WriteFileOrDie(table, data);

  ASSERT_TRUE(lsm::DB::Open(EngineOptions(), dir_.path(), &db_).ok());
  CheckReport report = CheckFilesystem(store());
  EXPECT_GT(report.inodes, 300u) << report.ToString();  // went on past the block
  size_t lost = 0;
  for (const std::string& p : report.problems) {
    if (p.find("): inode record unreadable (table ") != std::string::npos) {
      EXPECT_NE(p.find(" (/dir/f"), std::string::npos) << p;
      ++lost;
    }
  }
  EXPECT_GT(lost, 0u) << report.ToString();
}

}  // namespace
}  // namespace iron::fs::test

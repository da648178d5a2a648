// The checker finds each kind of broken invariant, planted by writing keys
// behind the filesystem's back.
#include "fs/checker.h"

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
    ASSERT_TRUE(CheckFilesystem(db_.get()).clean());
  }
  void TearDown() override { Unmount(); }  // the damage stays

  // Runs the checker and expects one problem mentioning `text`.
  void ExpectProblem(const std::string& text) {
    CheckReport report = CheckFilesystem(db_.get());
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
  EXPECT_TRUE(CheckFilesystem(db_.get()).clean());  // an orphan is fine
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
    auto refused = Filesystem::Mount(db_.get(), MountOptions{});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error(), EUCLEAN);
    EXPECT_FALSE(CheckFilesystem(db_.get()).clean());
    Put(key, saved);
    auto mounted = Filesystem::Mount(db_.get(), MountOptions{});
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

}  // namespace
}  // namespace iron::fs::test

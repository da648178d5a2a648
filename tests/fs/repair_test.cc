// The repair mends each kind of broken invariant, planted by writing keys
// behind the filesystem's back, says what it changed by inode and path,
// and leaves a filesystem the checker calls clean.
#include "fs/repair.h"

#include <filesystem>

#include "fs/checker.h"
#include "fs/key_schema.h"
#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class RepairTest : public FsFixture {
 protected:
  void SetUp() override {
    FsFixture::SetUp();
    dir_ino_ = Mkdir(kRootIno, "dir");
    file_ino_ = WriteFile(dir_ino_, "file", "hello");
    sub_ino_ = Mkdir(dir_ino_, "sub");
    ASSERT_TRUE(CheckFilesystem(store()).clean());
    fs_.reset();  // the repair works on an unmounted filesystem
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
  bool Exists(const std::string& key) {
    std::string v;
    return db_->Get({}, key, &v).ok();
  }

  // Repairs, expects a change line containing each of `texts`, a clean
  // check after, a second repair with nothing to do, and a filesystem
  // that mounts.
  RepairReport RepairExpecting(const std::vector<std::string>& texts) {
    EXPECT_FALSE(CheckFilesystem(store()).clean());
    RepairReport report = RepairFilesystem(store());
    EXPECT_TRUE(report.status.ok()) << report.ToString();
    for (const std::string& text : texts) {
      bool found = false;
      for (const std::string& c : report.changes) found |= c.find(text) != std::string::npos;
      EXPECT_TRUE(found) << "no change mentions '" << text << "':\n" << report.ToString();
    }
    CheckReport after = CheckFilesystem(store());
    EXPECT_TRUE(after.clean()) << report.ToString() << after.ToString();
    RepairReport again = RepairFilesystem(store());
    EXPECT_TRUE(again.changes.empty()) << again.ToString();
    auto fs = Filesystem::Mount(store(), MountOptions{});
    EXPECT_TRUE(fs.ok()) << "errno " << fs.error();
    if (fs.ok()) fs_ = std::move(*fs);
    return report;
  }

  uint64_t dir_ino_ = 0, file_ino_ = 0, sub_ino_ = 0;
};

TEST_F(RepairTest, EntryNamingAMissingInodeIsRemoved) {
  Delete(InodeKey(file_ino_));
  RepairExpecting({"removed entry /dir/file (in inode " + std::to_string(dir_ino_) +
                   "): it named missing inode " + std::to_string(file_ino_),
                   "inode " + std::to_string(file_ino_) + " (/dir/file): data blocks dropped"});
  EXPECT_FALSE(Exists(DirEntryKey(dir_ino_, "file")));
  EXPECT_FALSE(Exists(BlockKey(file_ino_, 0)));
}

TEST_F(RepairTest, InodeWithoutANameGoesToLostAndFound) {
  Delete(DirEntryKey(dir_ino_, "file"));
  std::string name = "#" + std::to_string(file_ino_);
  RepairExpecting({"created /lost+found", "inode " + std::to_string(file_ino_) +
                                              ": no name and no orphan key; moved to /lost+found/" + name});
  struct stat st = Stat(Ino("lost+found"));
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(ReadAll(Ino("lost+found/" + name)), "hello");  // nothing of it lost
}

TEST_F(RepairTest, DirectoryWhoseParentVanishedIsReattached) {
  // "dir" goes, leaving "sub" (and the file) without a way from the root.
  Delete(InodeKey(dir_ino_));
  std::string name = "#" + std::to_string(sub_ino_);
  RepairExpecting({"removed entry /dir (in inode 1): it named missing inode " + std::to_string(dir_ino_),
                   "(/dir/sub): directory unreachable from the root; moved to /lost+found/" + name,
                   "(/dir/file): no name and no orphan key; moved to /lost+found/#" +
                       std::to_string(file_ino_)});
  EXPECT_EQ(Ino("lost+found/" + name), sub_ino_);
  EXPECT_EQ(Stat(sub_ino_).st_nlink, 2u);
}

TEST_F(RepairTest, DirectoryCycleIsCut) {
  std::string entry;
  ASSERT_TRUE(db_->Get({}, DirEntryKey(dir_ino_, "sub"), &entry).ok());
  Delete(DirEntryKey(dir_ino_, "sub"));
  Put(DirEntryKey(sub_ino_, "loop"), entry);
  RepairExpecting({"directory in a cycle", "moved to /lost+found/#" + std::to_string(sub_ino_)});
}

TEST_F(RepairTest, BadNlinkIsRecomputed) {
  Inode f = Read(file_ino_);
  f.nlink = 5;
  Put(InodeKey(file_ino_), EncodeInode(f));
  Inode d = Read(dir_ino_);
  d.nlink = 7;
  Put(InodeKey(dir_ino_), EncodeInode(d));
  RepairExpecting({"inode " + std::to_string(file_ino_) + " (/dir/file): nlink 5 set to 1",
                   "inode " + std::to_string(dir_ino_) + " (/dir): nlink 7 set to 3"});
}

TEST_F(RepairTest, BlocksPastTheSizeAndOfMissingInodesAreDropped) {
  Put(BlockKey(file_ino_, 3), "x");
  Put(BlockKey(file_ino_, 0), "hello, and more");
  Put(BlockKey(999999, 0), "x");
  Put(XattrKey(999999, "user.a"), "x");
  RepairExpecting({"(/dir/file): 1 data blocks past its size 5 dropped",
                   "(/dir/file): block 0 cut to 5 bytes",
                   "inode 999999: data blocks dropped (no such inode)",
                   "inode 999999: xattrs dropped (no such inode)"});
  EXPECT_EQ(ReadAll(file_ino_), "hello");
}

TEST_F(RepairTest, EntryTypeAndOrphanKeysAreFixed) {
  Put(DirEntryKey(dir_ino_, "file"), EncodeDirEntry({file_ino_, TypeOfMode(S_IFDIR)}));
  Put(OrphanKey(file_ino_), "");
  Put(OrphanKey(888888), "");
  RepairExpecting({"entry /dir/file (in inode " + std::to_string(dir_ino_) + "): type corrected",
                   "(/dir/file): orphan key removed", "orphan key of missing inode 888888"});
}

// A superblock of a later format refuses the mount with EPROTO (nothing
// is guessed, nothing repaired); one that does not decode is damage,
// EUCLEAN, which points the user to fsck.
TEST_F(RepairTest, SuperblockOfALaterFormatIsNotDamage) {
  std::string sb;
  ASSERT_TRUE(db_->Get({}, SuperblockKey(), &sb).ok());
  ASSERT_EQ(FormatOf(sb), kFormatVersion);
  std::string later = sb;
  later[0] = static_cast<char>(kFormatVersion + 1);
  Put(SuperblockKey(), later);
  auto newer = Filesystem::Mount(store(), MountOptions{});
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error(), EPROTO);
  Put(SuperblockKey(), sb.substr(0, 10));
  auto damaged = Filesystem::Mount(store(), MountOptions{});
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error(), EUCLEAN);
  Put(SuperblockKey(), sb);
  EXPECT_TRUE(Filesystem::Mount(store(), MountOptions{}).ok());
}

TEST_F(RepairTest, MissingRootAndSuperblockAreRecreated) {
  Delete(SuperblockKey());
  Delete(InodeKey(kRootIno));
  RepairExpecting({"superblock missing: recreated", "root directory missing: recreated",
                   "inode 1 (/): nlink 2 set to 3"});
  // The root's entries outlive its record: the tree hangs from the new root.
  EXPECT_EQ(ReadAll(Ino("dir/file")), "hello");
}

// A lost superblock's block size is judged from the data, so that no
// file's blocks are misplaced or dropped as "past the size".
TEST_F(RepairTest, RecreatedSuperblockKeepsTheBlockSizeOfTheData) {
  Unmount();
  FormatOptions format = OpenRoot();
  format.block_size = 1024;
  ASSERT_TRUE(lsm::DestroyDB(dir_.path(), EngineOptions()).ok());
  Mount(format);
  std::string data(5000, 'z');
  uint64_t ino = WriteFile(kRootIno, "f", data);
  fs_.reset();
  Delete(SuperblockKey());
  RepairExpecting({"superblock missing: recreated with block size 1024"});
  EXPECT_TRUE(ReadAll(ino) == data) << "the file's bytes changed";
}

// After a table block of inode records is lost, the repair removes the
// entries naming them, by path, and what is left is consistent: the only
// problem the checker still has is the damaged block itself (the engine's
// salvage rewrites the table).
TEST_F(RepairTest, InodeRecordsLostWithADamagedBlock) {
  Remount();
  for (int i = 0; i < 400; ++i) WriteFile(dir_ino_, "f" + std::to_string(i), "");
  ASSERT_TRUE(db_->Flush().ok());
  Unmount();
  std::string table;
  uintmax_t largest = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    if (e.path().extension() == ".sst" && e.file_size() > largest) {
      largest = e.file_size();
      table = e.path().string();
    }
  }
  std::string data = lsm::test::ReadFileOrDie(table);
  data[data.size() / 3] ^= 0x40;
  lsm::test::WriteFileOrDie(table, data);
  ASSERT_TRUE(lsm::DB::Open(EngineOptions(), dir_.path(), &db_).ok());

  RepairReport report = RepairFilesystem(store());
  ASSERT_TRUE(report.status.ok()) << report.ToString();
  EXPECT_EQ(report.damaged_blocks, 1u);
  size_t removed = 0;
  for (const std::string& c : report.changes) {
    if (c.find("removed entry /dir/f") == 0 && c.find("it named missing inode") != std::string::npos) {
      ++removed;
    }
  }
  EXPECT_GT(removed, 0u) << report.ToString();
  CheckReport after = CheckFilesystem(store());
  EXPECT_EQ(after.damaged_blocks, 1u);
  for (const std::string& p : after.problems) {
    EXPECT_NE(p.find("unreadable (table "), std::string::npos) << p;
  }
  EXPECT_TRUE(RepairFilesystem(store()).changes.empty());
}

TEST_F(RepairTest, InodeLimitIsRaisedAndStrangeKeysRemoved) {
  Inode n = Read(file_ino_);
  n.ino = 1ull << 40;
  Put(InodeKey(n.ino), EncodeInode(n));
  Put(DirEntryKey(kRootIno, "far"), EncodeDirEntry({n.ino, TypeOfMode(n.mode)}));
  Put("Zkey", "");
  Put(InodeKey(77777) + "x", "");  // an inode key of the wrong length
  RepairExpecting({"superblock: inode limit", "raised to " + std::to_string(n.ino + 1),
                   "removed key Zkey", "removed key I"});
  // New inodes are numbered past it.
  EXPECT_GT(Mkdir(kRootIno, "new"), n.ino);
}

TEST_F(RepairTest, CleanFilesystemIsLeftAlone) {
  RepairReport report = RepairFilesystem(store());
  EXPECT_TRUE(report.status.ok());
  EXPECT_TRUE(report.changes.empty()) << report.ToString();
}

}  // namespace
}  // namespace iron::fs::test

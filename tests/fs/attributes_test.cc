// getattr/setattr: who may change mode, owner and times; what chmod, chown,
// write and truncate do to setuid and setgid; which timestamps move.
#include <errno.h>

#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class AttributesTest : public FsFixture {
 protected:
  // Sets every time of `ino` to the epoch so that any change shows.
  void Age(uint64_t ino) {
    AttrChanges old;
    old.atime = old.mtime = AttrChanges::Time::kSet;
    old.ctime = Timestamp{1, 0};
    ASSERT_TRUE(fs_->SetAttr(Root(), ino, old).ok());
  }
  static bool Changed(const struct timespec& t) { return t.tv_sec > 1; }
};

TEST_F(AttributesTest, ChmodNeedsOwnerAndDropsSetgidOutsideTheGroup) {
  uint64_t f = WriteFile(kRootIno, "f", "", 0644, Alice());
  EXPECT_EQ(fs_->SetAttr(Bob(), f, {.mode = 0777}).error(), EPERM);
  ASSERT_TRUE(fs_->SetAttr(Alice(), f, {.mode = 02755}).ok());
  EXPECT_EQ(Stat(f).st_mode & 07777, 02755u);  // alice is in group 1000
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.gid = 3000}).ok());
  ASSERT_TRUE(fs_->SetAttr(Alice(), f, {.mode = 02755}).ok());
  EXPECT_EQ(Stat(f).st_mode & 07777, 0755u);  // not in 3000: setgid dropped
  ASSERT_TRUE(fs_->SetAttr(Alice(), f, {.mode = 01644}).ok());  // sticky on a file is allowed
  EXPECT_EQ(Stat(f).st_mode & 07777, 01644u);
}

TEST_F(AttributesTest, ChownRules) {
  uint64_t f = WriteFile(kRootIno, "f", "", 0644, Alice());
  EXPECT_EQ(fs_->SetAttr(Alice(), f, {.uid = 1001}).error(), EPERM);
  EXPECT_TRUE(fs_->SetAttr(Alice(), f, {.uid = 1000}).ok());  // to oneself: allowed
  EXPECT_TRUE(fs_->SetAttr(Alice(), f, {.gid = 2000}).ok());  // a group she is in
  EXPECT_EQ(fs_->SetAttr(Alice(), f, {.gid = 3000}).error(), EPERM);
  EXPECT_EQ(fs_->SetAttr(Bob(), f, {.gid = 2000}).error(), EPERM);  // not the owner
  EXPECT_TRUE(fs_->SetAttr(Root(), f, {.uid = 1001, .gid = 1001}).ok());
  EXPECT_EQ(Stat(f).st_uid, 1001u);
  EXPECT_EQ(Stat(f).st_gid, 1001u);
}

TEST_F(AttributesTest, ChownDropsSetuidAndExecutableSetgid) {
  uint64_t f = WriteFile(kRootIno, "f", "", 0644, Alice());
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.mode = 06755}).ok());
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.uid = 1001}).ok());
  EXPECT_EQ(Stat(f).st_mode & 07777, 0755u);
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.mode = 06745}).ok());  // setgid without group exec
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.gid = 1000}).ok());
  EXPECT_EQ(Stat(f).st_mode & 07777, 02745u);  // a mandatory-locking mark stays
  // Directories keep both.
  uint64_t d = Mkdir(kRootIno, "d", 06755);
  ASSERT_TRUE(fs_->SetAttr(Root(), d, {.mode = 06755}).ok());
  ASSERT_TRUE(fs_->SetAttr(Root(), d, {.uid = 1000}).ok());
  EXPECT_EQ(Stat(d).st_mode & 07777, 06755u);
}

TEST_F(AttributesTest, WriteAndTruncateByOthersDropSetuid) {
  uint64_t f = WriteFile(kRootIno, "f", "abc", 0666, Root());
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.mode = 06777}).ok());
  auto file = fs_->Open(Alice(), f, O_WRONLY);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(fs_->Write(Alice(), **file, 0, "x").ok());
  EXPECT_EQ(Stat(f).st_mode & 07777, 0777u);
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.mode = 06777}).ok());
  ASSERT_TRUE(fs_->Write(Root(), **file, 0, "y").ok());  // root keeps them
  EXPECT_EQ(Stat(f).st_mode & 07777, 06777u);
  ASSERT_TRUE(fs_->SetAttr(Alice(), f, {.size = 1}, file->get()).ok());
  EXPECT_EQ(Stat(f).st_mode & 07777, 0777u);
  fs_->Release(std::move(*file));
}

TEST_F(AttributesTest, TruncateChecks) {
  uint64_t f = WriteFile(kRootIno, "f", "abc", 0644, Root());
  uint64_t d = Mkdir(kRootIno, "d");
  Result<Entry> fifo = fs_->MakeNode(Root(), kRootIno, "p", S_IFIFO | 0666, 0);
  ASSERT_TRUE(fifo.ok());
  uint64_t p = fifo->ino;
  fs_->Forget(p, 1);
  EXPECT_EQ(fs_->SetAttr(Alice(), f, {.size = 0}).error(), EACCES);
  EXPECT_EQ(fs_->SetAttr(Root(), d, {.size = 0}).error(), EISDIR);
  EXPECT_EQ(fs_->SetAttr(Root(), p, {.size = 0}).error(), EINVAL);
  EXPECT_EQ(fs_->SetAttr(Root(), f, {.size = kMaxFileSize + 1}).error(), EFBIG);
  EXPECT_TRUE(fs_->SetAttr(Root(), f, {.size = kMaxFileSize}).ok());
  EXPECT_EQ(static_cast<uint64_t>(Stat(f).st_size), kMaxFileSize);
  EXPECT_TRUE(fs_->SetAttr(Root(), f, {.size = 2}).ok());
  EXPECT_EQ(ReadAll(f), "ab");
}

TEST_F(AttributesTest, UtimensRules) {
  uint64_t f = WriteFile(kRootIno, "f", "", 0666, Alice());
  AttrChanges set;
  set.atime = set.mtime = AttrChanges::Time::kSet;
  set.atime_value = {100, 5};
  set.mtime_value = {200, 999999999};
  EXPECT_EQ(fs_->SetAttr(Bob(), f, set).error(), EPERM);  // explicit times: owner only
  ASSERT_TRUE(fs_->SetAttr(Alice(), f, set).ok());
  struct stat st = Stat(f);
  EXPECT_EQ(st.st_atim.tv_sec, 100);
  EXPECT_EQ(st.st_atim.tv_nsec, 5);
  EXPECT_EQ(st.st_mtim.tv_nsec, 999999999);
  AttrChanges touch;
  touch.atime = touch.mtime = AttrChanges::Time::kNow;
  EXPECT_TRUE(fs_->SetAttr(Bob(), f, touch).ok());  // write permission suffices
  ASSERT_TRUE(fs_->SetAttr(Alice(), f, {.mode = 0644}).ok());
  EXPECT_EQ(fs_->SetAttr(Bob(), f, touch).error(), EACCES);
  AttrChanges one_now;
  one_now.mtime = AttrChanges::Time::kNow;
  EXPECT_EQ(fs_->SetAttr(Bob(), f, one_now).error(), EPERM);
  AttrChanges omit_atime = set;
  omit_atime.atime = AttrChanges::Time::kOmit;
  omit_atime.mtime_value = {300, 0};
  time_t atime_before = Stat(f).st_atim.tv_sec;
  ASSERT_TRUE(fs_->SetAttr(Alice(), f, omit_atime).ok());
  EXPECT_EQ(Stat(f).st_atim.tv_sec, atime_before);
  EXPECT_EQ(Stat(f).st_mtim.tv_sec, 300);
}

TEST_F(AttributesTest, TimestampsMoveAsOnExt4) {
  uint64_t d = Mkdir(kRootIno, "d", 0777);
  uint64_t f = WriteFile(d, "f", "x");
  Age(d);
  Age(f);
  auto file = fs_->Open(Root(), f, O_WRONLY);
  ASSERT_TRUE(fs_->Write(Root(), **file, 1, "y").ok());
  fs_->Release(std::move(*file));
  EXPECT_TRUE(Changed(Stat(f).st_mtim));
  EXPECT_TRUE(Changed(Stat(f).st_ctim));
  EXPECT_FALSE(Changed(Stat(f).st_atim));
  EXPECT_FALSE(Changed(Stat(d).st_mtim));  // the directory did not change

  Age(f);
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.mode = 0600}).ok());
  EXPECT_FALSE(Changed(Stat(f).st_mtim));
  EXPECT_TRUE(Changed(Stat(f).st_ctim));

  // Entry changes move the parent's mtime and ctime and the child's ctime.
  Age(d);
  Age(f);
  ASSERT_TRUE(fs_->Link(Root(), f, d, "g").ok());
  fs_->Forget(f, 1);
  EXPECT_TRUE(Changed(Stat(d).st_mtim));
  EXPECT_TRUE(Changed(Stat(f).st_ctim));
  EXPECT_FALSE(Changed(Stat(f).st_mtim));
  Age(d);
  Age(f);
  ASSERT_TRUE(fs_->Rename(Root(), d, "g", d, "h", 0).ok());
  EXPECT_TRUE(Changed(Stat(d).st_ctim));
  EXPECT_TRUE(Changed(Stat(f).st_ctim));
  Age(d);
  Age(f);
  ASSERT_TRUE(fs_->Unlink(Root(), d, "h").ok());
  EXPECT_TRUE(Changed(Stat(d).st_mtim));
  EXPECT_TRUE(Changed(Stat(f).st_ctim));
  // O_TRUNC moves mtime even on an empty file.
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.size = 0}).ok());
  Age(f);
  auto t = fs_->Open(Root(), f, O_WRONLY | O_TRUNC);
  ASSERT_TRUE(t.ok());
  fs_->Release(std::move(*t));
  EXPECT_TRUE(Changed(Stat(f).st_mtim));
  // Nanoseconds are kept.
  AttrChanges set;
  set.mtime = AttrChanges::Time::kSet;
  set.mtime_value = {1234567890, 123456789};
  ASSERT_TRUE(fs_->SetAttr(Root(), f, set).ok());
  Remount();
  EXPECT_EQ(Stat(f).st_mtim.tv_nsec, 123456789);
}

TEST_F(AttributesTest, TheKernelsOwnBookkeepingNeedsNoOwner) {
  uint64_t f = WriteFile(kRootIno, "f", "", 0666, Root());
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.mode = 06666}).ok());
  // A writer's write makes the kernel drop setuid/setgid with a mode change.
  EXPECT_EQ(fs_->SetAttr(Alice(), f, {.mode = 0666}).error(), EPERM);  // a chmod
  AttrChanges killpriv{.mode = 0666};
  killpriv.from_kernel_killpriv = true;
  EXPECT_TRUE(fs_->SetAttr(Alice(), f, killpriv).ok());
  EXPECT_EQ(Stat(f).st_mode & 07777, 0666u);
  AttrChanges more{.mode = 0777};
  more.from_kernel_killpriv = true;
  EXPECT_EQ(fs_->SetAttr(Alice(), f, more).error(), EPERM);  // adds bits: a chmod
  // Times the kernel kept (it sends ctime too) need no owner.
  AttrChanges flushed;
  flushed.mtime = AttrChanges::Time::kSet;
  flushed.mtime_value = {1000, 0};
  flushed.ctime = Timestamp{1000, 0};
  EXPECT_TRUE(fs_->SetAttr(Alice(), f, flushed).ok());
  // A truncate's times follow the truncate's check: EACCES, not EPERM.
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.mode = 0644}).ok());
  AttrChanges truncate{.size = 1};
  truncate.mtime = AttrChanges::Time::kSet;
  EXPECT_EQ(fs_->SetAttr(Alice(), f, truncate).error(), EACCES);
}

TEST_F(AttributesTest, AccessAndStatfs) {
  uint64_t f = WriteFile(kRootIno, "f", "", 0640, Alice());
  EXPECT_TRUE(fs_->Access(Alice(), f, kMayRead | kMayWrite).ok());
  EXPECT_EQ(fs_->Access(Alice(), f, kMayExec).error(), EACCES);
  EXPECT_EQ(fs_->Access(Bob(), f, kMayRead).error(), EACCES);
  Result<struct statvfs> st = fs_->StatFs();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->f_bsize, fs_->block_size());
  EXPECT_GT(st->f_blocks, 0u);
  EXPECT_GT(st->f_ffree, 0u);
  EXPECT_GE(st->f_files, st->f_ffree + 2);
  EXPECT_EQ(st->f_namemax, 255u);
}

}  // namespace
}  // namespace iron::fs::test

// Names: lookup, mknod/mkdir/symlink/link, unlink/rmdir and rename, with
// every error case Linux defines for them on ext4.
#include <errno.h>
#include <linux/fs.h>
#include <sys/sysmacros.h>

#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class NamespaceTest : public FsFixture {};

TEST_F(NamespaceTest, CreatesEveryKindOfObject) {
  Caller c = Root();
  c.umask = 022;
  ASSERT_TRUE(fs_->MakeNode(c, kRootIno, "reg", S_IFREG | 0666, 0).ok());
  ASSERT_TRUE(fs_->MakeNode(c, kRootIno, "fifo", S_IFIFO | 0666, 0).ok());
  ASSERT_TRUE(fs_->MakeNode(c, kRootIno, "sock", S_IFSOCK | 0666, 0).ok());
  ASSERT_TRUE(fs_->MakeNode(c, kRootIno, "chr", S_IFCHR | 0600, makedev(1, 3)).ok());
  ASSERT_TRUE(fs_->MakeNode(c, kRootIno, "blk", S_IFBLK | 0600, makedev(8, 1)).ok());
  ASSERT_TRUE(fs_->MakeDir(c, kRootIno, "dir", 0777).ok());
  ASSERT_TRUE(fs_->Symlink(c, kRootIno, "link", "reg").ok());
  EXPECT_EQ(Stat(Ino("reg")).st_mode, S_IFREG | 0644u);
  EXPECT_EQ(Stat(Ino("fifo")).st_mode, S_IFIFO | 0644u);
  EXPECT_EQ(Stat(Ino("sock")).st_mode, S_IFSOCK | 0644u);
  EXPECT_EQ(Stat(Ino("chr")).st_rdev, makedev(1, 3));
  EXPECT_EQ(Stat(Ino("blk")).st_mode, S_IFBLK | 0600u);
  EXPECT_EQ(Stat(Ino("dir")).st_mode, S_IFDIR | 0755u);
  EXPECT_EQ(Stat(Ino("dir")).st_nlink, 2u);
  EXPECT_EQ(Stat(kRootIno).st_nlink, 3u);
  EXPECT_EQ(Stat(Ino("link")).st_size, 3);
  EXPECT_EQ(*fs_->ReadLink(Root(), Ino("link")), "reg");
  EXPECT_EQ(fs_->ReadLink(Root(), Ino("reg")).error(), EINVAL);
  Remount();
  EXPECT_EQ(*fs_->ReadLink(Root(), Ino("link")), "reg");
  EXPECT_EQ(Stat(Ino("chr")).st_rdev, makedev(1, 3));
}

TEST_F(NamespaceTest, NamesAreChecked) {
  EXPECT_EQ(fs_->MakeDir(Root(), kRootIno, std::string(256, 'n'), 0755).error(), ENAMETOOLONG);
  EXPECT_TRUE(fs_->MakeDir(Root(), kRootIno, std::string(255, 'n'), 0755).ok());
  EXPECT_EQ(fs_->MakeDir(Root(), kRootIno, "a/b", 0755).error(), EINVAL);
  EXPECT_EQ(fs_->MakeDir(Root(), kRootIno, std::string("a\0b", 3), 0755).error(), EINVAL);
  EXPECT_EQ(fs_->MakeDir(Root(), kRootIno, ".", 0755).error(), EEXIST);
  EXPECT_EQ(fs_->MakeDir(Root(), kRootIno, "..", 0755).error(), EEXIST);
  EXPECT_EQ(fs_->MakeDir(Root(), kRootIno, "", 0755).error(), ENOENT);
  EXPECT_EQ(fs_->Lookup(Root(), kRootIno, std::string(256, 'n')).error(), ENAMETOOLONG);
  EXPECT_EQ(fs_->Symlink(Root(), kRootIno, "s", std::string(4096, 'x')).error(), ENAMETOOLONG);
  EXPECT_TRUE(fs_->Symlink(Root(), kRootIno, "s", std::string(4095, 'x')).ok());
  EXPECT_EQ(fs_->Symlink(Root(), kRootIno, "t", "").error(), ENOENT);
  EXPECT_EQ(fs_->MakeNode(Root(), kRootIno, "bad", 0170000 & ~S_IFMT, 0).ok(), true);
  EXPECT_EQ(fs_->MakeNode(Root(), kRootIno, "bad2", S_IFDIR | 0755, 0).error(), EINVAL);
}

TEST_F(NamespaceTest, LookupErrorsAndDots) {
  uint64_t d = Mkdir(kRootIno, "d");
  uint64_t f = WriteFile(d, "f", "x");
  EXPECT_EQ(fs_->Lookup(Root(), kRootIno, "missing").error(), ENOENT);
  EXPECT_EQ(fs_->Lookup(Root(), f, "x").error(), ENOTDIR);
  Result<Entry> dot = fs_->Lookup(Root(), d, ".");
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(dot->ino, d);
  Result<Entry> dotdot = fs_->Lookup(Root(), d, "..");
  ASSERT_TRUE(dotdot.ok());
  EXPECT_EQ(dotdot->ino, kRootIno);
  fs_->Forget(d, 1);
  fs_->Forget(kRootIno, 1);
  EXPECT_EQ(fs_->Lookup(Root(), 999999, "x").error(), ENOENT);
  // Search permission on the directory is needed.
  ASSERT_TRUE(fs_->SetAttr(Root(), d, {.mode = 0754}).ok());
  EXPECT_EQ(fs_->Lookup(Alice(), d, "f").error(), EACCES);
  EXPECT_EQ(fs_->Lookup(Alice(), d, "missing").error(), EACCES);
}

// The kernel turns a file handle (open_by_handle_at, an NFS export) into an
// inode it no longer holds by looking up "." in that inode, whatever its
// type, and ".." in a directory to reconnect it; a deleted inode answers
// ENOENT, which the kernel reports as ESTALE.
TEST_F(NamespaceTest, DotNamesAnyInodeForFileHandles) {
  uint64_t d = Mkdir(kRootIno, "d");
  uint64_t f = WriteFile(d, "f", "x");
  Result<Entry> file = fs_->Lookup(Root(), f, ".");
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_EQ(file->ino, f);
  EXPECT_EQ(file->generation, 1u);  // numbers are never reused
  EXPECT_TRUE(S_ISREG(file->attr.st_mode));
  fs_->Forget(f, 1);
  // Who may open by handle is the kernel's to judge (CAP_DAC_READ_SEARCH):
  // "." needs no search permission.
  ASSERT_TRUE(fs_->SetAttr(Root(), d, {.mode = 0700}).ok());
  Result<Entry> dir = fs_->Lookup(Alice(), d, ".");
  ASSERT_TRUE(dir.ok()) << dir.error();
  fs_->Forget(d, 1);
  ASSERT_TRUE(fs_->Unlink(Root(), d, "f").ok());
  EXPECT_EQ(fs_->Lookup(Root(), f, ".").error(), ENOENT);
}

TEST_F(NamespaceTest, CreateErrorsInLinuxOrder) {
  uint64_t d = Mkdir(kRootIno, "d", 0755);
  WriteFile(d, "exists", "");
  // Exists beats no write permission; no search permission beats both.
  EXPECT_EQ(fs_->MakeDir(Alice(), d, "exists", 0755).error(), EEXIST);
  EXPECT_EQ(fs_->MakeDir(Alice(), d, "new", 0755).error(), EACCES);
  ASSERT_TRUE(fs_->SetAttr(Root(), d, {.mode = 0700}).ok());
  EXPECT_EQ(fs_->MakeDir(Alice(), d, "exists", 0755).error(), EACCES);
  EXPECT_EQ(fs_->MakeDir(Root(), Ino("d/exists"), "x", 0755).error(), ENOTDIR);
  // Devices need root.
  ASSERT_TRUE(fs_->SetAttr(Root(), d, {.mode = 0777}).ok());
  EXPECT_EQ(fs_->MakeNode(Alice(), d, "c", S_IFCHR | 0600, 0).error(), EPERM);
  EXPECT_TRUE(fs_->MakeNode(Alice(), d, "p", S_IFIFO | 0600, 0).ok());
}

TEST_F(NamespaceTest, NewObjectsBelongToTheCallerOrTheSetgidDirectory) {
  uint64_t d = Mkdir(kRootIno, "d", 0777);
  Result<Entry> a = fs_->MakeNode(Alice(), d, "a", S_IFREG | 0644, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->attr.st_uid, 1000u);
  EXPECT_EQ(a->attr.st_gid, 1000u);
  ASSERT_TRUE(fs_->SetAttr(Root(), d, {.mode = 02777, .gid = 3000}).ok());
  Result<Entry> b = fs_->MakeNode(Alice(), d, "b", S_IFREG | 02755, 0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->attr.st_gid, 3000u);
  EXPECT_EQ(b->attr.st_mode & 07777, 0755u);  // not in group 3000: no setgid
  Result<Entry> sub = fs_->MakeDir(Alice(), d, "sub", 0755);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->attr.st_gid, 3000u);
  EXPECT_EQ(sub->attr.st_mode & 07777, 02755u);  // subdirectories inherit setgid
  Result<Entry> c = fs_->MakeNode(Root(), d, "c", S_IFREG | 02755, 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->attr.st_mode & 07777, 02755u);
}

TEST_F(NamespaceTest, UnlinkAndRmdir) {
  uint64_t d = Mkdir(kRootIno, "d");
  uint64_t sub = Mkdir(d, "sub");
  WriteFile(sub, "f", "data");
  EXPECT_EQ(fs_->Unlink(Root(), d, "sub").error(), EISDIR);
  EXPECT_EQ(fs_->RemoveDir(Root(), sub, "f").error(), ENOTDIR);
  EXPECT_EQ(fs_->RemoveDir(Root(), d, "sub").error(), ENOTEMPTY);
  EXPECT_EQ(fs_->Unlink(Root(), d, "missing").error(), ENOENT);
  EXPECT_EQ(fs_->RemoveDir(Root(), d, ".").error(), EINVAL);
  EXPECT_EQ(fs_->RemoveDir(Root(), d, "..").error(), ENOTEMPTY);
  EXPECT_EQ(fs_->Unlink(Alice(), sub, "f").error(), EACCES);
  ASSERT_TRUE(fs_->Unlink(Root(), sub, "f").ok());
  EXPECT_EQ(Stat(d).st_nlink, 3u);
  ASSERT_TRUE(fs_->RemoveDir(Root(), d, "sub").ok());
  EXPECT_EQ(Stat(d).st_nlink, 2u);
  EXPECT_EQ(fs_->GetAttr(sub).error(), ENOENT);
  EXPECT_TRUE(List(d).size() == 2);
}

TEST_F(NamespaceTest, StickyDirectoryKeepsOthersOut) {
  uint64_t tmp = Mkdir(kRootIno, "tmp", 01777);
  WriteFile(tmp, "alices", "", 0644, Alice());
  WriteFile(tmp, "bobs", "", 0644, Bob());
  EXPECT_EQ(fs_->Unlink(Alice(), tmp, "bobs").error(), EPERM);
  EXPECT_EQ(fs_->Rename(Alice(), tmp, "bobs", tmp, "mine", 0).error(), EPERM);
  EXPECT_EQ(fs_->Rename(Alice(), tmp, "alices", tmp, "bobs", 0).error(), EPERM);
  EXPECT_TRUE(fs_->Unlink(Alice(), tmp, "alices").ok());
  EXPECT_TRUE(fs_->Unlink(Root(), tmp, "bobs").ok());
}

TEST_F(NamespaceTest, HardLinksCountAndLimit) {
  uint64_t f = WriteFile(kRootIno, "f", "x");
  uint64_t d = Mkdir(kRootIno, "d");
  Result<Entry> l = fs_->Link(Root(), f, d, "g");
  ASSERT_TRUE(l.ok());
  fs_->Forget(f, 1);
  EXPECT_EQ(Stat(f).st_nlink, 2u);
  EXPECT_EQ(fs_->Link(Root(), f, d, "g").error(), EEXIST);
  EXPECT_EQ(fs_->Link(Root(), d, kRootIno, "dirlink").error(), EPERM);
  EXPECT_EQ(fs_->Link(Root(), f, f, "x").error(), ENOTDIR);
  // Not the owner, cannot read and write it: protected_hardlinks says no.
  ASSERT_TRUE(fs_->SetAttr(Root(), kRootIno, {.mode = 0777}).ok());
  EXPECT_EQ(fs_->Link(Alice(), f, kRootIno, "alices").error(), EPERM);
  ASSERT_TRUE(fs_->Unlink(Root(), kRootIno, "f").ok());
  EXPECT_EQ(Stat(f).st_nlink, 1u);
  EXPECT_EQ(ReadAll(f), "x");
}

TEST_F(NamespaceTest, LinkLimitIsEmlink) {
  uint64_t f = WriteFile(kRootIno, "f", "");
  uint64_t d = Mkdir(kRootIno, "d");
  for (uint32_t i = 1; i < kMaxLinks; ++i) {
    Result<Entry> e = fs_->Link(Root(), f, d, std::to_string(i));
    ASSERT_TRUE(e.ok()) << i;
    fs_->Forget(f, 1);
  }
  EXPECT_EQ(Stat(f).st_nlink, kMaxLinks);
  EXPECT_EQ(fs_->Link(Root(), f, d, "one-too-many").error(), EMLINK);
}

TEST_F(NamespaceTest, RenameReplacesFilesAndEmptyDirectories) {
  uint64_t a = Mkdir(kRootIno, "a");
  uint64_t b = Mkdir(kRootIno, "b");
  uint64_t f = WriteFile(a, "f", "one");
  WriteFile(b, "g", "two");
  ASSERT_TRUE(fs_->Rename(Root(), a, "f", b, "g", 0).ok());
  EXPECT_EQ(ReadAll(Ino("b/g")), "one");
  EXPECT_EQ(Ino("b/g"), f);
  EXPECT_EQ(fs_->Lookup(Root(), a, "f").error(), ENOENT);
  // Directory over empty directory, across parents: nlinks follow.
  uint64_t sub = Mkdir(a, "sub");
  Mkdir(b, "empty");
  ASSERT_TRUE(fs_->Rename(Root(), a, "sub", b, "empty", 0).ok());
  EXPECT_EQ(Stat(a).st_nlink, 2u);
  EXPECT_EQ(Stat(b).st_nlink, 3u);
  Result<Entry> up = fs_->Lookup(Root(), sub, "..");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->ino, b);
  fs_->Forget(b, 1);
  // Type mismatches and non-empty targets.
  Mkdir(a, "dir");
  WriteFile(a, "file", "");
  WriteFile(Ino("b/empty"), "x", "");
  EXPECT_EQ(fs_->Rename(Root(), a, "dir", a, "file", 0).error(), ENOTDIR);
  EXPECT_EQ(fs_->Rename(Root(), a, "file", a, "dir", 0).error(), EISDIR);
  EXPECT_EQ(fs_->Rename(Root(), a, "dir", b, "empty", 0).error(), ENOTEMPTY);
  EXPECT_EQ(fs_->Rename(Root(), a, "missing", b, "x", 0).error(), ENOENT);
  // Two names of one inode: nothing happens.
  ASSERT_TRUE(fs_->Link(Root(), Ino("a/file"), a, "file2").ok());
  ASSERT_TRUE(fs_->Rename(Root(), a, "file", a, "file2", 0).ok());
  EXPECT_TRUE(fs_->Lookup(Root(), a, "file").ok());
}

TEST_F(NamespaceTest, RenameIntoItsOwnSubtreeIsEinval) {
  uint64_t a = Mkdir(kRootIno, "a");
  uint64_t b = Mkdir(a, "b");
  uint64_t c = Mkdir(b, "c");
  EXPECT_EQ(fs_->Rename(Root(), kRootIno, "a", c, "a", 0).error(), EINVAL);
  EXPECT_EQ(fs_->Rename(Root(), kRootIno, "a", a, "x", 0).error(), EINVAL);
  // Over an ancestor of the source: that ancestor is not empty.
  EXPECT_EQ(fs_->Rename(Root(), b, "c", kRootIno, "a", 0).error(), ENOTEMPTY);
  EXPECT_TRUE(fs_->Rename(Root(), b, "c", kRootIno, "c", 0).ok());
}

TEST_F(NamespaceTest, RenameFlags) {
  uint64_t d = Mkdir(kRootIno, "d");
  WriteFile(d, "x", "X");
  Mkdir(d, "y");
  WriteFile(Ino("d/y"), "inside", "");
  EXPECT_EQ(fs_->Rename(Root(), d, "x", d, "y", RENAME_NOREPLACE).error(), EEXIST);
  EXPECT_EQ(fs_->Rename(Root(), d, "x", d, "z", RENAME_EXCHANGE).error(), ENOENT);
  EXPECT_EQ(fs_->Rename(Root(), d, "x", d, "z", RENAME_WHITEOUT).error(), EINVAL);
  EXPECT_EQ(fs_->Rename(Root(), d, "x", d, "z", RENAME_NOREPLACE | RENAME_EXCHANGE).error(), EINVAL);
  EXPECT_TRUE(fs_->Rename(Root(), d, "x", d, "z", RENAME_NOREPLACE).ok());
  // Exchange a file and a directory, across parents.
  uint64_t e = Mkdir(kRootIno, "e");
  uint64_t y = Ino("d/y");
  ASSERT_TRUE(fs_->Rename(Root(), d, "y", kRootIno, "e", RENAME_EXCHANGE).ok());
  EXPECT_EQ(Ino("e"), y);
  EXPECT_EQ(Ino("d/y"), e);
  EXPECT_EQ(Ino("e/inside") != 0, true);
  Result<Entry> up = fs_->Lookup(Root(), e, "..");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->ino, d);
  fs_->Forget(d, 1);
  ASSERT_TRUE(fs_->Rename(Root(), d, "z", kRootIno, "e", RENAME_EXCHANGE).ok());
  EXPECT_EQ(ReadAll(Ino("e")), "X");
  EXPECT_EQ(Stat(d).st_nlink, 4u);  // "y" and "z" are directories now
  EXPECT_EQ(Stat(kRootIno).st_nlink, 3u);
}

TEST_F(NamespaceTest, RenameOfADirectoryAcrossParentsNeedsWriteOnIt) {
  uint64_t a = Mkdir(kRootIno, "a", 0777);
  uint64_t b = Mkdir(kRootIno, "b", 0777);
  Mkdir(a, "rootdir", 0755);
  EXPECT_EQ(fs_->Rename(Alice(), a, "rootdir", b, "x", 0).error(), EACCES);
  EXPECT_TRUE(fs_->Rename(Alice(), a, "rootdir", a, "renamed", 0).ok());
}

TEST_F(NamespaceTest, UnlinkedOpenFileLivesUntilReleased) {
  auto created = fs_->Create(Root(), kRootIno, "f", 0644, O_CREAT | O_RDWR);
  ASSERT_TRUE(created.ok());
  uint64_t ino = created->first.ino;
  fs_->Forget(ino, 1);
  auto& file = created->second;
  ASSERT_TRUE(fs_->Write(Root(), *file, 0, std::string(100000, 'z')).ok());
  ASSERT_TRUE(fs_->Unlink(Root(), kRootIno, "f").ok());
  EXPECT_EQ(Stat(ino).st_nlink, 0u);
  std::string buf(10, '\0');
  ASSERT_TRUE(fs_->Read(*file, 99990, buf).ok());
  EXPECT_EQ(buf, std::string(10, 'z'));
  ASSERT_TRUE(fs_->Write(Root(), *file, 0, "still").ok());
  ExpectClean();  // an orphan, not a leak
  fs_->Release(std::move(file));
  EXPECT_EQ(fs_->GetAttr(ino).error(), ENOENT);
  EXPECT_EQ(CheckFilesystem(store()).blocks, 0u);
}

TEST_F(NamespaceTest, OrphansOfACrashAreReclaimedAtMount) {
  auto created = fs_->Create(Root(), kRootIno, "f", 0644, O_CREAT | O_RDWR);
  ASSERT_TRUE(created.ok());
  uint64_t ino = created->first.ino;
  ASSERT_TRUE(fs_->Write(Root(), *created->second, 0, "data").ok());
  ASSERT_TRUE(fs_->Unlink(Root(), kRootIno, "f").ok());
  // The process dies with the file open: nothing releases it.
  std::unique_ptr<OpenFile> never_released = std::move(created->second);
  fs_.reset();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  ASSERT_TRUE(lsm::DB::Open(EngineOptions(), dir_.path(), &db_).ok());
  EXPECT_EQ(CheckFilesystem(store()).orphans, 1u);
  MountOptions mo;
  auto fs = Filesystem::Mount(store(), mo);
  ASSERT_TRUE(fs.ok());
  fs_ = std::move(*fs);
  EXPECT_EQ(fs_->GetStats().orphans_reclaimed_at_mount, 1u);
  EXPECT_EQ(fs_->GetAttr(ino).error(), ENOENT);
  CheckReport report = CheckFilesystem(store());
  EXPECT_EQ(report.orphans, 0u);
  EXPECT_EQ(report.blocks, 0u);
}

// -o ro: the mount writes nothing, so an orphan of a crash stays for the
// next writable mount, and every change answers EROFS.
TEST_F(NamespaceTest, ReadOnlyMountReclaimsNothingAndRefusesChanges) {
  uint64_t kept = WriteFile(kRootIno, "kept", "kept data");
  auto created = fs_->Create(Root(), kRootIno, "f", 0644, O_CREAT | O_RDWR);
  ASSERT_TRUE(created.ok());
  uint64_t ino = created->first.ino;
  ASSERT_TRUE(fs_->Unlink(Root(), kRootIno, "f").ok());
  std::unique_ptr<OpenFile> never_released = std::move(created->second);
  fs_.reset();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();

  lsm::Options ro = EngineOptions();
  ro.read_only = true;
  ASSERT_TRUE(lsm::DB::Open(ro, dir_.path(), &db_).ok());
  MountOptions mo;
  mo.read_only = true;
  auto fs = Filesystem::Mount(store(), mo);
  ASSERT_TRUE(fs.ok()) << "errno " << fs.error();
  fs_ = std::move(*fs);
  EXPECT_EQ(fs_->GetStats().orphans_reclaimed_at_mount, 0u);
  EXPECT_EQ(ReadWholeFile(*fs_, kept), "kept data");
  EXPECT_EQ(fs_->MakeDir(Root(), kRootIno, "d", 0755).error(), EROFS);
  EXPECT_EQ(fs_->Unlink(Root(), kRootIno, "kept").error(), EROFS);
  fs_.reset();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  ASSERT_TRUE(lsm::DB::Open(EngineOptions(), dir_.path(), &db_).ok());
  EXPECT_EQ(CheckFilesystem(store()).orphans, 1u);  // still there
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  Mount();
  EXPECT_EQ(fs_->GetAttr(ino).error(), ENOENT);  // reclaimed by the writable mount
}

TEST_F(NamespaceTest, InodeNumbersAreNeverReused) {
  uint64_t first = WriteFile(kRootIno, "a", "");
  ASSERT_TRUE(fs_->Unlink(Root(), kRootIno, "a").ok());
  Remount();
  uint64_t second = WriteFile(kRootIno, "b", "");
  EXPECT_GT(second, first);
}

}  // namespace
}  // namespace iron::fs::test

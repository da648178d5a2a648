// Extended attributes: flags, sizes, namespaces and who may use them.
#include <errno.h>
#include <linux/limits.h>
#include <sys/xattr.h>

#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class XattrTest : public FsFixture {};

TEST_F(XattrTest, SetGetListRemove) {
  uint64_t f = WriteFile(kRootIno, "f", "");
  ASSERT_TRUE(fs_->SetXattr(Root(), f, "user.a", "1", 0).ok());
  ASSERT_TRUE(fs_->SetXattr(Root(), f, "user.b", std::string(kMaxXattrValue, 'v'), 0).ok());
  ASSERT_TRUE(fs_->SetXattr(Root(), f, "trusted.t", "", 0).ok());
  EXPECT_EQ(*fs_->GetXattr(Root(), f, "user.a", 0), "1");
  EXPECT_EQ(fs_->GetXattr(Root(), f, "user.b", 10).error(), ERANGE);
  EXPECT_EQ(fs_->GetXattr(Root(), f, "user.b", 0)->size(), kMaxXattrValue);
  EXPECT_EQ(fs_->GetXattr(Root(), f, "user.none", 0).error(), ENODATA);
  EXPECT_EQ(*fs_->ListXattr(Root(), f, 0), std::string("trusted.t\0user.a\0user.b\0", 24));
  EXPECT_EQ(fs_->ListXattr(Root(), f, 5).error(), ERANGE);
  EXPECT_EQ(fs_->SetXattr(Root(), f, "user.a", "2", XATTR_CREATE).error(), EEXIST);
  EXPECT_EQ(fs_->SetXattr(Root(), f, "user.c", "2", XATTR_REPLACE).error(), ENODATA);
  ASSERT_TRUE(fs_->SetXattr(Root(), f, "user.a", "2", XATTR_REPLACE).ok());
  EXPECT_EQ(*fs_->GetXattr(Root(), f, "user.a", 0), "2");
  ASSERT_TRUE(fs_->RemoveXattr(Root(), f, "user.a").ok());
  EXPECT_EQ(fs_->RemoveXattr(Root(), f, "user.a").error(), ENODATA);
  Remount();
  EXPECT_EQ(*fs_->ListXattr(Root(), f, 0), std::string("trusted.t\0user.b\0", 17));
  ASSERT_TRUE(fs_->Unlink(Root(), kRootIno, "f").ok());
  EXPECT_EQ(CheckFilesystem(store()).xattrs, 0u);
}

// The kernel leaves this to the filesystem (FUSE_HANDLE_KILLPRIV_V2), and
// after a file's first write no longer asks whether it has capabilities.
TEST_F(XattrTest, WriteTruncateAndChownDropFileCapabilities) {
  const std::string caps("\x01\x00\x00\x02\x00\x04", 6);  // opaque bytes here
  uint64_t f = WriteFile(kRootIno, "f", "abc", 0666, Root());
  auto set_caps = [&] {
    ASSERT_TRUE(fs_->SetXattr(Root(), f, "security.capability", caps, 0).ok());
    ASSERT_TRUE(fs_->SetXattr(Root(), f, "user.kept", "k", 0).ok());
  };
  auto file = fs_->Open(Root(), f, O_WRONLY);
  ASSERT_TRUE(file.ok());

  set_caps();
  ASSERT_TRUE(fs_->Write(Root(), **file, 0, "x").ok());  // even root's write
  EXPECT_EQ(fs_->GetXattr(Root(), f, "security.capability", 0).error(), ENODATA);
  EXPECT_EQ(*fs_->GetXattr(Root(), f, "user.kept", 0), "k");

  set_caps();
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.size = 1}, file->get()).ok());
  EXPECT_EQ(fs_->GetXattr(Root(), f, "security.capability", 0).error(), ENODATA);

  set_caps();
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.uid = 1000}).ok());
  EXPECT_EQ(fs_->GetXattr(Root(), f, "security.capability", 0).error(), ENODATA);

  set_caps();
  ASSERT_TRUE(fs_->SetAttr(Root(), f, {.mode = 0755}).ok());  // a chmod keeps them
  EXPECT_EQ(*fs_->GetXattr(Root(), f, "security.capability", 0), caps);
  fs_->Release(std::move(*file));
  Remount();
  EXPECT_EQ(*fs_->GetXattr(Root(), f, "security.capability", 0), caps);
  EXPECT_EQ(*fs_->GetXattr(Root(), f, "user.kept", 0), "k");
}

TEST_F(XattrTest, LimitsAndUnknownNamespaces) {
  uint64_t f = WriteFile(kRootIno, "f", "");
  EXPECT_EQ(fs_->SetXattr(Root(), f, "user.big", std::string(kMaxXattrValue + 1, 'v'), 0).error(), E2BIG);
  EXPECT_EQ(fs_->SetXattr(Root(), f, "user." + std::string(251, 'n'), "", 0).error(), ERANGE);
  EXPECT_TRUE(fs_->SetXattr(Root(), f, "user." + std::string(250, 'n'), "", 0).ok());
  EXPECT_EQ(fs_->SetXattr(Root(), f, "", "", 0).error(), ERANGE);
  EXPECT_EQ(fs_->SetXattr(Root(), f, "nonamespace", "", 0).error(), EOPNOTSUPP);
  EXPECT_EQ(fs_->SetXattr(Root(), f, "system.posix_acl_access", "", 0).error(), EOPNOTSUPP);
  EXPECT_EQ(fs_->SetXattr(Root(), f, "user.x", "", XATTR_CREATE | XATTR_REPLACE | 8).error(), EINVAL);
}

TEST_F(XattrTest, Permissions) {
  uint64_t f = WriteFile(kRootIno, "f", "", 0644, Alice());
  ASSERT_TRUE(fs_->SetXattr(Alice(), f, "user.mine", "x", 0).ok());
  EXPECT_EQ(fs_->SetXattr(Bob(), f, "user.theirs", "x", 0).error(), EACCES);
  EXPECT_EQ(*fs_->GetXattr(Bob(), f, "user.mine", 0), "x");  // readable file
  EXPECT_EQ(fs_->SetXattr(Alice(), f, "trusted.x", "x", 0).error(), EPERM);
  ASSERT_TRUE(fs_->SetXattr(Root(), f, "trusted.x", "x", 0).ok());
  EXPECT_EQ(fs_->GetXattr(Alice(), f, "trusted.x", 0).error(), ENODATA);
  EXPECT_EQ(*fs_->ListXattr(Alice(), f, 0), std::string("user.mine\0", 10));
  // user.* only on files and directories.
  ASSERT_TRUE(fs_->Symlink(Root(), kRootIno, "l", "f").ok());
  EXPECT_EQ(fs_->SetXattr(Root(), Ino("l"), "user.x", "x", 0).error(), EPERM);
  EXPECT_EQ(fs_->GetXattr(Root(), Ino("l"), "user.x", 0).error(), ENODATA);
  // In a sticky directory only its owner sets user.* on it.
  uint64_t tmp = Mkdir(kRootIno, "tmp", 01777);
  EXPECT_EQ(fs_->SetXattr(Alice(), tmp, "user.x", "x", 0).error(), EPERM);
}

// A write by a non-owner who may write the file makes the kernel remove
// its capabilities (a REMOVEXATTR as the writer): that must succeed, as on
// ext4, or the write fails. Others still may not remove them.
TEST_F(XattrTest, AWriterMayRemoveCapabilities) {
  const std::string caps("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
  uint64_t f = WriteFile(kRootIno, "f", "abc", 0666, Alice());
  uint64_t g = WriteFile(kRootIno, "g", "abc", 0644, Alice());
  for (uint64_t ino : {f, g}) {
    ASSERT_TRUE(fs_->SetXattr(Alice(), ino, "security.capability", caps, 0).ok());
  }
  ASSERT_TRUE(fs_->RemoveXattr(Bob(), f, "security.capability").ok());
  EXPECT_EQ(fs_->GetXattr(Root(), f, "security.capability", 0).error(), ENODATA);
  EXPECT_EQ(fs_->RemoveXattr(Bob(), g, "security.capability").error(), EPERM);
  EXPECT_EQ(*fs_->GetXattr(Root(), g, "security.capability", 0), caps);
  // Other security.* names stay the owner's.
  ASSERT_TRUE(fs_->SetXattr(Alice(), f, "security.other", "x", 0).ok());
  EXPECT_EQ(fs_->RemoveXattr(Bob(), f, "security.other").error(), EPERM);
}

// As the kernel's xattr_resolve_name (ext4): a namespace prefix alone
// names nothing.
TEST_F(XattrTest, APrefixAloneIsInvalid) {
  uint64_t f = WriteFile(kRootIno, "f", "");
  for (const char* name : {"user.", "trusted.", "security."}) {
    EXPECT_EQ(fs_->SetXattr(Root(), f, name, "v", 0).error(), EINVAL) << name;
    EXPECT_EQ(fs_->GetXattr(Root(), f, name, 0).error(), EINVAL) << name;
    EXPECT_EQ(fs_->RemoveXattr(Root(), f, name).error(), EINVAL) << name;
  }
  EXPECT_TRUE(fs_->SetXattr(Root(), f, "user..", "v", 0).ok());  // a name of one dot
  EXPECT_EQ(*fs_->ListXattr(Root(), f, 0), std::string("user..\0", 7));
}

// One inode's names always fit the kernel's listxattr buffer: past it a new
// name is ENOSPC (as ext4 when its attribute space is full), while values
// of existing names may change, and a removal makes room again.
TEST_F(XattrTest, NamesStayListable) {
  uint64_t f = WriteFile(kRootIno, "f", "");
  auto name_of = [](int i) {
    std::string n = "user." + std::to_string(i) + "-";
    return n + std::string(200 - n.size(), 'n');
  };
  int added = 0;
  Result<void> r = Ok();
  for (; added < 1000; ++added) {  // 1000 names would take 201,000 bytes
    r = fs_->SetXattr(Root(), f, name_of(added), "v", 0);
    if (!r.ok()) break;
  }
  ASSERT_FALSE(r.ok()) << "1000 names of 200 bytes accepted";
  EXPECT_EQ(r.error(), ENOSPC);
  Result<std::string> list = fs_->ListXattr(Root(), f, 0);
  ASSERT_TRUE(list.ok());
  EXPECT_LE(list->size(), XATTR_LIST_MAX);
  EXPECT_EQ(list->size(), added * 201u);
  EXPECT_GT(list->size() + 2 * 201, XATTR_LIST_MAX);  // the cap, not something smaller
  EXPECT_TRUE(fs_->SetXattr(Root(), f, name_of(0), "new value", 0).ok());
  // Capabilities are always allowed for: writes drop them unseen.
  const std::string caps("\x01\x00\x00\x02", 4);
  EXPECT_TRUE(fs_->SetXattr(Root(), f, "security.capability", caps, 0).ok());
  EXPECT_LE(fs_->ListXattr(Root(), f, 0)->size(), XATTR_LIST_MAX);
  Remount();  // the count is made again from what is stored
  EXPECT_EQ(fs_->SetXattr(Root(), f, name_of(added), "v", 0).error(), ENOSPC);
  ASSERT_TRUE(fs_->RemoveXattr(Root(), f, name_of(1)).ok());
  EXPECT_TRUE(fs_->SetXattr(Root(), f, name_of(added), "v", 0).ok());
  EXPECT_EQ(fs_->SetXattr(Root(), f, name_of(added + 1), "v", 0).error(), ENOSPC);
  EXPECT_LE(fs_->ListXattr(Root(), f, 0)->size(), XATTR_LIST_MAX);
}

}  // namespace
}  // namespace iron::fs::test

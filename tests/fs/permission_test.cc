// The permission rules for owner, group (primary and supplementary),
// others and root.
#include "fs/permission.h"

#include <errno.h>
#include <gtest/gtest.h>

namespace iron::fs {
namespace {

Inode File(uint32_t mode, uint32_t uid, uint32_t gid) {
  Inode n;
  n.mode = S_IFREG | mode;
  n.uid = uid;
  n.gid = gid;
  return n;
}

TEST(Permission, OwnerGroupOtherBitsEachApplyAlone) {
  Caller alice{1000, 1000, {2000}, 0};
  // The owner's bits decide for the owner even if group or other allow more.
  EXPECT_EQ(CheckAccess(alice, File(0077, 1000, 1000), kMayRead), EACCES);
  EXPECT_EQ(CheckAccess(alice, File(0400, 1000, 1000), kMayRead), 0);
  EXPECT_EQ(CheckAccess(alice, File(0400, 1000, 1000), kMayRead | kMayWrite), EACCES);
  // Supplementary group.
  EXPECT_EQ(CheckAccess(alice, File(0040, 5, 2000), kMayRead), 0);
  EXPECT_EQ(CheckAccess(alice, File(0407, 5, 2000), kMayRead), EACCES);
  // Others.
  EXPECT_EQ(CheckAccess(alice, File(0004, 5, 6), kMayRead), 0);
  EXPECT_EQ(CheckAccess(alice, File(0004, 5, 6), kMayExec), EACCES);
}

TEST(Permission, RootReadsAndWritesAnythingButExecutesOnlyExecutables) {
  Caller root;
  EXPECT_EQ(CheckAccess(root, File(0000, 5, 6), kMayRead | kMayWrite), 0);
  EXPECT_EQ(CheckAccess(root, File(0000, 5, 6), kMayExec), EACCES);
  EXPECT_EQ(CheckAccess(root, File(0001, 5, 6), kMayExec), 0);
  Inode dir = File(0000, 5, 6);
  dir.mode = S_IFDIR;
  EXPECT_EQ(CheckAccess(root, dir, kMayExec), 0);
}

TEST(Permission, StickyDirectoriesProtectOthersEntries) {
  Caller alice{1000, 1000, {}, 0};
  Inode dir = File(01777, 0, 0);
  dir.mode = S_IFDIR | 01777;
  EXPECT_FALSE(MayRemoveFromSticky(alice, dir, File(0644, 1001, 1001)));
  EXPECT_TRUE(MayRemoveFromSticky(alice, dir, File(0644, 1000, 1001)));
  dir.uid = 1000;
  EXPECT_TRUE(MayRemoveFromSticky(alice, dir, File(0644, 1001, 1001)));
  EXPECT_TRUE(MayRemoveFromSticky(Caller{}, dir, File(0644, 1001, 1001)));
}

// Privilege comes from capabilities, when they are known, not from uid 0.
TEST(Permission, CapabilitiesDecideNotTheUid) {
  auto with = [](uint32_t uid, std::initializer_list<int> caps) {
    Caller c{uid, uid, {}, 0};
    c.capabilities = 0;
    for (int cap : caps) *c.capabilities |= 1ull << cap;
    return c;
  };
  const Inode secret = File(0600, 1000, 1000);
  const Inode plain = File(0644, 1000, 1000);
  Inode dir = File(0700, 1000, 1000);
  dir.mode = S_IFDIR | 0700;

  const Caller bare_root = with(0, {});
  EXPECT_EQ(CheckAccess(bare_root, secret, kMayRead), EACCES);
  EXPECT_EQ(CheckAccess(bare_root, dir, kMayExec), EACCES);
  EXPECT_FALSE(IsOwnerOrRoot(bare_root, plain));
  EXPECT_FALSE(bare_root.Capable(CAP_CHOWN));
  EXPECT_EQ(CheckAccess(bare_root, plain, kMayRead), 0);  // as anybody

  const Caller override_user = with(4242, {CAP_DAC_OVERRIDE});
  EXPECT_EQ(CheckAccess(override_user, secret, kMayRead | kMayWrite), 0);
  EXPECT_EQ(CheckAccess(override_user, dir, kMayWrite | kMayExec), 0);
  EXPECT_EQ(CheckAccess(override_user, plain, kMayExec), EACCES);  // no execute bit at all
  EXPECT_FALSE(IsOwnerOrRoot(override_user, plain));

  const Caller reader = with(4242, {CAP_DAC_READ_SEARCH});
  EXPECT_EQ(CheckAccess(reader, secret, kMayRead), 0);
  EXPECT_EQ(CheckAccess(reader, secret, kMayWrite), EACCES);
  EXPECT_EQ(CheckAccess(reader, dir, kMayRead | kMayExec), 0);

  const Caller fowner = with(4242, {CAP_FOWNER});
  EXPECT_TRUE(IsOwnerOrRoot(fowner, plain));
  EXPECT_EQ(CheckAccess(fowner, secret, kMayRead), EACCES);

  // Unknown capabilities: uid 0 holds them all, others none.
  EXPECT_TRUE((Caller{0, 0, {}, 0}).Capable(CAP_DAC_OVERRIDE));
  EXPECT_FALSE((Caller{4242, 4242, {}, 0}).Capable(CAP_DAC_OVERRIDE));
}

}  // namespace
}  // namespace iron::fs

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

}  // namespace
}  // namespace iron::fs

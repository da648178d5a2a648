// InodeTable: Nodes the kernel references stay however many there are;
// idle ones go once a shard is over its share; growth past the capacity
// keeps working.
#include "fs/inode_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "tests/fs/fs_fixture.h"

namespace iron::fs {
namespace {

constexpr size_t kShards = 64;  // InodeTable's

void SetLookups(InodeTable& table, uint64_t ino, uint64_t lookups) {
  InodeTable::NodeRef node = table.Get(ino);
  lsm::MutexLock l(&node->mu);
  node->lookups = lookups;
}

TEST(InodeTableTest, KeepsReferencedNodesAndDropsIdleOnes) {
  InodeTable table(kShards * 16);
  const uint64_t referenced = kShards * 40;  // 2.5 times the capacity
  for (uint64_t ino = 1; ino <= referenced; ++ino) SetLookups(table, ino, 1);
  EXPECT_EQ(table.size(), referenced);
  for (uint64_t ino = 1; ino <= referenced; ++ino) {
    InodeTable::NodeRef node = table.Get(ino);
    lsm::MutexLock l(&node->mu);
    EXPECT_EQ(node->lookups, 1u) << ino;  // the same Node, not a new one
    node->lookups = 0;                    // forgotten by the kernel
  }
  // New inodes push the idle ones out.
  for (uint64_t ino = 100000; ino < 100000 + referenced; ++ino) table.Get(ino);
  EXPECT_LE(table.size(), kShards * 17);
}

// What the kernel referenced and then forgot leaves as it is forgotten:
// the capacity is a cap, not a high-water mark.
TEST(InodeTableTest, ForgottenNodesLeaveDownToTheCapacity) {
  InodeTable table(kShards * 16);
  const uint64_t referenced = kShards * 300;
  for (uint64_t ino = 1; ino <= referenced; ++ino) SetLookups(table, ino, 1);
  EXPECT_EQ(table.size(), referenced);
  for (uint64_t ino = 1; ino <= referenced; ++ino) {
    InodeTable::NodeRef node = table.Get(ino);
    {
      lsm::MutexLock l(&node->mu);
      node->lookups = 0;
    }
    table.Unref(std::move(node));
  }
  EXPECT_LE(table.size(), kShards * 16);
  // A Node still in use elsewhere stays whatever the count.
  InodeTable::NodeRef held = table.Get(1'000'000);
  table.Unref(table.Get(1'000'000));
  EXPECT_EQ(table.Get(1'000'000), held);
}

// The filesystem over it: creating and deleting many files the way the
// kernel does (a reference per create, given back after the unlink) leaves
// no more Nodes than inode_cache_entries.
class InodeCacheTest : public test::FsFixture {
 protected:
  void SetUp() override {
    mount_options_.inode_cache_entries = 1024;
    test::FsFixture::SetUp();
  }
};

TEST_F(InodeCacheTest, IsACapAfterCreatesAndDeletes) {
  constexpr int kFiles = 5000;
  std::vector<uint64_t> inos;
  for (int i = 0; i < kFiles; ++i) {
    auto created = fs_->Create(test::Root(), kRootIno, "f" + std::to_string(i), 0644,
                               O_CREAT | O_WRONLY);
    ASSERT_TRUE(created.ok());
    fs_->Release(std::move(created->second));
    inos.push_back(created->first.ino);
  }
  for (int i = 0; i < kFiles; ++i) {
    ASSERT_TRUE(fs_->Unlink(test::Root(), kRootIno, "f" + std::to_string(i)).ok());
    fs_->Forget(inos[i], 1);
  }
  EXPECT_LE(fs_->GetStats().cached_inodes, 1024u + kShards);
  EXPECT_EQ(fs_->GetStats().inodes, 1u);  // the root
}

}  // namespace
}  // namespace iron::fs

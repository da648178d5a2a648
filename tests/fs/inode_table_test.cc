// InodeTable: Nodes the kernel references stay however many there are;
// idle ones go once a shard is over its share; growth past the capacity
// keeps working.
#include "fs/inode_table.h"

#include <gtest/gtest.h>

namespace iron::fs {
namespace {

constexpr size_t kShards = 64;  // InodeTable's

void SetLookups(InodeTable& table, uint64_t ino, uint64_t lookups) {
  InodeTable::NodeRef node = table.Get(ino);
  std::lock_guard l(node->mu);
  node->lookups = lookups;
}

TEST(InodeTableTest, KeepsReferencedNodesAndDropsIdleOnes) {
  InodeTable table(kShards * 16);
  const uint64_t referenced = kShards * 40;  // 2.5 times the capacity
  for (uint64_t ino = 1; ino <= referenced; ++ino) SetLookups(table, ino, 1);
  EXPECT_EQ(table.size(), referenced);
  for (uint64_t ino = 1; ino <= referenced; ++ino) {
    InodeTable::NodeRef node = table.Get(ino);
    std::lock_guard l(node->mu);
    EXPECT_EQ(node->lookups, 1u) << ino;  // the same Node, not a new one
    node->lookups = 0;                    // forgotten by the kernel
  }
  // New inodes push the idle ones out.
  for (uint64_t ino = 100000; ino < 100000 + referenced; ++ino) table.Get(ino);
  EXPECT_LE(table.size(), kShards * 17);
}

}  // namespace
}  // namespace iron::fs

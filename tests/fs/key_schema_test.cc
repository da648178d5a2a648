// Keys sort by kind, then inode number numerically, then name or block;
// every key parses back to what built it, and malformed keys are refused.
#include "fs/key_schema.h"

#include <gtest/gtest.h>

#include "fs/inode_codec.h"

namespace iron::fs {
namespace {

TEST(KeySchema, NumbersSortNumerically) {
  EXPECT_LT(InodeKey(255), InodeKey(256));
  EXPECT_LT(InodeKey(1), InodeKey(1ull << 40));
  EXPECT_LT(BlockKey(7, 255), BlockKey(7, 256));
  EXPECT_LT(BlockKey(7, ~0ull), BlockKey(8, 0));
  EXPECT_LT(DirEntryKey(3, "zzz"), DirEntryKey(4, "a"));
}

TEST(KeySchema, ObjectRangesHoldExactlyTheirKeys) {
  EXPECT_LE(ObjectBegin(KeyKind::kBlock, 9), BlockKey(9, 0));
  EXPECT_LT(BlockKey(9, ~0ull), ObjectEnd(KeyKind::kBlock, 9));
  EXPECT_LE(ObjectEnd(KeyKind::kBlock, 9), BlockKey(10, 0));
  EXPECT_LT(DirEntryKey(9, std::string(255, '\xff')), ObjectEnd(KeyKind::kDirEntry, 9));
  EXPECT_LT(InodeKey(~0ull - 1), KindEnd(KeyKind::kInode));
}

TEST(KeySchema, ParsesWhatItBuilds) {
  ParsedKey k;
  ASSERT_TRUE(ParseKey(BlockKey(42, 7), &k));
  EXPECT_EQ(k.kind, KeyKind::kBlock);
  EXPECT_EQ(k.ino, 42u);
  EXPECT_EQ(k.block, 7u);
  ASSERT_TRUE(ParseKey(DirEntryKey(5, "name"), &k));
  EXPECT_EQ(k.kind, KeyKind::kDirEntry);
  EXPECT_EQ(k.ino, 5u);
  EXPECT_EQ(k.name, "name");
  ASSERT_TRUE(ParseKey(XattrKey(5, "user.a"), &k));
  EXPECT_EQ(k.name, "user.a");
  ASSERT_TRUE(ParseKey(OrphanKey(77), &k));
  EXPECT_EQ(k.ino, 77u);
  ASSERT_TRUE(ParseKey(SuperblockKey(), &k));
}

TEST(KeySchema, RefusesMalformedKeys) {
  ParsedKey k;
  EXPECT_FALSE(ParseKey("", &k));
  EXPECT_FALSE(ParseKey("Q", &k));
  EXPECT_FALSE(ParseKey(InodeKey(1) + "x", &k));
  EXPECT_FALSE(ParseKey(BlockKey(1, 1).substr(0, 12), &k));
  EXPECT_FALSE(ParseKey(ObjectBegin(KeyKind::kDirEntry, 1), &k));  // no name
  EXPECT_FALSE(ParseKey(DirEntryKey(1, std::string(256, 'a')), &k));
  EXPECT_FALSE(ParseKey("S1", &k));
}

TEST(InodeCodec, RoundTripsEveryField) {
  Inode n;
  n.ino = 12;
  n.mode = S_IFLNK | 0777;
  n.uid = 1000;
  n.gid = 2000;
  n.nlink = 3;
  n.flags = kInodeHasXattrs;
  n.symlink = "target/path";
  n.size = n.symlink.size();
  n.blocks = 9;
  n.rdev = 0x0801;
  n.parent = 4;
  n.generation = 5;
  n.atime = {-5, 1};
  n.mtime = {1700000000, 999999999};
  n.ctime = {3, 4};
  n.btime = {5, 6};
  Inode back;
  ASSERT_TRUE(DecodeInode(12, EncodeInode(n), &back));
  EXPECT_EQ(EncodeInode(back), EncodeInode(n));
  EXPECT_EQ(back.symlink, "target/path");
  EXPECT_EQ(back.atime, n.atime);
}

TEST(InodeCodec, RefusesDamagedValues) {
  Inode n;
  n.mode = S_IFREG | 0644;
  std::string v = EncodeInode(n);
  Inode out;
  EXPECT_FALSE(DecodeInode(1, v.substr(0, v.size() - 1), &out));
  EXPECT_FALSE(DecodeInode(1, v + "x", &out));  // a regular file has no tail
  std::string newer = v;
  newer[0] = 2;
  EXPECT_FALSE(DecodeInode(1, newer, &out));
  n.mtime.nsec = 1000000000;
  EXPECT_FALSE(DecodeInode(1, EncodeInode(n), &out));

  Superblock sb;
  sb.block_size = 4096;
  Superblock sb_out;
  ASSERT_TRUE(DecodeSuperblock(EncodeSuperblock(sb), &sb_out));
  sb.block_size = 3000;
  EXPECT_FALSE(DecodeSuperblock(EncodeSuperblock(sb), &sb_out));

  DirEntry e{0, 4};
  DirEntry e_out;
  EXPECT_FALSE(DecodeDirEntry(EncodeDirEntry(e), &e_out));  // inode 0 is never valid
  e.ino = 9;
  ASSERT_TRUE(DecodeDirEntry(EncodeDirEntry(e), &e_out));
  EXPECT_EQ(e_out.ino, 9u);
  EXPECT_FALSE(DecodeDirEntry(EncodeDirEntry(e) + "x", &e_out));
}

}  // namespace
}  // namespace iron::fs

// Space and memory that follow the live data, not its history: deleted
// data's space comes back through background compaction alone (no
// CompactRange), and range tombstones cost what they are, not the square
// of their nesting.
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

void PutFixed64BE(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}

// Keys shaped like the filesystem's: a kind byte, then big-endian numbers.
std::string BlockKey(uint64_t ino, uint64_t block) {
  std::string k = "B";
  PutFixed64BE(&k, ino);
  PutFixed64BE(&k, block);
  return k;
}
std::string ObjectEnd(uint64_t ino) {
  std::string k = "B";
  PutFixed64BE(&k, ino + 1);
  return k;
}
std::string InodeKey(uint64_t ino) {
  std::string k = "I";
  PutFixed64BE(&k, ino);
  return k;
}

class DBReclaimTest : public ::testing::Test {
 protected:
  void Open(const Options& o) {
    Status s = DB::Open(o, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  uint64_t TableBytes() {
    uint64_t total = 0;
    for (const auto& path : test::FilesOfType(dir_.path(), FileType::kTable)) {
      total += std::filesystem::file_size(path);
    }
    return total;
  }
  // Waits up to `limit` for the tables to shrink to at most `bytes`.
  uint64_t WaitForTableBytes(uint64_t bytes, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    uint64_t now = TableBytes();
    while (now > bytes && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      now = TableBytes();
    }
    return now;
  }
  std::string Get(std::string_view key, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string value;
    Status s = db_->Get(ro, key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return value;
  }

  // Small tables and levels, so that a few MB make several levels.
  static Options SmallOptions() {
    Options o;
    o.write_buffer_size = 256 << 10;
    o.target_file_size = 256 << 10;
    o.max_bytes_for_level_base = 1 << 20;
    o.table_partition_prefix = 1;
    return o;
  }

  test::ScratchDir dir_;
  std::unique_ptr<DB> db_;
  WriteOptions wo_;
};

// A file truncated again and again leaves nested tombstones [k_i, end):
// n of them cut the key space into n fragments, fragment j covered by j
// of them. A flush used to write one tombstone per fragment and covering
// sequence, n^2/2 in all (and every later reader and compaction held
// them); it must write what readers can tell apart, about one each.
TEST_F(DBReclaimTest, NestedRangeTombstonesFlushLinear) {
  Options o;
  o.write_buffer_size = 64 << 20;  // one MemTable holds every tombstone
  Open(o);
  constexpr uint64_t kTruncations = 2000;
  ASSERT_TRUE(db_->Put(wo_, BlockKey(7, 10), "early").ok());
  std::shared_ptr<const Snapshot> middle;
  for (uint64_t i = 0; i < kTruncations; ++i) {
    // Truncate to kTruncations - i blocks: each range reaches further down.
    ASSERT_TRUE(db_->DeleteRange(wo_, BlockKey(7, kTruncations - i), ObjectEnd(7)).ok());
    if (i == kTruncations / 2) {
      ASSERT_TRUE(db_->Put(wo_, BlockKey(7, 10), "late").ok());
      middle = db_->GetSnapshot();  // sees "late", which later ranges delete
    }
  }
  ASSERT_TRUE(db_->Flush().ok());
  // 2000 tombstones of ~40 bytes, whatever their nesting.
  EXPECT_LT(TableBytes(), 512u << 10) << "the flushed table holds the nesting's square";
  EXPECT_EQ(Get(BlockKey(7, 10)), "NOT_FOUND");
  EXPECT_EQ(Get(BlockKey(7, 10), middle.get()), "late");
  middle.reset();
}

// What the filesystem does on `rm -rf`: each large file's blocks go with
// one range tombstone, each small file's block by block, each inode by a
// point delete. With nothing written after, background compaction alone
// must give the space back.
TEST_F(DBReclaimTest, DeletedDataSpaceComesBackWithoutCompactRange) {
  Open(SmallOptions());
  const std::string block(4096, 'x');
  std::mt19937_64 rng(17);
  constexpr uint64_t kLarge = 24, kLargeBlocks = 48;    // 24 x 192 KiB
  constexpr uint64_t kSmall = 200, kSmallBlocks = 4;    // 200 x 16 KiB
  auto write_files = [&](uint64_t first_ino) {
    for (uint64_t f = 0; f < kLarge + kSmall; ++f) {
      uint64_t ino = first_ino + f;
      uint64_t blocks = f < kLarge ? kLargeBlocks : kSmallBlocks;
      WriteBatch b;
      b.Put(InodeKey(ino), test::RandomBytes(rng, 100));
      for (uint64_t i = 0; i < blocks; ++i) b.Put(BlockKey(ino, i), block);
      ASSERT_TRUE(db_->Write(wo_, &b).ok());
    }
  };
  write_files(100);
  // Older data pushed deep, newer data on top: the deletions land above
  // what they delete, several levels apart.
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  write_files(1000);
  ASSERT_TRUE(db_->Flush().ok());
  const uint64_t full = TableBytes();
  ASSERT_GT(full, 10u << 20);

  for (uint64_t first : {100u, 1000u}) {
    for (uint64_t f = 0; f < kLarge + kSmall; ++f) {
      uint64_t ino = first + f;
      WriteBatch b;
      b.Delete(InodeKey(ino));
      if (f < kLarge) {
        b.DeleteRange(BlockKey(ino, 0), ObjectEnd(ino));
      } else {
        for (uint64_t i = 0; i < kSmallBlocks; ++i) b.Delete(BlockKey(ino, i));
      }
      ASSERT_TRUE(db_->Write(wo_, &b).ok());
    }
  }
  ASSERT_TRUE(db_->Put(wo_, InodeKey(1), "root").ok());
  // No Flush either: deletions resting in the MemTable must reach the
  // tables by themselves.

  const uint64_t left = WaitForTableBytes(full / 50, std::chrono::seconds(60));
  EXPECT_LE(left, full / 50) << "of " << full << " bytes of tables, " << left
                             << " remain a minute after everything was deleted";
  EXPECT_EQ(Get(InodeKey(1)), "root");
  EXPECT_EQ(Get(BlockKey(100, 3)), "NOT_FOUND");
  EXPECT_EQ(Get(BlockKey(1000 + kLarge, 1)), "NOT_FOUND");
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  int live = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++live;
  EXPECT_EQ(live, 1);
}

// A table wholly inside a newer range tombstone is deleted, not read and
// rewritten.
TEST_F(DBReclaimTest, TableUnderRangeTombstoneIsDroppedWhole) {
  Open(SmallOptions());
  const std::string block(4096, 'y');
  for (uint64_t i = 0; i < 1024; ++i) {  // one 4 MiB file: 16 tables
    ASSERT_TRUE(db_->Put(wo_, BlockKey(5, i), block).ok());
  }
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  const uint64_t full = TableBytes();
  ASSERT_TRUE(db_->DeleteRange(wo_, BlockKey(5, 0), ObjectEnd(5)).ok());
  const uint64_t left = WaitForTableBytes(full / 50, std::chrono::seconds(60));
  EXPECT_LE(left, full / 50);
  EXPECT_GE(db_->GetStats().tables_dropped_whole, 8u);
  EXPECT_EQ(Get(BlockKey(5, 500)), "NOT_FOUND");
}

}  // namespace
}  // namespace iron::lsm

// The manifest and the compaction picker, over real tables.
#include "lsm/version_set.h"

#include <gtest/gtest.h>

#include "lsm/filename.h"
#include "lsm/table_builder.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

class VersionSetTest : public ::testing::Test {
 protected:
  VersionSetTest() {
    options_.level0_compaction_trigger = 2;
    options_.max_bytes_for_level_base = 20000;
    options_.num_levels = 4;
    Reset();
  }
  void Reset() {
    vs_ = std::make_unique<VersionSet>(dir_.path(), options_, Env::Default(), nullptr);
  }
  // A table with keys [first, last] (every `step`), registered at `level`.
  uint64_t AddTable(int level, int first, int last, int step = 1, size_t value_size = 100) {
    MutexLock lock(&mu_);
    uint64_t number = vs_->NewFileNumber();
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(Env::Default()->NewWritableFile(TableFileName(dir_.path(), number), &file).ok());
    TableBuilder b(options_, file.get());
    FileMetaData meta;
    meta.number = number;
    for (int k = first; k <= last; k += step) {
      std::string ikey = MakeInternalKey(test::NumberKey(k, 6), ++seq_, ValueType::kValue);
      if (meta.smallest.empty()) meta.smallest = ikey;
      meta.largest = ikey;
      b.Add(ikey, std::string(value_size, 'v'));
    }
    EXPECT_TRUE(b.Finish().ok());
    EXPECT_TRUE(file->Close().ok());
    meta.file_size = b.FileSize();
    meta.num_entries = b.NumEntries();
    meta.largest_sequence = seq_;
    vs_->SetLastSequence(seq_);
    VersionEdit edit;
    edit.AddFile(level, meta);
    EXPECT_TRUE(vs_->LogAndApply(&edit, &mu_).ok());
    return number;
  }
  void Start() {
    EXPECT_TRUE(vs_->Recover().IsNotFound());
    EXPECT_TRUE(vs_->WriteSnapshotManifest().ok());
  }
  static std::vector<uint64_t> Numbers(const std::vector<LiveFilePtr>& files) {
    std::vector<uint64_t> out;
    for (const auto& f : files) out.push_back(f->meta.number);
    std::sort(out.begin(), out.end());
    return out;
  }

  test::ScratchDir dir_;
  Options options_;
  Mutex mu_;
  std::unique_ptr<VersionSet> vs_;
  SequenceNumber seq_ = 0;
};

TEST_F(VersionSetTest, NothingToDoUnderTheTriggers) {
  Start();
  EXPECT_EQ(vs_->PickCompaction(), nullptr);
  AddTable(0, 0, 10);
  EXPECT_EQ(vs_->PickCompaction(), nullptr);
  EXPECT_LT(vs_->MaxScore(), 1.0);
}

TEST_F(VersionSetTest, LevelZeroTakesAllItsFilesAndTheOverlapBelow) {
  Start();
  uint64_t below_in = AddTable(1, 0, 50);
  uint64_t below_out = AddTable(1, 500, 600);
  uint64_t a = AddTable(0, 10, 20);
  uint64_t b = AddTable(0, 30, 40);
  auto c = vs_->PickCompaction();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level, 0);
  EXPECT_EQ(Numbers(c->inputs[0]), (std::vector<uint64_t>{a, b}));
  EXPECT_EQ(Numbers(c->inputs[1]), std::vector<uint64_t>{below_in});
  EXPECT_FALSE(c->trivial_move);
  (void)below_out;
}

TEST_F(VersionSetTest, LevelZeroFilesOverlappingNothingMoveDownFirst) {
  Start();
  AddTable(1, 0, 50);
  uint64_t alone = AddTable(0, 100, 200);        // overlaps nothing
  uint64_t over_below = AddTable(0, 40, 60);     // overlaps level 1
  uint64_t alone_too = AddTable(0, 300, 400);    // overlaps nothing
  uint64_t x = AddTable(0, 500, 600);            // x and y overlap each other
  uint64_t y = AddTable(0, 550, 650);
  auto c = vs_->PickCompaction();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level, 0);
  EXPECT_TRUE(c->trivial_move);
  EXPECT_EQ(Numbers(c->inputs[0]), (std::vector<uint64_t>{alone, alone_too}));
  EXPECT_TRUE(c->inputs[1].empty());
  (void)over_below, (void)x, (void)y;
}

TEST_F(VersionSetTest, DeeperLevelsRoundRobinAndMoveTrivially) {
  Start();
  // Level 1 over its 20,000-byte budget, nothing in level 2.
  std::vector<uint64_t> l1;
  for (int i = 0; i < 4; ++i) l1.push_back(AddTable(1, i * 100, i * 100 + 90));
  std::vector<uint64_t> picked;
  for (int round = 0; round < 4; ++round) {
    auto c = vs_->PickCompaction();
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->level, 1);
    ASSERT_EQ(c->inputs[0].size(), 1u);
    EXPECT_TRUE(c->inputs[1].empty());
    EXPECT_TRUE(c->trivial_move);
    picked.push_back(c->inputs[0][0]->meta.number);
  }
  EXPECT_EQ(picked, l1);  // each file in turn
}

TEST_F(VersionSetTest, LevelZeroOverlapGrowsTransitively) {
  Start();
  uint64_t a = AddTable(0, 0, 10);
  uint64_t b = AddTable(0, 10, 20);
  uint64_t c = AddTable(0, 20, 30);
  AddTable(0, 100, 110);
  std::string lo = test::NumberKey(0, 6), hi = test::NumberKey(1, 6);
  std::string_view lov = lo, hiv = hi;
  auto files = vs_->current()->OverlappingFiles(0, &lov, &hiv);
  EXPECT_EQ(Numbers(files), (std::vector<uint64_t>{a, b, c}));
}

TEST_F(VersionSetTest, RecoverRebuildsTheLevels) {
  Start();
  uint64_t a = AddTable(0, 0, 10);
  uint64_t b = AddTable(2, 50, 60);
  {
    MutexLock lock(&mu_);
    VersionEdit edit;
    edit.RemoveFile(0, a);
    EXPECT_TRUE(vs_->LogAndApply(&edit, &mu_).ok());
  }
  SequenceNumber last = vs_->last_sequence();
  Reset();
  ASSERT_TRUE(vs_->Recover().ok());
  EXPECT_TRUE(vs_->current()->files(0).empty());
  EXPECT_EQ(Numbers(vs_->current()->files(2)), std::vector<uint64_t>{b});
  EXPECT_EQ(vs_->last_sequence(), last);
  EXPECT_GT(vs_->NewFileNumber(), b);
}

}  // namespace
}  // namespace iron::lsm

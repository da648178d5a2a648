// The engine against a model: a std::map driven by the same random
// operations, compared after every read, across reopen, flush, compaction,
// range deletion and snapshots. Small buffers and tables make every
// mechanism (flush, L0 compaction, deeper levels, table cuts) run often.
#include <map>
#include <memory>
#include <optional>
#include <random>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

using Model = std::map<std::string, std::string>;

Options SmallOptions() {
  Options o;
  o.write_buffer_size = 64 << 10;
  o.target_file_size = 32 << 10;
  o.max_bytes_for_level_base = 128 << 10;
  o.level0_compaction_trigger = 2;
  o.level0_slowdown_trigger = 4;
  o.level0_stop_trigger = 8;
  o.block_size = 512;
  o.num_levels = 4;
  return o;
}

class ModelTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  void Open() {
    Status s = DB::Open(SmallOptions(), dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void CheckGet(const Model& model, const std::string& key, const Snapshot* snap) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string value;
    Status s = db_->Get(ro, key, &value);
    auto it = model.find(key);
    if (it == model.end()) {
      ASSERT_TRUE(s.IsNotFound()) << key << ": " << s.ToString() << " value " << value;
    } else {
      ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
      ASSERT_EQ(value, it->second) << key;
    }
  }

  void CheckScan(const Model& model, const Snapshot* snap, std::optional<std::string> lower,
                 std::optional<std::string> upper, std::optional<std::string> seek) {
    ReadOptions ro;
    ro.snapshot = snap;
    ro.lower_bound = lower;
    ro.upper_bound = upper;
    auto it = db_->NewIterator(ro);
    auto m = model.begin();
    if (seek) {
      it->Seek(*seek);
      m = model.lower_bound(std::max(*seek, lower.value_or("")));
    } else {
      it->SeekToFirst();
      if (lower) m = model.lower_bound(*lower);
    }
    auto end = upper ? model.lower_bound(*upper) : model.end();
    if (upper && m != model.end() && m->first >= *upper) m = end;
    int n = 0;
    for (; m != end; ++m, ++n) {
      ASSERT_TRUE(it->Valid()) << "missing " << m->first << " " << it->status().ToString();
      ASSERT_EQ(it->key(), m->first);
      ASSERT_EQ(it->value(), m->second);
      it->Next();
    }
    ASSERT_FALSE(it->Valid()) << "extra key " << it->key();
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  }

  test::ScratchDir dir_;
  std::unique_ptr<DB> db_;
};

TEST_P(ModelTest, RandomOperationsMatchAMap) {
  std::mt19937_64 rng(GetParam());
  Open();
  Model model;
  struct Snap {
    std::shared_ptr<const Snapshot> snapshot;
    Model model;
  };
  std::vector<Snap> snaps;
  auto key = [&] { return test::NumberKey(rng() % 1500, 6); };
  WriteOptions wo;
  const int kOps = 6000;
  for (int op = 0; op < kOps; ++op) {
    int r = static_cast<int>(rng() % 1000);
    if (r < 550) {
      std::string k = key(), v = test::RandomBytes(rng, rng() % 200);
      ASSERT_TRUE(db_->Put(wo, k, v).ok());
      model[k] = v;
    } else if (r < 700) {
      std::string k = key();
      ASSERT_TRUE(db_->Delete(wo, k).ok());
      model.erase(k);
    } else if (r < 720) {
      std::string b = key(), e = key();
      if (b > e) std::swap(b, e);
      if (rng() % 4 == 0) e = b + "5";  // narrow ranges too
      ASSERT_TRUE(db_->DeleteRange(wo, b, e).ok());
      model.erase(model.lower_bound(b), model.lower_bound(e));
    } else if (r < 760) {
      // An atomic batch mixing every kind of update.
      WriteBatch batch;
      for (int i = 0; i < 5; ++i) {
        std::string k = key();
        if (rng() % 3 == 0) {
          batch.Delete(k);
          model.erase(k);
        } else {
          std::string v = test::RandomBytes(rng, 10);
          batch.Put(k, v);
          model[k] = v;
        }
      }
      ASSERT_TRUE(db_->Write(wo, &batch).ok());
    } else if (r < 900) {
      ASSERT_NO_FATAL_FAILURE(CheckGet(model, key(), nullptr));
    } else if (r < 915) {
      snaps.push_back({db_->GetSnapshot(), model});
    } else if (r < 940 && !snaps.empty()) {
      const Snap& s = snaps[rng() % snaps.size()];
      for (int i = 0; i < 10; ++i) ASSERT_NO_FATAL_FAILURE(CheckGet(s.model, key(), s.snapshot.get()));
      if (rng() % 4 == 0) snaps.erase(snaps.begin() + static_cast<long>(rng() % snaps.size()));
    } else if (r < 955) {
      std::optional<std::string> lower, upper, seek;
      if (rng() % 2) lower = key();
      if (rng() % 2) upper = key();
      if (rng() % 3 == 0) seek = key();
      const Snapshot* snap = nullptr;
      const Model* m = &model;
      if (!snaps.empty() && rng() % 2) {
        const Snap& s = snaps[rng() % snaps.size()];
        snap = s.snapshot.get();
        m = &s.model;
      }
      ASSERT_NO_FATAL_FAILURE(CheckScan(*m, snap, lower, upper, seek));
    } else if (r < 970) {
      ASSERT_TRUE(db_->Flush().ok());
    } else if (r < 976) {
      std::string b = key(), e = key();
      if (b > e) std::swap(b, e);
      Status s = rng() % 2 ? db_->CompactRange(&b, &e) : db_->CompactRange(nullptr, nullptr);
      ASSERT_TRUE(s.ok()) << s.ToString();
    } else if (r < 980) {
      snaps.clear();  // snapshots do not survive a reopen
      ASSERT_TRUE(db_->Close().ok());
      db_.reset();
      Open();
    }
  }
  ASSERT_NO_FATAL_FAILURE(CheckScan(model, nullptr, std::nullopt, std::nullopt, std::nullopt));
  snaps.clear();
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  ASSERT_NO_FATAL_FAILURE(CheckScan(model, nullptr, std::nullopt, std::nullopt, std::nullopt));
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  Open();
  ASSERT_NO_FATAL_FAILURE(CheckScan(model, nullptr, std::nullopt, std::nullopt, std::nullopt));
  // Recovery flushed the reopened WAL, so everything now lives in tables.
  if (!model.empty()) {
    EXPECT_GT(db_->GetStats().live_table_bytes, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ModelTest, ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8));

}  // namespace
}  // namespace iron::lsm

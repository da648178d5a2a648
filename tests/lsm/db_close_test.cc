// Close is prompt: an unmount must not wait minutes for a flush or a
// compaction (the WAL keeps what a flush would write, and the next open
// compacts), and nothing may touch the directory once Close has returned
// (the LOCK is free then, and the next owner may already be writing).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/env.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The POSIX Env with a slow disk under tables: every append to a .sst
// file waits `delay`, as a disk busy with other work would make it.
class SlowTableEnv final : public EnvWrapper {
 public:
  SlowTableEnv() : EnvWrapper(Env::Default()) {}

  std::atomic<int> delay_ms{0};

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* r) override {
    IRON_RETURN_IF_ERROR(target()->NewWritableFile(path, r));
    if (path.ends_with(".sst")) *r = std::make_unique<SlowFile>(std::move(*r), &delay_ms);
    return Status::OK();
  }

 private:
  class SlowFile final : public WritableFile {
   public:
    SlowFile(std::unique_ptr<WritableFile> f, std::atomic<int>* delay) : f_(std::move(f)), delay_(delay) {}
    Status Append(std::string_view data) override {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_->load()));
      return f_->Append(data);
    }
    Status Flush() override { return f_->Flush(); }
    Status Sync() override { return f_->Sync(); }
    Status Close() override { return f_->Close(); }

   private:
    std::unique_ptr<WritableFile> f_;
    std::atomic<int>* delay_;
  };
};

constexpr int kValueBytes = 1024;

class DBCloseTest : public ::testing::Test {
 protected:
  Options BaseOptions() {
    Options o;
    o.env = &env_;
    o.write_buffer_size = 16 << 20;
    return o;
  }
  void Open(const Options& o) {
    Status s = DB::Open(o, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Writes keys first, first + stride, ... (n of them) with 1 KiB random
  // values.
  void Fill(uint64_t first, uint64_t n, uint64_t stride = 1) {
    std::mt19937_64 rng(first);
    for (uint64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(
          db_->Put({}, test::NumberKey(first + i * stride), test::RandomBytes(rng, kValueBytes)).ok());
    }
  }
  uint64_t CountKeys() {
    uint64_t n = 0;
    auto it = db_->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return n;
  }
  std::set<std::string> Files() {
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      names.insert(e.path().filename().string());
    }
    return names;
  }
  // Six level-0 tables of 4 MiB each, written fast, with no compaction;
  // their keys interleave, so that merging them is real work (tables that
  // do not overlap would only move down a level).
  void MakeLevel0Tables() {
    Options o = BaseOptions();
    o.level0_compaction_trigger = 100;
    o.level0_slowdown_trigger = 200;
    o.level0_stop_trigger = 300;
    Open(o);
    for (uint64_t t = 0; t < 6; ++t) {
      Fill(t, 4096, /*stride=*/6);
      ASSERT_TRUE(db_->Flush().ok());
    }
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
  }
  double CloseSeconds() {
    auto start = Clock::now();
    Status s = db_->Close();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  test::ScratchDir dir_;
  SlowTableEnv env_;
  std::unique_ptr<DB> db_;
};

TEST_F(DBCloseTest, CloseGivesUpARunningBackgroundCompaction) {
  MakeLevel0Tables();
  // At 3 ms per table block, merging the 24 MiB takes about 20 s.
  env_.delay_ms = 3;
  Open(BaseOptions());  // six tables over the trigger of four: a compaction starts
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(CloseSeconds(), 1.0);
  db_.reset();

  env_.delay_ms = 0;
  Open(BaseOptions());
  EXPECT_EQ(CountKeys(), 6u * 4096);
}

TEST_F(DBCloseTest, CloseGivesUpARunningFlushAndTheWalKeepsItsWrites) {
  Options o = BaseOptions();
  Open(o);
  Fill(0, 8192);  // 8 MiB: about 6 s to flush at 3 ms per block
  env_.delay_ms = 3;
  std::thread flusher([this] { (void)db_->Flush(); });
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(CloseSeconds(), 1.0);
  flusher.join();
  db_.reset();

  env_.delay_ms = 0;
  Open(o);
  EXPECT_EQ(CountKeys(), 8192u);
}

TEST_F(DBCloseTest, NothingChangesInTheDirectoryAfterCloseDuringAManualCompaction) {
  MakeLevel0Tables();
  Options o = BaseOptions();
  o.level0_compaction_trigger = 100;  // only the manual compaction runs
  o.level0_slowdown_trigger = 200;
  o.level0_stop_trigger = 300;
  env_.delay_ms = 3;
  Open(o);
  Status compacted;
  std::thread compactor([&] { compacted = db_->CompactRange(nullptr, nullptr); });
  std::this_thread::sleep_for(300ms);
  EXPECT_LT(CloseSeconds(), 1.0);
  // Close released the LOCK: whoever takes it next must find the
  // directory as Close left it.
  std::set<std::string> after_close = Files();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(Files(), after_close);
  compactor.join();
  EXPECT_FALSE(compacted.ok());
  EXPECT_EQ(Files(), after_close);
  db_.reset();

  env_.delay_ms = 0;
  Open(o);
  EXPECT_EQ(CountKeys(), 6u * 4096);
}

// db.h: a DB is safe for concurrent use, Close included. Two Closes at
// once each return the one outcome; neither may join the background
// threads the other is joining.
TEST(DBConcurrentCloseTest, TwoClosesAtOnceBothReturnTheOutcome) {
  for (int round = 0; round < 50; ++round) {
    test::ScratchDir dir;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), dir.path(), &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "v").ok());
    std::atomic<int> ready{0};
    Status results[2];
    std::vector<std::thread> closers;
    for (Status& result : results) {
      closers.emplace_back([&db, &ready, &result] {
        ++ready;
        while (ready.load() < 2) {
        }
        result = db->Close();
      });
    }
    for (auto& t : closers) t.join();
    EXPECT_TRUE(results[0].ok()) << results[0].ToString();
    EXPECT_TRUE(results[1].ok()) << results[1].ToString();
  }
}

}  // namespace
}  // namespace iron::lsm

// Many writers, readers and iterators at once, with flushes and
// compactions running underneath. Built into the ThreadSanitizer job too.
#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/env.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

// The POSIX Env without its own NewLogFile: the WAL is what env.h promises
// by default, a plain WritableFile (buffered, one thread at a time).
class DefaultLogFileEnv final : public EnvWrapper {
 public:
  DefaultLogFileEnv() : EnvWrapper(Env::Default()) {}

  Status NewLogFile(const std::string& path, std::unique_ptr<WritableFile>* r) override {
    return Env::NewLogFile(path, r);  // Env's default: NewWritableFile
  }
};

// DB::Sync looping beside a writer. Under ThreadSanitizer: on a WAL file
// that may not sync while another thread appends (env.h), a Sync that ran
// beside the writer queue raced the leader's appends.
void SyncBesideWrites(Env* env) {
  test::ScratchDir dir;
  Options o;
  o.env = env;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());
  constexpr int kPuts = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> sync_errors{0};
  std::thread syncer([&] {
    while (!done.load()) {
      if (!db->Sync().ok()) ++sync_errors;
    }
  });
  for (int i = 0; i < kPuts; ++i) {
    ASSERT_TRUE(db->Put(WriteOptions(), test::NumberKey(i, 8), "value").ok());
  }
  done = true;
  syncer.join();
  EXPECT_EQ(sync_errors.load(), 0);
  ASSERT_TRUE(db->Sync().ok());
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());
  std::string value;
  for (int i = 0; i < kPuts; i += 997) {
    EXPECT_TRUE(db->Get(ReadOptions(), test::NumberKey(i, 8), &value).ok()) << i;
  }
}

TEST(DBConcurrencyTest, SyncBesideWritesOnADefaultLogFile) {
  DefaultLogFileEnv env;
  SyncBesideWrites(&env);
}

TEST(DBConcurrencyTest, SyncBesideWritesOnTheMappedLogFile) { SyncBesideWrites(Env::Default()); }

// Writer t commits batches {c<t> = i, d<t>/<i>}, some with a range deletion
// of older details. A reader that sees c<t> = i through a snapshot must see
// d<t>/<i> through it too (batches are atomic and visibility follows
// sequence order), and c<t> never goes backwards.
TEST(DBConcurrencyTest, WritersReadersAndIteratorsAgree) {
  test::ScratchDir dir;
  Options o;
  o.write_buffer_size = 128 << 10;
  o.target_file_size = 64 << 10;
  o.max_bytes_for_level_base = 256 << 10;
  o.level0_compaction_trigger = 2;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());

  constexpr int kWriters = 4;
  constexpr int kBatches = 1500;
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::mutex first_errors_mu;
  std::vector<std::string> first_errors;
  auto fail = [&](std::string what) {
    ++errors;
    std::lock_guard<std::mutex> lock(first_errors_mu);
    if (first_errors.size() < 5) first_errors.push_back(std::move(what));
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      WriteOptions wo;
      for (int i = 1; i <= kBatches; ++i) {
        wo.sync = (i % 100 == 0);
        WriteBatch b;
        b.Put("c" + std::to_string(t), std::to_string(i));
        b.Put("d" + std::to_string(t) + "/" + test::NumberKey(i, 6), std::string(50, 'x'));
        if (i > 10 && i % 10 == 0) {
          // Remove an older run of detail keys in one range tombstone.
          b.DeleteRange("d" + std::to_string(t) + "/" + test::NumberKey(i - 10, 6),
                        "d" + std::to_string(t) + "/" + test::NumberKey(i - 5, 6));
        }
        Status s = db->Write(wo, &b);
        if (!s.ok()) fail("write: " + s.ToString());
      }
    });
  }
  auto reader = [&] {
    std::vector<int> last(kWriters, 0);
    while (!done) {
      for (int t = 0; t < kWriters; ++t) {
        // Both reads at one point in time: later batches delete old details.
        auto snap = db->GetSnapshot();
        ReadOptions ro;
        ro.snapshot = snap.get();
        std::string v;
        Status s = db->Get(ro, "c" + std::to_string(t), &v);
        if (s.IsNotFound()) continue;
        if (!s.ok()) {
          fail("get counter: " + s.ToString());
          continue;
        }
        int i = std::stoi(v);
        if (i < last[t]) fail("counter went back from " + std::to_string(last[t]) + " to " + v);
        last[t] = i;
        std::string d;
        s = db->Get(ro, "d" + std::to_string(t) + "/" + test::NumberKey(i, 6), &d);
        if (!s.ok()) fail("get detail " + std::to_string(t) + "/" + v + ": " + s.ToString());
      }
    }
  };
  auto scanner = [&] {
    while (!done) {
      auto snap = db->GetSnapshot();
      ReadOptions ro;
      ro.snapshot = snap.get();
      ro.upper_bound = "d";
      auto it = db->NewIterator(ro);
      std::vector<std::pair<std::string, std::string>> counters;  // writer, value
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        counters.emplace_back(std::string(it->key().substr(1)), std::string(it->value()));
      }
      if (!it->status().ok()) fail("scan: " + it->status().ToString());
      // Every counter seen through the snapshot has its detail key there too.
      for (const auto& [t, i] : counters) {
        std::string d;
        Status s = db->Get(ro, "d" + t + "/" + test::NumberKey(std::stoi(i), 6), &d);
        if (!s.ok()) fail("scan detail " + t + "/" + i + ": " + s.ToString());
      }
    }
  };
  threads.emplace_back(reader);
  threads.emplace_back(reader);
  threads.emplace_back(scanner);
  for (int t = 0; t < kWriters; ++t) threads[t].join();
  done = true;
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(errors.load(), 0);
  for (const auto& e : first_errors) ADD_FAILURE() << e;

  ASSERT_TRUE(db->CompactRange(nullptr, nullptr).ok());
  for (int t = 0; t < kWriters; ++t) {
    std::string v;
    ASSERT_TRUE(db->Get({}, "c" + std::to_string(t), &v).ok());
    EXPECT_EQ(v, std::to_string(kBatches));
  }
  DBStats st = db->GetStats();
  EXPECT_EQ(st.writes, static_cast<uint64_t>(kWriters * kBatches));
  EXPECT_GT(st.flushes, 0u);
  EXPECT_TRUE(db->Close().ok());
}

}  // namespace
}  // namespace iron::lsm

// Obsolete files (tables replaced by a compaction, WALs and manifests
// superseded) are removed exactly once, however the flush and compaction
// threads interleave: a second unlink of the same name fails with ENOENT
// and fills the LOG with "could not remove obsolete" lines.
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/env.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

// Counts RemoveFile calls per path. Each removal takes a little while, as
// an unlink of a large file does on a busy disk: that is when two threads
// looking for obsolete files find the same one.
class CountingEnv final : public EnvWrapper {
 public:
  CountingEnv() : EnvWrapper(Env::Default()) {}

  Status RemoveFile(const std::string& p) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++removes_[p];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return target()->RemoveFile(p);
  }

  std::map<std::string, int> removes() {
    std::lock_guard<std::mutex> lock(mu_);
    return removes_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> removes_;
};

TEST(ObsoleteFilesTest, EachIsRemovedOnceUnderConcurrentFlushesAndCompactions) {
  test::ScratchDir dir;
  CountingEnv env;
  Options o;
  o.env = &env;
  o.write_buffer_size = 64 << 10;
  o.target_file_size = 32 << 10;
  o.max_bytes_for_level_base = 128 << 10;
  o.level0_compaction_trigger = 2;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());

  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (int i = 0; i < 6000; ++i) {
        Status s = db->Put(WriteOptions(), test::NumberKey(rng() % 3000),
                           test::RandomBytes(rng, 100));
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  // Flushes from the foreground too, while the background ones run.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(db->Flush().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& w : writers) w.join();
  ASSERT_TRUE(db->Close().ok());
  db.reset();

  int removed = 0;
  for (const auto& [path, n] : env.removes()) {
    EXPECT_EQ(n, 1) << path << " removed " << n << " times";
    ++removed;
  }
  EXPECT_GT(removed, 10);  // the test did drive compactions
  std::string log = test::ReadFileOrDie(dir.Join("LOG"));
  EXPECT_EQ(log.find("could not remove obsolete"), std::string::npos) << log;
}

}  // namespace
}  // namespace iron::lsm

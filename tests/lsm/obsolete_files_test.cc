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
class CountingEnv final : public Env {
 public:
  Status NewSequentialFile(const std::string& p, std::unique_ptr<SequentialFile>* r) override {
    return base_->NewSequentialFile(p, r);
  }
  Status NewWritableFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    return base_->NewWritableFile(p, r);
  }
  Status NewLogFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    return base_->NewLogFile(p, r);
  }
  Status NewMappedFile(const std::string& p, std::unique_ptr<MappedFile>* r) override {
    return base_->NewMappedFile(p, r);
  }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  Status GetChildren(const std::string& d, std::vector<std::string>* n) override {
    return base_->GetChildren(d, n);
  }
  Status GetFileSize(const std::string& p, uint64_t* s) override {
    return base_->GetFileSize(p, s);
  }
  Status RemoveFile(const std::string& p) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++removes_[p];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return base_->RemoveFile(p);
  }
  Status RenameFile(const std::string& f, const std::string& t) override {
    return base_->RenameFile(f, t);
  }
  Status CreateDir(const std::string& d) override { return base_->CreateDir(d); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status LockFile(const std::string& p, std::unique_ptr<FileLock>* l) override {
    return base_->LockFile(p, l);
  }
  Status NewLogger(const std::string& p, std::unique_ptr<Logger>* r) override {
    return base_->NewLogger(p, r);
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }
  uint64_t ResidentFileBytes() override { return base_->ResidentFileBytes(); }

  std::map<std::string, int> removes() {
    std::lock_guard<std::mutex> lock(mu_);
    return removes_;
  }

 private:
  Env* const base_ = Env::Default();
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

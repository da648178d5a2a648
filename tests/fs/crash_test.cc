// Power cuts under a filesystem workload. The engine runs on the fault
// injection Env, which drops every byte not yet synced when the power is
// cut. After each cut the filesystem must mount, the checker must find
// nothing wrong, every file whose state was fsync'ed (and not touched
// since) must hold exactly its synced bytes, and orphans left by files
// open at the cut must be reclaimed.
#include <errno.h>

#include <map>
#include <random>
#include <set>

#include "lsm/fault_injection_env.h"
#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class CrashTest : public ::testing::TestWithParam<int> {
 protected:
  lsm::Options EngineOptions() {
    lsm::Options o = fs::EngineOptions();
    o.env = &env_;
    o.write_buffer_size = 128 << 10;  // flushes and compactions happen mid-run
    o.target_file_size = 128 << 10;
    o.max_bytes_for_level_base = 512 << 10;
    o.level0_compaction_trigger = 2;
    return o;
  }

  void MountFs() {
    lsm::Status s = lsm::DB::Open(EngineOptions(), dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    if (formatted_) {
      CheckReport before = CheckFilesystem(db_.get());
      ASSERT_TRUE(before.clean()) << "after the cut, before mount:\n" << before.ToString();
    }
    formatted_ = true;
    auto fs = Filesystem::Mount(db_.get(), MountOptions{});
    ASSERT_TRUE(fs.ok()) << "mount: errno " << fs.error();
    fs_ = std::move(*fs);
    CheckReport after = CheckFilesystem(db_.get());
    ASSERT_TRUE(after.clean()) << after.ToString();
    ASSERT_EQ(after.orphans, 0u) << "orphans survived the mount";
  }

  void PowerCut() {
    env_.SetFilesystemActive(false);
    open_.clear();  // the dead process's open files are never released
    fs_.reset();
    db_.reset();
    env_.PowerCut();
    env_.SetFilesystemActive(true);
  }

  Result<uint64_t> Resolve(const std::string& path) { return ResolvePath(*fs_, Root(), path); }
  std::string Contents(uint64_t ino) { return ReadWholeFile(*fs_, ino); }

  // One random change to the tree; `model_` follows it and `dirty_`
  // collects the paths whose state may differ from the last sync.
  void RandomChange(std::mt19937_64& rng) {
    static const char* dirs[] = {"d0", "d1", "d2"};
    auto file = [&] { return std::string(dirs[rng() % 3]) + "/f" + std::to_string(rng() % 8); };
    auto dir_of = [](const std::string& p) { return p.substr(0, p.find('/')); };
    std::string path = file();
    Result<uint64_t> parent = Resolve(dir_of(path));
    ASSERT_TRUE(parent.ok());
    std::string name = path.substr(path.find('/') + 1);
    switch (rng() % 6) {
      case 0:
      case 1: {  // write somewhere, creating if needed
        auto r = fs_->Create(Root(), *parent, name, 0644, O_CREAT | O_RDWR);
        ASSERT_TRUE(r.ok());
        fs_->Forget(r->first.ino, 1);
        std::string& m = model_[path];
        uint64_t offset = rng() % (m.size() + 5000);
        std::string data(1 + rng() % 20000, static_cast<char>('A' + rng() % 26));
        ASSERT_TRUE(fs_->Write(Root(), *r->second, offset, data).ok());
        if (m.size() < offset + data.size()) m.resize(offset + data.size(), '\0');
        m.replace(offset, data.size(), data);
        fs_->Release(std::move(r->second));
        dirty_.insert(path);
        break;
      }
      case 2: {  // truncate
        Result<uint64_t> ino = Resolve(path);
        if (!ino.ok()) break;
        uint64_t size = rng() % 30000;
        ASSERT_TRUE(fs_->SetAttr(Root(), *ino, {.size = size}).ok());
        model_[path].resize(size, '\0');
        dirty_.insert(path);
        break;
      }
      case 3: {  // rename over another name, maybe across directories
        std::string to = file();
        if (to == path || !model_.count(path)) break;
        Result<uint64_t> to_parent = Resolve(dir_of(to));
        ASSERT_TRUE(to_parent.ok());
        ASSERT_TRUE(fs_->Rename(Root(), *parent, name, *to_parent, to.substr(to.find('/') + 1), 0).ok());
        model_[to] = model_[path];
        model_.erase(path);
        dirty_.insert(path);
        dirty_.insert(to);
        break;
      }
      case 4: {  // unlink, sometimes keeping the file open
        if (!model_.count(path)) break;
        if (rng() % 2) {
          Result<uint64_t> ino = Resolve(path);
          ASSERT_TRUE(ino.ok());
          auto f = fs_->Open(Root(), *ino, O_RDWR);
          ASSERT_TRUE(f.ok());
          open_.push_back(std::move(*f));
        }
        ASSERT_TRUE(fs_->Unlink(Root(), *parent, name).ok());
        model_.erase(path);
        dirty_.insert(path);
        break;
      }
      case 5: {  // fsync: everything so far becomes durable
        ASSERT_TRUE(fs_->Fsync().ok());
        synced_ = model_;
        dirty_.clear();
        break;
      }
    }
  }

  void VerifySynced() {
    for (const auto& [path, bytes] : synced_) {
      if (dirty_.count(path)) continue;
      Result<uint64_t> ino = Resolve(path);
      ASSERT_TRUE(ino.ok()) << path << " was synced and is gone";
      ASSERT_TRUE(Contents(*ino) == bytes) << path << " differs from its synced bytes";
    }
    for (const std::string& path : dirty_) {
      // Unsynced state may or may not have survived; the tree decides.
      Result<uint64_t> ino = Resolve(path);
      auto before = model_.find(path);
      if (ino.ok()) {
        std::string now = Contents(*ino);
        if (before == model_.end() || before->second != now) ++unsynced_lost_;
        model_[path] = now;
      } else {
        if (before != model_.end()) ++unsynced_lost_;
        model_.erase(path);
      }
    }
    for (auto it = model_.begin(); it != model_.end();) {
      it = Resolve(it->first).ok() ? std::next(it) : model_.erase(it);
    }
    synced_ = model_;
    dirty_.clear();
  }

  bool formatted_ = false;
  int unsynced_lost_ = 0;  // paths whose unsynced state the cut undid
  lsm::FaultInjectionEnv env_;
  lsm::test::ScratchDir dir_;
  std::unique_ptr<lsm::DB> db_;
  std::unique_ptr<Filesystem> fs_;
  std::vector<std::unique_ptr<OpenFile>> open_;
  std::map<std::string, std::string> model_, synced_;
  std::set<std::string> dirty_;
};

TEST_P(CrashTest, SyncedFilesSurviveAndTheTreeStaysConsistent) {
  std::mt19937_64 rng(GetParam());
  MountFs();
  for (const char* d : {"d0", "d1", "d2"}) {
    Result<Entry> e = fs_->MakeDir(Root(), kRootIno, d, 0755);
    ASSERT_TRUE(e.ok());
    fs_->Forget(e->ino, 1);
  }
  ASSERT_TRUE(fs_->Fsync().ok());
  int cuts = 0;
  for (int cycle = 0; cycle < 25; ++cycle) {
    int changes = 20 + static_cast<int>(rng() % 150);
    for (int i = 0; i < changes; ++i) {
      RandomChange(rng);
      if (HasFatalFailure()) return;
    }
    PowerCut();
    ++cuts;
    MountFs();
    if (HasFatalFailure()) return;
    VerifySynced();
    if (HasFatalFailure()) return;
  }
  std::printf("seed %d: %d power cuts survived, %zu files at the end, %d unsynced changes lost\n",
              GetParam(), cuts, model_.size(), unsynced_lost_);
  fs_.reset();
  ASSERT_TRUE(db_->Close().ok());
}

INSTANTIATE_TEST_SUITE_P(Seeds, CrashTest, ::testing::Range(1, 9));

}  // namespace
}  // namespace iron::fs::test

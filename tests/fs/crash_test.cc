// Power cuts under a filesystem workload. The engine runs on the fault
// injection Env. Each cycle makes random changes (creates, writes,
// truncates, renames, unlinks with the file sometimes kept open, fsyncs)
// and the power goes either at a random instant in the middle of them (a
// random engine mutation fails and so does everything after it) or after
// the last one; every unsynced byte is lost, or in half the cuts a random
// part of it survives as a torn tail.
//
// After each cut the filesystem must mount, the checker must find nothing
// wrong before and after the mount (orphans of open files reclaimed), and
// the tree must be exactly the tree after one of the changes made since
// the last successful Fsync: nothing synced lost, no change half-done, no
// later change kept while an earlier one was lost.
//
// Size: 16 seeds x IRONFS_CRASH_CYCLES cycles (default 150), one cut each.
#include <errno.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "lsm/fault_injection_env.h"
#include "tests/fs/db_store.h"
#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

// A file tree as a map from path to bytes; bytes are shared between the
// trees of consecutive steps, which differ in a file or two.
using Bytes = std::shared_ptr<const std::string>;
using Tree = std::map<std::string, Bytes>;

bool SameTree(const Tree& a, const Tree& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first || *i->second != *j->second) return false;
  }
  return true;
}

// What differs between two trees, for a failure message.
std::string Differences(const Tree& want, const Tree& got) {
  std::ostringstream out;
  for (const auto& [path, bytes] : want) {
    auto it = got.find(path);
    if (it == got.end()) {
      out << "  " << path << ": missing (" << bytes->size() << " bytes expected)\n";
    } else if (*it->second != *bytes) {
      out << "  " << path << ": " << it->second->size() << " bytes, expected " << bytes->size()
          << "\n";
    }
  }
  for (const auto& [path, bytes] : got) {
    if (!want.count(path)) out << "  " << path << ": present (" << bytes->size() << " bytes)\n";
  }
  return out.str();
}

int CyclesPerSeed() {
  const char* s = std::getenv("IRONFS_CRASH_CYCLES");
  return s != nullptr && std::atoi(s) > 0 ? std::atoi(s) : 150;
}

constexpr const char* kDirs[] = {"d0", "d1", "d2"};
constexpr int kNamesPerDir = 8;

class CrashTest : public ::testing::TestWithParam<int> {
 protected:
  lsm::Options EngineOptions() {
    lsm::Options o = fs::LsmStore::EngineOptions();
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
      CheckReport before = CheckFilesystem(store());
      ASSERT_TRUE(before.clean()) << "after the cut, before mount:\n" << before.ToString();
    }
    formatted_ = true;
    auto fs = Filesystem::Mount(store(), MountOptions{});
    ASSERT_TRUE(fs.ok()) << "mount: errno " << fs.error();
    fs_ = std::move(*fs);
    CheckReport after = CheckFilesystem(store());
    ASSERT_TRUE(after.clean()) << after.ToString();
    ASSERT_EQ(after.orphans, 0u) << "orphans survived the mount";
  }

  // The power goes (if CutPowerAfter has not taken it already); the dead
  // process's open files are never released.
  void PowerCut(std::mt19937_64& rng) {
    if (env_.power_is_cut()) ++cuts_mid_change_;
    env_.SetFilesystemActive(false);
    open_.clear();
    fs_.reset();
    db_.reset();
    if (rng() % 2 == 0) {
      env_.PowerCutKeepingTornTails(rng());
      ++cuts_torn_;
    } else {
      env_.PowerCut();
    }
    env_.SetFilesystemActive(true);
  }

  Result<uint64_t> Resolve(const std::string& path) { return ResolvePath(*fs_, Root(), path); }

  // The tree as the filesystem now shows it.
  Tree ReadTree() {
    Tree tree;
    for (const char* d : kDirs) {
      for (int i = 0; i < kNamesPerDir; ++i) {
        std::string path = std::string(d) + "/f" + std::to_string(i);
        Result<uint64_t> ino = Resolve(path);
        if (ino.ok()) tree[path] = std::make_shared<const std::string>(ReadWholeFile(*fs_, *ino));
      }
    }
    return tree;
  }

  // Records the outcome of one call that would turn the tree into `after`.
  // A call that failed must have failed because the power went; it may or
  // may not have reached the disk, so `after` is a possible outcome either
  // way. Returns whether the workload goes on.
  bool Step(bool ok, Tree after) {
    if (!ok) {
      EXPECT_TRUE(env_.power_is_cut()) << "a call failed with the power on";
      possible_.push_back(std::move(after));
      return false;
    }
    model_ = std::move(after);
    possible_.push_back(model_);
    return true;
  }

  // One random change; false once the power is gone.
  bool RandomChange(std::mt19937_64& rng) {
    auto file = [&] {
      return std::string(kDirs[rng() % 3]) + "/f" + std::to_string(rng() % kNamesPerDir);
    };
    auto dir_of = [](const std::string& p) { return p.substr(0, p.find('/')); };
    auto name_of = [](const std::string& p) { return p.substr(p.find('/') + 1); };
    std::string path = file();
    Result<uint64_t> parent = Resolve(dir_of(path));
    EXPECT_TRUE(parent.ok());
    if (!parent.ok()) return false;
    Tree after = model_;
    switch (rng() % 6) {
      case 0:
      case 1: {  // write somewhere, creating the file if needed
        auto r = fs_->Create(Root(), *parent, name_of(path), 0644, O_CREAT | O_RDWR);
        if (!after.count(path)) after[path] = std::make_shared<const std::string>();
        if (!Step(r.ok(), after)) return false;
        fs_->Forget(r->first.ino, 1);
        std::string bytes = *after[path];
        uint64_t offset = rng() % (bytes.size() + 5000);
        std::string data(1 + rng() % 20000, static_cast<char>('A' + rng() % 26));
        if (bytes.size() < offset + data.size()) bytes.resize(offset + data.size(), '\0');
        bytes.replace(offset, data.size(), data);
        after[path] = std::make_shared<const std::string>(std::move(bytes));
        bool ok = fs_->Write(Root(), *r->second, offset, data).ok();
        fs_->Release(std::move(r->second));
        return Step(ok, std::move(after));
      }
      case 2: {  // truncate
        Result<uint64_t> ino = Resolve(path);
        if (!ino.ok()) return true;
        uint64_t size = rng() % 30000;
        std::string bytes = *after[path];
        bytes.resize(size, '\0');
        after[path] = std::make_shared<const std::string>(std::move(bytes));
        return Step(fs_->SetAttr(Root(), *ino, {.size = size}).ok(), std::move(after));
      }
      case 3: {  // rename over another name, maybe across directories
        std::string to = file();
        if (to == path || !model_.count(path)) return true;
        Result<uint64_t> to_parent = Resolve(dir_of(to));
        EXPECT_TRUE(to_parent.ok());
        after[to] = after[path];
        after.erase(path);
        return Step(
            fs_->Rename(Root(), *parent, name_of(path), *to_parent, name_of(to), 0).ok(),
            std::move(after));
      }
      case 4: {  // unlink, sometimes keeping the file open
        if (!model_.count(path)) return true;
        if (rng() % 2) {
          Result<uint64_t> ino = Resolve(path);
          EXPECT_TRUE(ino.ok());
          auto f = fs_->Open(Root(), *ino, O_RDWR);
          if (f.ok()) open_.push_back(std::move(*f));
        }
        after.erase(path);
        return Step(fs_->Unlink(Root(), *parent, name_of(path)).ok(), std::move(after));
      }
      default: {  // fsync: everything so far becomes durable
        if (!fs_->Fsync().ok()) {
          EXPECT_TRUE(env_.power_is_cut()) << "Fsync failed with the power on";
          return false;
        }
        possible_ = {model_};
        return true;
      }
    }
  }

  // After a cut and a mount: the tree must be one of the possible ones.
  void VerifyTree() {
    Tree now = ReadTree();
    for (size_t i = possible_.size(); i-- > 0;) {
      if (SameTree(possible_[i], now)) {
        changes_lost_ += possible_.size() - 1 - i;
        model_ = now;
        possible_ = {now};
        return;
      }
    }
    FAIL() << "after the cut the tree is none of the " << possible_.size()
           << " trees since the last fsync.\nAgainst the synced tree:\n"
           << Differences(possible_.front(), now) << "Against the newest tree:\n"
           << Differences(possible_.back(), now);
  }

  bool formatted_ = false;
  int cuts_mid_change_ = 0;  // the power went inside an engine operation
  int cuts_torn_ = 0;        // unsynced tails partly kept
  size_t changes_lost_ = 0;  // acknowledged, unsynced changes the cuts undid
  lsm::FaultInjectionEnv env_;
  lsm::test::ScratchDir dir_;
  std::unique_ptr<lsm::DB> db_;
  DbStore db_store_{&db_};
  Store* store() { return db_store_.get(); }
  std::unique_ptr<Filesystem> fs_;
  std::vector<std::unique_ptr<OpenFile>> open_;
  Tree model_;                 // the tree the filesystem acknowledged
  std::vector<Tree> possible_;  // the tree at the last Fsync, then after each call since
};

TEST_P(CrashTest, EveryCutLeavesTheTreeOfOneMomentSinceTheLastSync) {
  std::mt19937_64 rng(GetParam());
  env_.SetRealSyncs(false);  // the power only ever goes through env_
  MountFs();
  for (const char* d : kDirs) {
    Result<Entry> e = fs_->MakeDir(Root(), kRootIno, d, 0755);
    ASSERT_TRUE(e.ok());
    fs_->Forget(e->ino, 1);
  }
  ASSERT_TRUE(fs_->Fsync().ok());
  possible_ = {model_};
  const int cycles = CyclesPerSeed();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    // Half the cycles lose power at a random engine mutation (a change
    // makes one to a few; flushes and compactions make more).
    if (rng() % 2 == 0) env_.CutPowerAfter(rng() % 400);
    int changes = 20 + static_cast<int>(rng() % 150);
    for (int i = 0; i < changes && RandomChange(rng); ++i) {
      if (HasFailure()) return;
    }
    PowerCut(rng);
    MountFs();
    if (HasFatalFailure()) return;
    VerifyTree();
    if (HasFailure()) return;
  }
  std::printf(
      "seed %d: %d power cuts survived (%d inside an engine operation, %d with torn tails), "
      "%zu files at the end, %zu unsynced changes undone\n",
      GetParam(), cycles, cuts_mid_change_, cuts_torn_, model_.size(), changes_lost_);
  fs_.reset();
  ASSERT_TRUE(db_->Close().ok());
}

INSTANTIATE_TEST_SUITE_P(Seeds, CrashTest, ::testing::Range(1, 17));

}  // namespace
}  // namespace iron::fs::test

// Many threads at once: each works in a directory of its own (and checks
// its files' bytes), all of them create, rename and remove names in shared
// directories, move directories between shared parents, and list them.
// Nothing may fail that the same operations alone would not, nothing may
// deadlock, and the tree must check clean afterwards. The TSan build runs
// this too.
#include <errno.h>

#include <atomic>
#include <map>
#include <set>
#include <random>
#include <thread>

#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class ConcurrencyTest : public FsFixture {};

TEST_F(ConcurrencyTest, PrivateAndSharedDirectories) {
  constexpr int kThreads = 8;
  constexpr int kOps = 1500;
  uint64_t shared = Mkdir(kRootIno, "shared", 0777);
  uint64_t left = Mkdir(kRootIno, "left", 0777);
  uint64_t right = Mkdir(kRootIno, "right", 0777);
  for (int i = 0; i < 4; ++i) Mkdir(left, "moving" + std::to_string(i), 0777);
  std::vector<uint64_t> own(kThreads);
  for (int t = 0; t < kThreads; ++t) own[t] = Mkdir(kRootIno, "t" + std::to_string(t), 0777);

  std::atomic<int> failures{0};
  auto fail = [&](const std::string& what, int err) {
    if (failures.fetch_add(1) < 10) ADD_FAILURE() << what << ": errno " << err;
  };
  auto worker = [&](int t) {
    std::mt19937_64 rng(t + 1);
    std::map<std::string, std::string> mine;  // this thread's files and bytes
    for (int i = 0; i < kOps; ++i) {
      switch (rng() % 7) {
        case 0:
        case 1: {  // private file: write, then read back
          std::string name = "f" + std::to_string(rng() % 20);
          auto r = fs_->Create(Root(), own[t], name, 0644, O_CREAT | O_RDWR | O_TRUNC);
          if (!r.ok()) { fail("create " + name, r.error()); break; }
          fs_->Forget(r->first.ino, 1);
          std::string data(1 + rng() % 9000, static_cast<char>('a' + t));
          Result<size_t> n = fs_->Write(Root(), *r->second, 0, data);
          if (!n.ok()) fail("write", n.error());
          std::string back(data.size(), '\0');
          Result<size_t> m = fs_->Read(*r->second, 0, back);
          if (!m.ok() || back != data) fail("read back " + name, m.ok() ? -1 : m.error());
          mine[name] = data;
          fs_->Release(std::move(r->second));
          break;
        }
        case 2: {  // shared directory: create a name others may remove
          std::string name = "s" + std::to_string(rng() % 50);
          Result<Entry> e = fs_->MakeNode(Root(), shared, name, S_IFREG | 0644, 0);
          if (e.ok()) {
            fs_->Forget(e->ino, 1);
          } else if (e.error() != EEXIST) {
            fail("mknod shared", e.error());
          }
          break;
        }
        case 3: {  // shared directory: remove or rename a name
          std::string name = "s" + std::to_string(rng() % 50);
          Result<void> r = rng() % 2 ? fs_->Unlink(Root(), shared, name)
                                     : fs_->Rename(Root(), shared, name, shared,
                                                   "s" + std::to_string(rng() % 50), 0);
          if (!r.ok() && r.error() != ENOENT) fail("unlink/rename shared", r.error());
          break;
        }
        case 4: {  // move a directory between two parents
          std::string name = "moving" + std::to_string(rng() % 4);
          bool to_right = rng() % 2;
          Result<void> r = fs_->Rename(Root(), to_right ? left : right, name,
                                       to_right ? right : left, name, 0);
          if (!r.ok() && r.error() != ENOENT) fail("move directory", r.error());
          break;
        }
        case 5: {  // list the shared directory
          auto d = fs_->OpenDir(Root(), shared);
          if (!d.ok()) { fail("opendir", d.error()); break; }
          std::set<std::string> names;
          Result<void> r = fs_->ReadDir(**d, 0, [&](const DirEntryView& e) {
            if (!names.emplace(e.name).second) fail("repeated " + std::string(e.name), 0);
            return true;
          });
          if (!r.ok()) fail("readdir", r.error());
          fs_->ReleaseDir(std::move(*d));
          break;
        }
        case 6: {  // stat everything of ours
          for (auto& [name, data] : mine) {
            Result<Entry> e = fs_->Lookup(Root(), own[t], name);
            if (!e.ok()) { fail("lookup " + name, e.error()); continue; }
            if (static_cast<size_t>(e->attr.st_size) != data.size()) fail("size of " + name, 0);
            fs_->Forget(e->ino, 1);
          }
          break;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(List(left).size() + List(right).size(), 4u + 4u);  // 4 dirs plus dots
  ExpectClean();
  Remount();
}

}  // namespace
}  // namespace iron::fs::test

// A mounted iron::fs over a fresh engine in a scratch directory, with the
// callers the tests act as and helpers that walk paths the way the kernel
// does (one Lookup per component, each reference given back).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fs/checker.h"
#include "fs/filesystem.h"
#include "fs/inode_codec.h"
#include "fs/permission.h"
#include "fs/key_schema.h"
#include "lsm/db.h"
#include "tests/fs/db_store.h"
#include "tests/lsm/test_util.h"

namespace iron::fs::test {

// Callers: root, and two users who share group 2000.
inline Caller Root() { return Caller{0, 0, {}, 0}; }
inline Caller Alice() { return Caller{1000, 1000, {1000, 2000}, 0}; }
inline Caller Bob() { return Caller{1001, 1001, {1001, 2000}, 0}; }

// The inode at `path` (relative to the root, '/'-separated), walked as `c`
// one Lookup per component; the references the walk takes are given back.
inline Result<uint64_t> ResolvePath(Filesystem& fs, const Caller& c, const std::string& path) {
  uint64_t ino = kRootIno;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string name = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (name.empty()) continue;
    Result<Entry> e = fs.Lookup(c, ino, name);
    if (!e.ok()) return Errno{e.error()};
    fs.Forget(e->ino, 1);
    ino = e->ino;
  }
  return ino;
}

// Every byte of a regular file, read as root.
inline std::string ReadWholeFile(Filesystem& fs, uint64_t ino) {
  auto f = fs.Open(Root(), ino, O_RDONLY);
  EXPECT_TRUE(f.ok());
  if (!f.ok()) return {};
  std::string out(fs.GetAttr(ino)->st_size, '\0');
  Result<size_t> n = fs.Read(**f, 0, out);
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  fs.Release(std::move(*f));
  return out;
}

class FsFixture : public ::testing::Test {
 protected:
  void SetUp() override { Mount(); }
  void TearDown() override {
    if (fs_) ExpectClean();
    Unmount();
  }

  virtual lsm::Options EngineOptions() {
    lsm::Options o = fs::LsmStore::EngineOptions();
    o.write_buffer_size = 1 << 20;
    return o;
  }

  // Tests' filesystems start with a root anybody may write in.
  static FormatOptions OpenRoot() {
    FormatOptions f;
    f.root_mode = 0777;
    return f;
  }
  void Mount(const FormatOptions& format = OpenRoot()) {
    ASSERT_TRUE(lsm::DB::Open(EngineOptions(), dir_.path(), &db_).ok());
    MountOptions mo = mount_options_;
    mo.data_dir = dir_.path();
    auto fs = Filesystem::Mount(store(), mo, format);
    ASSERT_TRUE(fs.ok()) << "mount: errno " << fs.error();
    fs_ = std::move(*fs);
  }
  void Unmount() {
    fs_.reset();
    if (db_) {
      ASSERT_TRUE(db_->Close().ok());
    }
    db_.reset();
  }
  void Remount() {
    Unmount();
    Mount();
  }
  void ExpectClean() {
    CheckReport report = CheckFilesystem(store());
    EXPECT_TRUE(report.clean()) << report.ToString();
  }

  Result<uint64_t> Resolve(const Caller& c, const std::string& path) {
    return ResolvePath(*fs_, c, path);
  }
  uint64_t Ino(const std::string& path) {
    Result<uint64_t> ino = Resolve(Root(), path);
    EXPECT_TRUE(ino.ok()) << path << ": errno " << ino.error();
    return ino.ok() ? *ino : 0;
  }

  // Creation helpers that give back the reference they take.
  uint64_t Mkdir(uint64_t parent, const std::string& name, uint32_t mode = 0755,
                 const Caller& c = Root()) {
    Result<Entry> e = fs_->MakeDir(c, parent, name, mode);
    EXPECT_TRUE(e.ok()) << "mkdir " << name << ": errno " << e.error();
    if (!e.ok()) return 0;
    fs_->Forget(e->ino, 1);
    return e->ino;
  }
  uint64_t WriteFile(uint64_t parent, const std::string& name, const std::string& data,
                     uint32_t mode = 0644, const Caller& c = Root()) {
    auto r = fs_->Create(c, parent, name, mode, O_CREAT | O_WRONLY | O_TRUNC);
    EXPECT_TRUE(r.ok()) << "create " << name << ": errno " << r.error();
    if (!r.ok()) return 0;
    if (!data.empty()) {
      Result<size_t> n = fs_->Write(c, *r->second, 0, data);
      EXPECT_TRUE(n.ok() && *n == data.size());
    }
    uint64_t ino = r->first.ino;
    fs_->Release(std::move(r->second));
    fs_->Forget(ino, 1);
    return ino;
  }
  std::string ReadAll(uint64_t ino) { return ReadWholeFile(*fs_, ino); }
  std::vector<std::string> List(uint64_t dir) {
    std::vector<std::string> names;
    auto d = fs_->OpenDir(Root(), dir);
    EXPECT_TRUE(d.ok());
    if (!d.ok()) return names;
    Result<void> r = fs_->ReadDir(**d, 0, [&](const DirEntryView& e) {
      names.emplace_back(e.name);
      return true;
    });
    EXPECT_TRUE(r.ok());
    fs_->ReleaseDir(std::move(*d));
    return names;
  }
  struct stat Stat(uint64_t ino) {
    Result<struct stat> st = fs_->GetAttr(ino);
    EXPECT_TRUE(st.ok());
    return st.ok() ? *st : (struct stat){};
  }

  MountOptions mount_options_;  // what Mount and Remount use
  lsm::test::ScratchDir dir_;
  std::unique_ptr<lsm::DB> db_;
  DbStore db_store_{&db_};
  Store* store() { return db_store_.get(); }
  std::unique_ptr<Filesystem> fs_;
};

}  // namespace iron::fs::test

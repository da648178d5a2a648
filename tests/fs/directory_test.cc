// readdir: "." and "..", every entry once, and cookies that resume right
// after their entry however the directory changes between calls.
#include <dirent.h>
#include <errno.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class DirectoryTest : public FsFixture {};

TEST_F(DirectoryTest, ListsDotsAndEveryEntryWithItsType) {
  uint64_t d = Mkdir(kRootIno, "d");
  WriteFile(d, "file", "");
  Mkdir(d, "sub");
  ASSERT_TRUE(fs_->Symlink(Root(), d, "link", "file").ok());
  auto stream = fs_->OpenDir(Root(), d);
  ASSERT_TRUE(stream.ok());
  std::map<std::string, std::pair<uint64_t, uint8_t>> seen;
  ASSERT_TRUE(fs_->ReadDir(**stream, 0, [&](const DirEntryView& e) {
    seen[std::string(e.name)] = {e.ino, e.type};
    return true;
  }).ok());
  fs_->ReleaseDir(std::move(*stream));
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen["."].first, d);
  EXPECT_EQ(seen[".."].first, kRootIno);
  EXPECT_EQ(seen["file"].second, DT_REG);
  EXPECT_EQ(seen["sub"].second, DT_DIR);
  EXPECT_EQ(seen["link"].second, DT_LNK);
  EXPECT_EQ(fs_->OpenDir(Root(), Ino("d/file")).error(), ENOTDIR);
  ASSERT_TRUE(fs_->SetAttr(Root(), d, {.mode = 0711}).ok());
  EXPECT_EQ(fs_->OpenDir(Alice(), d).error(), EACCES);
}

TEST_F(DirectoryTest, CookiesSurviveChangesWithoutSkipsOrRepeats) {
  uint64_t d = Mkdir(kRootIno, "d");
  std::set<std::string> stable;
  for (int i = 0; i < 300; ++i) {
    std::string name = "s" + std::to_string(i);
    WriteFile(d, name, "");
    stable.insert(name);
  }
  auto stream = fs_->OpenDir(Root(), d);
  ASSERT_TRUE(stream.ok());
  std::multiset<std::string> seen;
  uint64_t cookie = 0;
  int round = 0;
  for (;;) {
    int taken = 0;
    uint64_t last = cookie;
    ASSERT_TRUE(fs_->ReadDir(**stream, cookie, [&](const DirEntryView& e) {
      if (taken == 7) return false;  // a small buffer: seven per call
      seen.emplace(e.name);
      last = e.cookie;
      ++taken;
      return true;
    }).ok());
    if (taken == 0) break;
    cookie = last;
    // Between calls the directory changes: new names everywhere, and
    // removal of names not part of the stable set.
    ++round;
    WriteFile(d, "a-new" + std::to_string(round), "");
    WriteFile(d, "z-new" + std::to_string(round), "");
    if (round % 3 == 0) {
      ASSERT_TRUE(fs_->Unlink(Root(), d, "a-new" + std::to_string(round - 1)).ok());
    }
  }
  fs_->ReleaseDir(std::move(*stream));
  for (const std::string& name : seen) EXPECT_EQ(seen.count(name), 1u) << name << " repeated";
  for (const std::string& name : stable) EXPECT_EQ(seen.count(name), 1u) << name << " skipped";
}

TEST_F(DirectoryTest, AnOldCookieRestartsAfterItsEntry) {
  uint64_t d = Mkdir(kRootIno, "d");
  for (const char* name : {"a", "b", "c", "d"}) WriteFile(d, name, "");
  auto stream = fs_->OpenDir(Root(), d);
  ASSERT_TRUE(stream.ok());
  std::vector<std::pair<std::string, uint64_t>> first;
  ASSERT_TRUE(fs_->ReadDir(**stream, 0, [&](const DirEntryView& e) {
    first.emplace_back(e.name, e.cookie);
    return true;
  }).ok());
  ASSERT_EQ(first.size(), 6u);
  // seekdir to the cookie of "b": the listing goes on with "c".
  std::vector<std::string> rest;
  ASSERT_TRUE(fs_->ReadDir(**stream, first[3].second, [&](const DirEntryView& e) {
    rest.emplace_back(e.name);
    return true;
  }).ok());
  EXPECT_EQ(rest, (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(fs_->ReadDir(**stream, 999, [](const DirEntryView&) { return true; }).error(), EINVAL);
  fs_->ReleaseDir(std::move(*stream));
}

// The kernel may resume a listing from its readdir cache with a cookie an
// earlier open of the directory gave.
TEST_F(DirectoryTest, ACookieResumesOnAnotherStreamOfTheDirectory) {
  uint64_t d = Mkdir(kRootIno, "d");
  for (const char* name : {"a", "b", "c"}) WriteFile(d, name, "");
  auto first = fs_->OpenDir(Root(), d);
  ASSERT_TRUE(first.ok());
  uint64_t after_a = 0;
  ASSERT_TRUE(fs_->ReadDir(**first, 0, [&](const DirEntryView& e) {
    if (e.name == "a") after_a = e.cookie;
    return e.name != "b";  // stop before "b"
  }).ok());
  fs_->ReleaseDir(std::move(*first));
  ASSERT_NE(after_a, 0u);
  auto second = fs_->OpenDir(Root(), d);
  ASSERT_TRUE(second.ok());
  std::vector<std::string> rest;
  ASSERT_TRUE(fs_->ReadDir(**second, after_a, [&](const DirEntryView& e) {
    rest.emplace_back(e.name);
    return true;
  }).ok());
  fs_->ReleaseDir(std::move(*second));
  EXPECT_EQ(rest, (std::vector<std::string>{"b", "c"}));
}

TEST_F(DirectoryTest, ReadDirPlusGivesAttributesAndReferences) {
  uint64_t d = Mkdir(kRootIno, "d");
  uint64_t f = WriteFile(d, "file", "12345");
  WriteFile(d, "other", "");
  auto stream = fs_->OpenDir(Root(), d);
  ASSERT_TRUE(stream.ok());
  std::vector<std::pair<std::string, Entry>> got;
  ASSERT_TRUE(fs_->ReadDirPlus(**stream, 0, [&](const DirEntryView& v, const Entry& e) {
    if (v.name == "other") return false;  // not taken: no reference
    got.emplace_back(std::string(v.name), e);
    return true;
  }).ok());
  fs_->ReleaseDir(std::move(*stream));
  ASSERT_EQ(got.size(), 3u);  // ".", "..", "file"; "other" was refused
  EXPECT_EQ(got[0].second.ino, 0u);
  EXPECT_EQ(got[2].second.ino, f);
  EXPECT_EQ(got[2].second.attr.st_size, 5);
  // The reference keeps an unlinked file alive until it is forgotten.
  ASSERT_TRUE(fs_->Unlink(Root(), d, "file").ok());
  EXPECT_TRUE(fs_->GetAttr(f).ok());
  fs_->Forget(f, 1);
  EXPECT_EQ(fs_->GetAttr(f).error(), ENOENT);
  // "other" gained no reference: unlinked, it goes at once.
  uint64_t other = Ino("d/other");
  ASSERT_TRUE(fs_->Unlink(Root(), d, "other").ok());
  EXPECT_EQ(fs_->GetAttr(other).error(), ENOENT);
}

TEST_F(DirectoryTest, ARemovedDirectoryListsEmpty) {
  uint64_t d = Mkdir(kRootIno, "d");
  auto stream = fs_->OpenDir(Root(), d);
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE(fs_->RemoveDir(Root(), kRootIno, "d").ok());
  int n = 0;
  ASSERT_TRUE(fs_->ReadDir(**stream, 0, [&](const DirEntryView&) { return ++n, true; }).ok());
  EXPECT_EQ(n, 0);
  EXPECT_EQ(fs_->MakeDir(Root(), d, "x", 0755).error(), ENOENT);
  fs_->ReleaseDir(std::move(*stream));
  EXPECT_EQ(fs_->GetAttr(d).error(), ENOENT);
}

TEST_F(DirectoryTest, AHundredThousandEntries) {
  uint64_t d = Mkdir(kRootIno, "big");
  for (int i = 0; i < 100000; ++i) {
    Result<Entry> e = fs_->MakeNode(Root(), d, "entry-" + std::to_string(i), S_IFREG | 0644, 0);
    ASSERT_TRUE(e.ok());
    fs_->Forget(e->ino, 1);
  }
  EXPECT_EQ(List(d).size(), 100002u);
  Remount();
  EXPECT_EQ(List(Ino("big")).size(), 100002u);
  EXPECT_EQ(fs_->GetStats().inodes, 100002u);
}

}  // namespace
}  // namespace iron::fs::test

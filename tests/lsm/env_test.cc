// The POSIX Env.
#include "lsm/env.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "lsm/db.h"
#include "lsm/filename.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

TEST(EnvTest, FilesRoundTrip) {
  test::ScratchDir dir;
  Env* env = Env::Default();
  std::string a = dir.Join("a"), b = dir.Join("b");
  ASSERT_TRUE(WriteStringToFile(env, std::string(200000, 'x') + "end", a, true).ok());
  std::string data;
  ASSERT_TRUE(ReadFileToString(env, a, &data).ok());
  EXPECT_EQ(data.size(), 200003u);
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(a, &size).ok());
  EXPECT_EQ(size, 200003u);
  ASSERT_TRUE(env->RenameFile(a, b).ok());
  EXPECT_FALSE(env->FileExists(a));
  EXPECT_TRUE(env->FileExists(b));
  std::vector<std::string> names;
  ASSERT_TRUE(env->GetChildren(dir.path(), &names).ok());
  EXPECT_EQ(names, std::vector<std::string>{"b"});
  std::unique_ptr<MappedFile> m;
  ASSERT_TRUE(env->NewMappedFile(b, &m).ok());
  ASSERT_EQ(m->size(), 200003u);
  EXPECT_EQ(std::string_view(m->data() + 200000, 3), "end");
  m->DropResident(0, m->size());
  EXPECT_EQ(std::string_view(m->data() + 200000, 3), "end");  // still readable
  ASSERT_TRUE(env->SyncDir(dir.path()).ok());
  ASSERT_TRUE(env->RemoveFile(b).ok());
  Status s = env->RemoveFile(b);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("/b"), std::string::npos) << s.message();
}

TEST(EnvTest, LogFileKeepsWhatWasAppended) {
  test::ScratchDir dir;
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(Env::Default()->NewLogFile(dir.Join("x.log"), &f).ok());
  std::string expected;
  for (int i = 0; i < 3000; ++i) {
    std::string rec = std::string(1000, static_cast<char>('a' + i % 26));
    ASSERT_TRUE((i % 2 ? f->Append(rec) : f->AppendBySyscall(rec)).ok());
    expected += rec;
  }
  ASSERT_TRUE(f->Sync().ok());
  // Before Close the file holds the records and then preallocated zeros.
  std::string before = test::ReadFileOrDie(dir.Join("x.log"));
  ASSERT_GE(before.size(), expected.size());
  EXPECT_EQ(before.substr(0, expected.size()), expected);
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(test::ReadFileOrDie(dir.Join("x.log")), expected);
}

TEST(EnvTest, CreateDirIsIdempotent) {
  test::ScratchDir dir;
  ASSERT_TRUE(Env::Default()->CreateDir(dir.Join("d")).ok());
  ASSERT_TRUE(Env::Default()->CreateDir(dir.Join("d")).ok());
  test::WriteFileOrDie(dir.Join("f"), "x");
  EXPECT_FALSE(Env::Default()->CreateDir(dir.Join("f")).ok());  // a file is in the way
}

TEST(EnvTest, LockIsExclusive) {
  test::ScratchDir dir;
  std::unique_ptr<FileLock> first, second;
  ASSERT_TRUE(Env::Default()->LockFile(dir.Join("LOCK"), &first).ok());
  Status s = Env::Default()->LockFile(dir.Join("LOCK"), &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  first.reset();
  EXPECT_TRUE(Env::Default()->LockFile(dir.Join("LOCK"), &second).ok());
}

TEST(EnvTest, LoggerAppendsTimestampedLines) {
  test::ScratchDir dir;
  {
    std::unique_ptr<Logger> log;
    ASSERT_TRUE(Env::Default()->NewLogger(dir.Join("LOG"), &log).ok());
    log->Log("first");
    log->Log("second");
  }
  std::string text = test::ReadFileOrDie(dir.Join("LOG"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_NE(text.find("Z first\n"), std::string::npos) << text;
}

TEST(EnvTest, MissingFilesAreErrorsNamingThePath) {
  std::unique_ptr<SequentialFile> f;
  Status s = Env::Default()->NewSequentialFile("/nonexistent/x", &f);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/x"), std::string::npos);
  std::unique_ptr<MappedFile> m;
  EXPECT_FALSE(Env::Default()->NewMappedFile("/nonexistent/x", &m).ok());
}

// A symbolic link planted in a database directory must not lead the
// engine (which may run as root) to any file outside it.
TEST(EnvTest, SymbolicLinksAreNeverFollowed) {
  test::ScratchDir outside, dir;
  const std::string target = outside.Join("precious");
  test::WriteFileOrDie(target, "keep me");
  Env* env = Env::Default();
  const std::string link = dir.Join("000009.log");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  std::unique_ptr<WritableFile> w;
  EXPECT_FALSE(env->NewWritableFile(link, &w).ok());
  EXPECT_FALSE(env->NewLogFile(link, &w).ok());
  std::unique_ptr<SequentialFile> r;
  EXPECT_FALSE(env->NewSequentialFile(link, &r).ok());
  std::unique_ptr<MappedFile> m;
  EXPECT_FALSE(env->NewMappedFile(link, &m).ok());
  std::unique_ptr<Logger> logger;
  EXPECT_FALSE(env->NewLogger(link, &logger).ok());
  std::unique_ptr<FileLock> lock;
  EXPECT_FALSE(env->LockFile(link, &lock).ok());
  EXPECT_EQ(test::ReadFileOrDie(target), "keep me");
}

// What a hostile or broken data directory may hold where a file of the
// database should be: each must fail the open at once, saying what it is,
// never block it (a FIFO) or read forever (a device).
enum class Kind { kFifo, kSocket, kCharDevice, kSymlink };

// Puts a `kind` at `path` (replacing what is there). Returns the word the
// error message must use, or "" if this kind cannot be made here.
std::string Plant(const std::string& path, Kind kind, const std::string& scratch) {
  std::filesystem::remove(path);
  switch (kind) {
    case Kind::kFifo:
      EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
      return "a FIFO";
    case Kind::kSocket: {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      if (path.size() >= sizeof(addr.sun_path)) return "";
      std::copy(path.begin(), path.end(), addr.sun_path);
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
      ::close(fd);  // the socket file stays
      return "a socket";
    }
    case Kind::kCharDevice:
      if (::mknod(path.c_str(), S_IFCHR | 0600, makedev(1, 5)) != 0) return "";  // /dev/zero
      return "a character device";
    case Kind::kSymlink: {
      // To a copy of a good file: following it would even "work".
      const std::string target = scratch + "/target";
      EXPECT_EQ(::symlink(target.c_str(), path.c_str()), 0);
      return "a symbolic link";
    }
  }
  return "";
}

class HostileFileTest : public ::testing::TestWithParam<std::tuple<FileType, Kind>> {};

TEST_P(HostileFileTest, OpenFailsAtOnceNamingTheFileAndWhatItIs) {
  const auto [role, kind] = GetParam();
  test::ScratchDir dir, outside;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), dir.path(), &db).ok());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Put({}, test::NumberKey(i), "v").ok());
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Put({}, "in the wal", "v").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  std::string victim;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    uint64_t number;
    FileType type;
    if (ParseFileName(e.path().filename(), &number, &type) && type == role) victim = e.path();
  }
  ASSERT_FALSE(victim.empty());
  std::filesystem::copy_file(victim, outside.Join("target"));
  const std::string what = Plant(victim, kind, outside.path());
  if (what.empty()) GTEST_SKIP() << "cannot make this kind of file here (not root?)";

  ::alarm(20);  // a blocked open must fail the test, not hang it
  std::unique_ptr<DB> db;
  Status s = DB::Open(Options(), dir.path(), &db);
  ::alarm(0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(victim + " is " + what + ", not a regular file"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(s.message().find("Too many levels"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find("No such device"), std::string::npos) << s.ToString();
  // Read-only opens (fsck, stats) too.
  Options ro;
  ro.read_only = true;
  ::alarm(20);
  s = DB::Open(ro, dir.path(), &db);
  ::alarm(0);
  EXPECT_NE(s.message().find(victim + " is " + what), std::string::npos) << s.ToString();
}

std::string HostileName(const ::testing::TestParamInfo<std::tuple<FileType, Kind>>& info) {
  static const char* const kKinds[] = {"Fifo", "Socket", "CharDevice", "Symlink"};
  std::string role;
  switch (std::get<0>(info.param)) {
    case FileType::kCurrent: role = "Current"; break;
    case FileType::kManifest: role = "Manifest"; break;
    case FileType::kLog: role = "Log"; break;
    case FileType::kTable: role = "Table"; break;
    default: role = "Other";
  }
  return role + kKinds[static_cast<int>(std::get<1>(info.param))];
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, HostileFileTest,
    ::testing::Combine(::testing::Values(FileType::kCurrent, FileType::kManifest, FileType::kLog,
                                         FileType::kTable),
                       ::testing::Values(Kind::kFifo, Kind::kSocket, Kind::kCharDevice,
                                         Kind::kSymlink)),
    HostileName);

TEST(EnvTest, WholeFileReadsAreBounded) {
  test::ScratchDir dir;
  test::WriteFileOrDie(dir.Join("big"), std::string(10000, 'x'));
  std::string data;
  Status s = ReadFileToString(Env::Default(), dir.Join("big"), &data, 4096);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(data.empty());
}

}  // namespace
}  // namespace iron::lsm

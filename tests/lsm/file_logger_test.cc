// FileLogger: the LOG of a data directory stays bounded however much is
// logged: a rate limit on repeated lines and a size cap with one old file.
#include "lsm/file_logger.h"

#include <sys/stat.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(FileLoggerTest, RepeatedErrorsWriteAFewLinesAndASummary) {
  test::ScratchDir dir;
  const std::string path = dir.Join("LOG");
  {
    std::unique_ptr<Logger> log;
    ASSERT_TRUE(Env::Default()->NewLogger(path, &log).ok());
    for (int i = 0; i < 100000; ++i) log->Log("ERROR: damaged block at offset 4096 of 000007.sst");
  }
  std::string text = test::ReadFileOrDie(path);
  // Five a second at most, plus summaries: a handful of lines, not 100,000.
  EXPECT_LT(std::count(text.begin(), text.end(), '\n'), 100) << text.substr(0, 2000);
  EXPECT_NE(text.find("more times in a second (held back): ERROR: damaged block"), std::string::npos);
}

TEST(FileLoggerTest, AtItsCapTheFileBecomesOldAndAFreshOneStarts) {
  test::ScratchDir dir;
  const std::string path = dir.Join("LOG");
  FileLoggerOptions options;
  options.max_bytes = 64 << 10;
  options.total = 1 << 30;  // no rate limit here: only the size cap
  {
    std::unique_ptr<Logger> log;
    ASSERT_TRUE(NewFileLogger(path, options, &log).ok());
    for (int i = 0; i < 20000; ++i) log->Log("line " + std::to_string(i) + std::string(80, '.'));
  }
  EXPECT_LE(FileSize(path), options.max_bytes);
  EXPECT_GT(FileSize(path + ".old"), options.max_bytes - 200);
  EXPECT_LE(FileSize(path + ".old"), options.max_bytes + 200);
  // The newest lines are kept.
  EXPECT_NE(test::ReadFileOrDie(path).find("line 19999."), std::string::npos);
}

TEST(FileLoggerTest, TheEnvsLoggerKeepsLOGUnder4MiB) {
  test::ScratchDir dir;
  const std::string path = dir.Join("LOG");
  {
    std::unique_ptr<Logger> log;
    ASSERT_TRUE(Env::Default()->NewLogger(path, &log).ok());
    // 6.4 MB in 100 distinct lines: within the rate limit, over the cap.
    for (int i = 0; i < 100; ++i) log->Log(std::to_string(i) + std::string(64 << 10, '.'));
  }
  EXPECT_LE(FileSize(path), (4u << 20) + (65u << 10));
  EXPECT_GE(FileSize(path + ".old"), 4u << 20);
}

TEST(FileLoggerTest, AnExistingFileCountsTowardsTheCap) {
  test::ScratchDir dir;
  const std::string path = dir.Join("LOG");
  test::WriteFileOrDie(path, std::string(100 << 10, 'x'));
  FileLoggerOptions options;
  options.max_bytes = 64 << 10;
  {
    std::unique_ptr<Logger> log;
    ASSERT_TRUE(NewFileLogger(path, options, &log).ok());
    log->Log("after reopening");
  }
  EXPECT_EQ(FileSize(path), 0u);  // rotated at once
  EXPECT_NE(test::ReadFileOrDie(path + ".old").find("after reopening"), std::string::npos);
}

}  // namespace
}  // namespace iron::lsm

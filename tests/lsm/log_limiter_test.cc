// LogLimiter: a storm of lines is cut to a few a second, and what is held
// back is always reported in a summary.
#include "lsm/log_limiter.h"

#include <gtest/gtest.h>

namespace iron::lsm {
namespace {

constexpr uint64_t kSecond = 1000000;
constexpr uint64_t kStart = 1000 * kSecond;

size_t CountStartingWith(const std::vector<std::string>& lines, std::string_view prefix) {
  size_t n = 0;
  for (const auto& l : lines) n += l.starts_with(prefix);
  return n;
}

TEST(LogLimiterTest, ARepeatedLinePassesFiveTimesASecondThenIsSummarized) {
  LogLimiter limiter(5, 100);
  std::vector<std::string> out;
  for (int i = 0; i < 1000; ++i) {
    for (auto& l : limiter.Admit("ERROR: bad block in 000012.sst", kStart + i * 100)) out.push_back(l);
  }
  EXPECT_EQ(out.size(), 5u);
  // The next second: first the summary of the last one, then the line.
  out = limiter.Admit("ERROR: bad block in 000012.sst", kStart + kSecond + 1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0],
            "... repeated 995 more times in a second (held back): ERROR: bad block in 000012.sst");
  EXPECT_EQ(out[1], "ERROR: bad block in 000012.sst");
}

TEST(LogLimiterTest, DifferentLinesPassSideBySide) {
  LogLimiter limiter(5, 100);
  std::vector<std::string> out;
  for (int i = 0; i < 10; ++i) {
    for (auto& l : limiter.Admit("a", kStart + i)) out.push_back(l);
    for (auto& l : limiter.Admit("b", kStart + i)) out.push_back(l);
  }
  EXPECT_EQ(CountStartingWith(out, "a"), 5u);
  EXPECT_EQ(CountStartingWith(out, "b"), 5u);
}

TEST(LogLimiterTest, ManyDistinctLinesAreCappedInAllAndCounted) {
  LogLimiter limiter(5, 100);
  std::vector<std::string> out;
  for (int i = 0; i < 5000; ++i) {
    for (auto& l : limiter.Admit("ERROR: block " + std::to_string(i), kStart + i)) out.push_back(l);
  }
  EXPECT_EQ(out.size(), 100u);
  out = limiter.Admit("later", kStart + 2 * kSecond);
  EXPECT_EQ(CountStartingWith(out, "... 4900 more lines held back"), 1u);
  EXPECT_EQ(out.back(), "later");
}

TEST(LogLimiterTest, AHeldBackLineThatNeverComesAgainIsStillSummarized) {
  LogLimiter limiter(2, 100);
  for (int i = 0; i < 10; ++i) limiter.Admit("storm", kStart + i);
  // Another line, seconds later, brings the summary of the storm.
  std::vector<std::string> out = limiter.Admit("quiet", kStart + 3 * kSecond);
  EXPECT_EQ(CountStartingWith(out, "... repeated 8 more times"), 1u);
  // And closing reports what is held back now.
  for (int i = 0; i < 10; ++i) limiter.Admit("storm", kStart + 3 * kSecond + i);
  out = limiter.Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "... repeated 8 more times in a second (held back): storm");
}

TEST(LogLimiterTest, AQuietLogPassesEverything) {
  LogLimiter limiter;
  for (int i = 0; i < 100; ++i) {
    auto out = limiter.Admit("opened at sequence " + std::to_string(i), kStart + i * kSecond / 10);
    ASSERT_EQ(out.size(), 1u);
  }
  EXPECT_TRUE(limiter.Drain().empty());
}

}  // namespace
}  // namespace iron::lsm

// Result<T> and Result<void> agree on what a failure is: an errno that is
// not 0. Errno{0} is a programming error for both (asserted; EIO where
// assertions are compiled out), never a success that lost its value.
#include "fs/result.h"

#include <errno.h>
#include <gtest/gtest.h>

#include <string>

namespace iron::fs {
namespace {

Result<void> Fail(int err) { return Errno{err}; }
Result<std::string> FailValue(int err) { return Errno{err}; }

TEST(ResultTest, AnErrnoIsAFailureOfEitherKind) {
  Result<void> v = Fail(ENOENT);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.error(), ENOENT);
  Result<std::string> s = FailValue(EACCES);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error(), EACCES);
}

TEST(ResultTest, SuccessIsAValueOrOk) {
  Result<std::string> s = std::string("x");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.error(), 0);
  EXPECT_EQ(*s, "x");
  EXPECT_TRUE(Ok().ok());
}

TEST(ResultTest, AnErrnoStyleCodeConvertsExplicitly) {
  EXPECT_TRUE(ResultOfErrno(0).ok());
  Result<void> r = ResultOfErrno(EROFS);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), EROFS);
}

#ifdef NDEBUG
// Without assertions, a zero errno still fails, as EIO, for both kinds.
TEST(ResultTest, ZeroErrnoIsEioForBothKinds) {
  Result<void> v = Fail(0);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.error(), EIO);
  Result<std::string> s = FailValue(0);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error(), EIO);
}
#else
TEST(ResultDeathTest, ZeroErrnoIsAssertedForBothKinds) {
  EXPECT_DEATH(EXPECT_FALSE(Fail(0).ok()), "Errno\\{0\\}");
  EXPECT_DEATH(EXPECT_FALSE(FailValue(0).ok()), "Errno\\{0\\}");
}
#endif

}  // namespace
}  // namespace iron::fs

// Result<T>: the outcome of a filesystem operation, a value or an errno.
//
// Every operation of iron::fs answers the way the kernel expects a
// filesystem to answer: success with a value, or one errno (ENOENT, EACCES,
// EIO, ...). Nothing is thrown. A failed Result holds no value; reading the
// value of a failed Result is a programming error (asserted).
//
// A failure always names its errno: Errno{0} is not success, for
// Result<void> no more than for Result<T> (which would have no value to
// give). It is a programming error, asserted, and EIO where assertions are
// compiled out, so a failure whose errno was lost never passes for
// success. Success is a value, Ok(), or ResultOfErrno(0) for an errno-style
// code where 0 means success. Neither a Result nor its ok() may be dropped
// unread ([[nodiscard]]).
//
// Thread safety: a value type.
#pragma once

#include <errno.h>

#include <cassert>
#include <optional>
#include <utility>

namespace iron::fs {

// An errno to return: `return Errno{ENOENT};`. Never 0 (see above).
struct Errno {
  int value;
};

namespace internal {
inline int FailureOf(Errno e) {
  assert(e.value != 0 && "Errno{0} is no failure: return a value or Ok()");
  return e.value != 0 ? e.value : EIO;
}
}  // namespace internal

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Errno e) : error_(internal::FailureOf(e)) {}  // NOLINT: implicit by design

  [[nodiscard]] bool ok() const { return error_ == 0; }
  // 0 when ok().
  [[nodiscard]] int error() const { return error_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::optional<T> value_;
  int error_ = 0;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Errno e) : error_(internal::FailureOf(e)) {}  // NOLINT: implicit by design
  [[nodiscard]] bool ok() const { return error_ == 0; }
  [[nodiscard]] int error() const { return error_; }

 private:
  int error_ = 0;
};

inline Result<void> Ok() { return {}; }

// An errno-style code (0: success, else the errno) as a Result.
inline Result<void> ResultOfErrno(int err) { return err == 0 ? Ok() : Result<void>(Errno{err}); }

}  // namespace iron::fs

// Returns the errno of `expr` from the enclosing function if it failed.
#define IRON_FS_TRY(expr)                                  \
  do {                                                     \
    auto&& _r = (expr);                                    \
    if (!_r.ok()) return ::iron::fs::Errno{_r.error()};    \
  } while (0)

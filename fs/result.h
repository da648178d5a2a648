// Result<T>: the outcome of a filesystem operation, a value or an errno.
//
// Every operation of iron::fs answers the way the kernel expects a
// filesystem to answer: success with a value, or one errno (ENOENT, EACCES,
// EIO, ...). Nothing is thrown. A failed Result holds no value; reading the
// value of a failed Result is a programming error (asserted).
//
// Thread safety: a value type.
#pragma once

#include <cassert>
#include <optional>
#include <utility>

namespace iron::fs {

// An errno to return: `return Errno{ENOENT};`.
struct Errno {
  int value;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Errno e) : error_(e.value) { assert(e.value != 0); }  // NOLINT

  bool ok() const { return error_ == 0; }
  // 0 when ok().
  int error() const { return error_; }

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
  Result(Errno e) : error_(e.value) {}  // NOLINT: Errno{0} is success
  bool ok() const { return error_ == 0; }
  int error() const { return error_; }

 private:
  int error_ = 0;
};

inline Result<void> Ok() { return {}; }

}  // namespace iron::fs

// Returns the errno of `expr` from the enclosing function if it failed.
#define IRON_FS_TRY(expr)                                  \
  do {                                                     \
    auto&& _r = (expr);                                    \
    if (!_r.ok()) return ::iron::fs::Errno{_r.error()};    \
  } while (0)

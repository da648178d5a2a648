// Status: the result of every engine operation that can fail.
//
// Errors are values. A Status is either OK or carries a code and a message
// that names what went wrong (the file, the block, the record). Nothing in
// the engine throws across its public face; callers test ok() or the
// specific predicate they care about. A Status cannot be dropped unread
// ([[nodiscard]]): a failure is returned, logged, or ignored on purpose
// with IgnoreError().
//
// Thread safety: a Status is a value type; distinct objects may be used from
// different threads freely.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace iron::lsm {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,
    kCorruption,
    kNotSupported,
    kInvalidArgument,
    kIOError,
    kNoSpace,  // the device is full (ENOSPC/EDQUOT)
    kBusy,     // another process holds the directory's LOCK
    kReadOnly, // a write to a DB opened with Options::read_only
  };

  Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return {Code::kNotFound, msg}; }
  static Status Corruption(std::string_view msg) { return {Code::kCorruption, msg}; }
  static Status NotSupported(std::string_view msg) { return {Code::kNotSupported, msg}; }
  static Status InvalidArgument(std::string_view msg) { return {Code::kInvalidArgument, msg}; }
  static Status IOError(std::string_view msg) { return {Code::kIOError, msg}; }
  static Status NoSpace(std::string_view msg) { return {Code::kNoSpace, msg}; }
  static Status Busy(std::string_view msg) { return {Code::kBusy, msg}; }
  static Status ReadOnly(std::string_view msg) { return {Code::kReadOnly, msg}; }
  // An I/O failure described by errno: ENOSPC and EDQUOT become NoSpace,
  // everything else IOError. `context` names the file and the operation.
  static Status FromErrno(std::string_view context, int err);

  [[nodiscard]] bool ok() const { return code_ == Code::kOk; }
  [[nodiscard]] bool IsNotFound() const { return code_ == Code::kNotFound; }
  [[nodiscard]] bool IsCorruption() const { return code_ == Code::kCorruption; }
  [[nodiscard]] bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  [[nodiscard]] bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  [[nodiscard]] bool IsIOError() const { return code_ == Code::kIOError; }
  [[nodiscard]] bool IsNoSpace() const { return code_ == Code::kNoSpace; }
  [[nodiscard]] bool IsBusy() const { return code_ == Code::kBusy; }
  [[nodiscard]] bool IsReadOnly() const { return code_ == Code::kReadOnly; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK", or "Corruption: <message>" and so on.
  std::string ToString() const;

  // Drops this status on purpose. A Status cannot be discarded silently
  // ([[nodiscard]]); where nothing can be done with a failure (a clean-up
  // on a path that already fails, a destructor), say so with this call and
  // a comment that says why.
  void IgnoreError() const {}

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// `bytes` (a key, say) for a message: printable ASCII as is, every other
// byte as \xNN.
std::string EscapeBytes(std::string_view bytes);

// Returns early from the enclosing function when `expr` is not OK.
#define IRON_RETURN_IF_ERROR(expr)         \
  do {                                     \
    ::iron::lsm::Status _st = (expr);      \
    if (!_st.ok()) return _st;             \
  } while (0)

}  // namespace iron::lsm

// Timestamp: a file time as the filesystem keeps it (seconds since the
// epoch and nanoseconds), and the clock it is read from.
//
// Thread safety: a value type; Now may be called from any thread.
#pragma once

#include <cstdint>

namespace iron::fs {

struct Timestamp {
  int64_t sec = 0;
  uint32_t nsec = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

Timestamp Now();

}  // namespace iron::fs

// Caller: the credentials of the process that made a request, which the
// filesystem judges every operation by (permission.h applies the rules).
//
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace iron::fs {

// The credentials of the process that made a request.
struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // supplementary groups
  uint32_t umask = 0;            // applied to the mode of new objects
  // The effective capability set (bit n: capability n), when known.
  std::optional<uint64_t> capabilities;

  // Whether the caller holds capability `cap` (CAP_*).
  bool Capable(int cap) const { return capabilities ? (*capabilities >> cap) & 1 : uid == 0; }
  bool InGroup(uint32_t g) const;
};

// Access bits, as access(2) spells them.
inline constexpr int kMayRead = 4;
inline constexpr int kMayWrite = 2;
inline constexpr int kMayExec = 1;

}  // namespace iron::fs

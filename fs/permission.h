// Who is asking, and what they may do: the POSIX permission rules as Linux
// applies them on ext4 (generic_permission, the sticky bit, the owner's
// privileges), for a caller that is not necessarily the daemon's user.
//
// Root (uid 0) holds every capability a local root holds: it reads and
// writes anything, searches any directory, and executes a file that has at
// least one execute bit.
//
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <vector>

#include "fs/inode_codec.h"

namespace iron::fs {

// The credentials of the process that made a request.
struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // supplementary groups
  uint32_t umask = 0;            // applied to the mode of new objects

  bool IsRoot() const { return uid == 0; }
  bool InGroup(uint32_t g) const;
};

// Access bits, as access(2) spells them.
inline constexpr int kMayRead = 4;
inline constexpr int kMayWrite = 2;
inline constexpr int kMayExec = 1;

// 0 if `caller` may access `inode` for every bit of `mask`, else EACCES.
int CheckAccess(const Caller& caller, const Inode& inode, int mask);

// The owner's rights (chmod, utimes to a given time, sticky removal):
// the caller owns the inode or is root.
bool IsOwnerOrRoot(const Caller& caller, const Inode& inode);

// In a sticky directory only the owner of an entry, the owner of the
// directory, or root may remove or rename the entry.
bool MayRemoveFromSticky(const Caller& caller, const Inode& dir, const Inode& child);

}  // namespace iron::fs

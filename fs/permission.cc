#include "fs/permission.h"

#include <errno.h>

#include <algorithm>

namespace iron::fs {

bool Caller::InGroup(uint32_t g) const {
  return g == gid || std::find(groups.begin(), groups.end(), g) != groups.end();
}

int CheckAccess(const Caller& caller, const Inode& inode, int mask) {
  mask &= kMayRead | kMayWrite | kMayExec;
  uint32_t bits;
  if (caller.uid == inode.uid) {
    bits = (inode.mode >> 6) & 7;
  } else if (caller.InGroup(inode.gid)) {
    bits = (inode.mode >> 3) & 7;
  } else {
    bits = inode.mode & 7;
  }
  if ((static_cast<uint32_t>(mask) & ~bits) == 0) return 0;
  // Then the capabilities, as generic_permission: everything but executing
  // a file nobody may execute; or reading, and searching directories.
  if (caller.Capable(CAP_DAC_OVERRIDE) &&
      !((mask & kMayExec) && !inode.IsDir() && (inode.mode & 0111) == 0)) {
    return 0;
  }
  const int read_search = kMayRead | (inode.IsDir() ? kMayExec : 0);
  if (caller.Capable(CAP_DAC_READ_SEARCH) && (mask & ~read_search) == 0) return 0;
  return EACCES;
}

bool IsOwnerOrRoot(const Caller& caller, const Inode& inode) {
  return caller.Capable(CAP_FOWNER) || caller.uid == inode.uid;
}

bool MayRemoveFromSticky(const Caller& caller, const Inode& dir, const Inode& child) {
  if ((dir.mode & S_ISVTX) == 0) return true;
  return caller.Capable(CAP_FOWNER) || caller.uid == child.uid || caller.uid == dir.uid;
}

}  // namespace iron::fs

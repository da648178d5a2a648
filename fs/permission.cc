#include "fs/permission.h"

#include <errno.h>

#include <algorithm>

namespace iron::fs {

bool Caller::InGroup(uint32_t g) const {
  return g == gid || std::find(groups.begin(), groups.end(), g) != groups.end();
}

int CheckAccess(const Caller& caller, const Inode& inode, int mask) {
  mask &= kMayRead | kMayWrite | kMayExec;
  if (caller.IsRoot()) {
    // CAP_DAC_OVERRIDE: everything but executing a file nobody may execute.
    if ((mask & kMayExec) && !inode.IsDir() && (inode.mode & 0111) == 0) return EACCES;
    return 0;
  }
  uint32_t bits;
  if (caller.uid == inode.uid) {
    bits = (inode.mode >> 6) & 7;
  } else if (caller.InGroup(inode.gid)) {
    bits = (inode.mode >> 3) & 7;
  } else {
    bits = inode.mode & 7;
  }
  return (static_cast<uint32_t>(mask) & ~bits) == 0 ? 0 : EACCES;
}

bool IsOwnerOrRoot(const Caller& caller, const Inode& inode) {
  return caller.IsRoot() || caller.uid == inode.uid;
}

bool MayRemoveFromSticky(const Caller& caller, const Inode& dir, const Inode& child) {
  if ((dir.mode & S_ISVTX) == 0) return true;
  return caller.IsRoot() || caller.uid == child.uid || caller.uid == dir.uid;
}

}  // namespace iron::fs

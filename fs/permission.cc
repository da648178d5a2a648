#include "permission.h"

#include <errno.h>

#include <sys/stat.h>

#include <algorithm>

#include "key_schema.h"

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

void DropCapabilities(const Inode& inode, lsm::WriteBatch* batch) {
  // Linux drops a file's capabilities on every write, truncate and chown,
  // whoever makes it (file_remove_privs, cap_inode_killpriv).
  if (inode.flags & kInodeHasXattrs) batch->Delete(XattrKey(inode.ino, "security.capability"));
}

void DropPrivileges(const Caller& c, Inode* inode, lsm::WriteBatch* batch) {
  DropCapabilities(*inode, batch);
  // What a write or truncate by an unprivileged caller does on Linux
  // (setattr_should_drop_suidgid): setuid goes; setgid goes if the file is
  // group-executable or the caller is not in its group.
  if (c.Capable(CAP_FSETID)) return;
  inode->mode &= ~S_ISUID;
  if ((inode->mode & S_IXGRP) || !c.InGroup(inode->gid)) inode->mode &= ~S_ISGID;
}

}  // namespace iron::fs

// Who is asking, and what they may do: the POSIX permission rules as Linux
// applies them on ext4 (generic_permission, the sticky bit, the owner's
// privileges), for a caller that is not necessarily the daemon's user.
//
// Privilege is judged by capability, as Linux does: CAP_DAC_OVERRIDE
// reads and writes anything, searches any directory and executes a file
// that has at least one execute bit; CAP_DAC_READ_SEARCH reads files and
// reads and searches directories; CAP_FOWNER gives an owner's rights,
// CAP_CHOWN chown, CAP_FSETID keeps setuid/setgid, CAP_MKNOD makes devices,
// CAP_SYS_ADMIN reaches trusted.* xattrs. A Caller whose capabilities are
// not known (the kernel has checked them, or nobody asked) holds them all
// if its uid is 0 and none otherwise.
//
// Thread safety: pure functions over values.
#pragma once

#include <linux/capability.h>

#include <cstdint>

#include "fs/caller.h"
#include "inode_codec.h"
#include "lsm/write_batch.h"

namespace iron::fs {

// 0 if `caller` may access `inode` for every bit of `mask`, else EACCES.
int CheckAccess(const Caller& caller, const Inode& inode, int mask);

// The owner's rights (chmod, utimes to a given time, sticky removal):
// the caller owns the inode or is root.
bool IsOwnerOrRoot(const Caller& caller, const Inode& inode);

// In a sticky directory only the owner of an entry, the owner of the
// directory, or root may remove or rename the entry.
bool MayRemoveFromSticky(const Caller& caller, const Inode& dir, const Inode& child);

// Deletes the file capabilities of `inode` in `batch`, if it may have any:
// Linux drops them on every write, truncate and chown.
void DropCapabilities(const Inode& inode, lsm::WriteBatch* batch);
// What a write, truncate or fallocate by `c` takes away (setuid, setgid,
// file capabilities), into `inode` and `batch`.
void DropPrivileges(const Caller& c, Inode* inode, lsm::WriteBatch* batch);

}  // namespace iron::fs

// Privileges: the daemon keeps of root's powers only what it still needs.
//
// A daemon started by root serves requests from every user of the mount
// and reads a data directory that may have been crafted; if either ever
// made it misbehave, it should hold as little as possible. What it needs:
// CAP_SYS_ADMIN to mount and, at the end, to unmount, and nothing else
// when the data directory and the mount point are root's own (uid 0 is
// their owner: no capability is needed to use them). When either belongs
// to someone else, it keeps CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH too.
//
// DropPrivileges, called before any thread exists (capabilities belong to
// threads, and new threads copy their creator's), removes every other
// capability from all sets and from the bounding set, clears the ambient
// set and sets no_new_privs, so no exec can give any back; CAP_SYS_ADMIN
// stays permitted but not effective. Around the mount and the unmount,
// ScopedSysAdmin makes it effective in the calling thread alone.
//
// A daemon started by another user holds no capabilities (libfuse mounts
// through the setuid fusermount3, which no_new_privs would disarm): there
// is nothing to drop and these do nothing.
#pragma once

#include <string>

namespace iron::mount {

// Empty on success (or when not root), else what failed.
std::string DropPrivileges(const std::string& data_dir, const std::string& mountpoint);

class ScopedSysAdmin {
 public:
  ScopedSysAdmin();
  ~ScopedSysAdmin();
  ScopedSysAdmin(const ScopedSysAdmin&) = delete;
  ScopedSysAdmin& operator=(const ScopedSysAdmin&) = delete;

 private:
  bool raised_ = false;
};

}  // namespace iron::mount

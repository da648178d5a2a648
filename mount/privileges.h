// Privileges: the daemon keeps of root's powers only what it still needs.
//
// A daemon started by root serves requests from every user of the mount
// and reads a data directory that may have been crafted; if either ever
// made it misbehave, it should hold as little as possible. What it needs:
// CAP_SYS_ADMIN to mount, and nothing else once mounted when the data
// directory and the mount point are root's own (uid 0 is their owner: no
// capability is needed to use them). When the mount point belongs to
// someone else, or the data directory does (which needs
// -o allow_foreign_data_dir, see data_dir.h), it keeps CAP_DAC_OVERRIDE
// and CAP_DAC_READ_SEARCH too.
//
// DropPrivileges, called before any thread exists (capabilities belong to
// threads, and new threads copy their creator's), removes every other
// capability from all sets and from the bounding set, clears the ambient
// set and sets no_new_privs, so no exec can give any back; CAP_SYS_ADMIN
// (and CAP_SETPCAP, to empty the bounding set later) stay permitted but
// not effective. ScopedSysAdmin makes CAP_SYS_ADMIN effective in the
// calling thread alone, around the mount.
//
// Once mounted, Unmounter::Start forks an unmounter process that keeps
// CAP_SYS_ADMIN and does one thing: unmount the mount point (lazily, not
// following a symbolic link) when the daemon asks it, at SIGTERM or
// SIGINT; it holds no other descriptor and exits without unmounting when
// the daemon goes (kill -9 leaves the mount to fusermount3 -u, as
// before). Then DropMountPrivileges takes CAP_SYS_ADMIN and CAP_SETPCAP
// out of every set of every thread of the daemon, bounding set included:
// the process that serves requests has no capability it could raise.
//
// A daemon started by another user holds no capabilities (libfuse mounts
// through the setuid fusermount3, which no_new_privs would disarm): there
// is nothing to drop and these do nothing.
#pragma once

#include <string>

#include "lsm/status.h"

namespace iron::mount {

// OK (also when not root), or what failed.
lsm::Status DropPrivileges(const std::string& data_dir, const std::string& mountpoint);

// After the mount, in the main thread, with the Unmounter started:
// every thread of the process keeps only CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH if it had them, nothing else, in any set. OK (also
// when not root), or what failed.
lsm::Status DropMountPrivileges();

// The process that unmounts for a daemon that no longer may.
class Unmounter {
 public:
  Unmounter() = default;
  ~Unmounter();  // the unmounter exits, leaving the mount as it is
  Unmounter(const Unmounter&) = delete;
  Unmounter& operator=(const Unmounter&) = delete;

  // Forks the unmounter (root with CAP_SYS_ADMIN permitted only; otherwise
  // does nothing). OK, or what failed.
  lsm::Status Start(const std::string& mountpoint);
  bool started() const { return pid_ > 0; }
  // Has the unmounter unmount (MNT_DETACH) and waits for it; true if it did.
  bool Unmount();

 private:
  int pipe_ = -1;
  int pid_ = -1;
};

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

// InitFlags: the FUSE_INIT flags IronFS handles that libfuse 3.14 cannot
// ask the kernel for.
//
// FUSE_HANDLE_KILLPRIV_V2 says the filesystem itself drops setuid, setgid
// and file capabilities on write, truncate and chown. Without it the
// kernel asks for the file's security.capability xattr (a GETXATTR round
// trip) before every write(2): a third of the round trips of a database's
// write+fsync. With it the kernel marks a file that has neither setuid,
// setgid nor capabilities (S_NOSEC) after its first write and asks no
// more. The filesystem already drops setuid and setgid itself on every
// write, truncate and chown (Filesystem::DropPrivileges), and drops file
// capabilities there too, so this only tells the kernel so.
//
// libfuse writes the INIT reply itself and knows no such flag before
// 3.17.1 (FUSE_CAP_HANDLE_KILLPRIV_V2). Against an older one ProcessInit
// lets libfuse process the INIT request with its /dev/fuse descriptor
// pointed at a pipe for that one call, adds the flags the kernel offered
// to the reply, and sends the reply to the kernel. The INIT request is the
// first of a session: no other thread reads or writes the descriptor then.
//
// The patch retires itself: built against libfuse 3.17.1 or later (CMake
// then defines IRON_LIBFUSE_HAS_KILLPRIV_V2), ProcessInit leaves the reply
// as libfuse writes it and WantKillprivV2, called from an init handler,
// asks libfuse for the capability. Once Debian ships such a libfuse, the
// patch and this file can go.
//
// Thread safety: call from the thread that read the request, before any
// other request is read.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

namespace iron::mount {

// True if `buffer` holds a FUSE_INIT request.
bool IsInitRequest(const fuse_buf& buffer);

// Processes the FUSE_INIT request in `buffer` through libfuse and sends
// its reply with FUSE_HANDLE_KILLPRIV_V2 added when the kernel offers it.
// Returns 0, or -errno if the reply could not be sent (the session is
// then useless: the kernel waits for that reply).
int ProcessInit(fuse_session* session, const fuse_buf& buffer);

// From an init handler: asks libfuse for FUSE_HANDLE_KILLPRIV_V2 where it
// knows the flag (3.17.1 on); before, ProcessInit adds it and this does
// nothing.
inline void WantKillprivV2(fuse_conn_info* conn) {
#ifdef IRON_LIBFUSE_HAS_KILLPRIV_V2
  if (fuse_get_feature_flag(conn, FUSE_CAP_HANDLE_KILLPRIV_V2)) {
    fuse_set_feature_flag(conn, FUSE_CAP_HANDLE_KILLPRIV_V2);
  }
#else
  (void)conn;
#endif
}

}  // namespace iron::mount

#include "mount/init_flags.h"

#include <errno.h>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/fuse.h>

#include <cstddef>
#include <cstring>

#include "mount/log.h"

namespace iron::mount {
namespace {

#ifdef IRON_LIBFUSE_HAS_KILLPRIV_V2
constexpr uint32_t kAddedFlags = 0;  // libfuse negotiates it (WantKillprivV2)
#else
constexpr uint32_t kAddedFlags = FUSE_HANDLE_KILLPRIV_V2;
#endif

// Runs libfuse on the request with the session's descriptor pointed at a
// pipe; returns the reply it wrote there, or -errno (the descriptor is
// then what it was, and libfuse may or may not have answered).
ssize_t ReplyOfLibfuse(fuse_session* session, const fuse_buf& buffer, char* reply, size_t size) {
  int fd = fuse_session_fd(session);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -errno;
  int saved = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (saved < 0 || ::dup3(pipe_fds[1], fd, O_CLOEXEC) < 0) {
    int err = errno;
    if (saved >= 0) ::close(saved);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return -err;
  }
  fuse_session_process_buf(session, &buffer);
  int restored = ::dup3(saved, fd, O_CLOEXEC);
  int err = errno;
  ::close(saved);
  ::close(pipe_fds[1]);
  if (restored < 0) {
    ::close(pipe_fds[0]);
    return -err;
  }
  ssize_t n;
  do {
    n = ::read(pipe_fds[0], reply, size);  // one writev of a few dozen bytes: one read
  } while (n < 0 && errno == EINTR);
  err = errno;
  ::close(pipe_fds[0]);
  return n < 0 ? -err : n;
}

}  // namespace

bool IsInitRequest(const fuse_buf& buffer) {
  if ((buffer.flags & FUSE_BUF_IS_FD) || buffer.size < sizeof(fuse_in_header)) return false;
  return static_cast<const fuse_in_header*>(buffer.mem)->opcode == FUSE_INIT;
}

int ProcessInit(fuse_session* session, const fuse_buf& buffer) {
  constexpr size_t kInFlags = sizeof(fuse_in_header) + offsetof(fuse_init_in, flags);
  constexpr size_t kOutFlags = sizeof(fuse_out_header) + offsetof(fuse_init_out, flags);
  uint32_t offered = 0;
  if (buffer.size >= kInFlags + sizeof(uint32_t)) {
    std::memcpy(&offered, static_cast<const char*>(buffer.mem) + kInFlags, sizeof(offered));
    offered &= kAddedFlags;
  }
  if (offered == 0) {
    fuse_session_process_buf(session, &buffer);
    return 0;
  }

  char reply[sizeof(fuse_out_header) + sizeof(fuse_init_out) + 64];
  ssize_t n = ReplyOfLibfuse(session, buffer, reply, sizeof(reply));
  if (n < 0) {
    Log(LOG_ERR, "cannot answer the kernel's FUSE_INIT: %s", std::strerror(static_cast<int>(-n)));
    return static_cast<int>(n);
  }
  if (static_cast<size_t>(n) >= kOutFlags + sizeof(uint32_t)) {
    fuse_out_header header;
    std::memcpy(&header, reply, sizeof(header));
    if (header.error == 0 && header.len == static_cast<uint32_t>(n)) {
      uint32_t flags;
      std::memcpy(&flags, reply + kOutFlags, sizeof(flags));
      flags |= offered;
      std::memcpy(reply + kOutFlags, &flags, sizeof(flags));
    }  // else a refusal (an unknown protocol version, say): sent as libfuse wrote it
  }
  int fd = fuse_session_fd(session);
  ssize_t w;
  do {
    w = ::write(fd, reply, static_cast<size_t>(n));
  } while (w < 0 && errno == EINTR);
  if (w != n) {
    int err = w < 0 ? errno : EIO;
    Log(LOG_ERR, "cannot answer the kernel's FUSE_INIT: %s", std::strerror(err));
    return -err;
  }
  return 0;
}

}  // namespace iron::mount

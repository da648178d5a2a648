// Requests to a mounted ironfs that are not file operations, made with
// ioctl(2) on any directory of the mount. `ironfs compact MOUNTPOINT`
// sends them; the daemon answers EPERM to callers other than root and
// ENOTTY to requests it does not know.
#pragma once

#include <sys/ioctl.h>

namespace iron::mount {

// Compact the whole engine and return when it is done (Filesystem::Compact).
constexpr unsigned int kCompactRequest = _IO('I', 0x01);

}  // namespace iron::mount

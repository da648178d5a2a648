// The FUSE adapter: libfuse3's low-level operations, each translated into
// one call of iron::fs::Filesystem and its reply. No filesystem logic lives
// here; see libfuse's example/memfs_ll.cc for the shape.
//
// The kernel's caches are used where they are correct, which is everywhere,
// since every change to the filesystem comes through this mount: the
// writeback cache (optional), readdirplus, entry and attribute timeouts,
// and page cache kept across opens (keep_cache).
//
// Thread safety: libfuse calls the handlers from many threads at once; the
// Filesystem is safe for that.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "fs/filesystem.h"
#include "mount/options.h"

namespace iron::mount {

// What every handler reaches through fuse_req_userdata.
struct Mounted {
  fs::Filesystem* fs;
  const MountConfig* config;
};

// The operation table to give fuse_session_new, with a Mounted* as userdata.
fuse_lowlevel_ops FuseOperations(const MountConfig& config);

}  // namespace iron::mount

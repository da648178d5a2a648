// Mountinfo: the mounts this process sees, from /proc/self/mountinfo.
//
// Fields are decoded (the kernel writes a space as \040, a tab as \011,
// and so on). Reading is cheap enough to repeat while polling.
#pragma once

#include <string>
#include <vector>

namespace iron::mount {

struct MountEntry {
  std::string point;   // where it is mounted
  std::string fstype;  // "fuse.ironfs", "ext4", ...
  std::string source;  // what is mounted: for an ironfs, its fsname (DATA_DIR by default)
};

// Empty if /proc/self/mountinfo cannot be read.
std::vector<MountEntry> ReadMountinfo();

}  // namespace iron::mount

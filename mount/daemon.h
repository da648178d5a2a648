// Running the mount: the checks before it, the fork into the background
// (the parent waits to hear whether the mount worked, so that its exit
// status tells the truth), the FUSE session and a clean stop on unmount,
// SIGTERM or SIGINT.
#pragma once

#include "mount/options.h"

namespace iron::mount {

// Mounts and serves until unmounted; returns the process's exit status.
int RunMount(const MountConfig& config);

}  // namespace iron::mount

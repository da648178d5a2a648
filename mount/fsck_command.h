// `ironfs fsck DATA_DIR [--repair]`: checks an unmounted filesystem and,
// with --repair, salvages a damaged one.
//
// The check changes nothing in DATA_DIR (the engine is opened read-only,
// WAL damage is skipped over and reported rather than refused). It reports
// every piece of damage it can find: a WAL damaged before its end, a
// damaged, truncated or missing table, an unreadable manifest or CURRENT,
// and every broken invariant of the filesystem (fs/checker.h).
//
// --repair, in the manner of e2fsck -y: first copies every damaged file
// (and CURRENT and the live manifest) into DATA_DIR/damaged-<time>/, then
// salvages the engine's tables and manifest (lsm/repair.h), replays every
// readable WAL record, makes the tree consistent (fs/repair.h: dangling
// entries removed, unreachable inodes into /lost+found, link counts
// recomputed), says what was lost, and checks again.
//
// Exit status: 0 clean; 1 damage or problems found (with --repair: found
// and repaired, the filesystem is now clean); 2 could not look at all (no
// such directory, not an IronFS data directory, LOCK held by a mount);
// 4 --repair left problems it could not fix.
#pragma once

#include "mount/options.h"

namespace iron::mount {

int RunFsck(const MountConfig& config, bool repair);

}  // namespace iron::mount

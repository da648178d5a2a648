// The data directory: where a filesystem's engine files live. Opening one
// checks it is ours (or empty, and then formats it), takes its LOCK, opens
// the engine and mounts the filesystem on it, and says in plain words what
// is wrong when any of that fails.
#pragma once

#include <memory>
#include <string>

#include "fs/filesystem.h"
#include "fs/lsm_store.h"
#include "lsm/db.h"
#include "lsm/status.h"
#include "mount/options.h"

namespace iron::mount {

struct OpenedFilesystem {
  std::unique_ptr<lsm::DB> db;
  std::unique_ptr<fs::LsmStore> store;  // db, as fs sees it
  std::unique_ptr<fs::Filesystem> fs;
};

// Opens the filesystem of config.data_dir, creating (mode 0700) and
// formatting a missing or empty one unless config.read_only. With
// config.read_only nothing in the directory is written at all (the engine's
// LOG neither: problems go to the daemon's log), and it may be on
// read-only storage. Run as root, it first refuses (unless
// config.allow_foreign_data_dir) a data directory that is not root's
// alone: owned by another user or writable by group or others, be it the
// directory, a file in it, or a directory above it (sticky ones excepted),
// as sshd's StrictModes does. A LOCK held by a process that serves no
// mount of the directory (a daemon finishing its unmount) is waited for,
// up to 30 s, with a message saying so. A failure's message() names the
// problem and what to do, for a person; IsBusy() when another process
// holds the LOCK.
lsm::Status OpenDataDir(const MountConfig& config, OpenedFilesystem* out);

// How OpenEngine opens a data directory.
struct EngineAccess {
  // fsck and stats: writes nothing in the directory (see lsm::Options).
  bool read_only = true;
  // kSkipDamage: fsck's report and its repair (lsm::DB::RecoveryDamage()
  // lists what was skipped).
  lsm::WalRecovery wal_recovery = lsm::WalRecovery::kRefuseDamage;
};

// Opens only the engine of an existing data directory (fsck, stats,
// compact). The engine's problems go to stderr. A failure as OpenDataDir's.
lsm::Status OpenEngine(const std::string& data_dir, const EngineAccess& access,
                       std::unique_ptr<lsm::DB>* db);

}  // namespace iron::mount

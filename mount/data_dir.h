// The data directory: where a filesystem's engine files live. Opening one
// checks it is ours (or empty, and then formats it), takes its LOCK, opens
// the engine and mounts the filesystem on it, and says in plain words what
// is wrong when any of that fails.
#pragma once

#include <memory>
#include <string>

#include "fs/filesystem.h"
#include "lsm/db.h"
#include "mount/options.h"

namespace iron::mount {

struct OpenedFilesystem {
  std::unique_ptr<lsm::DB> db;
  std::unique_ptr<fs::Filesystem> fs;
};

// Opens the filesystem of config.data_dir, creating (mode 0700) and
// formatting a missing or empty one unless config.read_only. With
// config.read_only nothing in the directory is written at all (the engine's
// LOG neither: problems go to the daemon's log), and it may be on
// read-only storage. On failure returns false with `error` naming the
// problem and what to do.
bool OpenDataDir(const MountConfig& config, OpenedFilesystem* out, std::string* error);

// How OpenEngine opens a data directory.
struct EngineAccess {
  // fsck and stats: writes nothing in the directory (see lsm::Options).
  bool read_only = true;
  // kSkipDamage: fsck's report and its repair (lsm::DB::RecoveryDamage()
  // lists what was skipped).
  lsm::WalRecovery wal_recovery = lsm::WalRecovery::kRefuseDamage;
};

// Opens only the engine of an existing data directory (fsck, stats,
// compact). The engine's problems go to stderr.
bool OpenEngine(const std::string& data_dir, const EngineAccess& access,
                std::unique_ptr<lsm::DB>* db, std::string* error);

}  // namespace iron::mount

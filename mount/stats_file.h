// The figures of a mounted filesystem, written by the daemon to
// DATA_DIR/ironfs.stats (every few seconds and at unmount) so that
// `ironfs stats DATA_DIR` can show them while the engine's LOCK is held.
#pragma once

#include <string>

#include "fs/filesystem.h"
#include "lsm/db.h"
#include "lsm/status.h"

namespace iron::mount {

inline constexpr const char* kStatsFileName = "ironfs.stats";

// The report `ironfs stats` prints.
std::string StatsReport(lsm::DB* db, fs::Filesystem* fs);

// Replaces DATA_DIR/ironfs.stats with `report` (write, then rename). Not
// synced: the figures are for a person, and a crash makes new ones.
lsm::Status WriteStatsFile(const std::string& data_dir, const std::string& report);

}  // namespace iron::mount

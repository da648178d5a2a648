// RepairDB: salvages the tables and manifest of a damaged database
// directory, keeping every table block it can read.
//
// Like LevelDB's RepairDB, but it keeps the manifest's levels when the
// manifest can be read:
//   - a table the manifest names that is missing loses its key range
//     (known from the manifest);
//   - a table that fails to open (damaged footer or index, truncated) or
//     has damaged data blocks is rewritten from what SalvageTable
//     (table_salvage.h) can read, at the same level, under a new number;
//     the old file is no longer live and is deleted at the next Open;
//   - when CURRENT or the manifest cannot be read, every table in the
//     directory is salvaged onto level 0 (sequence numbers order them) and
//     every WAL is replayed at the next Open; a table an earlier
//     compaction had made obsolete but not yet deleted then comes back
//     with old values that newer entries shadow, but deletions that
//     compaction had already dropped can reappear: that is reported.
// A fresh manifest holding the result is written last, so an interrupted
// repair leaves the directory as it was (apart from new table files that
// nothing names). WALs are not changed here, only read: one holding
// damage (not a torn tail) is reported, and the next DB::Open with
// Options::wal_recovery = kSkipDamage salvages it.
//
// With dry_run nothing is written and no LOCK is taken: the report says
// what a repair would do.
//
// Thread safety: call with no DB open on the directory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lsm/options.h"
#include "lsm/status.h"

namespace iron::lsm {

// User keys that may have been lost: some versions of keys in [first,
// last]. A missing bound is unknown (the range runs from the table's
// first key, or to its last).
struct LostRange {
  std::string file;                  // the table (or WAL) the keys were in
  std::string what;                  // why: "block at offset 4096: checksum mismatch"
  std::optional<std::string> first;
  std::optional<std::string> last;
};

struct RepairReport {
  // Files holding damage, named relative to the directory: the ones to
  // copy aside before repairing.
  std::vector<std::string> damaged_files;
  // CURRENT and the live manifest, when readable: a repair (and the open
  // after it) replaces them, so they go aside with the damaged files.
  std::vector<std::string> replaced_files;
  // What was (or would be) done, one line each.
  std::vector<std::string> actions;
  // Keys that could not be read.
  std::vector<LostRange> lost;
  bool manifest_rebuilt = false;  // CURRENT or the manifest was unreadable
};

Status RepairDB(const Options& options, const std::string& dir, bool dry_run,
                RepairReport* report);

// The WAL part of a dry run alone: which WALs hold damage and the keys
// their damaged records held (damaged_files, lost), without reading a
// table. For a check that has read the tables already.
Status FindWalDamage(const Options& options, const std::string& dir, RepairReport* report);

}  // namespace iron::lsm

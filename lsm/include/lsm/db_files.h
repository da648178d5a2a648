// What a program beside the engine may know of a database directory's
// files without opening it: where the engine's diagnostics go, whether a
// directory holds a database at all, and the lock an open DB holds.
// (The full list of names is the engine's own: filename.h.)
//
// Thread safety: plain functions.
#pragma once

#include <memory>
#include <string>

#include "lsm/env.h"
#include "lsm/status.h"

namespace iron::lsm {

// The human-readable log (LOG) a DB in `dir` writes through
// Options::info_log when that is a file logger of this name.
std::string InfoLogFileName(const std::string& dir);

// Takes the lock an open DB holds on `dir`: IsBusy() if a DB (in this or
// another process) has it open. Released when *lock is destroyed.
Status LockDB(Env* env, const std::string& dir, std::unique_ptr<FileLock>* lock);

// Sets *found to whether `dir` holds a file of a database (a log, table,
// manifest or CURRENT; LOCK and LOG alone do not count). An error if the
// directory cannot be read.
Status FindDB(const std::string& dir, bool* found);

}  // namespace iron::lsm

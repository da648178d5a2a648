// EngineLog: where the daemon's engine writes its log.
//
// Every line goes to the data directory's LOG file (unless the data
// directory is opened read-only: then nothing is written in it), as the
// engine's own logger would write it; lines that report a problem (they start with
// "ERROR" or "WARNING": the database went read-only, a read met damaged
// data, a flush or compaction failed) also go to the daemon's log
// (stderr or syslog), naming the data directory, so that whoever watches
// the daemon sees them.
//
// Thread safety: Log may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "lsm/env.h"

namespace iron::mount {

// The logger for the engine of `data_dir`; nullptr if its LOG file cannot
// be opened (the engine then opens its own). With read_only, a logger that
// only passes problems on to the daemon's log (stderr before the daemon
// detaches, so fsck and stats print them).
std::shared_ptr<lsm::Logger> NewEngineLog(const std::string& data_dir, bool read_only = false);

}  // namespace iron::mount

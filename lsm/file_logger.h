// FileLogger: the Logger of the POSIX Env (Env::NewLogger): timestamped
// lines appended to a file, one write each.
//
// Bounded, so that no burst of errors can fill the disk of a data
// directory: lines pass through a LogLimiter (a text at most 5 times a
// second, 100 lines a second in all, with summaries of what was held
// back), and once the file reaches `max_bytes` it is renamed to PATH.old
// (replacing the previous one) and a fresh file started: at most twice
// `max_bytes` on disk. The file is opened with O_NOFOLLOW, as every file
// of a database is.
//
// Thread safety: Log may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lsm/env.h"

namespace iron::lsm {

struct FileLoggerOptions {
  uint64_t max_bytes = 4 << 20;
  int per_text = 5;  // see LogLimiter
  int total = 100;
};

Status NewFileLogger(const std::string& path, const FileLoggerOptions& options,
                     std::unique_ptr<Logger>* result);

}  // namespace iron::lsm

// The names of a DB directory's files.
//
//   NNNNNN.log       write-ahead log of one MemTable
//   NNNNNN.sst       a table
//   MANIFEST-NNNNNN  the manifest log (version edits)
//   CURRENT          names the live manifest; replaced by rename
//   LOCK             held with flock while the DB is open
//   LOG              human-readable diagnostics
//   NNNNNN.tmp       a file being written that is not yet live
// All NNNNNN come from one counter (the manifest's next file number).
#pragma once

#include <cstdint>
#include <string>

#include "lsm/db_files.h"

namespace iron::lsm {

enum class FileType { kLog, kTable, kManifest, kCurrent, kLock, kInfoLog, kTemp };

std::string LogFileName(const std::string& dir, uint64_t number);
std::string TableFileName(const std::string& dir, uint64_t number);
std::string ManifestFileName(const std::string& dir, uint64_t number);
std::string CurrentFileName(const std::string& dir);
std::string LockFileName(const std::string& dir);
std::string TempFileName(const std::string& dir, uint64_t number);

// Recognizes a name produced above; false for anything else.
bool ParseFileName(const std::string& name, uint64_t* number, FileType* type);

}  // namespace iron::lsm

// VersionEdit: one atomic change to the set of live tables, as recorded in
// the manifest.
//
// A Version is the set of tables per level at one moment; the manifest is a
// log of VersionEdits (see FORMAT.md), each applied atomically: a crash
// leaves either the whole edit or none of it.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "internal_key.h"
#include "lsm/status.h"

namespace iron::lsm {

struct FileMetaData {
  uint64_t number = 0;
  uint64_t file_size = 0;
  std::string smallest;  // internal key; range tombstones included
  std::string largest;   // internal key; a tombstone's end appears as (end, kMax, RangeDel)
  uint64_t num_entries = 0;
  SequenceNumber largest_sequence = 0;
  // Point deletions and range tombstones in the table: what may hide data
  // deeper down (deletion-triggered compaction, version_set.h). 0 for a
  // table recorded before the count was kept.
  uint64_t num_deletions = 0;
};

class VersionEdit {
 public:
  void SetLogNumber(uint64_t n) { log_number_ = n; }
  void SetNextFileNumber(uint64_t n) { next_file_number_ = n; }
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }
  void AddFile(int level, FileMetaData f) { new_files_.emplace_back(level, std::move(f)); }
  void RemoveFile(int level, uint64_t number) { deleted_files_.emplace_back(level, number); }

  const std::optional<uint64_t>& log_number() const { return log_number_; }
  const std::optional<uint64_t>& next_file_number() const { return next_file_number_; }
  const std::optional<SequenceNumber>& last_sequence() const { return last_sequence_; }
  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }
  const std::vector<std::pair<int, uint64_t>>& deleted_files() const { return deleted_files_; }

  void EncodeTo(std::string* dst) const;
  // Corruption (naming the bad field) if `src` is not a valid edit.
  Status DecodeFrom(std::string_view src);

  std::string DebugString() const;

 private:
  std::optional<uint64_t> log_number_;
  std::optional<uint64_t> next_file_number_;
  std::optional<SequenceNumber> last_sequence_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
  std::vector<std::pair<int, uint64_t>> deleted_files_;
};

}  // namespace iron::lsm

// TableOutput: writes a sorted stream of entries (a flushed MemTable or a
// compaction's merge) into one or more tables of at most target_file_size,
// together with the range tombstones that belong to them. A table is also
// cut where the user key's partition changes (Options::table_partition_prefix).
//
// Tables are cut only between two user keys, so every version of a key
// lands in one table. Each table receives the pieces of the tombstones that
// fall in its part of the key space, [previous cut, next cut), and its key
// range is widened to hold them: a piece ending at user key E is recorded
// as the largest key (E, kMaxSequenceNumber, kRangeDeletion), which sorts
// before every real entry of E, so the tables of a level stay disjoint.
//
// Thread safety: one thread. new_file_number is called to name each table
// and must make that number safe from obsolete-file deletion.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lsm/env.h"
#include "lsm/options.h"
#include "lsm/status.h"
#include "range_tombstone.h"
#include "table_builder.h"
#include "version_edit.h"

namespace iron::lsm {

class TableOutput {
 public:
  TableOutput(const Options& options, Env* env, std::string dir, uint64_t target_file_size,
              std::function<uint64_t()> new_file_number, std::vector<RangeTombstone> tombstones);
  ~TableOutput();
  TableOutput(const TableOutput&) = delete;
  TableOutput& operator=(const TableOutput&) = delete;

  // REQUIRES: internal keys strictly increasing.
  Status Add(std::string_view ikey, std::string_view value);
  // Writes the remaining tombstones, finishes and syncs every table.
  Status Finish();
  // Deletes every table written so far (after a failure).
  void Abandon();

  const std::vector<FileMetaData>& files() const { return files_; }
  uint64_t bytes_written() const;

 private:
  Status OpenTable();
  // Whether `user_key` leaves the open table's partition.
  bool NewPartition(std::string_view user_key) const;
  // Finishes the open table; its tombstone share is [lower_, cut) where
  // cut is nullptr for "everything that is left".
  Status CloseTable(const std::string* cut);

  const Options options_;
  Env* const env_;
  const std::string dir_;
  const uint64_t target_file_size_;
  const std::function<uint64_t()> new_file_number_;
  const std::vector<RangeTombstone> tombstones_;  // sorted by begin

  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<TableBuilder> builder_;
  FileMetaData current_;
  bool has_lower_ = false;
  std::string lower_;  // user key where the open table's share begins
  std::string last_user_key_;
  std::vector<FileMetaData> files_;
};

}  // namespace iron::lsm

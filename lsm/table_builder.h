// TableBuilder: writes one SSTable (format in table_format.h and FORMAT.md)
// from entries given in strictly increasing internal-key order, plus range
// tombstones in any order.
//
// Data blocks are cut when they reach Options::block_size. The index block
// maps the last internal key of each data block to its handle. The bloom
// filter covers the user keys of point entries. Bytes go to the file only
// through Append; the caller syncs and closes it.
//
// Thread safety: one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "block_builder.h"
#include "bloom.h"
#include "lsm/env.h"
#include "lsm/options.h"
#include "range_tombstone.h"
#include "table_format.h"

namespace iron::lsm {

class TableBuilder {
 public:
  TableBuilder(const Options& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // REQUIRES: internal_key greater than every key added before.
  void Add(std::string_view internal_key, std::string_view value);
  void AddRangeTombstone(const RangeTombstone& t);
  // Writes the filter, range-del and index blocks and the footer.
  Status Finish();
  // Gives up; the caller removes the file.
  void Abandon() { closed_ = true; }

  uint64_t NumEntries() const { return num_entries_; }
  // Bytes handed to the file so far (the final size after Finish).
  uint64_t FileSize() const { return offset_; }
  Status status() const { return status_; }

 private:
  void FlushDataBlock();
  BlockHandle WriteBlock(std::string_view contents);

  const Options options_;
  WritableFile* const file_;
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  BloomFilterBuilder filter_;
  std::vector<RangeTombstone> tombstones_;
  std::string last_user_key_;
  bool has_last_user_key_ = false;
  std::string scratch_;
  uint64_t offset_ = 0;
  uint64_t num_entries_ = 0;
  bool closed_ = false;
  Status status_;
};

}  // namespace iron::lsm

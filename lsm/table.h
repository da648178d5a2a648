// Table: an open, immutable SSTable, mapped into memory.
//
// Open verifies the footer, the index, the filter and the range-deletion
// block, and keeps them parsed; data blocks are read from the mapping on
// demand and their checksums verified on every read. A damaged block fails
// the read that touches it with a Corruption naming the file and offset.
//
// A page of the mapping lost while the table is open (the file shrank
// under the engine, or the disk failed to read it) marks the whole table
// damaged (MappedFile::damaged): every read of it from then on, and any
// read that was under way when the page went, fails with a Corruption
// naming the file, and the process goes on serving the other tables.
//
// Thread safety: immutable after Open; any number of threads may Get and
// iterate at once. Iterators keep the table alive (shared ownership).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "internal_key.h"
#include "lsm/env.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "range_tombstone.h"
#include "table_format.h"

namespace iron::lsm {

struct TableGetResult {
  bool found = false;  // an entry for the lookup's user key, visible at its sequence
  ValueType type = ValueType::kValue;
  SequenceNumber sequence = 0;
  std::string value;
  bool filter_checked = false;   // the bloom filter was consulted
  bool filter_excluded = false;  // ... and it said "absent": no data block was read
};

class Table : public std::enable_shared_from_this<Table> {
 public:
  static Status Open(const Options& options, std::string file_name,
                     std::unique_ptr<MappedFile> file, std::shared_ptr<Table>* table);

  // The first point entry at or after lookup_ikey (user key + the read's
  // sequence, kValueTypeForSeek) if it has the same user key.
  Status Get(std::string_view lookup_ikey, TableGetResult* result) const;
  // The same, given BloomHash of the lookup's user key.
  Status Get(std::string_view lookup_ikey, uint64_t user_key_hash, TableGetResult* result) const;

  // Point entries (not range tombstones) in internal-key order.
  std::unique_ptr<Iterator> NewIterator() const;
  // The same, stepping over data blocks that cannot be read and appending
  // each to *skipped (see ReadOptions::skip_damaged_blocks);
  // smallest_user_key is the table's, the lower end of its first block.
  std::unique_ptr<Iterator> NewIterator(std::vector<DamagedBlock>* skipped,
                                        std::string_view smallest_user_key) const;

  // Reads every data block, checking its checksum and its entries, and
  // adds one line per damaged block to `problems` (file, offset, and the
  // last key the index gives it). Not OK only if the index is unreadable.
  Status VerifyBlocks(std::vector<std::string>* problems) const;

  // nullptr when the table holds no range tombstones.
  const RangeTombstonesPtr& range_tombstones() const { return range_tombstones_; }

  uint64_t file_size() const { return file_->size(); }
  const std::string& file_name() const { return file_name_; }
  // Releases the pages of the data blocks from this process (see
  // MappedFile); the filter and index, read by every lookup, stay.
  void DropResident() const { file_->DropResident(0, data_end_); }

  // Reads and verifies the data block at `handle`.
  Status ReadDataBlock(const BlockHandle& handle, std::string_view* contents) const {
    Status s = ReadBlock(file_->data(), file_->size(), handle, file_name_, contents);
    return damaged() ? DamagedError() : s;
  }
  // True once a page of the file was lost; what was read from it since may
  // be zeros, and must be thrown away.
  bool damaged() const { return file_->damaged(); }
  Status DamagedError() const;
  std::string_view index_contents() const { return index_; }

 private:
  Table(std::string file_name, std::unique_ptr<MappedFile> file)
      : file_name_(std::move(file_name)), file_(std::move(file)) {}

  Status GetFromMapping(std::string_view lookup_ikey, uint64_t user_key_hash,
                        TableGetResult* result) const;

  const std::string file_name_;
  const std::unique_ptr<MappedFile> file_;
  std::string_view index_;
  std::string_view filter_;
  uint64_t data_end_ = 0;  // the data blocks are [0, data_end_)
  RangeTombstonesPtr range_tombstones_;
};

}  // namespace iron::lsm

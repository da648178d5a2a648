// Table: an open, immutable SSTable.
//
// Open verifies the footer, the index, the filter and the range-deletion
// block, and keeps them parsed. Data blocks are read on demand, each read
// verifying the block's checksum; a damaged block fails the read that
// touches it with a Corruption naming the file and offset.
//
// Two ways to reach the file (Options::mmap_reads):
//
// - pread (the default): Open reads the index and the filter into memory
//   the table owns and holds for its life (every lookup needs them). Data
//   blocks are read with one pread each into the DB's BlockCache and
//   served from there while they stay. A file that shrinks under the
//   engine gives short reads: the blocks it lost fail with a Corruption
//   naming the file and offset; the blocks it kept, and those already in
//   the cache, still serve. An I/O error fails that read with an IOError.
//
// - mmap: the whole file is mapped, and blocks are read in place. A page of
//   the mapping lost while the table is open (the file shrank, or the disk
//   failed to read it) marks the whole table damaged (MappedFile::damaged):
//   every read of it from then on, and any read that was under way when
//   the page went, fails with a Corruption naming the file, and the process
//   goes on serving the other tables.
//
// Thread safety: immutable after Open; any number of threads may Get and
// iterate at once. Iterators keep the table alive (shared ownership), and
// the block they stand on pinned.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "block_cache.h"
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

// A data block's verified contents. `pin` keeps them in memory while the
// holder reads them; it is null when they lie in the table's mapping.
struct DataBlock {
  std::string_view contents;
  BlockCache::Block pin;
};

class Table : public std::enable_shared_from_this<Table> {
 public:
  // Drops the table's blocks from the cache.
  ~Table();

  // Over a mapping of the whole file.
  static Status Open(const Options& options, std::string file_name,
                     std::unique_ptr<MappedFile> file, std::shared_ptr<Table>* table);
  // Over a file `file_size` bytes long read with pread, its data blocks
  // going through `cache` (which must not be null; a cache of capacity 0
  // keeps nothing).
  static Status Open(const Options& options, std::string file_name,
                     std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                     std::shared_ptr<BlockCache> cache, std::shared_ptr<Table>* table);

  // The first point entry at or after lookup_ikey (user key + the read's
  // sequence, kValueTypeForSeek) if it has the same user key.
  Status Get(std::string_view lookup_ikey, TableGetResult* result) const;
  // The same, given BloomHash of the lookup's user key.
  Status Get(std::string_view lookup_ikey, uint64_t user_key_hash, TableGetResult* result) const;

  // Point entries (not range tombstones) in internal-key order. Without
  // `fill_cache` (a compaction's one pass) the blocks read are not added
  // to the cache, so that they do not push out the ones readers use.
  std::unique_ptr<Iterator> NewIterator(bool fill_cache = true) const;
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

  uint64_t file_size() const { return file_size_; }
  const std::string& file_name() const { return file_name_; }
  // Bytes the table holds in memory for its life: the index and filter.
  size_t pinned_bytes() const { return index_block_.capacity() + filter_block_.capacity(); }
  // Mapped tables: releases the pages of the data blocks from this process
  // (see MappedFile); the filter and index, read by every lookup, stay.
  void DropResident() const {
    if (mapped_) mapped_->DropResident(0, data_end_);
  }

  // Reads and verifies the data block at `handle`, from the cache if it is
  // there (see NewIterator for fill_cache).
  Status ReadDataBlock(const BlockHandle& handle, DataBlock* block, bool fill_cache = true) const;
  // Mapped tables: true once a page of the file was lost; what was read
  // from it since may be zeros, and must be thrown away.
  bool damaged() const { return mapped_ && mapped_->damaged(); }
  Status DamagedError() const;
  std::string_view index_contents() const { return index_; }

 private:
  Table(std::string file_name, uint64_t file_size) : file_name_(std::move(file_name)), file_size_(file_size) {}

  // Checks the index and parses the range tombstones; the index and filter
  // views are set.
  Status Finish(const Footer& footer, std::string_view range_del);
  Status GetFromBlocks(std::string_view lookup_ikey, uint64_t user_key_hash,
                       TableGetResult* result) const;

  const std::string file_name_;
  const uint64_t file_size_;
  std::unique_ptr<MappedFile> mapped_;      // mmap reads; else null
  std::unique_ptr<RandomAccessFile> file_;  // pread reads; else null
  std::shared_ptr<BlockCache> cache_;       // pread reads
  uint64_t cache_id_ = 0;
  std::string index_block_;   // pread reads: the index and filter, held
  std::string filter_block_;
  std::string_view index_;    // in index_block_ or the mapping
  std::string_view filter_;
  uint64_t data_end_ = 0;  // the data blocks are [0, data_end_)
  RangeTombstonesPtr range_tombstones_;
};

}  // namespace iron::lsm

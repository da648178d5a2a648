// WriteBatchInternal: what the engine, but no user, may do with a batch:
// read and set its sequence number, reach its encoded bytes (the WAL
// payload), and apply it to a MemTable.
#pragma once

#include <string_view>

#include "internal_key.h"
#include "lsm/status.h"
#include "lsm/write_batch.h"

namespace iron::lsm {

class MemTable;

class WriteBatchInternal {
 public:
  static constexpr size_t kHeaderSize = 12;  // fixed64 sequence + fixed32 count

  static SequenceNumber Sequence(const WriteBatch& b);
  static void SetSequence(WriteBatch* b, SequenceNumber seq);
  static void SetCount(WriteBatch* b, uint32_t n);

  static std::string_view Contents(const WriteBatch& b) { return b.rep_; }
  static size_t ByteSize(const WriteBatch& b) { return b.rep_.size(); }
  // Replaces the batch with `contents` (a WAL record); Corruption if it is
  // too short to be a batch.
  static Status SetContents(WriteBatch* b, std::string_view contents);

  // Inserts every update into `mem`, numbered from the batch's sequence,
  // or none if the batch (read back from a WAL record) is damaged anywhere
  // or its sequence numbers would pass the maximum: it decodes it twice.
  static Status InsertInto(const WriteBatch& b, MemTable* mem);
  // The same for a batch this process built with WriteBatch's methods
  // (well-formed by construction, numbered from the live sequence): one
  // pass, for the write path.
  static Status InsertBuiltInto(const WriteBatch& b, MemTable* mem);
};

}  // namespace iron::lsm

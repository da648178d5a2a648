// Fuzz target: the input is the payload of one WAL record, a write batch
// (lsm/write_batch.h), decoded by WriteBatch::Iterate and replayed into a
// MemTable by WriteBatchInternal::InsertInto as recovery does.
//
// Asserts beyond "no crash": a batch that decodes re-encodes, through the
// public WriteBatch calls, to a batch of the same updates whose encoding
// is stable (unless it holds an empty range, which DeleteRange drops); the
// updates Iterate reports number Count(); a batch that fails to decode, or
// whose sequence numbers would pass the 56-bit maximum, leaves the MemTable
// untouched (a record is applied entirely or not at all); every point
// update applied is found in the MemTable afterwards.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/internal_key.h"
#include "lsm/memtable.h"
#include "lsm/write_batch.h"
#include "lsm/write_batch_internal.h"
#include "tests/fuzz/check.h"

namespace {

using namespace iron::lsm;

// Rebuilds the batch it is shown from the public calls.
class BatchCopier final : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    copy.Put(key, value);
    point_keys.emplace_back(key);
    updates += "P" + Field(key) + Field(value);
  }
  void Delete(std::string_view key) override {
    copy.Delete(key);
    point_keys.emplace_back(key);
    updates += "D" + Field(key);
  }
  void DeleteRange(std::string_view begin, std::string_view end) override {
    copy.DeleteRange(begin, end);
    if (begin >= end) has_empty_range = true;
    updates += "R" + Field(begin) + Field(end);
  }

  WriteBatch copy;
  std::string updates;  // every update shown, in order, to compare
  std::vector<std::string> point_keys;
  bool has_empty_range = false;

 private:
  static std::string Field(std::string_view s) {
    return std::to_string(s.size()) + ':' + std::string(s);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view record(reinterpret_cast<const char*>(data), size);
  WriteBatch batch;
  if (!WriteBatchInternal::SetContents(&batch, record).ok()) {
    FUZZ_CHECK(size < WriteBatchInternal::kHeaderSize);
    return 0;
  }
  FUZZ_CHECK(WriteBatchInternal::Contents(batch) == record);

  BatchCopier copier;
  Status decoded = batch.Iterate(&copier);
  if (decoded.ok()) {
    if (!copier.has_empty_range) {
      // The copy holds the same updates; its encoding is a fixed point (the
      // input's may differ only by varints longer than needed).
      FUZZ_CHECK(copier.copy.Count() == batch.Count());
      BatchCopier second;
      FUZZ_CHECK(copier.copy.Iterate(&second).ok());
      FUZZ_CHECK(second.updates == copier.updates);
      FUZZ_CHECK(WriteBatchInternal::Contents(second.copy) ==
                 WriteBatchInternal::Contents(copier.copy));
    }
  }

  MemTable mem;
  Status applied = WriteBatchInternal::InsertInto(batch, &mem);
  if (!decoded.ok()) FUZZ_CHECK(!applied.ok());
  if (!applied.ok()) {
    FUZZ_CHECK(mem.Empty());
    return 0;
  }
  // Every update's sequence number fits in an internal key's tag.
  FUZZ_CHECK(batch.Count() == 0 ||
             WriteBatchInternal::Sequence(batch) + (batch.Count() - 1) <= kMaxSequenceNumber);
  for (const std::string& key : copier.point_keys) {
    LookupKey lookup(key, kMaxSequenceNumber);
    FUZZ_CHECK(mem.Get(lookup).found);
  }
  return 0;
}

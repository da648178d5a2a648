// Fuzz target: the input is a write-ahead log (or manifest) file, read by
// WalReader (lsm/wal_reader.h) the way recovery reads it; every record it
// yields is replayed as recovery replays it (WriteBatchInternal::SetContents
// and InsertInto a MemTable).
//
// Asserts beyond "no crash": each record is exactly the payload that the
// framing places at its offset in the input (the reader never invents or
// shifts bytes); LastRecordEnd() is the end of the last record; a drop is
// reported at most once, and exactly when the records stop before the end
// of the input, for every remaining byte; a zero-tail drop drops only
// zeros.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lsm/coding.h"
#include "lsm/memtable.h"
#include "lsm/wal_reader.h"
#include "lsm/wal_writer.h"
#include "lsm/write_batch.h"
#include "lsm/write_batch_internal.h"
#include "tests/fuzz/check.h"
#include "tests/fuzz/memory_files.h"

namespace {

using namespace iron::lsm;

struct DropRecorder final : WalReader::Reporter {
  int drops = 0;
  uint64_t bytes = 0;
  WalReader::Drop kind = WalReader::Drop::kDamage;
  void Dropped(uint64_t n, WalReader::Drop k, const Status& reason) override {
    ++drops;
    bytes = n;
    kind = k;
    FUZZ_CHECK(reason.IsCorruption());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view log(reinterpret_cast<const char*>(data), size);
  DropRecorder drops;
  WalReader reader(std::make_unique<iron::fuzz::MemorySequentialFile>(log), "fuzz.log", &drops);
  MemTable mem;
  std::string record;
  uint64_t offset = 0;
  while (reader.ReadRecord(&record)) {
    FUZZ_CHECK(offset + kWalHeaderSize <= size);
    uint32_t length = DecodeFixed32(log.data() + offset + 4);
    FUZZ_CHECK(length == record.size());
    FUZZ_CHECK(log.substr(offset + kWalHeaderSize, length) == record);
    offset += kWalHeaderSize + length;
    FUZZ_CHECK(reader.LastRecordEnd() == offset);

    WriteBatch batch;
    if (WriteBatchInternal::SetContents(&batch, record).ok()) {
      (void)WriteBatchInternal::InsertInto(batch, &mem);
    }
  }
  FUZZ_CHECK(!reader.ReadRecord(&record));  // stays stopped
  FUZZ_CHECK(drops.drops <= 1);
  if (offset == size) {
    FUZZ_CHECK(drops.drops == 0);
  } else {
    FUZZ_CHECK(drops.drops == 1);
    FUZZ_CHECK(drops.bytes == size - offset);
    if (drops.kind == WalReader::Drop::kZeroTail) {
      FUZZ_CHECK(log.substr(offset).find_first_not_of('\0') == std::string_view::npos);
    }
  }
  return 0;
}

// WalWriter: appends checksummed records to a log file (the write-ahead log
// and the manifest share this framing; see FORMAT.md).
//
//   fixed32 masked_checksum | fixed32 length | payload[length]
//
// masked_checksum = Mask(Checksum32(length bytes + payload)). Masking keeps
// a log stored inside another log's payload from looking valid to a reader.
//
// AddRecord hands the record to the kernel before it returns, so it
// survives the death of the process; Sync makes it survive power loss.
//
// Thread safety: one thread at a time (the DB's write leader, or the
// manifest writer under the DB mutex's serialization).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "lsm/env.h"
#include "lsm/status.h"

namespace iron::lsm {

inline constexpr size_t kWalHeaderSize = 8;
inline constexpr uint32_t kWalMaxRecord = 1u << 30;
// From this size on a record is copied in by the kernel, not through the
// mapping (see AddRecord).
inline constexpr size_t kWalLargeRecord = 2048;

uint32_t MaskChecksum(uint32_t c);
uint32_t UnmaskChecksum(uint32_t masked);

class WalWriter {
 public:
  explicit WalWriter(std::unique_ptr<WritableFile> file);
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // InvalidArgument for a payload over kWalMaxRecord bytes. `for_sync`
  // says a Sync follows at once; such records, and those of
  // kWalLargeRecord bytes or more, go by WritableFile::AppendBySyscall.
  Status AddRecord(std::string_view payload, bool for_sync = false);
  Status Sync();
  // Bytes appended so far.
  uint64_t size() const { return size_; }
  Status Close();

 private:
  std::unique_ptr<WritableFile> file_;
  uint64_t size_ = 0;
  std::string scratch_;  // header + payload of a record written for a sync
};

}  // namespace iron::lsm

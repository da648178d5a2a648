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
// The spare: the writer keeps kWalSpareBytes of space allocated beyond the
// last record (where the file can allocate ahead). An ordinary record that
// cannot keep the spare whole fails with NoSpace before anything is
// written; a record that frees space (WriteOptions::may_use_reserve) may
// use it. So deletes still fit when the disk is full to the last byte.
//
// Thread safety: one thread at a time (the DB's write leader, or the
// manifest writer under the DB mutex's serialization), except that Sync
// may run beside AddRecord when IsSyncThreadSafe() (env.h).
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
// Space kept allocated past a WAL's last record for records that free
// space: over a thousand unlinks or truncates.
inline constexpr uint64_t kWalSpareBytes = 1 << 20;

uint32_t MaskChecksum(uint32_t c);
uint32_t UnmaskChecksum(uint32_t masked);

class WalWriter {
 public:
  explicit WalWriter(std::unique_ptr<WritableFile> file);
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Allocates the spare of a new log; NoSpace if the disk has no room.
  Status AllocateSpare();
  // InvalidArgument for a payload over kWalMaxRecord bytes. `for_sync`
  // says a Sync follows at once; such records, and those of
  // kWalLargeRecord bytes or more, go by WritableFile::AppendBySyscall.
  // `may_use_spare`: see the spare above. A NoSpace failure leaves the log
  // as it was unless torn() says otherwise.
  Status AddRecord(std::string_view payload, bool for_sync = false, bool may_use_spare = false);
  Status Sync();
  bool IsSyncThreadSafe() const { return file_->IsSyncThreadSafe(); }
  // Bytes appended so far.
  uint64_t size() const { return size_; }
  // A failed AddRecord may have left part of a record at the end: nothing
  // more may be appended after it.
  bool torn() const { return torn_; }
  Status Close();

 private:
  std::unique_ptr<WritableFile> file_;
  uint64_t size_ = 0;
  bool torn_ = false;
  std::string scratch_;  // header + payload of a record written for a sync
};

}  // namespace iron::lsm

#include "wal_writer.h"

#include <cstring>

#include "checksum.h"
#include "coding.h"

namespace iron::lsm {

namespace {
constexpr uint32_t kMaskDelta = 0xa282ead8u;
}

uint32_t MaskChecksum(uint32_t c) { return ((c >> 15) | (c << 17)) + kMaskDelta; }

uint32_t UnmaskChecksum(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

WalWriter::WalWriter(std::unique_ptr<WritableFile> file) : file_(std::move(file)) {}

Status WalWriter::AllocateSpare() { return file_->Preallocate(size_ + kWalSpareBytes); }

Status WalWriter::AddRecord(std::string_view payload, bool for_sync, bool may_use_spare) {
  if (payload.size() > kWalMaxRecord) {
    return Status::InvalidArgument("WAL record of " + std::to_string(payload.size()) +
                                   " bytes exceeds the 1 GiB limit");
  }
  const uint64_t end = size_ + kWalHeaderSize + payload.size();
  // Allocating first means a full disk fails the record whole, not halfway.
  IRON_RETURN_IF_ERROR(file_->Preallocate(may_use_spare ? end : end + kWalSpareBytes));
  std::string header(kWalHeaderSize, '\0');
  char len[4];
  EncodeFixed32(len, static_cast<uint32_t>(payload.size()));
  uint32_t crc = Checksum32(std::string_view(len, 4), payload);
  EncodeFixed32(header.data(), MaskChecksum(crc));
  std::memcpy(header.data() + 4, len, 4);
  Status s;
  if (payload.size() >= kWalLargeRecord) {
    // Two calls cost less than copying the payload to join them.
    s = file_->AppendBySyscall(header);
    if (s.ok()) s = file_->AppendBySyscall(payload);
  } else if (for_sync) {
    scratch_.assign(header);
    scratch_.append(payload);
    s = file_->AppendBySyscall(scratch_);
  } else {
    s = file_->Append(header);
    if (s.ok()) s = file_->Append(payload);
    if (s.ok()) s = file_->Flush();
  }
  if (s.ok()) size_ += kWalHeaderSize + payload.size();
  else torn_ = true;
  return s;
}

Status WalWriter::Sync() { return file_->Sync(); }

Status WalWriter::Close() { return file_->Close(); }

}  // namespace iron::lsm

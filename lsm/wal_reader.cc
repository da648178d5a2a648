#include "lsm/wal_reader.h"

#include <algorithm>
#include <cstring>

#include "lsm/checksum.h"
#include "lsm/coding.h"
#include "lsm/wal_writer.h"

namespace iron::lsm {

namespace {
constexpr size_t kReadChunk = 256 << 10;
}

WalReader::WalReader(std::unique_ptr<SequentialFile> file, std::string file_name,
                     Reporter* reporter)
    : file_(std::move(file)), file_name_(std::move(file_name)), reporter_(reporter) {}

bool WalReader::Fill(size_t n) {
  while (Available() < n && !eof_) {
    if (pos_ > 0 && pos_ == buffer_.size()) {
      buffer_offset_ += pos_;
      buffer_.clear();
      pos_ = 0;
    } else if (pos_ > kReadChunk) {
      buffer_offset_ += pos_;
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
    size_t want = std::max(kReadChunk, n - Available());
    size_t old = buffer_.size();
    buffer_.resize(old + want);
    std::string_view got;
    Status s = file_->Read(want, &got, buffer_.data() + old);
    if (!s.ok()) {
      read_error_ = s;
      buffer_.resize(old);
      eof_ = true;
      break;
    }
    if (!got.empty() && got.data() != buffer_.data() + old) {
      std::memmove(buffer_.data() + old, got.data(), got.size());
    }
    buffer_.resize(old + got.size());
    if (got.size() < want) eof_ = true;
  }
  return Available() >= n;
}

uint64_t WalReader::RemainingBytes() {
  while (!eof_) Fill(Available() + kReadChunk);
  return Available();
}

bool WalReader::RestIsZeroFrom(size_t skip) {
  RemainingBytes();
  if (Available() < skip) return false;
  return std::all_of(buffer_.begin() + static_cast<long>(pos_ + skip), buffer_.end(),
                     [](char c) { return c == 0; });
}

void WalReader::Report(const std::string& what, Drop kind) {
  uint64_t offset = buffer_offset_ + pos_;
  uint64_t bytes = RemainingBytes();
  stopped_ = true;
  if (reporter_ == nullptr) return;
  std::string msg = file_name_ + ": " + what + " at offset " + std::to_string(offset) + " (" +
                    std::to_string(bytes) + " bytes dropped)";
  if (!read_error_.ok()) msg += "; read error: " + read_error_.ToString();
  reporter_->Dropped(bytes, kind, Status::Corruption(msg));
}

bool WalReader::ReadRecord(std::string* record) {
  if (stopped_) return false;
  if (!Fill(kWalHeaderSize)) {
    if (Available() == 0 && read_error_.ok()) {
      stopped_ = true;  // clean end
      return false;
    }
    if (read_error_.ok()) {
      Report("torn record header", Drop::kTorn);
    } else {
      Report("unreadable record", Drop::kDamage);
    }
    return false;
  }
  const char* header = buffer_.data() + pos_;
  uint32_t masked = DecodeFixed32(header);
  uint32_t length = DecodeFixed32(header + 4);
  if (masked == 0 && length == 0) {
    // Zeros: space the file system allocated but nobody wrote.
    if (RestIsZeroFrom(0)) {
      Report("torn tail (zero-filled)", Drop::kZeroTail);
    } else {
      Report("bad record (zero header)", Drop::kDamage);
    }
    return false;
  }
  if (length > kWalMaxRecord) {
    // A length that runs past the end is an incomplete final record.
    if (RemainingBytes() < kWalHeaderSize + static_cast<uint64_t>(length)) {
      Report("torn record (length runs past the end of the file)", Drop::kTorn);
    } else {
      Report("bad record length " + std::to_string(length), Drop::kDamage);
    }
    return false;
  }
  if (!Fill(kWalHeaderSize + length)) {
    if (read_error_.ok()) {
      Report("torn record (file ends inside it)", Drop::kTorn);
    } else {
      Report("unreadable record", Drop::kDamage);
    }
    return false;
  }
  header = buffer_.data() + pos_;
  std::string_view payload(header + kWalHeaderSize, length);
  uint32_t actual = Checksum32(std::string_view(header + 4, 4), payload);
  if (UnmaskChecksum(masked) != actual) {
    // Nothing after it: a write cut short by a crash. Data after it: damage.
    // (Zeros after it are preallocated space never written.)
    bool last = !Fill(kWalHeaderSize + length + 1) || RestIsZeroFrom(kWalHeaderSize + length);
    if (last) {
      Report("torn record (checksum mismatch in the final record)", Drop::kTorn);
    } else {
      Report("checksum mismatch", Drop::kDamage);
    }
    return false;
  }
  record->assign(payload);
  pos_ += kWalHeaderSize + length;
  last_record_end_ = buffer_offset_ + pos_;
  return true;
}

}  // namespace iron::lsm

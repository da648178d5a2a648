#include "wal_reader.h"

#include <algorithm>
#include <cstring>

#include "checksum.h"
#include "coding.h"
#include "wal_writer.h"

namespace iron::lsm {

namespace {
constexpr size_t kReadChunk = 256 << 10;
}

WalReader::WalReader(std::unique_ptr<SequentialFile> file, std::string file_name,
                     Reporter* reporter, bool resync)
    : file_(std::move(file)),
      file_name_(std::move(file_name)),
      reporter_(reporter),
      resync_(resync) {}

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

void WalReader::Report(const std::string& what, Drop kind, uint64_t bytes) {
  if (reporter_ == nullptr) return;
  uint64_t offset = buffer_offset_ + pos_;
  // Damage a reader stops at is not dropped yet: the caller decides.
  const char* unit = kind == Drop::kDamage && !resync_ ? " bytes from there to the end)"
                                                       : " bytes dropped)";
  std::string msg = file_name_ + ": " + what + " at offset " + std::to_string(offset) + " (" +
                    std::to_string(bytes) + unit;
  if (!read_error_.ok()) msg += "; read error: " + read_error_.ToString();
  reporter_->Dropped(bytes, kind, Status::Corruption(msg));
}

bool WalReader::MeetsUnwrittenPage(uint64_t span) {
  constexpr uint64_t kPage = 4096;
  uint64_t start = buffer_offset_ + pos_;
  for (uint64_t boundary = (start + kPage - 1) / kPage * kPage; boundary < start + span;
       boundary += kPage) {
    if (boundary == start && boundary != 0) continue;  // a page that starts with this record
    uint64_t skip = boundary - start;
    size_t want = static_cast<size_t>(std::min<uint64_t>(skip + kPage, span + kPage));
    Fill(want);
    if (Available() <= skip) return false;
    const char* page = buffer_.data() + pos_ + skip;
    size_t n = std::min<size_t>(kPage, Available() - skip);
    if (std::all_of(page, page + n, [](char c) { return c == 0; })) return true;
  }
  return false;
}

uint64_t WalReader::NextValidRecord() {
  RemainingBytes();  // the whole rest is in buffer_ from here on
  // Bounds the hashing a region of garbage can cost: a candidate's length
  // must fit in the file, which random bytes rarely do, but a long garbage
  // tail could still add up. Past the budget the search gives up and says
  // "found", so that what it could not clear counts as damage, not as a
  // torn tail.
  constexpr uint64_t kHashBudget = 1ull << 30;
  uint64_t hashed = 0;
  const char* base = buffer_.data() + pos_;
  const size_t avail = Available();
  for (size_t at = 1; at + kWalHeaderSize <= avail; ++at) {
    uint32_t masked = DecodeFixed32(base + at);
    uint32_t length = DecodeFixed32(base + at + 4);
    if (masked == 0 && length == 0) continue;
    if (length > kWalMaxRecord || length > avail - at - kWalHeaderSize) continue;
    hashed += length;
    if (hashed > kHashBudget) return at;
    std::string_view payload(base + at + kWalHeaderSize, length);
    if (UnmaskChecksum(masked) == Checksum32(std::string_view(base + at + 4, 4), payload) &&
        (!plausible_ || plausible_(payload))) {
      return at;
    }
  }
  return 0;
}

bool WalReader::ReadRecord(std::string* record) {
  while (!stopped_) {
    std::string what;
    Drop kind = Drop::kDamage;
    switch (ReadOne(record, &what, &kind)) {
      case Outcome::kRecord:
        return true;
      case Outcome::kEnd:
        stopped_ = true;
        return false;
      case Outcome::kBad:
        break;
    }
    // A read error leaves nothing further to look at.
    uint64_t next = read_error_.ok() ? NextValidRecord() : 0;
    if (next != 0 && (kind == Drop::kTorn || kind == Drop::kZeroTail)) {
      // It looked cut short, but a valid record follows: a length that a
      // flipped bit made run past the end, not a crash.
      kind = Drop::kDamage;
      what = "bad record (length " + std::to_string(DecodeFixed32(buffer_.data() + pos_ + 4)) +
             ") with valid records after it";
    }
    if (kind == Drop::kDamage && resync_ && next != 0) {
      Report(what, kind, next);
      pos_ += next;
      continue;
    }
    Report(what, kind, RemainingBytes());
    stopped_ = true;
  }
  return false;
}

WalReader::Outcome WalReader::ReadOne(std::string* record, std::string* what, Drop* kind) {
  auto bad = [&](const char* w, Drop k) {
    *what = w;
    *kind = k;
    return Outcome::kBad;
  };
  if (!Fill(kWalHeaderSize)) {
    if (Available() == 0 && read_error_.ok()) return Outcome::kEnd;
    if (read_error_.ok()) return bad("torn record header", Drop::kTorn);
    return bad("unreadable record", Drop::kDamage);
  }
  const char* header = buffer_.data() + pos_;
  uint32_t masked = DecodeFixed32(header);
  uint32_t length = DecodeFixed32(header + 4);
  if (masked == 0 && length == 0) {
    // Zeros: space the file system allocated but nobody wrote.
    if (RestIsZeroFrom(0)) return bad("torn tail (zero-filled)", Drop::kZeroTail);
    // The zeros run to the end of this page: its rest was never written.
    uint64_t start = buffer_offset_ + pos_;
    uint64_t to_boundary = (start / 4096 + 1) * 4096 - start;
    Fill(to_boundary);
    if (Available() >= to_boundary &&
        std::all_of(buffer_.data() + pos_, buffer_.data() + pos_ + to_boundary,
                    [](char c) { return c == 0; })) {
      return bad("unwritten page (records after it were never synced)", Drop::kUnwrittenPage);
    }
    return bad("bad record (zero header)", Drop::kDamage);
  }
  if (length > kWalMaxRecord) {
    // A length that runs past the end is an incomplete final record.
    if (RemainingBytes() < kWalHeaderSize + static_cast<uint64_t>(length)) {
      return bad("torn record (length runs past the end of the file)", Drop::kTorn);
    }
    *what = "bad record length " + std::to_string(length);
    *kind = Drop::kDamage;
    return Outcome::kBad;
  }
  if (!Fill(kWalHeaderSize + length)) {
    if (read_error_.ok()) return bad("torn record (file ends inside it)", Drop::kTorn);
    return bad("unreadable record", Drop::kDamage);
  }
  header = buffer_.data() + pos_;
  std::string_view payload(header + kWalHeaderSize, length);
  uint32_t actual = Checksum32(std::string_view(header + 4, 4), payload);
  if (UnmaskChecksum(masked) != actual) {
    // Nothing after it: a write cut short by a crash. Data after it: damage.
    // (Zeros after it are preallocated space never written.)
    bool last = !Fill(kWalHeaderSize + length + 1) || RestIsZeroFrom(kWalHeaderSize + length);
    if (last) return bad("torn record (checksum mismatch in the final record)", Drop::kTorn);
    if (MeetsUnwrittenPage(kWalHeaderSize + length)) {
      return bad("record meets an unwritten page (records after it were never synced)",
                 Drop::kUnwrittenPage);
    }
    return bad("checksum mismatch", Drop::kDamage);
  }
  record->assign(payload);
  pos_ += kWalHeaderSize + length;
  last_record_end_ = buffer_offset_ + pos_;
  return Outcome::kRecord;
}

}  // namespace iron::lsm

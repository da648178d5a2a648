#include "version_edit.h"

#include "coding.h"

namespace iron::lsm {

namespace {

// Field tags of the manifest record; never renumber.
enum Tag : uint32_t {
  kLogNumber = 1,
  kNextFileNumber = 2,
  kLastSequence = 3,
  kDeletedFile = 4,
  kNewFile = 5,
  kNewFileDeletions = 6,  // for the kNewFile just before it
};

constexpr int kMaxLevels = 16;

bool GetLevel(std::string_view* input, int* level) {
  uint32_t v;
  if (!GetVarint32(input, &v) || v >= kMaxLevels) return false;
  *level = static_cast<int>(v);
  return true;
}

bool GetInternalKey(std::string_view* input, std::string* key) {
  std::string_view k;
  if (!GetLengthPrefixed(input, &k) || k.size() < kTagSize) return false;
  key->assign(k);
  return true;
}

}  // namespace

void VersionEdit::EncodeTo(std::string* dst) const {
  if (log_number_) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, *log_number_);
  }
  if (next_file_number_) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, *next_file_number_);
  }
  if (last_sequence_) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, *last_sequence_);
  }
  for (const auto& [level, number] : deleted_files_) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files_) {
    PutVarint32(dst, kNewFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixed(dst, f.smallest);
    PutLengthPrefixed(dst, f.largest);
    PutVarint64(dst, f.num_entries);
    PutVarint64(dst, f.largest_sequence);
    if (f.num_deletions != 0) {
      PutVarint32(dst, kNewFileDeletions);
      PutVarint64(dst, f.num_deletions);
    }
  }
}

Status VersionEdit::DecodeFrom(std::string_view src) {
  *this = VersionEdit();
  std::string_view input = src;
  const char* bad = nullptr;
  uint32_t tag;
  while (bad == nullptr && !input.empty()) {
    if (!GetVarint32(&input, &tag)) {
      bad = "field tag";
      break;
    }
    uint64_t v;
    int level;
    switch (tag) {
      case kLogNumber:
        if (GetVarint64(&input, &v)) log_number_ = v; else bad = "log number";
        break;
      case kNextFileNumber:
        if (GetVarint64(&input, &v)) next_file_number_ = v; else bad = "next file number";
        break;
      case kLastSequence:
        if (GetVarint64(&input, &v)) last_sequence_ = v; else bad = "last sequence";
        break;
      case kDeletedFile:
        if (GetLevel(&input, &level) && GetVarint64(&input, &v)) {
          deleted_files_.emplace_back(level, v);
        } else {
          bad = "deleted file";
        }
        break;
      case kNewFile: {
        FileMetaData f;
        if (GetLevel(&input, &level) && GetVarint64(&input, &f.number) &&
            GetVarint64(&input, &f.file_size) && GetInternalKey(&input, &f.smallest) &&
            GetInternalKey(&input, &f.largest) && GetVarint64(&input, &f.num_entries) &&
            GetVarint64(&input, &f.largest_sequence)) {
          new_files_.emplace_back(level, std::move(f));
        } else {
          bad = "new file";
        }
        break;
      }
      case kNewFileDeletions:
        if (!new_files_.empty() && GetVarint64(&input, &v)) {
          new_files_.back().second.num_deletions = v;
        } else {
          bad = "new file deletions";
        }
        break;
      default:
        bad = "unknown field tag";
    }
  }
  if (bad != nullptr) return Status::Corruption(std::string("manifest record: bad ") + bad);
  return Status::OK();
}

std::string VersionEdit::DebugString() const {
  std::string r = "VersionEdit {";
  if (log_number_) r += " log=" + std::to_string(*log_number_);
  if (next_file_number_) r += " next_file=" + std::to_string(*next_file_number_);
  if (last_sequence_) r += " last_seq=" + std::to_string(*last_sequence_);
  for (const auto& [level, n] : deleted_files_) {
    r += " -L" + std::to_string(level) + ":" + std::to_string(n);
  }
  for (const auto& [level, f] : new_files_) {
    r += " +L" + std::to_string(level) + ":" + std::to_string(f.number) + "(" +
         std::to_string(f.file_size) + "B)";
  }
  return r + " }";
}

}  // namespace iron::lsm

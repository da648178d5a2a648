#include "block.h"

#include "coding.h"

namespace iron::lsm {

BlockIter::BlockIter(std::string_view contents, BlockComparator cmp, const std::string* context,
                     size_t min_key_size)
    : cmp_(cmp), context_(context), min_key_size_(min_key_size) {
  if (contents.size() < 4) {
    SetCorrupt("block too short");
    return;
  }
  num_restarts_ = DecodeFixed32(contents.data() + contents.size() - 4);
  uint64_t max_restarts = (contents.size() - 4) / 4;
  if (num_restarts_ == 0 || num_restarts_ > max_restarts) {
    SetCorrupt("bad restart count");
    return;
  }
  data_ = contents.data();
  restarts_ = static_cast<uint32_t>(contents.size() - 4 - 4 * uint64_t{num_restarts_});
}

void BlockIter::SetCorrupt(const char* what) {
  valid_ = false;
  if (status_.ok()) {
    status_ = Status::Corruption((context_ != nullptr ? *context_ + ": " : std::string()) + what);
  }
  data_ = nullptr;  // no further decoding
}

uint32_t BlockIter::RestartPoint(uint32_t i) const {
  return DecodeFixed32(data_ + restarts_ + 4 * i);
}

bool BlockIter::ParseEntryAt(uint32_t offset) {
  const char* limit = data_ + restarts_;
  const char* p = data_ + offset;
  uint32_t shared, non_shared, value_len;
  if (offset >= restarts_ || (p = GetVarint32Ptr(p, limit, &shared)) == nullptr ||
      (p = GetVarint32Ptr(p, limit, &non_shared)) == nullptr ||
      (p = GetVarint32Ptr(p, limit, &value_len)) == nullptr ||
      static_cast<uint64_t>(limit - p) < uint64_t{non_shared} + value_len ||
      shared > key_.size() || uint64_t{shared} + non_shared < min_key_size_) {
    SetCorrupt("bad block entry");
    return false;
  }
  if (shared == 0) {
    key_ = std::string_view(p, non_shared);  // whole key in the block: no copy
  } else {
    if (key_.data() == key_buf_.data()) {
      key_buf_.resize(shared);
    } else {
      key_buf_.assign(key_.data(), shared);
    }
    key_buf_.append(p, non_shared);
    key_ = key_buf_;
  }
  value_ = std::string_view(p + non_shared, value_len);
  current_ = offset;
  next_ = static_cast<uint32_t>(p + non_shared + value_len - data_);
  valid_ = true;
  return true;
}

void BlockIter::SeekToFirst() {
  valid_ = false;
  if (data_ == nullptr) return;
  key_ = {};
  if (restarts_ == 0) return;  // empty block
  ParseEntryAt(RestartPoint(0));
}

void BlockIter::Next() {
  if (!valid_) return;
  if (next_ >= restarts_) {
    valid_ = false;
    return;
  }
  ParseEntryAt(next_);
}

void BlockIter::Seek(std::string_view target) {
  valid_ = false;
  if (data_ == nullptr || restarts_ == 0) return;
  // Binary search for the last restart point whose key is < target.
  uint32_t left = 0, right = num_restarts_ - 1;
  while (left < right) {
    uint32_t mid = (left + right + 1) / 2;
    key_ = {};
    if (!ParseEntryAt(RestartPoint(mid))) return;
    if (cmp_(key_, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  key_ = {};
  if (!ParseEntryAt(RestartPoint(left))) return;
  while (valid_ && cmp_(key_, target) < 0) Next();
}

}  // namespace iron::lsm

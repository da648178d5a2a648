// In-memory files for the fuzz targets and the seed generator: the engine
// reads logs through SequentialFile and tables through MappedFile, and
// writes both through WritableFile (lsm/env.h); these hold the bytes in
// memory instead of on disk.
//
// The readers copy their input into an allocation of exactly its size, so
// that AddressSanitizer reports any read past its end.
//
// Thread safety: one thread, like the files they stand in for.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "lsm/env.h"

namespace iron::fuzz {

// Exactly `bytes.size()` bytes on the heap.
class ExactBytes {
 public:
  explicit ExactBytes(std::string_view bytes)
      : size_(bytes.size()), data_(std::make_unique<char[]>(std::max<size_t>(size_, 1))) {
    if (size_ > 0) std::memcpy(data_.get(), bytes.data(), size_);
  }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

class MemorySequentialFile final : public lsm::SequentialFile {
 public:
  explicit MemorySequentialFile(std::string_view bytes) : bytes_(bytes) {}
  lsm::Status Read(size_t n, std::string_view* result, char* scratch) override {
    n = std::min(n, bytes_.size() - pos_);
    if (n > 0) std::memcpy(scratch, bytes_.data() + pos_, n);
    pos_ += n;
    *result = std::string_view(scratch, n);
    return lsm::Status::OK();
  }
  lsm::Status Skip(uint64_t n) override {
    pos_ += std::min<uint64_t>(n, bytes_.size() - pos_);
    return lsm::Status::OK();
  }

 private:
  ExactBytes bytes_;
  size_t pos_ = 0;
};

class MemoryMappedFile final : public lsm::MappedFile {
 public:
  explicit MemoryMappedFile(std::string_view bytes) : bytes_(bytes) {}
  const char* data() const override { return bytes_.data(); }
  size_t size() const override { return bytes_.size(); }
  void DropResident(size_t, size_t) override {}

 private:
  ExactBytes bytes_;
};

// Appends to a string the caller owns.
class StringWritableFile final : public lsm::WritableFile {
 public:
  explicit StringWritableFile(std::string* out) : out_(out) {}
  lsm::Status Append(std::string_view data) override {
    out_->append(data);
    return lsm::Status::OK();
  }
  lsm::Status Flush() override { return lsm::Status::OK(); }
  lsm::Status Sync() override { return lsm::Status::OK(); }
  lsm::Status Close() override { return lsm::Status::OK(); }

 private:
  std::string* out_;
};

}  // namespace iron::fuzz

// BlockBuilder: builds one block of sorted key/value entries with key
// prefix compression (the format of data, index and range-deletion blocks;
// see FORMAT.md).
//
// Each entry stores only the suffix of its key that differs from the
// previous key. Every `restart_interval` entries a restart point stores the
// whole key, so a reader can binary-search the restart points and decode
// forward from one.
//
// Thread safety: one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iron::lsm {

class BlockBuilder {
 public:
  explicit BlockBuilder(int restart_interval);

  // REQUIRES: Finish() not called since the last Reset().
  void Add(std::string_view key, std::string_view value);
  // Appends the restart array; the result stays valid until Reset().
  std::string_view Finish();
  void Reset();

  size_t CurrentSizeEstimate() const;
  bool empty() const { return buffer_.empty(); }
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;  // entries since the last restart
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace iron::lsm

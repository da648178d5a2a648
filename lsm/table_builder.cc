#include "table_builder.h"

#include <algorithm>

#include "coding.h"
#include "internal_key.h"

namespace iron::lsm {

TableBuilder::TableBuilder(const Options& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(options.block_restart_interval),
      index_block_(1),
      filter_(options.bloom_bits_per_key) {}

void TableBuilder::Add(std::string_view internal_key, std::string_view value) {
  if (!status_.ok() || closed_) return;
  std::string_view user_key = ExtractUserKey(internal_key);
  if (options_.bloom_bits_per_key > 0 && (!has_last_user_key_ || user_key != last_user_key_)) {
    filter_.AddKey(user_key);
  }
  last_user_key_.assign(user_key);
  has_last_user_key_ = true;
  data_block_.Add(internal_key, value);
  ++num_entries_;
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) FlushDataBlock();
}

void TableBuilder::AddRangeTombstone(const RangeTombstone& t) {
  if (t.begin < t.end) tombstones_.push_back(t);
}

BlockHandle TableBuilder::WriteBlock(std::string_view contents) {
  BlockHandle handle{offset_, contents.size()};
  scratch_.clear();
  AppendBlockTrailer(contents, &scratch_);
  if (status_.ok()) status_ = file_->Append(contents);
  if (status_.ok()) status_ = file_->Append(scratch_);
  offset_ += contents.size() + scratch_.size();
  return handle;
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty()) return;
  std::string last_key(data_block_.last_key());
  BlockHandle handle = WriteBlock(data_block_.Finish());
  data_block_.Reset();
  std::string encoded;
  handle.EncodeTo(&encoded);
  index_block_.Add(last_key, encoded);
}

Status TableBuilder::Finish() {
  if (closed_) return Status::InvalidArgument("TableBuilder: already finished");
  FlushDataBlock();
  Footer footer;
  std::string filter =
      options_.bloom_bits_per_key > 0 && filter_.num_keys() > 0 ? filter_.Finish() : std::string();
  footer.filter = WriteBlock(filter);

  std::sort(tombstones_.begin(), tombstones_.end(), [](const auto& a, const auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.sequence > b.sequence;
  });
  BlockBuilder range_del(1);
  for (const auto& t : tombstones_) {
    std::string value;
    PutLengthPrefixed(&value, t.end);
    PutFixed64(&value, t.sequence);
    range_del.Add(t.begin, value);
  }
  footer.range_del = WriteBlock(range_del.Finish());
  footer.index = WriteBlock(index_block_.Finish());

  std::string encoded = footer.Encode();
  if (status_.ok()) status_ = file_->Append(encoded);
  offset_ += encoded.size();
  closed_ = true;
  return status_;
}

}  // namespace iron::lsm

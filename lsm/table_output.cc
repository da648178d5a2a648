#include "table_output.h"

#include <algorithm>

#include "filename.h"

namespace iron::lsm {

TableOutput::TableOutput(const Options& options, Env* env, std::string dir,
                         uint64_t target_file_size, std::function<uint64_t()> new_file_number,
                         std::vector<RangeTombstone> tombstones)
    : options_(options),
      env_(env),
      dir_(std::move(dir)),
      target_file_size_(target_file_size),
      new_file_number_(std::move(new_file_number)),
      tombstones_([&] {
        std::sort(tombstones.begin(), tombstones.end(),
                  [](const RangeTombstone& a, const RangeTombstone& b) { return a.begin < b.begin; });
        return std::move(tombstones);
      }()) {}

TableOutput::~TableOutput() {
  if (builder_) builder_->Abandon();
}

uint64_t TableOutput::bytes_written() const {
  uint64_t sum = 0;
  for (const auto& f : files_) sum += f.file_size;
  return sum;
}

Status TableOutput::OpenTable() {
  current_ = FileMetaData();
  current_.number = new_file_number_();
  IRON_RETURN_IF_ERROR(env_->NewWritableFile(TableFileName(dir_, current_.number), &file_));
  builder_ = std::make_unique<TableBuilder>(options_, file_.get());
  return Status::OK();
}

Status TableOutput::Add(std::string_view ikey, std::string_view value) {
  std::string_view user_key = ExtractUserKey(ikey);
  if (builder_ && user_key != last_user_key_ &&
      (builder_->FileSize() >= target_file_size_ || NewPartition(user_key))) {
    std::string cut(user_key);
    IRON_RETURN_IF_ERROR(CloseTable(&cut));
  }
  if (!builder_) IRON_RETURN_IF_ERROR(OpenTable());
  if (current_.smallest.empty()) current_.smallest.assign(ikey);
  current_.largest.assign(ikey);
  current_.largest_sequence = std::max(current_.largest_sequence, ExtractSequence(ikey));
  if (ExtractValueType(ikey) == ValueType::kDeletion) ++current_.num_deletions;
  builder_->Add(ikey, value);
  last_user_key_.assign(user_key);
  return builder_->status();
}

bool TableOutput::NewPartition(std::string_view user_key) const {
  size_t n = options_.table_partition_prefix;
  return n > 0 && user_key.substr(0, n) != std::string_view(last_user_key_).substr(0, n);
}

Status TableOutput::CloseTable(const std::string* cut) {
  // This table's share of the tombstones: pieces inside [lower_, cut).
  for (const auto& t : tombstones_) {
    if (cut != nullptr && t.begin >= *cut) break;
    if (has_lower_ && t.end <= lower_) continue;
    RangeTombstone piece = t;
    if (has_lower_ && piece.begin < lower_) piece.begin = lower_;
    if (cut != nullptr && piece.end > *cut) piece.end = *cut;
    if (piece.begin >= piece.end) continue;
    if (!builder_) IRON_RETURN_IF_ERROR(OpenTable());
    builder_->AddRangeTombstone(piece);
    ++current_.num_deletions;
    std::string lo = MakeInternalKey(piece.begin, piece.sequence, ValueType::kRangeDeletion);
    std::string hi = MakeInternalKey(piece.end, kMaxSequenceNumber, ValueType::kRangeDeletion);
    if (current_.smallest.empty() || CompareInternalKeys(lo, current_.smallest) < 0) {
      current_.smallest = lo;
    }
    if (current_.largest.empty() || CompareInternalKeys(hi, current_.largest) > 0) {
      current_.largest = hi;
    }
    current_.largest_sequence = std::max(current_.largest_sequence, piece.sequence);
  }
  if (cut != nullptr) {
    has_lower_ = true;
    lower_ = *cut;
  }
  if (!builder_) return Status::OK();

  Status s = builder_->Finish();
  current_.num_entries = builder_->NumEntries();
  current_.file_size = builder_->FileSize();
  builder_.reset();
  if (s.ok()) s = file_->Sync();
  Status c = file_->Close();
  if (s.ok()) s = c;
  file_.reset();
  files_.push_back(current_);  // recorded even on failure, so Abandon removes it
  return s;
}

Status TableOutput::Finish() {
  Status s = CloseTable(nullptr);
  if (s.ok() && !files_.empty()) s = env_->SyncDir(dir_);
  return s;
}

void TableOutput::Abandon() {
  if (builder_) {
    builder_->Abandon();
    builder_.reset();
    file_.reset();
    files_.push_back(current_);
  }
  // A table left behind is in no version: the engine's removal of
  // obsolete files deletes it later (DBImpl::RemoveObsoleteFiles).
  for (const auto& f : files_) env_->RemoveFile(TableFileName(dir_, f.number)).IgnoreError();
  files_.clear();
}

}  // namespace iron::lsm

#include "version.h"

#include <algorithm>

namespace iron::lsm {

uint64_t Version::LevelBytes(int level) const {
  uint64_t sum = 0;
  for (const auto& f : levels_[level]) sum += f->meta.file_size;
  return sum;
}

size_t Version::FindFile(const std::vector<LiveFilePtr>& files, std::string_view ikey) {
  auto it = std::partition_point(files.begin(), files.end(), [&](const LiveFilePtr& f) {
    return CompareInternalKeys(f->meta.largest, ikey) < 0;
  });
  return static_cast<size_t>(it - files.begin());
}

namespace {

// One table's answer to a point lookup. Returns true when the search is
// over (a value, a deletion, or an entry hidden by a tombstone).
bool ProbeTable(const LiveFile& f, const LookupKey& key, uint64_t hash, std::string* value,
                bool* found, SequenceNumber* max_tombstone, VersionGetStats* stats,
                Status* status) {
  SequenceNumber snapshot = ExtractSequence(key.internal_key());
  const RangeTombstonesPtr& tombs = f.table->range_tombstones();
  if (tombs && !tombs->empty()) {
    *max_tombstone = std::max(*max_tombstone, tombs->MaxCoveringSequence(key.user_key(), snapshot));
  }
  TableGetResult r;
  ++stats->tables_read;
  *status = f.table->Get(key.internal_key(), hash, &r);
  if (r.filter_checked) ++stats->bloom_checked;
  if (r.filter_excluded) ++stats->bloom_useful;
  if (!status->ok()) return true;
  if (!r.found) {
    // Anything older than a covering tombstone is deleted.
    return *max_tombstone != 0;
  }
  if (r.sequence < *max_tombstone || r.type != ValueType::kValue) return true;
  value->assign(r.value);
  *found = true;
  return true;
}

}  // namespace

Status Version::Get(const LookupKey& key, uint64_t user_key_hash, std::string* value,
                    bool* found, SequenceNumber* max_tombstone, VersionGetStats* stats) const {
  *found = false;
  if (*max_tombstone != 0) return Status::OK();
  std::string_view user_key = key.user_key();
  Status status;
  // Level 0: every table whose range holds the key, newest first.
  for (const auto& f : levels_[0]) {
    if (user_key < f->smallest_user_key() || user_key > f->largest_user_key()) continue;
    if (ProbeTable(*f, key, user_key_hash, value, found, max_tombstone, stats, &status)) {
      return status;
    }
  }
  for (size_t level = 1; level < levels_.size(); ++level) {
    const auto& files = levels_[level];
    if (files.empty()) continue;
    size_t i = FindFile(files, key.internal_key());
    // A user key may straddle two tables only at a tombstone's sentinel
    // boundary; check the next table too when this one ends at the key.
    for (; i < files.size(); ++i) {
      const auto& f = files[i];
      if (user_key < f->smallest_user_key()) break;
      if (ProbeTable(*f, key, user_key_hash, value, found, max_tombstone, stats, &status)) {
      return status;
    }
      if (f->largest_user_key() != user_key) break;
    }
  }
  return status;
}

void Version::AddIterators(const std::string* lower, const std::string* upper,
                           std::vector<std::unique_ptr<Iterator>>* iters,
                           std::vector<RangeTombstonesPtr>* tombstones,
                           std::vector<DamagedBlock>* skip_damaged) const {
  for (const auto& level : levels_) {
    for (const auto& f : level) {
      if (lower != nullptr && f->largest_user_key() < std::string_view(*lower)) continue;
      if (upper != nullptr && f->smallest_user_key() >= std::string_view(*upper)) continue;
      iters->push_back(skip_damaged == nullptr
                           ? f->table->NewIterator()
                           : f->table->NewIterator(skip_damaged, f->smallest_user_key()));
      const RangeTombstonesPtr& t = f->table->range_tombstones();
      if (t && !t->empty()) tombstones->push_back(t);
    }
  }
}

std::vector<LiveFilePtr> Version::OverlappingFiles(int level, const std::string_view* begin,
                                                   const std::string_view* end) const {
  std::string lo = begin ? std::string(*begin) : std::string();
  std::string hi = end ? std::string(*end) : std::string();
  bool has_lo = begin != nullptr;
  bool has_hi = end != nullptr;
  std::vector<LiveFilePtr> out;
  const auto& files = levels_[level];
  for (size_t i = 0; i < files.size();) {
    const auto& f = files[i++];
    std::string_view fs = f->smallest_user_key();
    std::string_view fl = f->largest_user_key();
    if ((has_hi && fs > std::string_view(hi)) || (has_lo && fl < std::string_view(lo))) continue;
    out.push_back(f);
    if (level == 0) {
      // Grow the range and start over if this file extends it.
      bool grew = false;
      if (has_lo && fs < std::string_view(lo)) {
        lo = fs;
        grew = true;
      }
      if (has_hi && fl > std::string_view(hi)) {
        hi = fl;
        grew = true;
      }
      if (grew) {
        out.clear();
        i = 0;
      }
    }
  }
  return out;
}

bool Version::DeeperLevelsOverlap(int level, std::string_view begin, std::string_view end) const {
  for (size_t l = level + 1; l < levels_.size(); ++l) {
    for (const auto& f : levels_[l]) {
      if (f->largest_user_key() >= begin && f->smallest_user_key() <= end) return true;
    }
  }
  return false;
}

}  // namespace iron::lsm

#include "version.h"

#include <algorithm>

#include "block.h"

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
  // Deeper levels are sorted and disjoint: one binary search each.
  for (size_t l = std::max<size_t>(level + 1, 1); l < levels_.size(); ++l) {
    const auto& files = levels_[l];
    auto it = std::partition_point(files.begin(), files.end(), [&](const LiveFilePtr& f) {
      return f->largest_user_key() < begin;
    });
    if (it != files.end() && (*it)->smallest_user_key() <= end) return true;
  }
  return false;
}

namespace {

// Where in `t`'s file the entries at or after user key `k` begin, from its
// index (LevelDB's ApproximateOffsetOf).
uint64_t ApproximateOffsetOf(const Table& t, std::string_view k) {
  BlockIter index(t.index_contents(), CompareInternalKeys, &t.file_name(), kTagSize);
  index.Seek(MakeInternalKey(k, kMaxSequenceNumber, kValueTypeForSeek));
  if (!index.Valid()) return t.file_size();
  std::string_view v = index.value();
  BlockHandle h;
  return h.DecodeFrom(&v) ? h.offset : t.file_size();
}

// Bytes of `f` holding user keys in [begin, end).
uint64_t ApproximateBytesIn(const LiveFile& f, std::string_view begin, std::string_view end) {
  if (end <= f.smallest_user_key() || begin > f.largest_user_key()) return 0;
  if (begin <= f.smallest_user_key() && end > f.largest_user_key()) return f.meta.file_size;
  uint64_t b = begin <= f.smallest_user_key() ? 0 : ApproximateOffsetOf(*f.table, begin);
  uint64_t e = end > f.largest_user_key() ? f.meta.file_size : ApproximateOffsetOf(*f.table, end);
  return e > b ? e - b : 0;
}

// The files of a sorted level overlapping user keys [begin, end].
std::pair<size_t, size_t> OverlapRun(const std::vector<LiveFilePtr>& files,
                                     std::string_view begin, std::string_view end) {
  auto first = std::partition_point(files.begin(), files.end(), [&](const LiveFilePtr& f) {
    return f->largest_user_key() < begin;
  });
  auto last = std::partition_point(first, files.end(), [&](const LiveFilePtr& f) {
    return f->smallest_user_key() <= end;
  });
  return {static_cast<size_t>(first - files.begin()), static_cast<size_t>(last - files.begin())};
}

}  // namespace

constexpr size_t kMaxTombstonesWeighed = 1 << 14;

void Version::ComputeDeletionDebts() {
  deletion_debts_.clear();
  const int n = num_levels();
  for (int level = 0; level + 1 < n; ++level) {
    for (const auto& f : levels_[level]) {
      const RangeTombstonesPtr& tombs = f->table->range_tombstones();
      const size_t ranges = tombs ? tombs->tombstones().size() : 0;
      if (f->meta.num_deletions == 0 && ranges == 0) continue;
      DeletionDebt d;
      d.level = level;
      d.file = f;
      d.cost_bytes = f->meta.file_size;
      uint64_t deeper_bytes = 0, deeper_entries = 0;
      for (int l = level + 1; l < n; ++l) {
        auto [b, e] = OverlapRun(levels_[l], f->smallest_user_key(), f->largest_user_key());
        for (size_t i = b; i < e; ++i) {
          const auto& g = levels_[l][i];
          deeper_bytes += g->meta.file_size;
          deeper_entries += g->meta.num_entries;
          if (l == level + 1) d.cost_bytes += g->meta.file_size;
        }
      }
      if (ranges > kMaxTombstonesWeighed && deeper_bytes != 0) {
        // So many ranges (a table written before they were collapsed)
        // are worth compacting whatever they hide; weighing them one by
        // one at every version would cost more than that.
        d.hidden_bytes = deeper_bytes;
      } else if (ranges != 0 && deeper_bytes != 0) {
        for (const auto& t : tombs->tombstones()) {
          for (int l = level + 1; l < n; ++l) {
            auto [b, e] = OverlapRun(levels_[l], t.begin, t.end);
            for (size_t i = b; i < e; ++i) {
              d.hidden_bytes += ApproximateBytesIn(*levels_[l][i], t.begin, t.end);
            }
          }
        }
      }
      // A point deletion hides, on average, one entry of what lies below.
      const uint64_t points = f->meta.num_deletions > ranges ? f->meta.num_deletions - ranges : 0;
      if (deeper_entries != 0) d.hidden_bytes += points * (deeper_bytes / deeper_entries);
      d.hidden_bytes = std::min(d.hidden_bytes, deeper_bytes);
      // A table that is mostly deletions over nothing deeper shrinks when
      // they are dropped: what they take counts as what is freed.
      if (deeper_bytes == 0 && f->meta.num_deletions * 2 >= f->meta.num_entries + ranges) {
        d.hidden_bytes = f->meta.file_size;
      }
      if (d.hidden_bytes != 0) deletion_debts_.push_back(std::move(d));
    }
  }
  std::sort(deletion_debts_.begin(), deletion_debts_.end(),
            [](const DeletionDebt& a, const DeletionDebt& b) {
              // hidden/cost descending, without division.
              return static_cast<double>(a.hidden_bytes) * static_cast<double>(b.cost_bytes) >
                     static_cast<double>(b.hidden_bytes) * static_cast<double>(a.cost_bytes);
            });
}

}  // namespace iron::lsm

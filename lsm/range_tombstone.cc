#include "range_tombstone.h"

#include <algorithm>
#include <set>

namespace iron::lsm {

// Sweep the sorted boundaries once, keeping the set of tombstones active
// over the current piece; each piece between two consecutive boundaries
// that some tombstone covers becomes a fragment.
FragmentedRangeTombstones::FragmentedRangeTombstones(std::vector<RangeTombstone> tombstones)
    : tombstones_(std::move(tombstones)) {
  std::erase_if(tombstones_, [](const RangeTombstone& t) { return t.begin >= t.end; });
  std::sort(tombstones_.begin(), tombstones_.end(),
            [](const RangeTombstone& a, const RangeTombstone& b) {
              if (a.begin != b.begin) return a.begin < b.begin;
              return a.sequence > b.sequence;
            });
  if (tombstones_.empty()) return;

  std::vector<std::string_view> bounds;
  bounds.reserve(tombstones_.size() * 2);
  for (const auto& t : tombstones_) {
    bounds.push_back(t.begin);
    bounds.push_back(t.end);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());

  // Active tombstones ordered by end, so expired ones leave from the front.
  std::multiset<std::pair<std::string_view, SequenceNumber>> active;
  size_t next = 0;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    std::string_view lo = bounds[i];
    std::string_view hi = bounds[i + 1];
    while (!active.empty() && active.begin()->first <= lo) active.erase(active.begin());
    while (next < tombstones_.size() && tombstones_[next].begin == lo) {
      active.emplace(tombstones_[next].end, tombstones_[next].sequence);
      ++next;
    }
    if (active.empty()) continue;
    Fragment f{std::string(lo), std::string(hi), {}};
    f.sequences.reserve(active.size());
    for (const auto& [end, seq] : active) f.sequences.push_back(seq);
    std::sort(f.sequences.rbegin(), f.sequences.rend());
    f.sequences.erase(std::unique(f.sequences.begin(), f.sequences.end()), f.sequences.end());
    fragments_.push_back(std::move(f));
  }
}

SequenceNumber FragmentedRangeTombstones::MaxCoveringSequence(std::string_view user_key,
                                                              SequenceNumber snapshot) const {
  // First fragment whose end is beyond the key.
  auto it = std::upper_bound(fragments_.begin(), fragments_.end(), user_key,
                             [](std::string_view k, const Fragment& f) { return k < f.end; });
  if (it == fragments_.end() || user_key < std::string_view(it->begin)) return 0;
  for (SequenceNumber s : it->sequences) {
    if (s <= snapshot) return s;
  }
  return 0;
}

}  // namespace iron::lsm

namespace iron::lsm {

void RangeTombstoneMap::SplitAt(const std::string& key) {
  auto it = fragments_.upper_bound(key);
  if (it == fragments_.begin()) return;
  --it;
  if (it->first == key || it->second.end <= key) return;
  Piece right = it->second;
  it->second.end = key;
  fragments_.emplace(key, std::move(right));
}

void RangeTombstoneMap::Add(const RangeTombstone& t) {
  if (t.begin >= t.end) return;
  SplitAt(t.begin);
  SplitAt(t.end);
  std::string cursor = t.begin;
  auto it = fragments_.lower_bound(t.begin);
  while (cursor < t.end) {
    if (it == fragments_.end() || it->first > cursor) {
      // A gap [cursor, next begin or end) covered by nothing yet.
      std::string gap_end = (it == fragments_.end() || it->first > t.end) ? t.end : it->first;
      fragments_.emplace_hint(it, cursor, Piece{gap_end, {t.sequence}});
      cursor = gap_end;
      continue;
    }
    auto& seqs = it->second.sequences;
    seqs.insert(std::upper_bound(seqs.begin(), seqs.end(), t.sequence, std::greater<>()),
                t.sequence);
    cursor = it->second.end;
    ++it;
  }
}

SequenceNumber RangeTombstoneMap::MaxCoveringSequence(std::string_view user_key,
                                                      SequenceNumber snapshot) const {
  auto it = fragments_.upper_bound(user_key);
  if (it == fragments_.begin()) return 0;
  --it;
  if (std::string_view(it->second.end) <= user_key) return 0;
  for (SequenceNumber s : it->second.sequences) {
    if (s <= snapshot) return s;
  }
  return 0;
}

std::vector<RangeTombstone> RangeTombstoneMap::Overlapping(const std::string* lower,
                                                           const std::string* upper) const {
  std::vector<RangeTombstone> out;
  auto it = fragments_.begin();
  if (lower != nullptr) {
    it = fragments_.upper_bound(*lower);
    if (it != fragments_.begin()) {
      auto prev = std::prev(it);
      if (prev->second.end > *lower) it = prev;
    }
  }
  for (; it != fragments_.end(); ++it) {
    if (upper != nullptr && it->first >= *upper) break;
    for (SequenceNumber s : it->second.sequences) {
      out.push_back({it->first, it->second.end, s});
    }
  }
  return out;
}

}  // namespace iron::lsm

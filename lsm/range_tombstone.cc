#include "range_tombstone.h"

#include <algorithm>
#include <set>

namespace iron::lsm {

void KeepVisibleSequences(const std::vector<SequenceNumber>& snapshots,
                          std::vector<SequenceNumber>* sequences) {
  auto& seqs = *sequences;
  if (seqs.size() <= 1) return;
  std::vector<SequenceNumber> kept{seqs.front()};
  for (SequenceNumber snap : snapshots) {
    // The first (newest) sequence at or below the snapshot.
    auto it = std::lower_bound(seqs.begin(), seqs.end(), snap, std::greater<>());
    if (it != seqs.end()) kept.push_back(*it);
  }
  std::sort(kept.begin(), kept.end(), std::greater<>());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  seqs = std::move(kept);
}

void JoinAbutting(std::vector<RangeTombstone>* pieces) {
  std::vector<RangeTombstone> out;
  out.reserve(pieces->size());
  // The pieces of the previous group (same begin): sequence and index.
  std::vector<std::pair<SequenceNumber, size_t>> open, current;
  std::string group;  // the begin of the current group
  for (RangeTombstone& p : *pieces) {
    if (p.begin != group) {
      open.swap(current);
      current.clear();
      group = p.begin;
    }
    auto it = std::find_if(open.begin(), open.end(), [&](const auto& o) {
      return o.first == p.sequence && out[o.second].end == p.begin;
    });
    if (it != open.end()) {
      out[it->second].end = std::move(p.end);
      current.emplace_back(p.sequence, it->second);
    } else {
      out.push_back(std::move(p));
      current.emplace_back(out.back().sequence, out.size() - 1);
    }
  }
  *pieces = std::move(out);
}

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

bool FragmentedRangeTombstones::CoversWhole(std::string_view begin, std::string_view last,
                                            bool last_inclusive, SequenceNumber sequence,
                                            SequenceNumber snapshot) const {
  auto it = std::upper_bound(fragments_.begin(), fragments_.end(), begin,
                             [](std::string_view k, const Fragment& f) { return k < f.end; });
  std::string_view cursor = begin;
  for (; it != fragments_.end(); ++it) {
    if (cursor < std::string_view(it->begin)) return false;  // a gap
    auto visible = std::find_if(it->sequences.begin(), it->sequences.end(),
                                [&](SequenceNumber s) { return s <= snapshot; });
    if (visible == it->sequences.end() || *visible <= sequence) return false;
    cursor = it->end;
    if (last_inclusive ? cursor > last : cursor >= last) return true;
  }
  return false;
}

size_t FragmentedRangeTombstones::sequence_count() const {
  size_t n = 0;
  for (const auto& f : fragments_) n += f.sequences.size();
  return n;
}

std::vector<RangeTombstone> FragmentedRangeTombstones::Collapse(
    const std::vector<SequenceNumber>& snapshots,
    const std::function<bool(const RangeTombstone&)>& drop) const {
  std::vector<RangeTombstone> out;
  std::vector<SequenceNumber> seqs;
  for (const auto& f : fragments_) {
    seqs = f.sequences;
    KeepVisibleSequences(snapshots, &seqs);
    for (SequenceNumber s : seqs) {
      RangeTombstone t{f.begin, f.end, s};
      if (drop && drop(t)) continue;
      out.push_back(std::move(t));
    }
  }
  JoinAbutting(&out);
  return out;
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
  bytes_ += PieceBytes(key, right);
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
      Piece gap{gap_end, {t.sequence}};
      bytes_ += PieceBytes(cursor, gap);
      fragments_.emplace_hint(it, cursor, std::move(gap));
      cursor = gap_end;
      continue;
    }
    auto& seqs = it->second.sequences;
    seqs.insert(std::upper_bound(seqs.begin(), seqs.end(), t.sequence, std::greater<>()),
                t.sequence);
    bytes_ += sizeof(SequenceNumber);
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

std::vector<RangeTombstone> RangeTombstoneMap::Overlapping(
    const std::string* lower, const std::string* upper,
    const std::vector<SequenceNumber>* snapshots) const {
  std::vector<RangeTombstone> out;
  std::vector<SequenceNumber> seqs;
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
    if (snapshots == nullptr) {
      for (SequenceNumber s : it->second.sequences) out.push_back({it->first, it->second.end, s});
      continue;
    }
    seqs = it->second.sequences;
    KeepVisibleSequences(*snapshots, &seqs);
    for (SequenceNumber s : seqs) out.push_back({it->first, it->second.end, s});
  }
  if (snapshots != nullptr) JoinAbutting(&out);
  return out;
}

}  // namespace iron::lsm

#include "memtable_filter.h"

namespace iron::lsm {

MemTableFilter::MemTableFilter(size_t bits) {
  lines_ = bits / (kWordsPerLine * 64);
  if (lines_ == 0) return;
  words_ = std::make_unique<std::atomic<uint64_t>[]>(lines_ * kWordsPerLine);
  for (size_t i = 0; i < lines_ * kWordsPerLine; ++i) words_[i].store(0, std::memory_order_relaxed);
}

void MemTableFilter::Add(uint64_t hash) {
  if (lines_ == 0) return;
  std::atomic<uint64_t>* line = &words_[((hash >> 32) % lines_) * kWordsPerLine];
  for (int i = 0; i < kProbes; ++i) {
    uint32_t bit = (hash >> (9 * i)) & 511;
    line[bit / 64].fetch_or(uint64_t{1} << (bit % 64), std::memory_order_relaxed);
  }
}

bool MemTableFilter::MayContain(uint64_t hash) const {
  if (lines_ == 0) return true;
  const std::atomic<uint64_t>* line = &words_[((hash >> 32) % lines_) * kWordsPerLine];
  for (int i = 0; i < kProbes; ++i) {
    uint32_t bit = (hash >> (9 * i)) & 511;
    if ((line[bit / 64].load(std::memory_order_relaxed) & (uint64_t{1} << (bit % 64))) == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace iron::lsm

#include "bloom.h"

#include <algorithm>

#include <xxhash.h>

namespace iron::lsm {

namespace {

constexpr int kMaxProbes = 30;

}  // namespace

uint64_t BloomHash(std::string_view user_key) {
  return XXH3_64bits(user_key.data(), user_key.size());
}

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key) : bits_per_key_(bits_per_key) {}

void BloomFilterBuilder::AddKey(std::string_view user_key) {
  hashes_.push_back(BloomHash(user_key));
}

std::string BloomFilterBuilder::Finish() const {
  // k = bits_per_key * ln 2 minimizes the false-positive rate.
  int k = std::clamp(static_cast<int>(bits_per_key_ * 0.69), 1, kMaxProbes);
  uint64_t bits = std::max<uint64_t>(64, hashes_.size() * static_cast<uint64_t>(bits_per_key_));
  uint64_t bytes = (bits + 7) / 8;
  bits = bytes * 8;
  std::string filter(bytes + 1, '\0');
  filter[bytes] = static_cast<char>(k);
  for (uint64_t h : hashes_) {
    uint64_t a = h & 0xffffffffu;
    uint64_t delta = (h >> 32) | 1;
    for (int j = 0; j < k; ++j) {
      uint64_t pos = a % bits;
      filter[pos / 8] = static_cast<char>(filter[pos / 8] | (1 << (pos % 8)));
      a += delta;
    }
  }
  return filter;
}

bool BloomFilterMayContain(std::string_view filter, std::string_view user_key) {
  return BloomFilterMayContainHash(filter, BloomHash(user_key));
}

bool BloomFilterMayContainHash(std::string_view filter, uint64_t h) {
  if (filter.size() < 2) return true;
  int k = static_cast<unsigned char>(filter.back());
  if (k < 1 || k > kMaxProbes) return true;
  uint64_t bits = (filter.size() - 1) * 8;
  uint64_t a = h & 0xffffffffu;
  uint64_t delta = (h >> 32) | 1;
  for (int j = 0; j < k; ++j) {
    uint64_t pos = a % bits;
    if ((static_cast<unsigned char>(filter[pos / 8]) & (1 << (pos % 8))) == 0) return false;
    a += delta;
  }
  return true;
}

}  // namespace iron::lsm

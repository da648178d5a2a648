// Bloom filter: one per table, over the user keys of its point entries, so
// that a lookup of an absent key usually reads no data block at all.
//
// Layout (see FORMAT.md): the bit array, then one byte holding k, the
// number of probes. Probes use double hashing over the two halves of the
// key's 64-bit XXH3 hash. At 10 bits per key, k = 6 and about 0.8% of
// absent keys get through.
//
// Thread safety: a builder is used by one thread; MayContain is a pure
// function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iron::lsm {

// The 64-bit hash every filter of the engine uses for a user key.
uint64_t BloomHash(std::string_view user_key);

class BloomFilterBuilder {
 public:
  explicit BloomFilterBuilder(int bits_per_key);
  void AddKey(std::string_view user_key);
  size_t num_keys() const { return hashes_.size(); }
  // The filter for every key added.
  std::string Finish() const;

 private:
  const int bits_per_key_;
  std::vector<uint64_t> hashes_;
};

// False only if user_key was certainly not added. A filter too short to
// be one, or with an unknown k, answers true (it filters nothing).
bool BloomFilterMayContain(std::string_view filter, std::string_view user_key);
// The same, given BloomHash(user_key).
bool BloomFilterMayContainHash(std::string_view filter, uint64_t hash);

}  // namespace iron::lsm

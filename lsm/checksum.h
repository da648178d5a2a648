// Checksums of on-disk records and blocks: XXH3-64 from libxxhash.
//
// Every WAL record, table block and manifest record carries the low 32 bits
// of XXH3-64 over its bytes (32 bits are plenty to catch torn writes and bit
// flips in a block of a few KiB, and keep trailers small).
#pragma once

#include <cstdint>
#include <string_view>

#ifndef XXH_STATIC_LINKING_ONLY
#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t, for checksums of concatenations
#endif
#include <xxhash.h>

namespace iron::lsm {

inline uint32_t Checksum32(const char* data, size_t n) {
  return static_cast<uint32_t>(XXH3_64bits(data, n));
}

inline uint32_t Checksum32(std::string_view data) {
  return Checksum32(data.data(), data.size());
}

// Checksum of the concatenation a+b without copying.
inline uint32_t Checksum32(std::string_view a, std::string_view b) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, a.data(), a.size());
  XXH3_64bits_update(&state, b.data(), b.size());
  return static_cast<uint32_t>(XXH3_64bits_digest(&state));
}

}  // namespace iron::lsm

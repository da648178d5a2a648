// The byte encodings of the filesystem's keys and values (key_schema.h,
// inode_codec.h), which are the filesystem's own format, not the engine's.
//
// Numbers inside keys are big-endian, so that the engine's byte order is
// numeric order (the blocks of a file, the inodes, sort by number). Fixed-
// width fields inside values are little-endian, as the host writes them.
//
// All functions are pure; a decoder reads exactly its width from `p`.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace iron::fs {

static_assert(std::endian::native == std::endian::little,
              "the value formats assume a little-endian host");

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  std::memcpy(buf, &v, 4);
  dst->append(buf, 4);
}

inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);
  dst->append(buf, 8);
}

inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void PutBigEndian64(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 8);
}

inline uint64_t DecodeBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace iron::fs

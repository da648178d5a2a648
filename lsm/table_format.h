// The framing of a table file (see FORMAT.md): where blocks are, how each
// is checksummed, and the fixed-size footer that points at the rest.
//
//   [data block]* [filter] [range-del block] [index block] [footer]
//   block trailer: 1 byte type (0 = raw) | fixed32 Checksum32(contents + type)
//   footer (68 bytes): index, filter, range-del BlockHandles, zero-padded
//                      to 60 bytes, then fixed64 kTableMagic
//
// Thread safety: pure functions and value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lsm/env.h"
#include "lsm/status.h"

namespace iron::lsm {

inline constexpr uint64_t kTableMagic = 0x315453536e6f7249ull;  // "IronSST1" on disk
inline constexpr size_t kBlockTrailerSize = 5;
inline constexpr size_t kFooterSize = 68;

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;  // contents only, without the trailer

  void EncodeTo(std::string* dst) const;
  bool DecodeFrom(std::string_view* input);
};

struct Footer {
  BlockHandle index;
  BlockHandle filter;
  BlockHandle range_del;

  std::string Encode() const;
  // Corruption naming `file_name` if the footer is not one.
  Status DecodeFrom(std::string_view footer, const std::string& file_name);
};

// Points *contents at the verified contents of the block `handle` of a
// table mapped at [base, base + file_size). Corruption naming the file and
// the block's offset if the handle points outside the file, the type is
// unknown, or the checksum does not match.
Status ReadBlock(const char* base, size_t file_size, const BlockHandle& handle,
                 const std::string& file_name, std::string_view* contents);

// Reads the block `handle` of the table `file` (file_size bytes long when
// it was opened) into *contents, with one read, and verifies it as
// ReadBlock does; *contents then holds the block without its trailer.
// A read that comes back short (the file shrank since) is a Corruption
// naming the file and offset; a failed read is the file's IOError.
Status ReadBlockFromFile(const RandomAccessFile& file, uint64_t file_size,
                         const BlockHandle& handle, const std::string& file_name,
                         std::string* contents);

// Appends contents and its trailer to *out.
void AppendBlockTrailer(std::string_view contents, std::string* out);

}  // namespace iron::lsm

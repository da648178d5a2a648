// The values of the key schema (key_schema.h): superblock, inode and
// directory entry, and their encodings.
//
// All integers are little-endian, fixed width. Each value starts with a
// format byte (kFormatVersion) so that a later version can add fields; a
// decoder rejects a value that is short, long, or of an unknown format
// rather than guess.
//
// Superblock (value of 'S'), format 1, 48 bytes:
//   u8  format = 1
//   u8  reserved = 0, u16 reserved = 0
//   u32 block_size            bytes per data block, a power of two
//   u8  uuid[16]
//   i64 created_sec, u32 created_nsec
//   u64 inode_limit           every inode number ever handed out is below it
//   u32 reserved = 0
//
// Inode (value of 'I' ino), format 1, 109 bytes + symlink target:
//   u8  format = 1
//   u32 mode                  file type and permission bits (S_IFMT | 07777)
//   u32 uid, u32 gid
//   u32 nlink
//   u32 flags                 kInodeHasXattrs
//   u64 size                  bytes; for a symlink the target's length
//   u64 blocks                data blocks stored (for st_blocks)
//   u64 rdev                  character and block devices
//   u64 parent                directories: the directory holding it (root: itself)
//   u64 generation
//   i64 atime_sec, u32 atime_nsec, then mtime, ctime, btime alike
//   ...                       symlink target (size bytes), other types nothing
//
// DirEntry (value of 'D' parent name), format 1, 10 bytes:
//   u8  format = 1
//   u64 ino
//   u8  type                  the child's S_IFMT >> 12 (a DT_* value)
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fs/filesystem.h"
#include "fs/timestamp.h"

namespace iron::fs {

// kFormatVersion (filesystem.h) is the format this program writes and
// reads; the layouts above are those of format 1.

// The format byte of an encoded value: whether a value that does not
// decode was written by a later IronFS (FormatOf(v) > kFormatVersion) or
// is damaged. 0 for an empty value.
inline uint8_t FormatOf(std::string_view value) {
  return value.empty() ? 0 : static_cast<uint8_t>(value[0]);
}

inline constexpr uint32_t kInodeHasXattrs = 1u << 0;

struct Inode {
  uint64_t ino = 0;  // from the key, not stored in the value
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 0;
  uint32_t flags = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;
  uint64_t rdev = 0;
  uint64_t parent = 0;
  uint64_t generation = 0;
  Timestamp atime, mtime, ctime, btime;
  std::string symlink;

  bool IsDir() const { return S_ISDIR(mode); }
  bool IsRegular() const { return S_ISREG(mode); }
  bool IsSymlink() const { return S_ISLNK(mode); }
  // Sets ctime, and mtime too when `modified`.
  void Touch(Timestamp now, bool modified);
};

struct Superblock {
  uint32_t block_size = 0;
  uint8_t uuid[16] = {};
  Timestamp created;
  uint64_t inode_limit = 0;
};

struct DirEntry {
  uint64_t ino = 0;
  uint8_t type = 0;  // DT_REG, DT_DIR, ...
};

inline uint8_t TypeOfMode(uint32_t mode) { return static_cast<uint8_t>((mode & S_IFMT) >> 12); }

std::string EncodeInode(const Inode& inode);
bool DecodeInode(uint64_t ino, std::string_view value, Inode* out);

std::string EncodeSuperblock(const Superblock& sb);
bool DecodeSuperblock(std::string_view value, Superblock* out);

std::string EncodeDirEntry(const DirEntry& entry);
bool DecodeDirEntry(std::string_view value, DirEntry* out);

}  // namespace iron::fs

// The key schema: how a filesystem is laid out in the engine's keyspace.
//
// A filesystem is a set of keys in one Store (store.h). Integers in keys are
// fixed-width big-endian, so byte order is numeric order and every object's
// keys are contiguous. Each key begins with a one-byte kind:
//
//   key                                   value
//   'S'                                   Superblock (inode_codec.h)
//   'I' ino:be64                          Inode (inode_codec.h)
//   'D' parent:be64 name                  DirEntry: child ino, file type
//   'B' ino:be64 block:be64               data of one block of a regular file
//   'X' ino:be64 name                     value of one extended attribute
//   'O' ino:be64                          empty: an orphan (see below)
//
// Directory entries. `name` is the raw component (1..255 bytes, no '/' or
// NUL); "." and ".." are never stored (a directory's parent is in its
// inode). A directory's entries are the keys with prefix 'D' parent, in
// name order, so readdir is one prefix scan and lookup one point read.
//
// Data blocks. A regular file's bytes are cut into blocks of the
// superblock's block size. Block b holds bytes [b*bs, (b+1)*bs). Its value
// may be shorter than a block: the missing tail reads as zeros. A missing
// block is a hole. Invariant: a block's value never reaches past the file's
// size (block b's value is at most size - b*bs bytes), so growing a file
// never uncovers stale bytes. A whole file's blocks (or a truncated tail)
// are deleted with one range tombstone over 'B' ino, so deleting a large
// file costs O(1) and compaction gives the space back.
//
// Orphans. An inode whose last name was removed while it was still open
// (or still known to the kernel) keeps its keys, with nlink 0, and gets an
// 'O' key in the same batch. The inode is reclaimed when it is released,
// or, after a crash, when the filesystem is next mounted.
//
// Inode numbers. 1 is the root. New numbers come from a counter whose
// persisted high-water mark (Superblock::inode_limit) is raised before any
// number below it is handed out, so a number is never reused, even after a
// crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace iron::fs {

inline constexpr size_t kMaxNameLength = 255;  // NAME_MAX

// Keys of different kinds go to different tables (the engine's
// Options::table_partition_prefix): a table of file data written in order
// then overlaps no other table and moves down the levels unrewritten.
inline constexpr size_t kKeyKindBytes = 1;

enum class KeyKind : char {
  kSuperblock = 'S',
  kInode = 'I',
  kDirEntry = 'D',
  kBlock = 'B',
  kXattr = 'X',
  kOrphan = 'O',
};

std::string SuperblockKey();
std::string InodeKey(uint64_t ino);
std::string DirEntryKey(uint64_t parent, std::string_view name);
std::string BlockKey(uint64_t ino, uint64_t block);
std::string XattrKey(uint64_t ino, std::string_view name);
std::string OrphanKey(uint64_t ino);

// The smallest key of `kind` for `ino`, and the smallest key past all of
// them: [ObjectBegin, ObjectEnd) holds every D/B/X key of ino.
std::string ObjectBegin(KeyKind kind, uint64_t ino);
std::string ObjectEnd(KeyKind kind, uint64_t ino);
// [KindBegin, KindEnd) holds every key of one kind.
std::string KindBegin(KeyKind kind);
std::string KindEnd(KeyKind kind);

// A decoded key. Fields not carried by the kind are zero / empty.
struct ParsedKey {
  KeyKind kind = KeyKind::kSuperblock;
  uint64_t ino = 0;           // I, D (the parent), B, X, O
  uint64_t block = 0;         // B
  std::string_view name;      // D, X (points into the key)
};

// False if `key` is not a well-formed key of this schema.
bool ParseKey(std::string_view key, ParsedKey* out);

}  // namespace iron::fs

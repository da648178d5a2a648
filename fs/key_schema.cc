#include "key_schema.h"

#include "coding.h"

namespace iron::fs {
namespace {

std::string KindAndIno(KeyKind kind, uint64_t ino) {
  std::string key(1, static_cast<char>(kind));
  PutBigEndian64(&key, ino);
  return key;
}

}  // namespace

std::string SuperblockKey() { return std::string(1, static_cast<char>(KeyKind::kSuperblock)); }
std::string InodeKey(uint64_t ino) { return KindAndIno(KeyKind::kInode, ino); }
std::string OrphanKey(uint64_t ino) { return KindAndIno(KeyKind::kOrphan, ino); }

std::string DirEntryKey(uint64_t parent, std::string_view name) {
  std::string key = KindAndIno(KeyKind::kDirEntry, parent);
  key.append(name);
  return key;
}

std::string BlockKey(uint64_t ino, uint64_t block) {
  std::string key = KindAndIno(KeyKind::kBlock, ino);
  PutBigEndian64(&key, block);
  return key;
}

std::string XattrKey(uint64_t ino, std::string_view name) {
  std::string key = KindAndIno(KeyKind::kXattr, ino);
  key.append(name);
  return key;
}

std::string ObjectBegin(KeyKind kind, uint64_t ino) { return KindAndIno(kind, ino); }

std::string ObjectEnd(KeyKind kind, uint64_t ino) {
  // Every key of ino extends KindAndIno(ino); the next ino's prefix is past
  // them all. ino = 2^64-1 is never allocated.
  return KindAndIno(kind, ino + 1);
}

std::string KindBegin(KeyKind kind) { return std::string(1, static_cast<char>(kind)); }
std::string KindEnd(KeyKind kind) { return std::string(1, static_cast<char>(kind) + 1); }

bool ParseKey(std::string_view key, ParsedKey* out) {
  *out = ParsedKey{};
  if (key.empty()) return false;
  out->kind = static_cast<KeyKind>(key[0]);
  std::string_view rest = key.substr(1);
  switch (out->kind) {
    case KeyKind::kSuperblock:
      return rest.empty();
    case KeyKind::kInode:
    case KeyKind::kOrphan:
      if (rest.size() != 8) return false;
      out->ino = DecodeBigEndian64(rest.data());
      return true;
    case KeyKind::kBlock:
      if (rest.size() != 16) return false;
      out->ino = DecodeBigEndian64(rest.data());
      out->block = DecodeBigEndian64(rest.data() + 8);
      return true;
    case KeyKind::kDirEntry:
    case KeyKind::kXattr:
      if (rest.size() <= 8 || rest.size() > 8 + kMaxNameLength) return false;
      out->ino = DecodeBigEndian64(rest.data());
      out->name = rest.substr(8);
      return true;
  }
  return false;
}

}  // namespace iron::fs

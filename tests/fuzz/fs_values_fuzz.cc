// Fuzz target: the input is one value or key of the filesystem's key
// schema, given to every decoder of fs/inode_codec.h (DecodeInode,
// DecodeSuperblock, DecodeDirEntry) and to ParseKey (fs/key_schema.h),
// which also reads the names of extended attributes ('X' keys; their
// values are opaque bytes, handed back as stored).
//
// Asserts beyond "no crash": a decoded inode or directory entry encodes
// back to exactly the input; a decoded superblock encodes back to the
// input but for its reserved bytes, and decodes again to itself; a parsed
// key is rebuilt by the key constructors to exactly the input, lies in the
// range of its kind and of its object, and carries a name of 1..255 bytes
// where it has one.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "fs/inode_codec.h"
#include "fs/key_schema.h"
#include "tests/fuzz/check.h"

namespace {

using namespace iron::fs;

constexpr uint64_t kSomeIno = 42;

void FuzzInode(std::string_view value) {
  Inode inode;
  if (!DecodeInode(kSomeIno, value, &inode)) return;
  FUZZ_CHECK(inode.ino == kSomeIno);
  FUZZ_CHECK(EncodeInode(inode) == value);
}

bool SameSuperblock(const Superblock& a, const Superblock& b) {
  return a.block_size == b.block_size && std::memcmp(a.uuid, b.uuid, sizeof(a.uuid)) == 0 &&
         a.created == b.created && a.inode_limit == b.inode_limit;
}

void FuzzSuperblock(std::string_view value) {
  Superblock sb;
  if (!DecodeSuperblock(value, &sb)) return;
  std::string encoded = EncodeSuperblock(sb);
  FUZZ_CHECK(encoded.size() == value.size());
  // Bytes 1-3 and 44-47 are reserved: written as zeros, ignored when read.
  FUZZ_CHECK(encoded.substr(4, 40) == value.substr(4, 40));
  Superblock again;
  FUZZ_CHECK(DecodeSuperblock(encoded, &again));
  FUZZ_CHECK(SameSuperblock(sb, again));
}

void FuzzDirEntry(std::string_view value) {
  DirEntry entry;
  if (!DecodeDirEntry(value, &entry)) return;
  FUZZ_CHECK(entry.ino != 0);
  FUZZ_CHECK(EncodeDirEntry(entry) == value);
}

std::string RebuildKey(const ParsedKey& k) {
  switch (k.kind) {
    case KeyKind::kSuperblock: return SuperblockKey();
    case KeyKind::kInode: return InodeKey(k.ino);
    case KeyKind::kDirEntry: return DirEntryKey(k.ino, k.name);
    case KeyKind::kBlock: return BlockKey(k.ino, k.block);
    case KeyKind::kXattr: return XattrKey(k.ino, k.name);
    case KeyKind::kOrphan: return OrphanKey(k.ino);
  }
  FUZZ_CHECK(false);  // ParseKey accepted a kind it does not know
  return {};
}

void FuzzKey(std::string_view key) {
  ParsedKey k;
  if (!ParseKey(key, &k)) return;
  FUZZ_CHECK(RebuildKey(k) == key);
  FUZZ_CHECK(KindBegin(k.kind) <= key && key < KindEnd(k.kind));
  bool named = k.kind == KeyKind::kDirEntry || k.kind == KeyKind::kXattr;
  if (named) {
    FUZZ_CHECK(!k.name.empty() && k.name.size() <= kMaxNameLength);
  } else {
    FUZZ_CHECK(k.name.empty());
  }
  bool per_object = named || k.kind == KeyKind::kBlock;
  if (per_object && k.ino != std::numeric_limits<uint64_t>::max()) {
    FUZZ_CHECK(ObjectBegin(k.kind, k.ino) <= key && key < ObjectEnd(k.kind, k.ino));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzInode(input);
  FuzzSuperblock(input);
  FuzzDirEntry(input);
  FuzzKey(input);
  return 0;
}

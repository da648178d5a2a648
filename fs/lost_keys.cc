#include "fs/lost_keys.h"

#include <map>

#include "inode_codec.h"
#include "key_schema.h"
#include "path_names.h"
#include "lsm/status.h"

namespace iron::fs {
namespace {

// A damaged WAL record's keys are listed up to this many per inode.
constexpr size_t kMaxKeysPerInode = 8;

PathNames LoadNames(Store* store) {
  PathNames names;
  if (store == nullptr) return names;
  lsm::ReadOptions ro;
  ro.lower_bound = KindBegin(KeyKind::kDirEntry);
  ro.upper_bound = KindEnd(KeyKind::kDirEntry);
  auto it = store->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedKey key;
    DirEntry entry;
    if (ParseKey(it->key(), &key) && DecodeDirEntry(it->value(), &entry)) {
      names.Add(entry.ino, key.ino, key.name);
    }
  }
  return names;
}

// What one key is, without its inode: "record", "data block 3", ...
std::string KeyPart(const ParsedKey& k) {
  switch (k.kind) {
    case KeyKind::kSuperblock: return "the superblock";
    case KeyKind::kInode: return "its record";
    case KeyKind::kDirEntry: return "entry '" + PathNames::Printable(k.name) + "'";
    case KeyKind::kBlock: return "data block " + std::to_string(k.block);
    case KeyKind::kXattr: return "xattr '" + PathNames::Printable(k.name) + "'";
    case KeyKind::kOrphan: return "its orphan key";
  }
  return "";
}

std::string Subject(const PathNames& names, const ParsedKey& k) {
  return k.kind == KeyKind::kSuperblock ? "filesystem" : names.Inode(k.ino);
}

std::string DescribeRange(const PathNames& names, const lsm::LostRange& r) {
  ParsedKey lo, hi;
  bool has_lo = r.first && ParseKey(*r.first, &lo);
  bool has_hi = r.last && ParseKey(*r.last, &hi);
  if (has_lo && has_hi && lo.kind == hi.kind && lo.ino == hi.ino) {
    if (lo.kind == KeyKind::kBlock && lo.block != hi.block) {
      return Subject(names, lo) + ": data blocks " + std::to_string(lo.block) + "-" +
             std::to_string(hi.block);
    }
    if (r.first == r.last) return Subject(names, lo) + ": " + KeyPart(lo);
    return Subject(names, lo) + ": " + KeyPart(lo) + " to " + KeyPart(hi);
  }
  std::string from = has_lo ? Subject(names, lo) + " " + KeyPart(lo)
                     : r.first ? "key " + lsm::EscapeBytes(*r.first)
                               : "the first key of the file";
  std::string to = has_hi ? Subject(names, hi) + " " + KeyPart(hi)
                   : r.last ? "key " + lsm::EscapeBytes(*r.last)
                            : "its last key";
  if (!r.first && !r.last) return "which keys is unknown";
  return "everything from " + from + " to " + to;
}

}  // namespace

std::vector<std::string> DescribeLostKeys(Store* store, const std::vector<lsm::LostRange>& lost) {
  PathNames names = LoadNames(store);
  std::vector<std::string> lines;
  // Single keys (a damaged WAL record's) gathered per file, cause and inode.
  std::map<std::pair<std::string, std::string>, std::map<uint64_t, std::vector<std::string>>>
      single;
  for (const lsm::LostRange& r : lost) {
    ParsedKey k;
    if (r.first && r.first == r.last && ParseKey(*r.first, &k)) {
      single[{r.file, r.what}][k.ino].push_back(KeyPart(k));
      continue;
    }
    lines.push_back(r.file + ": " + r.what + ": " + DescribeRange(names, r));
  }
  for (const auto& [where, inodes] : single) {
    for (const auto& [ino, parts] : inodes) {
      std::string text;
      for (size_t i = 0; i < parts.size() && i < kMaxKeysPerInode; ++i) {
        text += (i == 0 ? "" : ", ") + parts[i];
      }
      if (parts.size() > kMaxKeysPerInode) {
        text += " and " + std::to_string(parts.size() - kMaxKeysPerInode) + " more";
      }
      std::string subject = ino == 0 ? "filesystem" : names.Inode(ino);
      lines.push_back(where.first + ": " + where.second + ": " + subject + ": " + text);
    }
  }
  return lines;
}

}  // namespace iron::fs

#include "path_names.h"

#include <vector>

#include "fs/filesystem.h"
#include "key_schema.h"

namespace iron::fs {

void PathNames::Add(uint64_t ino, uint64_t parent, std::string_view name) {
  names_.emplace(ino, std::make_pair(parent, std::string(name)));
}

std::string PathNames::PathOf(uint64_t ino) const {
  if (ino == kRootIno) return "/";
  std::vector<const std::string*> parts;
  uint64_t cur = ino;
  // A chain longer than the number of names recorded is a cycle.
  for (size_t steps = 0; cur != kRootIno; ++steps) {
    auto it = names_.find(cur);
    if (it == names_.end() || steps > names_.size()) return "";
    parts.push_back(&it->second.second);
    cur = it->second.first;
  }
  std::string path;
  for (auto p = parts.rbegin(); p != parts.rend(); ++p) path += "/" + Printable(**p);
  return path;
}

std::string PathNames::Inode(uint64_t ino) const {
  std::string path = PathOf(ino);
  std::string out = "inode " + std::to_string(ino);
  return path.empty() ? out : out + " (" + path + ")";
}

std::string PathNames::Entry(uint64_t parent, std::string_view name) const {
  std::string dir = PathOf(parent);
  if (dir.empty()) return "entry '" + Printable(name) + "' in inode " + std::to_string(parent);
  return "entry " + (dir == "/" ? "" : dir) + "/" + Printable(name) + " (in inode " +
         std::to_string(parent) + ")";
}

std::string PathNames::Printable(std::string_view name) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '\\') {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace iron::fs

#include "fs/checker.h"

#include <sys/stat.h>

#include <deque>
#include <unordered_map>

#include "fs/inode_codec.h"
#include "fs/key_schema.h"
#include "lsm/coding.h"

namespace iron::fs {
namespace {

struct InodeSummary {
  uint32_t mode = 0;
  uint32_t nlink = 0;
  uint32_t flags = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;  // as recorded
  uint64_t parent = 0;
  uint64_t names = 0;          // entries naming it
  uint64_t subdirs = 0;        // entries in it that are directories
  uint64_t entry_parent = 0;   // the directory holding its (last seen) name
  uint64_t blocks_found = 0;
  bool orphan = false;
  bool reached = false;
};

class Checker {
 public:
  Checker(lsm::DB* db, const std::function<void(uint64_t)>& progress)
      : db_(db), progress_(progress) {}

  CheckReport Run() {
    snapshot_ = db_->GetSnapshot();
    ScanSuperblock();
    Scan(KeyKind::kInode, [&](const ParsedKey& k, std::string_view v) { OnInode(k, v); });
    Scan(KeyKind::kDirEntry, [&](const ParsedKey& k, std::string_view v) { OnEntry(k, v); });
    Scan(KeyKind::kBlock, [&](const ParsedKey& k, std::string_view v) { OnBlock(k, v); });
    Scan(KeyKind::kXattr, [&](const ParsedKey& k, std::string_view) { OnXattr(k); });
    Scan(KeyKind::kOrphan, [&](const ParsedKey& k, std::string_view) { OnOrphan(k); });
    ScanForStrayKinds();
    CheckInodes();
    // Every damaged block by name, not only the first a scan met.
    std::vector<std::string> damaged;
    lsm::Status s = db_->VerifyTables(&damaged);
    if (!s.ok()) Problem("verifying tables: " + s.ToString());
    for (std::string& d : damaged) Problem("damaged table block: " + d);
    return std::move(report_);
  }

 private:
  void Problem(std::string text) { report_.problems.push_back(std::move(text)); }

  lsm::ReadOptions Bounded(std::string lower, std::string upper) {
    lsm::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    ro.lower_bound = std::move(lower);
    ro.upper_bound = std::move(upper);
    return ro;
  }

  void CountKey() {
    if ((++report_.keys & ((1u << 20) - 1)) == 0 && progress_) progress_(report_.keys);
  }

  void ScanSuperblock() {
    lsm::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    std::string value;
    lsm::Status s = db_->Get(ro, SuperblockKey(), &value);
    if (!s.ok()) {
      Problem("superblock: " + s.ToString());
      return;
    }
    CountKey();
    if (!DecodeSuperblock(value, &superblock_)) {
      Problem("superblock: does not decode");
      return;
    }
    have_superblock_ = true;
  }

  template <typename Fn>
  void Scan(KeyKind kind, Fn fn) {
    auto it = db_->NewIterator(Bounded(KindBegin(kind), KindEnd(kind)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      CountKey();
      ParsedKey key;
      if (!ParseKey(it->key(), &key)) {
        Problem("malformed key " + Printable(it->key()));
        continue;
      }
      fn(key, it->value());
    }
    if (!it->status().ok()) Problem("reading keys: " + it->status().ToString());
  }

  // Keys of a kind the schema does not know.
  void ScanForStrayKinds() {
    auto it = db_->NewIterator(Bounded("", std::string(1, '\xff')));
    it->SeekToFirst();
    while (it->Valid()) {
      char kind = it->key()[0];
      switch (static_cast<KeyKind>(kind)) {
        case KeyKind::kSuperblock: case KeyKind::kInode: case KeyKind::kDirEntry:
        case KeyKind::kBlock: case KeyKind::kXattr: case KeyKind::kOrphan:
          break;
        default:
          Problem("key of unknown kind " + Printable(it->key()));
      }
      it->Seek(std::string(1, static_cast<char>(kind + 1)));  // next kind
    }
  }

  // At most 40 bytes of a key, escaped.
  static std::string Printable(std::string_view key) { return lsm::EscapeBytes(key.substr(0, 40)); }

  static std::string Ino(uint64_t ino) { return "inode " + std::to_string(ino); }

  void OnInode(const ParsedKey& key, std::string_view value) {
    Inode n;
    if (!DecodeInode(key.ino, value, &n)) {
      Problem(Ino(key.ino) + ": value does not decode");
      return;
    }
    ++report_.inodes;
    if (n.IsDir()) ++report_.directories;
    if (have_superblock_ && key.ino >= superblock_.inode_limit) {
      Problem(Ino(key.ino) + ": number not below the superblock's inode limit " +
              std::to_string(superblock_.inode_limit));
    }
    InodeSummary& s = inodes_[key.ino];
    s.mode = n.mode;
    s.nlink = n.nlink;
    s.flags = n.flags;
    s.size = n.size;
    s.blocks = n.blocks;
    s.parent = n.parent;
  }

  void OnEntry(const ParsedKey& key, std::string_view value) {
    ++report_.entries;
    std::string where = "entry '" + std::string(key.name) + "' in " + Ino(key.ino);
    DirEntry e;
    if (!DecodeDirEntry(value, &e)) {
      Problem(where + ": value does not decode");
      return;
    }
    auto parent = inodes_.find(key.ino);
    if (parent == inodes_.end()) {
      Problem(where + ": no such directory");
    } else if (!S_ISDIR(parent->second.mode)) {
      Problem(where + ": not a directory");
    }
    if (key.name == "." || key.name == "..") Problem(where + ": '.' and '..' are never stored");
    auto child = inodes_.find(e.ino);
    if (child == inodes_.end()) {
      Problem(where + ": names missing " + Ino(e.ino));
      return;
    }
    InodeSummary& c = child->second;
    if (TypeOfMode(c.mode) != e.type) Problem(where + ": type differs from " + Ino(e.ino));
    ++c.names;
    c.entry_parent = key.ino;
    if (S_ISDIR(c.mode)) {
      if (parent != inodes_.end()) ++parent->second.subdirs;
      tree_.emplace(key.ino, e.ino);
    }
  }

  void OnBlock(const ParsedKey& key, std::string_view value) {
    ++report_.blocks;
    report_.block_bytes += value.size();
    std::string where = "block " + std::to_string(key.block) + " of " + Ino(key.ino);
    auto it = inodes_.find(key.ino);
    if (it == inodes_.end()) {
      Problem(where + ": no such inode");
      return;
    }
    InodeSummary& s = it->second;
    ++s.blocks_found;
    if (!S_ISREG(s.mode)) {
      Problem(where + ": not a regular file");
      return;
    }
    uint32_t bs = have_superblock_ ? superblock_.block_size : 4096;
    if (value.size() > bs) Problem(where + ": longer than a block");
    uint64_t start = key.block * bs;
    if (start >= s.size || value.size() > s.size - start) {
      Problem(where + ": holds bytes past the size " + std::to_string(s.size));
    }
  }

  void OnXattr(const ParsedKey& key) {
    ++report_.xattrs;
    std::string where = "xattr '" + std::string(key.name) + "' of " + Ino(key.ino);
    auto it = inodes_.find(key.ino);
    if (it == inodes_.end()) {
      Problem(where + ": no such inode");
    } else if (!(it->second.flags & kInodeHasXattrs)) {
      Problem(where + ": inode not flagged as having xattrs");
    }
  }

  void OnOrphan(const ParsedKey& key) {
    auto it = inodes_.find(key.ino);
    if (it == inodes_.end()) {
      Problem("orphan key of missing " + Ino(key.ino));
      return;
    }
    it->second.orphan = true;
  }

  void CheckInodes() {
    auto root = inodes_.find(kRootIno);
    if (root == inodes_.end()) {
      Problem("root inode missing");
    } else if (!S_ISDIR(root->second.mode)) {
      Problem("root inode is not a directory");
    } else {
      // Reachability: a walk over directory entries from the root.
      std::deque<uint64_t> queue{kRootIno};
      root->second.reached = true;
      while (!queue.empty()) {
        uint64_t dir = queue.front();
        queue.pop_front();
        auto [begin, end] = tree_.equal_range(dir);
        for (auto it = begin; it != end; ++it) {
          InodeSummary& child = inodes_[it->second];
          if (!child.reached) {
            child.reached = true;
            queue.push_back(it->second);
          }
        }
      }
    }
    for (auto& [ino, s] : inodes_) {
      std::string where = Ino(ino);
      if (s.orphan) ++report_.orphans;
      if (s.nlink == 0) {
        if (!s.orphan) Problem(where + ": no names and no orphan key (leaked)");
        if (s.names != 0) Problem(where + ": nlink 0 but named by " + std::to_string(s.names) + " entries");
        continue;
      }
      if (s.orphan) Problem(where + ": orphan key but nlink " + std::to_string(s.nlink));
      if (S_ISDIR(s.mode)) {
        uint64_t expected = 2 + s.subdirs;
        if (s.nlink != expected) {
          Problem(where + ": directory nlink " + std::to_string(s.nlink) + ", expected " +
                  std::to_string(expected));
        }
        uint64_t names_expected = ino == kRootIno ? 0 : 1;
        if (s.names != names_expected) {
          Problem(where + ": directory has " + std::to_string(s.names) + " names");
        }
        if (ino == kRootIno ? s.parent != kRootIno : (s.names == 1 && s.parent != s.entry_parent)) {
          Problem(where + ": parent field " + std::to_string(s.parent) + " but named in " +
                  Ino(s.entry_parent));
        }
        if (!s.reached) Problem(where + ": directory unreachable from the root");
      } else {
        if (s.nlink != s.names) {
          Problem(where + ": nlink " + std::to_string(s.nlink) + " but named by " +
                  std::to_string(s.names) + " entries");
        }
      }
      if (s.blocks_found > s.blocks) {
        Problem(where + ": " + std::to_string(s.blocks_found) + " blocks stored but " +
                std::to_string(s.blocks) + " recorded");
      }
    }
  }

  lsm::DB* const db_;
  const std::function<void(uint64_t)>& progress_;
  std::shared_ptr<const lsm::Snapshot> snapshot_;
  Superblock superblock_;
  bool have_superblock_ = false;
  std::unordered_map<uint64_t, InodeSummary> inodes_;
  std::unordered_multimap<uint64_t, uint64_t> tree_;  // directory -> subdirectory
  CheckReport report_;
};

}  // namespace

std::string CheckReport::ToString() const {
  std::string out;
  for (const std::string& p : problems) out += "problem: " + p + "\n";
  out += std::to_string(keys) + " keys: " + std::to_string(inodes) + " inodes (" +
         std::to_string(directories) + " directories), " + std::to_string(entries) +
         " entries, " + std::to_string(blocks) + " blocks (" + std::to_string(block_bytes) +
         " bytes), " + std::to_string(xattrs) + " xattrs, " + std::to_string(orphans) +
         " orphans\n";
  out += problems.empty() ? "clean\n" : std::to_string(problems.size()) + " problems\n";
  return out;
}

CheckReport CheckFilesystem(lsm::DB* db, const std::function<void(uint64_t)>& progress) {
  return Checker(db, progress).Run();
}

}  // namespace iron::fs

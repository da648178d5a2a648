#include "fs/checker.h"

#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "fs/filesystem.h"
#include "inode_codec.h"
#include "key_schema.h"
#include "path_names.h"
#include "lsm/status.h"

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

// A problem, formatted only at the end, when the names of the inodes it
// mentions are known.
struct Finding {
  enum class Subject { kNone, kInode, kEntry } subject = Subject::kNone;
  uint64_t ino = 0;  // the inode, or the directory holding the entry
  std::string name;  // the entry's name
  std::string text;
};

// At most this many lines per damaged block (one per inode it touched).
constexpr size_t kMaxLinesPerDamagedBlock = 20;

// The kinds scanned one by one, in key order; the ranges between them hold
// the superblock and keys of unknown kinds.
constexpr KeyKind kScannedKinds[] = {KeyKind::kBlock, KeyKind::kDirEntry, KeyKind::kInode,
                                     KeyKind::kOrphan, KeyKind::kXattr};

class Checker {
 public:
  Checker(Store* store, const std::function<void(uint64_t)>& progress)
      : store_(store), progress_(progress) {}

  CheckReport Run() {
    snapshot_ = store_->GetSnapshot();
    ScanSuperblock();
    Scan(KeyKind::kInode, [&](const ParsedKey& k, std::string_view v) { OnInode(k, v); });
    Scan(KeyKind::kDirEntry, [&](const ParsedKey& k, std::string_view v) { OnEntry(k, v); });
    Scan(KeyKind::kBlock, [&](const ParsedKey& k, std::string_view v) { OnBlock(k, v); });
    Scan(KeyKind::kXattr, [&](const ParsedKey& k, std::string_view) { OnXattr(k); });
    Scan(KeyKind::kOrphan, [&](const ParsedKey& k, std::string_view) { OnOrphan(k); });
    ScanForStrayKinds();
    CheckInodes();
    DescribeDamage();
    NameWantedInodes();
    for (const DamageLine& l : damage_lines_) {
      report_.problems.push_back(l.ino == 0 ? l.text : names_.Inode(l.ino) + ": " + l.text);
    }
    for (const Finding& f : findings_) report_.problems.push_back(Format(f));
    return std::move(report_);
  }

 private:
  void Problem(std::string text) { findings_.push_back({Finding::Subject::kNone, 0, {}, std::move(text)}); }
  void InodeProblem(uint64_t ino, std::string text) {
    findings_.push_back({Finding::Subject::kInode, ino, {}, std::move(text)});
    if (!names_.Has(ino)) wanted_.insert(ino);
  }
  void EntryProblem(uint64_t dir, std::string_view name, std::string text) {
    findings_.push_back({Finding::Subject::kEntry, dir, std::string(name), std::move(text)});
  }

  std::string Format(const Finding& f) const {
    switch (f.subject) {
      case Finding::Subject::kInode:
        return names_.Inode(f.ino) + ": " + f.text;
      case Finding::Subject::kEntry:
        return names_.Entry(f.ino, f.name) + ": " + f.text;
      case Finding::Subject::kNone:
        break;
    }
    return f.text;
  }

  lsm::ReadOptions Bounded(std::string lower, std::string upper) {
    lsm::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    ro.lower_bound = std::move(lower);
    ro.upper_bound = std::move(upper);
    ro.skip_damaged_blocks = &damaged_;
    return ro;
  }

  void CountKey() {
    if ((++report_.keys & ((1u << 20) - 1)) == 0 && progress_) progress_(report_.keys);
  }

  void ScanSuperblock() {
    lsm::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    std::string value;
    lsm::Status s = store_->Get(ro, SuperblockKey(), &value);
    if (s.IsCorruption()) return;  // its block is reported with the others
    if (!s.ok()) {
      Problem("superblock: " + (s.IsNotFound() ? std::string("missing") : s.ToString()));
      return;
    }
    if (!DecodeSuperblock(value, &superblock_)) {
      Problem("superblock: does not decode");
      return;
    }
    have_superblock_ = true;
  }

  template <typename Fn>
  void ScanRange(std::string lower, std::string upper, Fn fn) {
    auto it = store_->NewIterator(Bounded(std::move(lower), std::move(upper)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      CountKey();
      fn(it->key(), it->value());
    }
    if (!it->status().ok()) Problem("reading keys: " + it->status().ToString());
  }

  template <typename Fn>
  void Scan(KeyKind kind, Fn fn) {
    ScanRange(KindBegin(kind), KindEnd(kind), [&](std::string_view key, std::string_view value) {
      ParsedKey parsed;
      if (!ParseKey(key, &parsed)) {
        Problem("malformed key " + Printable(key));
        return;
      }
      fn(parsed, value);
    });
  }

  // The superblock's key and keys of a kind the schema does not know:
  // together with the kinds' scans every key (and so every block) is read.
  void ScanForStrayKinds() {
    auto stray = [&](std::string_view key, std::string_view) {
      ParsedKey parsed;
      if (key[0] == static_cast<char>(KeyKind::kSuperblock)) {
        if (!ParseKey(key, &parsed)) Problem("malformed key " + Printable(key));
        return;
      }
      if (++stray_keys_ <= 10) Problem("key of unknown kind " + Printable(key));
    };
    std::string lower;
    for (KeyKind kind : kScannedKinds) {
      ScanRange(lower, KindBegin(kind), stray);
      lower = KindEnd(kind);
    }
    // Past the last kind: no upper bound.
    lsm::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    ro.lower_bound = lower;
    ro.skip_damaged_blocks = &damaged_;
    auto it = store_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      CountKey();
      stray(it->key(), it->value());
    }
    if (!it->status().ok()) Problem("reading keys: " + it->status().ToString());
    if (stray_keys_ > 10) Problem(std::to_string(stray_keys_) + " keys of unknown kinds in all");
  }

  // At most 40 bytes of a key, escaped: only for keys that do not parse.
  static std::string Printable(std::string_view key) { return lsm::EscapeBytes(key.substr(0, 40)); }

  static std::string Ino(uint64_t ino) { return "inode " + std::to_string(ino); }

  void OnInode(const ParsedKey& key, std::string_view value) {
    Inode n;
    if (!DecodeInode(key.ino, value, &n)) {
      InodeProblem(key.ino, "value does not decode");
      return;
    }
    ++report_.inodes;
    if (n.IsDir()) ++report_.directories;
    if (have_superblock_ && key.ino >= superblock_.inode_limit) {
      InodeProblem(key.ino, "number not below the superblock's inode limit " +
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
    DirEntry e;
    if (!DecodeDirEntry(value, &e)) {
      EntryProblem(key.ino, key.name, "value does not decode");
      return;
    }
    auto parent = inodes_.find(key.ino);
    if (parent == inodes_.end()) {
      EntryProblem(key.ino, key.name, "no such directory");
    } else if (!S_ISDIR(parent->second.mode)) {
      EntryProblem(key.ino, key.name, "not a directory");
    }
    if (key.name == "." || key.name == "..") {
      EntryProblem(key.ino, key.name, "'.' and '..' are never stored");
    }
    auto child = inodes_.find(e.ino);
    if (child == inodes_.end()) {
      names_.Add(e.ino, key.ino, key.name);  // the lost inode's name
      missing_named_.insert(e.ino);
      EntryProblem(key.ino, key.name, "names missing " + Ino(e.ino));
      return;
    }
    InodeSummary& c = child->second;
    if (TypeOfMode(c.mode) != e.type) EntryProblem(key.ino, key.name, "type differs from " + Ino(e.ino));
    ++c.names;
    c.entry_parent = key.ino;
    if (S_ISDIR(c.mode)) {
      if (parent != inodes_.end()) ++parent->second.subdirs;
      tree_.emplace(key.ino, e.ino);
      names_.Add(e.ino, key.ino, key.name);
    }
  }

  void OnBlock(const ParsedKey& key, std::string_view value) {
    ++report_.blocks;
    report_.block_bytes += value.size();
    std::string where = "block " + std::to_string(key.block);
    auto it = inodes_.find(key.ino);
    if (it == inodes_.end()) {
      // One line per missing inode, not one per block.
      if (stray_block_inodes_.insert(key.ino).second) {
        InodeProblem(key.ino, "data blocks of no such inode");
      }
      return;
    }
    InodeSummary& s = it->second;
    ++s.blocks_found;
    if (!S_ISREG(s.mode)) {
      InodeProblem(key.ino, where + ": not a regular file");
      return;
    }
    uint32_t bs = have_superblock_ ? superblock_.block_size : 4096;
    if (value.size() > bs) InodeProblem(key.ino, where + ": longer than a block");
    uint64_t start = key.block * bs;
    if (start >= s.size || value.size() > s.size - start) {
      InodeProblem(key.ino, where + ": holds bytes past the size " + std::to_string(s.size));
    }
  }

  void OnXattr(const ParsedKey& key) {
    ++report_.xattrs;
    std::string where = "xattr '" + PathNames::Printable(key.name) + "'";
    auto it = inodes_.find(key.ino);
    if (it == inodes_.end()) {
      InodeProblem(key.ino, where + ": no such inode");
    } else if (!(it->second.flags & kInodeHasXattrs)) {
      InodeProblem(key.ino, where + ": inode not flagged as having xattrs");
    }
  }

  void OnOrphan(const ParsedKey& key) {
    auto it = inodes_.find(key.ino);
    if (it == inodes_.end()) {
      InodeProblem(key.ino, "orphan key of a missing inode");
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
      if (s.orphan) ++report_.orphans;
      if (s.nlink == 0) {
        if (!s.orphan) InodeProblem(ino, "no names and no orphan key (leaked)");
        if (s.names != 0) InodeProblem(ino, "nlink 0 but named by " + std::to_string(s.names) + " entries");
        continue;
      }
      if (s.orphan) InodeProblem(ino, "orphan key but nlink " + std::to_string(s.nlink));
      if (S_ISDIR(s.mode)) {
        uint64_t expected = 2 + s.subdirs;
        if (s.nlink != expected) {
          InodeProblem(ino, "directory nlink " + std::to_string(s.nlink) + ", expected " +
                                std::to_string(expected));
        }
        uint64_t names_expected = ino == kRootIno ? 0 : 1;
        if (s.names != names_expected) {
          InodeProblem(ino, "directory has " + std::to_string(s.names) + " names");
        }
        if (ino == kRootIno ? s.parent != kRootIno : (s.names == 1 && s.parent != s.entry_parent)) {
          InodeProblem(ino, "parent field " + std::to_string(s.parent) + " but named in " +
                                Ino(s.entry_parent));
        }
        if (!s.reached) InodeProblem(ino, "directory unreachable from the root");
      } else {
        if (s.nlink != s.names) {
          InodeProblem(ino, "nlink " + std::to_string(s.nlink) + " but named by " +
                                std::to_string(s.names) + " entries");
        }
      }
      if (s.blocks_found > s.blocks) {
        InodeProblem(ino, std::to_string(s.blocks_found) + " blocks stored but " +
                              std::to_string(s.blocks) + " recorded");
      }
    }
  }

  // ---- damaged blocks, in the filesystem's terms

  // The known inodes numbered in [lo, hi], in order, plus lo and hi.
  std::vector<uint64_t> InodesBetween(uint64_t lo, uint64_t hi) {
    if (known_sorted_.empty()) {
      // Once, when the first damaged block is described.
      for (const auto& [ino, s] : inodes_) known_sorted_.push_back(ino);
      known_sorted_.insert(known_sorted_.end(), missing_named_.begin(), missing_named_.end());
      std::sort(known_sorted_.begin(), known_sorted_.end());
    }
    std::set<uint64_t> out{lo, hi};
    for (auto it = std::lower_bound(known_sorted_.begin(), known_sorted_.end(), lo);
         it != known_sorted_.end() && *it <= hi; ++it) {
      out.insert(*it);
    }
    return {out.begin(), out.end()};
  }

  std::string DescribeKey(std::string_view key) {
    ParsedKey k;
    if (!ParseKey(key, &k)) return "key " + Printable(key);
    wanted_.insert(k.ino);
    switch (k.kind) {
      case KeyKind::kSuperblock: return "the superblock";
      case KeyKind::kInode: return "the record of " + Ino(k.ino);
      case KeyKind::kDirEntry: return "entry '" + PathNames::Printable(k.name) + "' of " + Ino(k.ino);
      case KeyKind::kBlock: return "data block " + std::to_string(k.block) + " of " + Ino(k.ino);
      case KeyKind::kXattr: return "xattr '" + PathNames::Printable(k.name) + "' of " + Ino(k.ino);
      case KeyKind::kOrphan: return "the orphan key of " + Ino(k.ino);
    }
    return "key " + Printable(key);
  }

  // One line per inode a damaged block touched, as lines with a deferred
  // inode subject (so that the inode's path can be found first).
  struct DamageLine {
    uint64_t ino = 0;  // 0: no subject
    std::string text;
  };

  void DescribeBlock(const lsm::DamagedBlock& d, std::vector<DamageLine>* out) {
    std::string file = d.file.substr(d.file.rfind('/') + 1);
    std::string where = " (table " + file + " at offset " + std::to_string(d.offset) + ")";
    ParsedKey lo, hi;
    if (!ParseKey(d.smallest, &lo) || !ParseKey(d.largest, &hi) || lo.kind != hi.kind) {
      out->push_back({0, "unreadable table block" + where + ": it held keys from " +
                             DescribeKey(d.smallest) + " to " + DescribeKey(d.largest)});
      return;
    }
    auto per_inode = [&](const std::string& what_all, auto first, auto last) {
      std::vector<uint64_t> inos = InodesBetween(lo.ino, hi.ino);
      if (lo.kind == KeyKind::kInode) {
        // The records read elsewhere (the neighbours at the ends) are not lost.
        std::erase_if(inos, [&](uint64_t ino) { return inodes_.count(ino) != 0; });
        if (inos.empty()) {
          out->push_back({0, "inode records of inodes " + std::to_string(lo.ino) + "-" +
                                 std::to_string(hi.ino) + " unreadable" + where});
          return;
        }
      }
      size_t shown = 0;
      for (uint64_t ino : inos) {
        if (shown == kMaxLinesPerDamagedBlock) {
          out->push_back({0, "... and " + std::to_string(inos.size() - shown) +
                                 " more inodes from the same block" + where});
          break;
        }
        std::string text;
        if (ino == lo.ino || ino == hi.ino) {
          text = first(ino) + last(ino);
        } else {
          text = what_all;
        }
        out->push_back({ino, text + " unreadable" + where});
        wanted_.insert(ino);
        ++shown;
      }
    };
    uint32_t bs = have_superblock_ ? superblock_.block_size : 4096;
    switch (lo.kind) {
      case KeyKind::kSuperblock:
        out->push_back({0, "superblock unreadable" + where});
        return;
      case KeyKind::kInode:
        per_inode(
            "inode record", [](uint64_t) { return std::string("inode record"); },
            [](uint64_t) { return std::string(); });
        return;
      case KeyKind::kOrphan:
        per_inode(
            "orphan key", [](uint64_t) { return std::string("orphan key"); },
            [](uint64_t) { return std::string(); });
        return;
      case KeyKind::kBlock:
        per_inode(
            "all data blocks",
            [&](uint64_t ino) {
              return "data blocks " + std::to_string(ino == lo.ino ? lo.block : 0) + "-";
            },
            [&](uint64_t ino) -> std::string {
              if (ino == hi.ino) return std::to_string(hi.block);
              auto it = inodes_.find(ino);
              if (it == inodes_.end() || it->second.size == 0) return "end";
              return std::to_string((it->second.size - 1) / bs);
            });
        return;
      case KeyKind::kDirEntry:
      case KeyKind::kXattr: {
        const char* what = lo.kind == KeyKind::kDirEntry ? "directory entries" : "xattrs";
        per_inode(
            std::string("all ") + what,
            [&](uint64_t ino) {
              std::string text = what;
              if (ino == lo.ino) text += " from '" + PathNames::Printable(lo.name) + "'";
              return text;
            },
            [&](uint64_t ino) -> std::string {
              if (ino != hi.ino) return " on";
              return " up to '" + PathNames::Printable(hi.name) + "'";
            });
        return;
      }
    }
  }

  void DescribeDamage() {
    std::set<std::pair<std::string, uint64_t>> seen;
    for (const lsm::DamagedBlock& d : damaged_) {
      if (!seen.emplace(d.file, d.offset).second) continue;
      ++report_.damaged_blocks;
      DescribeBlock(d, &damage_lines_);
    }
  }

  // Finds the names of the inodes the report mentions that are not
  // directories (the first scan kept only directories' names): one more
  // scan of the entries, only when there is something to name.
  void NameWantedInodes() {
    std::unordered_set<uint64_t> want;
    for (uint64_t ino : wanted_) {
      if (!names_.Has(ino)) want.insert(ino);
    }
    if (!want.empty()) {
      std::vector<lsm::DamagedBlock> again;  // already reported
      lsm::ReadOptions ro;
      ro.snapshot = snapshot_.get();
      ro.lower_bound = KindBegin(KeyKind::kDirEntry);
      ro.upper_bound = KindEnd(KeyKind::kDirEntry);
      ro.skip_damaged_blocks = &again;
      auto it = store_->NewIterator(ro);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        ParsedKey key;
        DirEntry e;
        if (ParseKey(it->key(), &key) && DecodeDirEntry(it->value(), &e) && want.count(e.ino)) {
          names_.Add(e.ino, key.ino, key.name);
        }
      }
    }
  }

  Store* const store_;
  const std::function<void(uint64_t)>& progress_;
  std::shared_ptr<const lsm::Snapshot> snapshot_;
  Superblock superblock_;
  bool have_superblock_ = false;
  std::unordered_map<uint64_t, InodeSummary> inodes_;
  std::unordered_multimap<uint64_t, uint64_t> tree_;  // directory -> subdirectory
  std::unordered_set<uint64_t> missing_named_;       // named by entries, no record
  std::unordered_set<uint64_t> stray_block_inodes_;
  uint64_t stray_keys_ = 0;
  std::vector<lsm::DamagedBlock> damaged_;  // as the scans met them
  std::vector<DamageLine> damage_lines_;
  std::vector<uint64_t> known_sorted_;  // inodes_ and missing_named_, sorted
  std::vector<Finding> findings_;
  std::unordered_set<uint64_t> wanted_;  // inodes the report names
  PathNames names_;
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
  if (damaged_blocks > 0) {
    out += std::to_string(damaged_blocks) +
           " damaged table blocks: their keys are not among those counted\n";
  }
  out += problems.empty() ? "clean\n" : std::to_string(problems.size()) + " problems\n";
  return out;
}

CheckReport CheckFilesystem(Store* store, const std::function<void(uint64_t)>& progress) {
  return Checker(store, progress).Run();
}

}  // namespace iron::fs

#include "fs/repair.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <map>
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

constexpr char kLostFound[] = "lost+found";
constexpr uint32_t kDefaultBlockSize = 4096;
constexpr uint64_t kMaxStrayLines = 10;

struct EntryRecord {
  uint64_t parent = 0;
  std::string name;
  DirEntry entry;
};

class Repair {
 public:
  explicit Repair(Store* store) : store_(store) {}

  RepairReport Run() {
    snapshot_ = store_->GetSnapshot();
    LoadSuperblock();
    LoadInodes();
    LoadEntries();
    LoadOrphans();
    if (!report_.status.ok()) return Finish();
    FixSuperblockAndRoot();
    FixEntries();
    ReattachUnreachable();
    FixLinksAndOrphans();
    WriteInodes();
    Commit();
    if (!report_.status.ok()) return Finish();
    FixBlocks();
    FixXattrs();
    RemoveStrayKeys();
    WriteInodes();
    Commit();
    return Finish();
  }

 private:
  RepairReport Finish() {
    report_.damaged_blocks = CountDamaged();
    return std::move(report_);
  }

  uint64_t CountDamaged() const {
    std::set<std::pair<std::string, uint64_t>> seen;
    for (const auto& d : damaged_) seen.emplace(d.file, d.offset);
    return seen.size();
  }

  void Change(std::string line) { report_.changes.push_back(std::move(line)); }
  std::string Name(uint64_t ino) const { return names_.Inode(ino); }

  lsm::ReadOptions Kind(KeyKind kind) {
    lsm::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    ro.lower_bound = KindBegin(kind);
    ro.upper_bound = KindEnd(kind);
    ro.skip_damaged_blocks = &damaged_;
    return ro;
  }

  template <typename Fn>
  void Scan(KeyKind kind, Fn fn) {
    auto it = store_->NewIterator(Kind(kind));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedKey key;
      if (!ParseKey(it->key(), &key)) {
        stray_.emplace_back(it->key());
        continue;
      }
      fn(key, it->value());
    }
    if (!it->status().ok() && report_.status.ok()) report_.status = it->status();
  }

  void Commit() {
    if (batch_.Count() == 0 || !report_.status.ok()) return;
    lsm::WriteOptions wo;
    wo.sync = true;
    report_.status = store_->Write(wo, &batch_);
    batch_.Clear();
  }

  // ---- loading

  void LoadSuperblock() {
    lsm::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    std::string value;
    lsm::Status s = store_->Get(ro, SuperblockKey(), &value);
    have_superblock_ = s.ok() && DecodeSuperblock(value, &superblock_);
    if (!have_superblock_) {
      superblock_problem_ = s.ok() ? "does not decode" : s.IsNotFound() ? "missing" : "unreadable";
    }
  }

  void LoadInodes() {
    Scan(KeyKind::kInode, [&](const ParsedKey& key, std::string_view value) {
      max_ino_ = std::max(max_ino_, key.ino);
      Inode n;
      if (!DecodeInode(key.ino, value, &n)) {
        batch_.Delete(InodeKey(key.ino));
        bad_records_.push_back(key.ino);
        return;
      }
      inodes_.emplace(key.ino, std::move(n));
    });
  }

  void LoadEntries() {
    Scan(KeyKind::kDirEntry, [&](const ParsedKey& key, std::string_view value) {
      EntryRecord r;
      r.parent = key.ino;
      r.name.assign(key.name);
      if (!DecodeDirEntry(value, &r.entry)) {
        Change("removed " + names_.Entry(key.ino, key.name) + ": value does not decode");
        batch_.Delete(DirEntryKey(key.ino, key.name));
        return;
      }
      // Names for the report, before any change: a lost inode is named by
      // where it was.
      names_.Add(r.entry.ino, r.parent, r.name);
      entries_.push_back(std::move(r));
    });
  }

  void LoadOrphans() {
    Scan(KeyKind::kOrphan, [&](const ParsedKey& key, std::string_view) { orphans_.insert(key.ino); });
  }

  // ---- the namespace

  Inode NewDirectory(uint64_t ino, uint64_t parent, uint32_t perms) {
    Inode n;
    n.ino = ino;
    n.mode = S_IFDIR | perms;
    n.nlink = 2;
    n.parent = parent;
    n.generation = 1;
    n.atime = n.mtime = n.ctime = n.btime = Now();
    return n;
  }

  // The block size a lost superblock most likely had: a wrong guess would
  // misplace or drop data. Every block but a file's last is full, so where
  // any file has two blocks the longest value is the block size; where none
  // has, any size that holds the longest value will do, and the default is
  // taken if it does.
  uint32_t InferBlockSize() {
    uint64_t longest = 0;
    bool multi_block = false;
    std::vector<lsm::DamagedBlock> ignored;  // met again by the later scans
    lsm::ReadOptions ro = Kind(KeyKind::kBlock);
    ro.skip_damaged_blocks = &ignored;
    auto it = store_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedKey key;
      if (!ParseKey(it->key(), &key)) continue;
      longest = std::max<uint64_t>(longest, it->value().size());
      multi_block |= key.block > 0;
    }
    uint32_t bs = 512;
    while (bs < longest && bs < (1u << 20)) bs *= 2;
    return multi_block ? bs : std::max(bs, kDefaultBlockSize);
  }

  void FixSuperblockAndRoot() {
    for (uint64_t ino : bad_records_) Change(Name(ino) + ": record does not decode; removed");
    if (!have_superblock_) {
      superblock_ = Superblock{};
      superblock_.block_size = InferBlockSize();
      if (getrandom(superblock_.uuid, sizeof(superblock_.uuid), 0) != sizeof(superblock_.uuid)) {
        superblock_.uuid[0] = 1;  // any uuid beats none
      }
      superblock_.created = Now();
      superblock_dirty_ = true;
      Change("superblock " + superblock_problem_ + ": recreated with block size " +
             std::to_string(superblock_.block_size) + " (judged from the data) and a new uuid");
    }
    auto root = inodes_.find(kRootIno);
    if (root == inodes_.end() || !root->second.IsDir()) {
      Change(std::string("root directory ") +
             (root == inodes_.end() ? "missing" : "not a directory") + ": recreated empty");
      inodes_[kRootIno] = NewDirectory(kRootIno, kRootIno, 0755);
      dirty_.insert(kRootIno);
    }
    next_ino_ = std::max({max_ino_ + 1, superblock_.inode_limit, kRootIno + 1});
    if (superblock_.inode_limit < next_ino_) {
      if (have_superblock_) {
        Change("superblock: inode limit " + std::to_string(superblock_.inode_limit) +
               " raised to " + std::to_string(next_ino_));
      }
      superblock_.inode_limit = next_ino_;
      superblock_dirty_ = true;
    }
  }

  void RemoveEntry(const EntryRecord& r, const std::string& why) {
    Change("removed " + names_.Entry(r.parent, r.name) + ": " + why);
    batch_.Delete(DirEntryKey(r.parent, r.name));
  }

  void KeepEntry(uint64_t parent, const std::string& name, const DirEntry& e) {
    ++names_of_[e.ino];
    if (inodes_.at(e.ino).IsDir()) {
      dir_parent_[e.ino] = parent;
      subdirs_[parent].insert(e.ino);
    }
    if (parent == kRootIno && name == kLostFound) lost_found_entry_ = e.ino;
  }

  void FixEntries() {
    for (EntryRecord& r : entries_) {
      auto parent = inodes_.find(r.parent);
      auto child = inodes_.find(r.entry.ino);
      if (r.name == "." || r.name == "..") {
        RemoveEntry(r, "'.' and '..' are never stored");
      } else if (parent == inodes_.end()) {
        RemoveEntry(r, "its directory, inode " + std::to_string(r.parent) + ", is missing");
      } else if (!parent->second.IsDir()) {
        RemoveEntry(r, "inode " + std::to_string(r.parent) + " is not a directory");
      } else if (child == inodes_.end()) {
        RemoveEntry(r, "it named missing inode " + std::to_string(r.entry.ino));
      } else if (r.entry.ino == kRootIno) {
        RemoveEntry(r, "it named the root");
      } else if (child->second.IsDir() && names_of_[r.entry.ino] != 0) {
        RemoveEntry(r, "a second name of directory inode " + std::to_string(r.entry.ino));
      } else {
        uint8_t type = TypeOfMode(child->second.mode);
        if (type != r.entry.type) {
          Change(names_.Entry(r.parent, r.name) + ": type corrected to that of inode " +
                 std::to_string(r.entry.ino));
          r.entry.type = type;
          batch_.Put(DirEntryKey(r.parent, r.name), EncodeDirEntry(r.entry));
        }
        KeepEntry(r.parent, r.name, r.entry);
      }
    }
  }

  uint64_t LostFound() {
    if (lost_found_ != 0) return lost_found_;
    if (lost_found_entry_ != 0 && inodes_.at(lost_found_entry_).IsDir()) {
      lost_found_ = lost_found_entry_;
      return lost_found_;
    }
    std::string name = kLostFound;
    if (lost_found_entry_ != 0) name += ".repair";  // the name is taken by a file
    lost_found_ = next_ino_++;
    reached_.insert(lost_found_);
    superblock_.inode_limit = next_ino_;
    superblock_dirty_ = true;
    inodes_[lost_found_] = NewDirectory(lost_found_, kRootIno, 0700);
    dirty_.insert(lost_found_);
    DirEntry e{lost_found_, TypeOfMode(S_IFDIR)};
    batch_.Put(DirEntryKey(kRootIno, name), EncodeDirEntry(e));
    KeepEntry(kRootIno, name, e);
    names_.Add(lost_found_, kRootIno, name);
    Change("created /" + name + " (inode " + std::to_string(lost_found_) + ")");
    return lost_found_;
  }

  // Gives `ino` the name "#ino" in lost+found; `why` says why it had to go.
  void MoveToLostFound(uint64_t ino, const std::string& why) {
    uint64_t lf = LostFound();
    std::string name = "#" + std::to_string(ino);
    DirEntry e{ino, TypeOfMode(inodes_.at(ino).mode)};
    batch_.Put(DirEntryKey(lf, name), EncodeDirEntry(e));
    KeepEntry(lf, name, e);
    std::string old = Name(ino);
    names_.Add(ino, lf, name);  // the first name wins: only when it had none
    Change(old + ": " + why + "; moved to " + names_.PathOf(lf) + "/" + name);
  }

  std::unordered_set<uint64_t> Reachable() const {
    std::unordered_set<uint64_t> seen{kRootIno};
    std::deque<uint64_t> queue{kRootIno};
    while (!queue.empty()) {
      uint64_t dir = queue.front();
      queue.pop_front();
      auto it = subdirs_.find(dir);
      if (it == subdirs_.end()) continue;
      for (uint64_t child : it->second) {
        if (seen.insert(child).second) queue.push_back(child);
      }
    }
    return seen;
  }

  bool Unnamed(uint64_t ino) const {
    auto it = names_of_.find(ino);
    return it == names_of_.end() || it->second == 0;
  }

  void ReattachUnreachable() {
    std::unordered_set<uint64_t>& reached = reached_;
    reached = Reachable();
    for (auto& [ino, n] : inodes_) {
      if (!n.IsDir() || reached.count(ino)) continue;
      // An unlinked directory still open when the filesystem stopped: the
      // next mount reclaims it.
      if (Unnamed(ino) && n.nlink == 0 && orphans_.count(ino)) continue;
      // The top of the unreachable chain above it: no parent, or a cycle.
      uint64_t top = ino;
      std::unordered_set<uint64_t> path{top};
      for (auto p = dir_parent_.find(top); p != dir_parent_.end(); p = dir_parent_.find(top)) {
        if (reached.count(p->second) || !path.insert(p->second).second) break;
        top = p->second;
      }
      std::string why = "directory unreachable from the root";
      if (auto p = dir_parent_.find(top); p != dir_parent_.end()) {
        // A cycle: cut its entry.
        uint64_t parent = p->second;
        for (const EntryRecord& r : entries_) {
          if (r.parent == parent && r.entry.ino == top) {
            batch_.Delete(DirEntryKey(r.parent, r.name));
            why = "directory in a cycle, " + names_.Entry(r.parent, r.name) + " removed";
            break;
          }
        }
        subdirs_[parent].erase(top);
        dir_parent_.erase(p);
        --names_of_[top];
      }
      MoveToLostFound(top, why);
      // Everything below it is reachable again.
      std::deque<uint64_t> queue{top};
      reached.insert(top);
      while (!queue.empty()) {
        uint64_t d = queue.front();
        queue.pop_front();
        for (uint64_t child : subdirs_[d]) {
          if (reached.insert(child).second) queue.push_back(child);
        }
      }
    }
  }

  void FixLinksAndOrphans() {
    for (uint64_t ino : orphans_) {
      if (!inodes_.count(ino)) {
        Change("removed the orphan key of missing inode " + std::to_string(ino));
        batch_.Delete(OrphanKey(ino));
      }
    }
    std::vector<uint64_t> unnamed;
    for (auto& [ino, n] : inodes_) {
      if (ino == kRootIno || n.IsDir() || !Unnamed(ino)) continue;
      if (orphans_.count(ino)) {
        if (n.nlink != 0) {
          Change(Name(ino) + ": unnamed orphan, nlink " + std::to_string(n.nlink) + " set to 0");
          n.nlink = 0;
          dirty_.insert(ino);
        }
        continue;
      }
      unnamed.push_back(ino);
    }
    for (uint64_t ino : unnamed) MoveToLostFound(ino, "no name and no orphan key");
    for (auto& [ino, n] : inodes_) {
      uint64_t names = Unnamed(ino) ? 0 : names_of_[ino];
      if (names > 0 && orphans_.count(ino)) {
        Change(Name(ino) + ": orphan key removed (the inode has a name)");
        batch_.Delete(OrphanKey(ino));
      }
      if (n.IsDir()) {
        if (names == 0 && ino != kRootIno) continue;  // an orphaned directory, left alone
        uint32_t want = 2 + static_cast<uint32_t>(subdirs_[ino].size());
        uint64_t parent = ino == kRootIno ? kRootIno : dir_parent_.at(ino);
        if (n.nlink != want) {
          Change(Name(ino) + ": nlink " + std::to_string(n.nlink) + " set to " + std::to_string(want));
          n.nlink = want;
          dirty_.insert(ino);
        }
        if (n.parent != parent) {
          Change(Name(ino) + ": parent field " + std::to_string(n.parent) + " set to " +
                 std::to_string(parent));
          n.parent = parent;
          dirty_.insert(ino);
        }
      } else if (names > 0 && n.nlink != names) {
        Change(Name(ino) + ": nlink " + std::to_string(n.nlink) + " set to " + std::to_string(names));
        n.nlink = static_cast<uint32_t>(names);
        dirty_.insert(ino);
      }
    }
  }

  void WriteInodes() {
    for (uint64_t ino : dirty_) batch_.Put(InodeKey(ino), EncodeInode(inodes_.at(ino)));
    dirty_.clear();
    if (superblock_dirty_) batch_.Put(SuperblockKey(), EncodeSuperblock(superblock_));
    superblock_dirty_ = false;
  }

  // ---- data and xattrs

  void FixBlocks() {
    const uint32_t bs = superblock_.block_size;
    std::unordered_map<uint64_t, uint64_t> found, dropped;
    std::unordered_set<uint64_t> gone;
    Scan(KeyKind::kBlock, [&](const ParsedKey& key, std::string_view value) {
      auto it = inodes_.find(key.ino);
      if (it == inodes_.end() || !it->second.IsRegular()) {
        if (gone.insert(key.ino).second) {
          Change(Name(key.ino) + ": data blocks dropped (" +
                 (it == inodes_.end() ? "no such inode" : "not a regular file") + ")");
          batch_.DeleteRange(ObjectBegin(KeyKind::kBlock, key.ino), ObjectEnd(KeyKind::kBlock, key.ino));
        }
        return;
      }
      const Inode& n = it->second;
      uint64_t start = key.block * bs;
      if (start >= n.size) {
        ++dropped[key.ino];
        batch_.Delete(BlockKey(key.ino, key.block));
        return;
      }
      ++found[key.ino];
      uint64_t allowed = std::min<uint64_t>(bs, n.size - start);
      if (value.size() > allowed) {
        Change(Name(key.ino) + ": block " + std::to_string(key.block) + " cut to " +
               std::to_string(allowed) + " bytes (it reached past the size or the block)");
        batch_.Put(BlockKey(key.ino, key.block), value.substr(0, allowed));
      }
    });
    for (const auto& [ino, count] : dropped) {
      Change(Name(ino) + ": " + std::to_string(count) + " data blocks past its size " +
             std::to_string(inodes_.at(ino).size) + " dropped");
    }
    for (const auto& [ino, count] : found) {
      Inode& n = inodes_.at(ino);
      if (count > n.blocks) {
        Change(Name(ino) + ": recorded block count " + std::to_string(n.blocks) + " raised to " +
               std::to_string(count));
        n.blocks = count;
        dirty_.insert(ino);
      }
    }
  }

  void FixXattrs() {
    std::unordered_set<uint64_t> gone;
    Scan(KeyKind::kXattr, [&](const ParsedKey& key, std::string_view) {
      auto it = inodes_.find(key.ino);
      if (it == inodes_.end()) {
        if (gone.insert(key.ino).second) {
          Change(Name(key.ino) + ": xattrs dropped (no such inode)");
          batch_.DeleteRange(ObjectBegin(KeyKind::kXattr, key.ino), ObjectEnd(KeyKind::kXattr, key.ino));
        }
      } else if (!(it->second.flags & kInodeHasXattrs)) {
        Change(Name(key.ino) + ": flagged as having xattrs");
        it->second.flags |= kInodeHasXattrs;
        dirty_.insert(key.ino);
      }
    });
  }

  // Keys that do not parse, and keys outside the schema's kinds.
  void RemoveStrayKeys() {
    const KeyKind kinds[] = {KeyKind::kBlock, KeyKind::kDirEntry, KeyKind::kInode,
                             KeyKind::kOrphan, KeyKind::kXattr};
    std::string lower;
    auto scan = [&](lsm::ReadOptions ro) {
      auto it = store_->NewIterator(ro);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key() != SuperblockKey()) stray_.emplace_back(it->key());
      }
      if (!it->status().ok() && report_.status.ok()) report_.status = it->status();
    };
    for (KeyKind kind : kinds) {
      lsm::ReadOptions ro = Kind(kind);
      ro.lower_bound = lower;
      ro.upper_bound = KindBegin(kind);
      scan(ro);
      lower = KindEnd(kind);
    }
    lsm::ReadOptions ro = Kind(KeyKind::kXattr);
    ro.lower_bound = lower;
    ro.upper_bound.reset();
    scan(ro);
    for (size_t i = 0; i < stray_.size(); ++i) {
      if (i < kMaxStrayLines) Change("removed key " + lsm::EscapeBytes(stray_[i].substr(0, 40)) + " (not of the schema)");
      batch_.Delete(stray_[i]);
    }
    if (stray_.size() > kMaxStrayLines) {
      Change("removed " + std::to_string(stray_.size()) + " keys not of the schema in all");
    }
  }

  Store* const store_;
  std::shared_ptr<const lsm::Snapshot> snapshot_;
  std::vector<lsm::DamagedBlock> damaged_;
  lsm::WriteBatch batch_;
  Superblock superblock_;
  bool have_superblock_ = false, superblock_dirty_ = false;
  std::string superblock_problem_;
  std::map<uint64_t, Inode> inodes_;
  std::vector<uint64_t> bad_records_;
  uint64_t max_ino_ = 0, next_ino_ = 0;
  std::vector<EntryRecord> entries_;
  std::set<uint64_t> orphans_;
  std::vector<std::string> stray_;
  std::unordered_map<uint64_t, uint64_t> names_of_;          // entries kept naming it
  std::unordered_map<uint64_t, uint64_t> dir_parent_;        // directory -> the one holding it
  std::unordered_map<uint64_t, std::set<uint64_t>> subdirs_;  // directory -> its subdirectories
  uint64_t lost_found_entry_ = 0;  // what /lost+found names, if anything
  uint64_t lost_found_ = 0;        // the directory used, once needed
  std::unordered_set<uint64_t> reached_;  // directories the root leads to
  std::set<uint64_t> dirty_;       // inodes to write
  PathNames names_;
  RepairReport report_;
};

}  // namespace

std::string RepairReport::ToString() const {
  std::string out;
  for (const std::string& c : changes) out += "repaired: " + c + "\n";
  if (damaged_blocks > 0) {
    out += std::to_string(damaged_blocks) + " damaged table blocks stepped over: what they held is lost\n";
  }
  if (!status.ok()) out += "repair stopped: " + status.ToString() + "\n";
  out += changes.empty() ? "nothing to repair\n" : std::to_string(changes.size()) + " changes\n";
  return out;
}

RepairReport RepairFilesystem(Store* store) { return Repair(store).Run(); }

}  // namespace iron::fs

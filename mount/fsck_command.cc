#include "fsck_command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

#include "fs/checker.h"
#include "fs/filesystem.h"
#include "fs/lost_keys.h"
#include "fs/lsm_store.h"
#include "fs/repair.h"
#include "lsm/db.h"
#include "lsm/db_files.h"
#include "lsm/env.h"
#include "lsm/repair.h"
#include "engine_log.h"

namespace iron::mount {
namespace {

constexpr int kClean = 0;
constexpr int kDamage = 1;
constexpr int kCannotCheck = 2;
constexpr int kLeftUnrepaired = 4;

void Say(const char* fmt, const std::string& a) { std::printf(fmt, a.c_str()); }

lsm::Options CheckOptions(const std::string& dir, bool read_only) {
  lsm::Options o = fs::LsmStore::EngineOptions();
  // The engine's warnings go to stderr; a check writes no LOG.
  o.info_log = NewEngineLog(dir, /*read_only=*/true);
  o.create_if_missing = false;
  o.read_only = read_only;
  o.wal_recovery = lsm::WalRecovery::kSkipDamage;
  return o;
}

// Whether DATA_DIR can be looked at at all; says why not.
bool CanLook(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    std::fprintf(stderr, "ironfs fsck: %s: %s\n", dir.c_str(), std::strerror(errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    std::fprintf(stderr, "ironfs fsck: %s is not a directory\n", dir.c_str());
    return false;
  }
  bool ours = false;
  if (lsm::Status s = lsm::FindDB(dir, &ours); !s.ok()) {
    std::fprintf(stderr, "ironfs fsck: %s\n", s.message().c_str());
    return false;
  }
  if (!ours) {
    std::fprintf(stderr, "ironfs fsck: %s holds no IronFS filesystem\n", dir.c_str());
    return false;
  }
  return true;
}

bool Busy(const lsm::Status& s, const std::string& dir) {
  if (!s.IsBusy()) return false;
  std::fprintf(stderr,
               "ironfs fsck: %s is in use (mounted, or another ironfs holds %s/LOCK); "
               "unmount it first: fsck checks offline\n",
               dir.c_str(), dir.c_str());
  return true;
}

// The damage a dry run of the engine's repair finds: the case of a
// directory the engine cannot open at all.
int ReportUnopenable(const std::string& dir, const lsm::Status& open_error) {
  std::printf("damage: %s\n", open_error.ToString().c_str());
  lsm::RepairReport report;
  lsm::Status s = lsm::RepairDB(CheckOptions(dir, true), dir, /*dry_run=*/true, &report);
  if (!s.ok()) {
    std::fprintf(stderr, "ironfs fsck: cannot look further: %s\n", s.ToString().c_str());
  }
  for (const auto& lost : fs::DescribeLostKeys(nullptr, report.lost)) Say("damage: %s\n", lost);
  for (const auto& action : report.actions) Say("--repair %s\n", action);
  std::printf("The filesystem cannot be opened until it is repaired: "
              "'ironfs fsck --repair %s' salvages what can be read (damaged files are "
              "copied aside first).\n", dir.c_str());
  return kDamage;
}

// Opens read-only and checks everything; prints the report.
int Check(const std::string& dir, bool quiet_progress) {
  std::unique_ptr<lsm::DB> db;
  lsm::Status s = lsm::DB::Open(CheckOptions(dir, true), dir, &db);
  if (Busy(s, dir)) return kCannotCheck;
  if (!s.ok()) {
    if (s.IsCorruption() || s.IsNotFound() || s.IsIOError()) return ReportUnopenable(dir, s);
    std::fprintf(stderr, "ironfs fsck: cannot check %s: %s\n", dir.c_str(), s.ToString().c_str());
    return kCannotCheck;
  }
  std::vector<std::string> wal_damage = db->RecoveryDamage();
  fs::LsmStore store(db.get());
  fs::CheckReport report = fs::CheckFilesystem(&store, [&](uint64_t keys) {
    if (!quiet_progress) {
      std::fprintf(stderr, "ironfs fsck: %llu keys checked\r", static_cast<unsigned long long>(keys));
    }
  });
  std::printf("%s", report.ToString().c_str());
  if (report.orphans > 0) {
    std::printf("(%llu orphans: files deleted while open when the filesystem stopped; the "
                "next mount reclaims them)\n",
                static_cast<unsigned long long>(report.orphans));
  }
  if (!wal_damage.empty()) {
    // What the damaged records held, where their bytes still say.
    lsm::RepairReport dry;
    if (lsm::FindWalDamage(CheckOptions(dir, true), dir, &dry).ok()) {
      for (const auto& lost : fs::DescribeLostKeys(&store, dry.lost)) Say("damage: %s\n", lost);
    }
  }
  // Opened read-only: closing writes nothing, so a failure changes no
  // verdict, but it is said.
  if (lsm::Status c = db->Close(); !c.ok()) {
    std::fprintf(stderr, "ironfs fsck: closing %s: %s\n", dir.c_str(), c.ToString().c_str());
  }
  if (wal_damage.empty() && report.clean()) return kClean;
  for (const auto& d : wal_damage) Say("damage: %s\n", d);
  if (!wal_damage.empty()) {
    std::printf("(the tree above is what the WAL holds without the damaged records; a mount "
                "refuses it until it is repaired)\n");
  }
  std::printf("'ironfs fsck --repair %s' salvages what can be read (damaged files are copied "
              "aside first).\n", dir.c_str());
  return kDamage;
}

// Copies `names` (relative to dir) into a new dir/damaged-<time>/.
bool CopyAside(const std::string& dir, const std::vector<std::string>& names,
               std::string* where) {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  *where = dir + "/damaged-" + stamp;
  std::error_code ec;
  for (int i = 1; std::filesystem::exists(*where, ec); ++i) {
    *where = dir + "/damaged-" + stamp + "." + std::to_string(i);
  }
  if (mkdir(where->c_str(), 0700) != 0) {
    std::fprintf(stderr, "ironfs fsck: cannot create %s: %s\n", where->c_str(), std::strerror(errno));
    return false;
  }
  for (const auto& name : names) {
    std::string from = dir + "/" + name;
    if (!std::filesystem::is_regular_file(std::filesystem::symlink_status(from, ec))) continue;
    std::filesystem::copy_file(from, *where + "/" + name,
                               std::filesystem::copy_options::skip_existing, ec);
    if (ec) {
      std::fprintf(stderr, "ironfs fsck: cannot copy %s aside: %s\n", from.c_str(),
                   ec.message().c_str());
      return false;
    }
  }
  return true;
}

int Repair(const std::string& dir) {
  // 1. What is damaged; refuse if the directory is in use.
  {
    std::unique_ptr<lsm::FileLock> lock;
    if (Busy(lsm::LockDB(lsm::Env::Default(), dir, &lock), dir)) {
      return kCannotCheck;
    }
  }
  lsm::RepairReport found;
  lsm::Status s = lsm::RepairDB(CheckOptions(dir, false), dir, /*dry_run=*/true, &found);
  if (!s.ok()) {
    std::fprintf(stderr, "ironfs fsck: cannot repair %s: %s\n", dir.c_str(), s.ToString().c_str());
    return kCannotCheck;
  }
  // 2. Copy the damaged files aside, with CURRENT and the live manifest,
  // which a repair replaces.
  bool changed = false;
  std::vector<std::string> aside = found.damaged_files;
  if (!aside.empty()) {
    aside.insert(aside.end(), found.replaced_files.begin(), found.replaced_files.end());
    std::string where;
    if (!CopyAside(dir, aside, &where)) return kCannotCheck;
    Say("copied the damaged files aside into %s\n", where);
  }
  // 3. Tables and manifest.
  lsm::RepairReport done;
  s = lsm::RepairDB(CheckOptions(dir, false), dir, /*dry_run=*/false, &done);
  if (!s.ok()) {
    std::fprintf(stderr, "ironfs fsck: repair failed: %s\n", s.ToString().c_str());
    return kLeftUnrepaired;
  }
  for (const auto& action : done.actions) Say("repaired: %s\n", action);
  changed |= !done.actions.empty();
  // 4. The WALs (every readable record replayed) and the filesystem tree.
  std::unique_ptr<lsm::DB> db;
  s = lsm::DB::Open(CheckOptions(dir, false), dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "ironfs fsck: the repaired engine does not open: %s\n",
                 s.ToString().c_str());
    return kLeftUnrepaired;
  }
  for (const auto& d : db->RecoveryDamage()) {
    Say("repaired: skipped %s; every readable record before and after it was kept\n", d);
    changed = true;
  }
  fs::LsmStore store(db.get());
  fs::RepairReport tree = fs::RepairFilesystem(&store);
  for (const auto& lost : fs::DescribeLostKeys(&store, done.lost)) Say("lost: %s\n", lost);
  for (const auto& line : tree.changes) Say("repaired: %s\n", line);
  changed |= !tree.changes.empty();
  if (!tree.status.ok()) {
    std::fprintf(stderr, "ironfs fsck: repairing the tree: %s\n", tree.status.ToString().c_str());
  }
  s = db->Close();
  if (!s.ok()) {
    std::fprintf(stderr, "ironfs fsck: closing after repair: %s\n", s.ToString().c_str());
    return kLeftUnrepaired;
  }
  // 5. Check again.
  std::printf("checking the repaired filesystem:\n");
  int after = Check(dir, true);
  if (after != kClean) return kLeftUnrepaired;
  return changed ? kDamage : kClean;
}

}  // namespace

int RunFsck(const MountConfig& config, bool repair) {
  if (!CanLook(config.data_dir)) return kCannotCheck;
  return repair ? Repair(config.data_dir) : Check(config.data_dir, false);
}

}  // namespace iron::mount

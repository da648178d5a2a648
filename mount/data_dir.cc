#include "data_dir.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine_log.h"
#include "mount/log.h"
#include "mountinfo.h"

namespace iron::mount {
namespace {

// The engine's failure to open `dir`, said for a person: the code kept (a
// caller tests IsBusy()), the message saying what to do.
lsm::Status EngineError(const std::string& dir, const lsm::Status& s) {
  using lsm::Status;
  if (s.IsBusy()) {
    return Status::Busy(dir + " is in use: another ironfs (or ironfs fsck) holds " + dir + "/LOCK");
  }
  if (s.IsCorruption()) {
    return Status::Corruption(
        dir + " is damaged: " + s.message() + "\nNothing in it was changed. Run 'ironfs fsck " +
        dir + "' for a full report; 'ironfs fsck --repair " + dir +
        "' salvages what can be read and says what was lost.");
  }
  std::string message = "cannot open " + dir + ": " + s.ToString();
  switch (s.code()) {
    case Status::Code::kNotFound: return Status::NotFound(message);
    case Status::Code::kNotSupported: return Status::NotSupported(message);
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(message);
    case Status::Code::kNoSpace: return Status::NoSpace(message);
    case Status::Code::kReadOnly: return Status::ReadOnly(message);
    default: return Status::IOError(message);
  }
}

// What is wrong with `path` (lstat'ed as `st`) for a daemon running as
// root, or "": it must be root's, and writable by no one else (a
// directory above DATA_DIR may be, if sticky: others cannot rename or
// remove root's entries in it).
std::string NotRootsAlone(const std::string& path, const struct stat& st, bool above) {
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
  std::string what = path + " (owner uid " + std::to_string(st.st_uid) + ", mode " + mode + ")";
  if (st.st_uid != 0) return what + " belongs to another user";
  if (S_ISLNK(st.st_mode)) return "";  // never followed (O_NOFOLLOW)
  bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(above && sticky_dir)) {
    return what + " is writable by " + ((st.st_mode & S_IWOTH) ? "others" : "its group");
  }
  return "";
}

// As sshd's StrictModes: a daemon running as root serves every user of the
// mount from DATA_DIR, so whoever could change DATA_DIR, a file in it, or
// a directory above it (to swap DATA_DIR for another) could truncate a
// table under the mount and take it down for everyone, or feed the daemon
// crafted data. Root therefore uses only a DATA_DIR that is root's alone,
// unless told otherwise. A missing DATA_DIR is checked through its parent.
std::string CheckDataDirOwnership(const std::string& dir) {
  if (geteuid() != 0) return "";
  std::string problem;
  std::filesystem::path p(dir);
  struct stat st;
  for (std::filesystem::path above = p.parent_path();; above = above.parent_path()) {
    if (lstat(above.c_str(), &st) == 0) {
      problem = NotRootsAlone(above.string(), st, /*above=*/true);
      if (!problem.empty()) break;
    }
    if (above == above.root_path() || above.empty()) break;
  }
  if (problem.empty() && lstat(dir.c_str(), &st) == 0) {
    problem = NotRootsAlone(dir, st, /*above=*/false);
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         problem.empty() && !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (lstat(it->path().c_str(), &st) == 0) problem = NotRootsAlone(it->path().string(), st, false);
    }
  }
  if (problem.empty()) return "";
  return "refusing " + dir + ": " + problem + ", and this ironfs runs as root: whoever can " +
         "change it could take the filesystem down for every user of the mount. Make it root's " +
         "alone (chown -R root:root " + dir + "; chmod -R go-w " + dir + ") or, if you trust " +
         "that user, mount with -o allow_foreign_data_dir";
}

// Whether an ironfs of `dir` is mounted (its source, the fsname, is
// DATA_DIR unless the user named it otherwise).
bool Mounted(const std::string& dir) {
  for (const MountEntry& m : ReadMountinfo()) {
    if (m.fstype.starts_with("fuse") && m.source == dir) return true;
  }
  return false;
}

// Whether the process holding `dir`'s LOCK serves a FUSE mount (has
// /dev/fuse open): a mounted ironfs, whatever its fsname, and not one
// finishing an unmount (it closes /dev/fuse before its engine) or an fsck.
// False when it cannot be told (/proc/locks or the holder's descriptors
// unreadable).
bool LockHolderServesFuse(const std::string& dir) {
  struct stat lock;
  if (stat((dir + "/LOCK").c_str(), &lock) != 0) return false;
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a blocked
    // waiter's line has "->" after the number.
    if (line.find("->") != std::string::npos) continue;
    std::istringstream in(line);
    std::string id, type, advisory, mode, where;
    long pid;
    if (!(in >> id >> type >> advisory >> mode >> pid >> where)) continue;
    unsigned major, minor;
    unsigned long long ino;
    if (std::sscanf(where.c_str(), "%x:%x:%llu", &major, &minor, &ino) != 3) continue;
    if (ino != lock.st_ino || makedev(major, minor) != lock.st_dev) continue;
    std::error_code ec;
    std::string fds = "/proc/" + std::to_string(pid) + "/fd";
    for (const auto& fd : std::filesystem::directory_iterator(fds, ec)) {
      if (std::filesystem::read_symlink(fd.path(), ec) == "/dev/fuse") return true;
    }
  }
  return false;
}

// How long a mount waits for a LOCK held by a process that serves no
// mount of the directory: a daemon still closing its engine after an
// unmount (seconds), or an offline fsck or compact.
constexpr auto kLockWait = std::chrono::seconds(30);

// Opens the engine of a mount, waiting (bounded, saying so) while the LOCK
// is held by a process that serves no mount of `dir`.
lsm::Status OpenForMount(const lsm::Options& options, const std::string& dir,
                         std::unique_ptr<lsm::DB>* db) {
  auto deadline = std::chrono::steady_clock::now() + kLockWait;
  bool said = false;
  for (;;) {
    lsm::Status s = lsm::DB::Open(options, dir, db);
    if (!s.IsBusy() || Mounted(dir) || LockHolderServesFuse(dir) ||
        std::chrono::steady_clock::now() >= deadline) {
      return s;
    }
    if (!said) {
      Log(LOG_NOTICE,
          "%s/LOCK is held, but %s is not mounted: waiting up to %d s for the process holding "
          "it (an ironfs finishing an unmount, or ironfs fsck or compact) to finish",
          dir.c_str(), dir.c_str(), static_cast<int>(kLockWait.count()));
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

lsm::Status OpenEngine(const std::string& data_dir, const EngineAccess& access,
                       std::unique_ptr<lsm::DB>* db) {
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0) return lsm::Status::FromErrno(data_dir, errno);
  if (!std::filesystem::exists(data_dir + "/CURRENT")) {
    return lsm::Status::NotFound(data_dir + " holds no IronFS filesystem (no CURRENT file)");
  }
  lsm::Options options = fs::LsmStore::EngineOptions();
  options.create_if_missing = false;
  options.read_only = access.read_only;
  options.wal_recovery = access.wal_recovery;
  // Problems are printed; a read-only open writes no LOG.
  options.info_log = NewEngineLog(data_dir, access.read_only);
  lsm::Status s = lsm::DB::Open(options, data_dir, db);
  if (!s.ok()) return EngineError(data_dir, s);
  return lsm::Status::OK();
}

lsm::Status OpenDataDir(const MountConfig& config, OpenedFilesystem* out) {
  using lsm::Status;
  const std::string& dir = config.data_dir;
  if (!config.allow_foreign_data_dir) {
    if (std::string problem = CheckDataDirOwnership(dir); !problem.empty()) {
      return Status::InvalidArgument(problem);
    }
  }
  std::error_code ec;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return Status::FromErrno(dir, errno);
    if (config.read_only) {
      return Status::InvalidArgument(dir + " does not exist, and a read-only mount cannot "
                                     "create it");
    }
    std::filesystem::create_directories(dir, ec);
    if (ec || chmod(dir.c_str(), 0700) != 0) {
      std::string why = ec ? ec.message() : std::strerror(errno);
      return Status::IOError("cannot create " + dir + ": " + why);
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(dir + " is not a directory");
  }
  bool empty = std::filesystem::is_empty(dir, ec);
  if (ec) return Status::IOError("cannot read " + dir + ": " + ec.message());
  if (!empty && !std::filesystem::exists(dir + "/CURRENT")) {
    return Status::InvalidArgument(dir + " is not empty and holds no IronFS filesystem (no CURRENT "
                                   "file); refusing to format it. Give an empty or new directory.");
  }
  if (empty && config.read_only) {
    return Status::InvalidArgument(dir + " is empty, and a read-only mount cannot format it");
  }

  lsm::Options options = fs::LsmStore::EngineOptions();
  options.write_buffer_size = config.memtable_bytes;
  options.block_cache_bytes = config.cache_bytes;
  options.read_only = config.read_only;
  options.info_log = NewEngineLog(dir, config.read_only);
  lsm::Status s = OpenForMount(options, dir, &out->db);
  if (!s.ok()) return EngineError(dir, s);
  fs::MountOptions mount_options;
  mount_options.sync = config.sync;
  mount_options.inode_cache_entries = config.inode_cache;
  mount_options.data_dir = dir;
  mount_options.reserve_bytes = config.ReserveBytes();
  mount_options.read_only = config.read_only;
  fs::FormatOptions format;
  format.block_size = config.block_size;
  out->store = std::make_unique<fs::LsmStore>(out->db.get());
  auto mounted = fs::Filesystem::Mount(out->store.get(), mount_options, format);
  if (!mounted.ok()) {
    out->store.reset();
    out->db.reset();
    switch (mounted.error()) {
      case EUCLEAN:
        return Status::Corruption("the filesystem in " + dir + " is damaged (superblock or "
                                  "root directory unreadable). Run 'ironfs fsck " + dir +
                                  "' for a report.");
      case EPROTO:
        return Status::NotSupported(dir + " was written by a newer IronFS; this one (format " +
                                    std::to_string(fs::kFormatVersion) + ") cannot read it");
      default:
        return Status::FromErrno("cannot mount the filesystem in " + dir, mounted.error());
    }
  }
  out->fs = std::move(*mounted);
  return Status::OK();
}

}  // namespace iron::mount

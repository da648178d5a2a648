#include "mount/data_dir.h"

#include <errno.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>

#include "mount/engine_log.h"

namespace iron::mount {
namespace {

std::string EngineError(const std::string& dir, const lsm::Status& s) {
  if (s.IsBusy()) {
    return dir + " is in use: another ironfs (or ironfs fsck) holds " + dir + "/LOCK";
  }
  if (s.IsCorruption()) {
    return dir + " is damaged: " + s.message() + "\nNothing in it was changed. Run 'ironfs fsck " +
           dir + "' for a full report; 'ironfs fsck --repair " + dir +
           "' salvages what can be read and says what was lost.";
  }
  return "cannot open " + dir + ": " + s.ToString();
}

}  // namespace

bool OpenEngine(const std::string& data_dir, const EngineAccess& access,
                std::unique_ptr<lsm::DB>* db, std::string* error) {
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0) {
    *error = data_dir + ": " + std::strerror(errno);
    return false;
  }
  if (!std::filesystem::exists(data_dir + "/CURRENT")) {
    *error = data_dir + " holds no IronFS filesystem (no CURRENT file)";
    return false;
  }
  lsm::Options options = fs::EngineOptions();
  options.create_if_missing = false;
  options.read_only = access.read_only;
  options.wal_recovery = access.wal_recovery;
  // A read-only open writes no LOG; its problems are printed instead.
  options.info_log = NewEngineLog(data_dir, /*read_only=*/true);
  lsm::Status s = lsm::DB::Open(options, data_dir, db);
  if (!s.ok()) {
    *error = EngineError(data_dir, s);
    return false;
  }
  return true;
}

bool OpenDataDir(const MountConfig& config, OpenedFilesystem* out, std::string* error) {
  const std::string& dir = config.data_dir;
  std::error_code ec;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      *error = dir + ": " + std::strerror(errno);
      return false;
    }
    if (config.read_only) {
      *error = dir + " does not exist, and a read-only mount cannot create it";
      return false;
    }
    std::filesystem::create_directories(dir, ec);
    if (ec || chmod(dir.c_str(), 0700) != 0) {
      *error = "cannot create " + dir + ": " + (ec ? ec.message() : std::strerror(errno));
      return false;
    }
  } else if (!S_ISDIR(st.st_mode)) {
    *error = dir + " is not a directory";
    return false;
  }
  bool empty = std::filesystem::is_empty(dir, ec);
  if (ec) {
    *error = "cannot read " + dir + ": " + ec.message();
    return false;
  }
  if (!empty && !std::filesystem::exists(dir + "/CURRENT")) {
    *error = dir + " is not empty and holds no IronFS filesystem (no CURRENT file); "
             "refusing to format it. Give an empty or new directory.";
    return false;
  }
  if (empty && config.read_only) {
    *error = dir + " is empty, and a read-only mount cannot format it";
    return false;
  }

  lsm::Options options = fs::EngineOptions();
  options.write_buffer_size = config.memtable_bytes;
  options.read_only = config.read_only;
  options.info_log = NewEngineLog(dir, config.read_only);
  lsm::Status s = lsm::DB::Open(options, dir, &out->db);
  if (!s.ok()) {
    *error = EngineError(dir, s);
    return false;
  }
  fs::MountOptions mount_options;
  mount_options.sync = config.sync;
  mount_options.inode_cache_entries = config.inode_cache;
  mount_options.data_dir = dir;
  mount_options.reserve_bytes = config.ReserveBytes();
  mount_options.read_only = config.read_only;
  fs::FormatOptions format;
  format.block_size = config.block_size;
  auto mounted = fs::Filesystem::Mount(out->db.get(), mount_options, format);
  if (!mounted.ok()) {
    switch (mounted.error()) {
      case EUCLEAN:
        *error = "the filesystem in " + dir + " is damaged (superblock or root directory "
                 "unreadable). Run 'ironfs fsck " + dir + "' for a report.";
        break;
      case EPROTO:
        *error = dir + " was written by a newer IronFS; this one (format 1) cannot read it";
        break;
      default:
        *error = "cannot mount the filesystem in " + dir + ": " + std::strerror(mounted.error());
    }
    out->db.reset();
    return false;
  }
  out->fs = std::move(*mounted);
  return true;
}

}  // namespace iron::mount

// The ironfs command line: what to mount where, and how.
//
//   ironfs DATA_DIR MOUNTPOINT [-o opt[,opt...]] [-f] [-d] [-s]
//   ironfs fsck DATA_DIR [--repair]
//   ironfs stats DATA_DIR
//   ironfs compact DATA_DIR|MOUNTPOINT
//
// Options of IronFS's own (option_table.h) are taken out of -o; the rest (allow_other,
// default_permissions, fsname=, ...) go to libfuse, which refuses what it
// does not know. Parsing reports problems as messages, never by exiting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iron::mount {

struct MountConfig {
  std::string data_dir;    // absolute (compact: DATA_DIR or MOUNTPOINT)
  std::string mountpoint;  // absolute
  bool foreground = false;
  bool debug = false;
  bool single_thread = false;
  bool read_only = false;
  bool sync = false;        // every operation durable before its reply
  bool writeback = false;   // the kernel's writeback cache
  // Root mounts a DATA_DIR that is not root's alone (see data_dir.h).
  bool allow_foreign_data_dir = false;
  // The kernel checks permissions too (on its cached attributes), which
  // is what makes cached names safe; without it names are not cached.
  bool default_permissions = true;
  double attr_timeout = 60;
  double entry_timeout = 60;
  double negative_timeout = 0;
  uint64_t memtable_bytes = 32ull << 20;
  // The engine's block cache (lsm::Options::block_cache_bytes).
  uint64_t cache_bytes = 64ull << 20;
  // Bytes of the data directory's disk kept free (fs::SpaceGuard); unset:
  // two MemTables and 32 MiB for WAL and manifest.
  std::optional<uint64_t> reserve_bytes;
  uint64_t ReserveBytes() const { return reserve_bytes.value_or(2 * memtable_bytes + (32ull << 20)); }
  uint32_t block_size = 4096;  // only when formatting
  size_t inode_cache = 1 << 16;
  uint32_t spin_us = 50;    // see RequestLoop
  std::vector<std::string> fuse_options;  // handed to libfuse as -o

  bool operator==(const MountConfig&) const = default;
};

enum class Command { kMount, kFsck, kStats, kCompact, kHelp, kVersion };

struct ParsedCommandLine {
  Command command = Command::kMount;
  MountConfig config;
  bool repair = false;  // fsck --repair
  std::string error;  // non-empty: a message for the user, exit 2
};

ParsedCommandLine ParseCommandLine(int argc, char** argv);

// The -o string handed to libfuse: config.fuse_options joined, and "ro"
// when the mount is read-only and no option says so already.
std::string FuseOptionString(const MountConfig& config);

// --help's text. IronFS's own -o options are listed from the option table
// (option_table.h), with the defaults of a default-constructed MountConfig.
std::string Usage();

}  // namespace iron::mount

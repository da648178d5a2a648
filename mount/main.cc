// ironfs: mounts an IronFS filesystem, and checks or describes one.
// See options.h for the command line and README.md for the design.
#include <cstdio>

#include "fs/checker.h"
#include "fs/lsm_store.h"
#include "control.h"
#include "daemon.h"
#include "data_dir.h"
#include "fsck_command.h"
#include "mount/options.h"
#include "stats_file.h"

#define FUSE_USE_VERSION 312
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace iron::mount {
namespace {

constexpr long kFuseSuperMagic = 0x65735546;  // statfs f_type of every FUSE mount

int RunStats(const MountConfig& config) {
  std::unique_ptr<lsm::DB> db;
  lsm::Status opened = OpenEngine(config.data_dir, EngineAccess{.read_only = true}, &db);
  if (opened.ok()) {
    std::printf("%s (not mounted)\n%s", config.data_dir.c_str(), StatsReport(db.get(), nullptr).c_str());
    fs::LsmStore store(db.get());
    fs::CheckReport r = fs::CheckFilesystem(&store, [](uint64_t keys) {
      std::fprintf(stderr, "ironfs stats: %llu keys read\r", static_cast<unsigned long long>(keys));
    });
    std::printf("filesystem: %llu inodes (%llu directories), %llu entries, %llu blocks holding %llu bytes, %llu xattrs\n",
                static_cast<unsigned long long>(r.inodes), static_cast<unsigned long long>(r.directories),
                static_cast<unsigned long long>(r.entries), static_cast<unsigned long long>(r.blocks),
                static_cast<unsigned long long>(r.block_bytes), static_cast<unsigned long long>(r.xattrs));
    return db->Close().ok() ? 0 : 1;
  }
  if (!opened.IsBusy()) {
    std::fprintf(stderr, "ironfs stats: %s\n", opened.message().c_str());
    return 2;
  }
  // Mounted: the daemon's own report.
  std::string path = config.data_dir + "/" + kStatsFileName;
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "ironfs stats: %s is mounted but has no %s yet\n", config.data_dir.c_str(), kStatsFileName);
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto age = std::chrono::duration_cast<std::chrono::seconds>(
      std::filesystem::file_time_type::clock::now() - std::filesystem::last_write_time(path));
  std::printf("%s (mounted; figures from the daemon, %lld s old)\n%s", config.data_dir.c_str(),
              static_cast<long long>(age.count()), text.str().c_str());
  return 0;
}

// A mount point: the daemon compacts; a data directory: compacted here.
int RunCompact(const MountConfig& config) {
  const std::string& path = config.data_dir;
  struct statfs fs_info;
  if (statfs(path.c_str(), &fs_info) == 0 && fs_info.f_type == kFuseSuperMagic) {
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0 || ioctl(fd, kCompactRequest) != 0) {
      std::fprintf(stderr, "ironfs compact: %s: %s\n", path.c_str(), std::strerror(errno));
      if (errno == ENOTTY) std::fprintf(stderr, "ironfs compact: not an ironfs mount\n");
      if (fd >= 0) close(fd);
      return 1;
    }
    close(fd);
    return 0;
  }
  std::unique_ptr<lsm::DB> db;
  if (lsm::Status opened = OpenEngine(path, EngineAccess{.read_only = false}, &db); !opened.ok()) {
    std::fprintf(stderr, "ironfs compact: %s\n", opened.message().c_str());
    if (opened.IsBusy()) {
      std::fprintf(stderr, "ironfs compact: it is mounted; give the mount point instead\n");
    }
    return 1;
  }
  lsm::Status s = db->CompactRange(nullptr, nullptr);
  lsm::Status closed = db->Close();
  if (!s.ok() || !closed.ok()) {
    std::fprintf(stderr, "ironfs compact: %s\n", (s.ok() ? closed : s).ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace iron::mount

int main(int argc, char** argv) {
  using namespace iron::mount;
  ParsedCommandLine p = ParseCommandLine(argc, argv);
  if (!p.error.empty()) {
    std::fprintf(stderr, "ironfs: %s\n", p.error.c_str());
    return 2;
  }
  switch (p.command) {
    case Command::kHelp:
      std::printf("%s", Usage().c_str());
      return 0;
    case Command::kVersion:
      std::printf("ironfs %s (libfuse %s)\n", IRONFS_VERSION, fuse_pkgversion());
#ifdef IRON_TEST_HOOKS
      std::printf("test hooks compiled in (IRON_TEST_HOOKS): a build for tests, not for use\n");
#endif
      return 0;
    case Command::kFsck:
      return RunFsck(p.config, p.repair);
    case Command::kStats:
      return RunStats(p.config);
    case Command::kCompact:
      return RunCompact(p.config);
    case Command::kMount:
      return RunMount(p.config);
  }
  return 2;
}

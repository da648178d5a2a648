#include "mount/stats_file.h"

#include <sys/resource.h>

#include <cstdio>

#include "lsm/env.h"

namespace iron::mount {

std::string StatsReport(lsm::DB* db, fs::Filesystem* fs) {
  std::string out;
  if (fs != nullptr) {
    fs::FsStats s = fs->GetStats();
    out += "filesystem: " + std::to_string(s.inodes) + " inodes, " +
           std::to_string(s.cached_inodes) + " cached, block size " +
           std::to_string(s.block_size) + "\n";
  }
  out += db->GetStats().ToString();
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    out += "peak RSS of this process: " + std::to_string(usage.ru_maxrss / 1024) + " MB\n";
  }
  return out;
}

void WriteStatsFile(const std::string& data_dir, const std::string& report) {
  std::string path = data_dir + "/" + kStatsFileName;
  std::string tmp = path + ".tmp";
  // Through the engine's Env, which never follows a symbolic link.
  if (!lsm::WriteStringToFile(lsm::Env::Default(), report, tmp, /*sync=*/false).ok()) return;
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace iron::mount

#include "stats_file.h"

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

lsm::Status WriteStatsFile(const std::string& data_dir, const std::string& report) {
  std::string path = data_dir + "/" + kStatsFileName;
  std::string tmp = path + ".tmp";
  // Through the engine's Env, which never follows a symbolic link.
  lsm::Env* env = lsm::Env::Default();
  IRON_RETURN_IF_ERROR(lsm::WriteStringToFile(env, report, tmp, /*sync=*/false));
  lsm::Status s = env->RenameFile(tmp, path);
  // A stale temporary file is overwritten by the next report.
  if (!s.ok()) env->RemoveFile(tmp).IgnoreError();
  return s;
}

}  // namespace iron::mount

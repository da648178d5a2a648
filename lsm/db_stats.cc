#include <cstdio>

#include "lsm/db.h"

namespace iron::lsm {

double DBStats::WriteAmplification() const {
  if (user_bytes_written == 0) return 0;
  uint64_t written = wal_bytes_written;
  for (const auto& level : levels) written += level.bytes_written;
  return static_cast<double>(written) / static_cast<double>(user_bytes_written);
}

std::string DBStats::ToString() const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof(line), "%-5s %7s %12s %11s %12s %12s %10s\n", "level", "files",
                "bytes", "compactions", "read", "written", "seconds");
  out += line;
  for (size_t i = 0; i < levels.size(); ++i) {
    const LevelStats& l = levels[i];
    if (l.files == 0 && l.compactions == 0) continue;
    std::snprintf(line, sizeof(line), "L%-4zu %7d %12llu %11llu %12llu %12llu %10.1f\n", i,
                  l.files, static_cast<unsigned long long>(l.bytes),
                  static_cast<unsigned long long>(l.compactions),
                  static_cast<unsigned long long>(l.bytes_read),
                  static_cast<unsigned long long>(l.bytes_written),
                  static_cast<double>(l.compaction_micros) / 1e6);
    out += line;
  }
  double useful = bloom_checked == 0 ? 0 : 100.0 * static_cast<double>(bloom_useful) /
                                               static_cast<double>(bloom_checked);
  std::snprintf(line, sizeof(line),
                "writes %llu in %llu WAL groups, %llu syncs (%.3f s); user bytes %llu, WAL bytes %llu\n"
                "flushes %llu, compactions %llu (%.1f s); write amplification %.2f\n"
                "bloom: %llu checked, %llu useful (%.1f%%); stalls %llu (%.3f s); "
                "memtables %llu bytes\n",
                static_cast<unsigned long long>(writes),
                static_cast<unsigned long long>(write_groups),
                static_cast<unsigned long long>(wal_syncs),
                static_cast<double>(wal_sync_micros) / 1e6,
                static_cast<unsigned long long>(user_bytes_written),
                static_cast<unsigned long long>(wal_bytes_written),
                static_cast<unsigned long long>(flushes),
                static_cast<unsigned long long>(compactions),
                static_cast<double>(compaction_micros) / 1e6, WriteAmplification(),
                static_cast<unsigned long long>(bloom_checked),
                static_cast<unsigned long long>(bloom_useful), useful,
                static_cast<unsigned long long>(stalls),
                static_cast<double>(stall_micros) / 1e6,
                static_cast<unsigned long long>(memtable_bytes));
  out += line;
  const uint64_t lookups = block_cache_hits + block_cache_misses;
  std::snprintf(line, sizeof(line),
                "block cache: %llu hits, %llu misses (%.1f%% hits), %llu inserts, "
                "%llu evictions; %.1f of %.1f MiB; index+filter %.1f MiB\n",
                static_cast<unsigned long long>(block_cache_hits),
                static_cast<unsigned long long>(block_cache_misses),
                lookups == 0 ? 0.0
                             : 100.0 * static_cast<double>(block_cache_hits) /
                                   static_cast<double>(lookups),
                static_cast<unsigned long long>(block_cache_inserts),
                static_cast<unsigned long long>(block_cache_evictions),
                static_cast<double>(block_cache_bytes) / 1048576.0,
                static_cast<double>(block_cache_capacity) / 1048576.0,
                static_cast<double>(table_pinned_bytes) / 1048576.0);
  out += line;
  return out;
}

}  // namespace iron::lsm

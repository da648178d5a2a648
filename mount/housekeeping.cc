#include "housekeeping.h"

#include <malloc.h>
#include <syslog.h>

#include <chrono>

#include "mount/log.h"
#include "stats_file.h"

namespace iron::mount {

namespace {
constexpr auto kPeriod = std::chrono::seconds(5);
}  // namespace

Housekeeping::Housekeeping(lsm::DB* db, fs::Filesystem* fs, std::string data_dir, bool read_only)
    : db_(db), fs_(fs), data_dir_(std::move(data_dir)), read_only_(read_only) {
  // The C library lets the free top of each thread's heap grow to twice
  // the largest block it ever gave back to the kernel (a 1 MiB read
  // buffer makes that 2 MiB per thread), and malloc_trim does not shrink
  // the heaps of threads other than the first. A fixed threshold (the
  // library's own starting value) keeps the dynamic rise from happening;
  // blocks of 128 KiB and more are then always their own mappings.
  mallopt(M_TRIM_THRESHOLD, 128 << 10);
  thread_ = std::thread([this] { Run(); });
}

Housekeeping::~Housekeeping() {
  {
    lsm::MutexLock l(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

void Housekeeping::Run() {
  lsm::MutexLock l(&mu_);
  while (!stop_) {
    mu_.Unlock();
    Round();
    mu_.Lock();
    const auto next = lsm::CondVar::Clock::now() + kPeriod;
    while (!stop_ && cv_.WaitUntil(&mu_, next)) {
    }
  }
}

void Housekeeping::Round() {
  if (!read_only_) {
    lsm::Status s = WriteStatsFile(data_dir_, StatsReport(db_, fs_));
    std::string failure = s.ok() ? "" : s.ToString();
    if (!failure.empty() && failure != stats_failure_) {
      Log(LOG_WARNING, "writing the stats file: %s", failure.c_str());
    }
    stats_failure_ = failure;
  }
  // At rest: nothing written and nothing read (every read of a table
  // looks up the block cache) since the last round.
  lsm::DBStats stats = db_->GetStats();
  const uint64_t activity = stats.writes + stats.block_cache_hits + stats.block_cache_misses;
  const bool idle = activity == last_activity_;
  last_activity_ = activity;
  if (!idle) return;
  if (!read_only_ && stats.memtable_bytes > kIdleFlushBytes) {
    // What the MemTable holds is in the WAL too: a failed flush (a full
    // disk) loses nothing, and the engine has logged why.
    if (lsm::Status s = db_->Flush(); !s.ok()) {
      Log(LOG_WARNING, "flushing a resting MemTable: %s", s.ToString().c_str());
    }
  }
  db_->ReleaseIdleMemory();
  // Free chunks inside the heaps of every thread hold their pages until
  // the C library is asked to give them back; after many files came and
  // went, that is most of what the process holds.
  malloc_trim(0);
}

}  // namespace iron::mount

// VersionSet: the current Version, the manifest that records how it came to
// be, and the counters that outlive a restart (file numbers, sequence).
//
// Every change to the set of live tables is a VersionEdit appended (and
// synced) to the manifest before the new Version is published, so after a
// crash Recover() rebuilds exactly the last published Version. On Open a
// fresh manifest is written holding one edit with the whole state, and
// CURRENT is switched to it by an atomic rename.
//
// Thread safety: every method requires the DB mutex (passed to LogAndApply,
// which releases it while writing the manifest). Edits are serialized:
// a second LogAndApply waits for the first to finish.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "block_cache.h"
#include "lsm/env.h"
#include "lsm/mutex.h"
#include "lsm/options.h"
#include "version.h"
#include "version_edit.h"
#include "wal_writer.h"

namespace iron::lsm {

// A compaction the picker chose: inputs[0] from `level`, inputs[1] from
// level + 1, written to level + 1.
struct Compaction {
  int level = 0;
  std::vector<LiveFilePtr> inputs[2];
  std::shared_ptr<const Version> version;  // the version the inputs came from
  bool trivial_move = false;               // one file, nothing below: just relink

  int output_level() const { return level + 1; }
  uint64_t InputBytes() const;
};

// What a manifest says, before any table is opened.
struct ManifestState {
  std::vector<std::vector<FileMetaData>> levels;  // live tables per level
  uint64_t next_file_number = 0;
  uint64_t log_number = 0;
  SequenceNumber last_sequence = 0;
  uint64_t manifest_number = 0;
};

class VersionSet {
 public:
  VersionSet(const std::string& dir, const Options& options, Env* env, Logger* log);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;

  // Reads CURRENT and the manifest it names. NotFound if there is no
  // CURRENT (a new DB); Corruption naming the problem otherwise.
  Status Recover();
  // The same reading of CURRENT and the manifest, without opening tables
  // or changing this VersionSet (repair.h reads a damaged directory so).
  Status ReadManifest(ManifestState* state) const;
  // Repair: makes `all` (every live table, and fields 1 to 3) the whole
  // state, then writes a fresh manifest holding it and points CURRENT at
  // it. Every table `all` names must open.
  Status InstallRepairedState(const VersionEdit& all);
  // Starts a new manifest holding the whole current state and points
  // CURRENT at it. Called once by Open after recovery.
  Status WriteSnapshotManifest();

  // Applies `edit` to the current version, appends it to the manifest,
  // syncs, and publishes the result. Releases `mu` (the DB mutex, held by
  // the caller) while doing I/O.
  // On failure nothing is published; the edit is surely not recorded only
  // when the error is NoSpace (met while appending; the next edit starts a
  // fresh manifest); after any other error it may be.
  Status LogAndApply(VersionEdit* edit, Mutex* mu) REQUIRES(mu);

  std::shared_ptr<const Version> current() const { return current_; }

  uint64_t NewFileNumber() { return next_file_number_++; }
  uint64_t next_file_number() const { return next_file_number_; }
  void MarkFileNumberUsed(uint64_t n) {
    if (next_file_number_ <= n) next_file_number_ = n + 1;
  }
  SequenceNumber last_sequence() const { return last_sequence_; }
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }
  uint64_t log_number() const { return log_number_; }
  uint64_t manifest_number() const { return manifest_number_; }

  // The most urgent compaction, or nullptr if every level is within its
  // budget. Only one compaction runs at a time (flushes only add to L0).
  std::unique_ptr<Compaction> PickCompaction();
  // A compaction of `level` restricted to [begin, end] (manual); a trivial
  // move when nothing in the next level overlaps (level > 0).
  std::unique_ptr<Compaction> CompactRangeAt(int level, const std::string_view* begin,
                                             const std::string_view* end);
  // Highest compaction score: >= 1 means some level needs work.
  double MaxScore() const;
  // Deletion-triggered compaction (Version::deletion_debts): the table
  // whose deletions hide the most data deeper down per byte a compaction
  // reads, if that ratio is at least min_ratio and every reader sees the
  // whole table (its largest sequence <= smallest_snapshot, so what it
  // deletes can go). It is merged into the next level, never just moved,
  // so that deletions over nothing deeper are dropped on the way. A
  // level-0 table brings every level-0 table along (they overlap in time).
  std::unique_ptr<Compaction> PickDeletionCompaction(SequenceNumber smallest_snapshot,
                                                     double min_ratio);

  // File numbers of every table some live Version still references.
  void AddLiveFiles(std::set<uint64_t>* live);

  uint64_t MaxBytesForLevel(int level) const;

  // The data blocks of every table opened here (Options::block_cache_bytes);
  // unused with Options::mmap_reads. Thread-safe; set at construction.
  const std::shared_ptr<BlockCache>& block_cache() const { return block_cache_; }

 private:
  Status OpenTable(const FileMetaData& meta, std::shared_ptr<Table>* table);
  // Publishes `all` (applied to an empty version) and takes its counters.
  Status InstallState(const VersionEdit& all);
  // One edit holding the whole current state.
  VersionEdit SnapshotEdit() const;
  // Writes and syncs manifest `number` holding `snapshot` and points CURRENT
  // at it. Touches only files: callable without the DB mutex.
  Status CreateManifest(uint64_t number, const VersionEdit& snapshot,
                        std::unique_ptr<WalWriter>* result);
  Status Apply(const Version& base, const VersionEdit& edit,
               std::shared_ptr<Version>* result);
  void Publish(std::shared_ptr<const Version> v);

  const std::string dir_;
  const Options options_;
  Env* const env_;
  Logger* const log_;
  const std::shared_ptr<BlockCache> block_cache_;

  uint64_t next_file_number_ = 2;
  uint64_t manifest_number_ = 0;
  uint64_t log_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  std::unique_ptr<WalWriter> manifest_;
  bool manifest_broken_ = false;  // an append failed: it may end in a torn record
  bool manifest_busy_ = false;
  CondVar manifest_cv_;

  std::shared_ptr<const Version> current_;
  std::vector<std::weak_ptr<const Version>> live_versions_;
  std::vector<std::string> compact_pointer_;  // per level: where round-robin resumes
};

}  // namespace iron::lsm

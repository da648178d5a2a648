// DBImpl: the engine behind the DB interface.
//
// Write path. Writers queue up; the writer at the head (the leader) takes
// the batches queued behind it (up to 1 MiB) into one group, appends the
// group to the WAL as one record and, if any of them asked for it, syncs
// once: that is group commit. It then inserts the group into the MemTable
// and publishes the new last sequence, which makes the writes visible.
// The WAL append, sync and MemTable insert run without the mutex, so
// readers and the next group's writers are never held up by the disk.
//
// When the MemTable is full it becomes immutable, a new WAL and MemTable
// take the writes, and the flush thread writes the immutable MemTable to a
// level-0 table. The compaction thread merges levels (version_set.h picks
// what). Writers are delayed 1 ms each when level 0 is crowded and wait
// when it is full, but never forever: a flush that keeps failing (say, the
// disk is full) is reported to the waiting writer.
//
// Errors. The DB goes read-only (every later write fails with the first
// such error, reads keep working, the reason is logged) when a write it
// made may or may not have reached the disk: a failed WAL append or sync,
// a failed manifest write, a table that could not be written. A full disk
// (NoSpace) is the exception: the failed write is reported, the WAL or
// manifest that may end in a torn record is replaced by a fresh one, and
// flushes and compactions retry, so writes work again once space is freed.
// Tables a failed manifest write may name are kept until reopening; a
// damaged table met by a compaction stops that compaction only.
//
// Recovery checks every WAL before it writes anything, so that an open
// refused for damage (Options::wal_recovery) leaves the directory exactly
// as it found it. A read-only open (Options::read_only) replays the WALs
// into the MemTable, starts no background thread and writes nothing.
//
// Thread safety: every public method may be called from any thread. State
// marked GUARDED_BY(mu_) needs mu_; the MemTables are read without it.
#pragma once

#include <atomic>
#include <deque>
#include <set>
#include <thread>

#include "lsm/db.h"
#include "lsm/env.h"
#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"
#include "memtable.h"
#include "version_set.h"
#include "wal_reader.h"
#include "wal_writer.h"

namespace iron::lsm {

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dir);
  ~DBImpl() override;

  // Locks the directory, recovers, and starts the background threads.
  Status Open();

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status DeleteRange(const WriteOptions& options, std::string_view begin,
                     std::string_view end) override;
  Status Write(const WriteOptions& options, WriteBatch* batch) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  std::shared_ptr<const Snapshot> GetSnapshot() override;
  Status Sync() override;
  Status VerifyTables(std::vector<std::string>* problems) override;
  std::vector<std::string> RecoveryDamage() const override { return recovery_damage_; }
  Status Flush() override;
  Status CompactRange(const std::string* begin, const std::string* end) override;
  DBStats GetStats() override;
  size_t ReleaseIdleMemory() override;
  Status Close() override;

 private:
  struct Writer;
  class SnapshotImpl;
  struct CompactionStats {
    uint64_t count = 0, bytes_read = 0, bytes_written = 0, micros = 0;
  };

  // --- Open ---
  // Recovers the manifest and replays the WALs into *mem (read-write: into
  // level-0 tables in *edit when they fill a MemTable).
  Status Recover(VersionEdit* edit, std::shared_ptr<MemTable>* mem) REQUIRES(mu_);
  // Reads WAL `number` through without applying it: Corruption at the first
  // damage under kRefuseDamage; under kSkipDamage, adds each damaged
  // region to recovery_damage_.
  // *seen: the first sequence of the last batch read from the WALs so far
  // (a record found past a bad one must come after it).
  Status CheckLog(uint64_t number, SequenceNumber* seen);
  Status ReplayLog(uint64_t number, std::shared_ptr<MemTable>* mem, VersionEdit* edit,
                   SequenceNumber* max_sequence, SequenceNumber* seen) REQUIRES(mu_);
  // Makes `reader` accept a record found past a bad one only if its batch
  // comes after *seen, and keeps *seen up to date through NoteBatch.
  static void RequireSequenceAfter(WalReader* reader, const SequenceNumber* seen);
  static void NoteBatch(std::string_view record, SequenceNumber* seen);
  Status NewWal() REQUIRES(mu_);

  // --- Writes ---
  // Write and Flush (force_switch) queue here; Sync does not (see Sync).
  Status WriteImpl(const WriteOptions& options, WriteBatch* batch, bool force_switch)
      EXCLUDES(mu_);
  // REQUIRES: the caller is the leader (front of writers_).
  // `may_use_reserve`: WriteOptions::may_use_reserve.
  Status MakeRoomForWrite(bool force, bool may_use_reserve) REQUIRES(mu_);
  WriteBatch* BuildBatchGroup(Writer** last_writer) REQUIRES(mu_);
  // Makes the DB read-only: `what` failed in a way that leaves the disk's
  // state unknown. Logged once, with the reason.
  void RecordPermanentError(const std::string& what, const Status& s) REQUIRES(mu_);
  // Logs a read that met damaged data (the read itself returns the error).
  void NoteReadError(const Status& s);
  // Makes the DB read-only if a compaction failed for a reason other than
  // a full disk or a damaged input.
  void NoteCompactionFailure(const Status& s) REQUIRES(mu_);
  // Classifies a failed LogAndApply of a flush or compaction; returns `s`.
  Status ManifestWriteFailed(const std::string& what, const Status& s) REQUIRES(mu_);

  // --- Background work ---
  void FlushThread();
  void CompactionThread();
  // Writes `mem` as level-0 tables into `edit` (mutex released meanwhile).
  Status WriteLevel0Table(const std::shared_ptr<MemTable>& mem, VersionEdit* edit)
      REQUIRES(mu_);
  Status FlushImmutable() REQUIRES(mu_);
  // Waits for the next compaction worth running (size-triggered first,
  // then deletion-triggered: version_set.h); nullptr once shutting down.
  std::unique_ptr<Compaction> NextCompaction() REQUIRES(mu_);
  Status RunCompaction(Compaction* c) REQUIRES(mu_);
  // The merge of a compaction, run without the mutex.
  // snapshots: the live snapshots, ascending.
  Status MergeCompactionInputs(const Compaction& c, SequenceNumber smallest_snapshot,
                               const std::vector<SequenceNumber>& snapshots,
                               std::vector<FileMetaData>* outputs, uint64_t* bytes_written);
  void RemoveObsoleteFiles() REQUIRES(mu_);
  uint64_t NewOutputFileNumber() EXCLUDES(mu_);
  void Log(const std::string& line);

  // --- Reads ---
  // Counts table reads; every 256, if the mapped tables' resident
  // pages exceed Options::max_resident_table_bytes, releases some (the page
  // cache keeps them, so a later read costs a minor fault, not a disk read).
  void NoteTableReads(uint64_t reads);
  SequenceNumber SmallestSnapshot() const REQUIRES(mu_);
  // A MemTable's key filter: about 16 bits per entry of 128 bytes.
  size_t MemTableFilterBits() const { return options_.write_buffer_size / 8; }

  const Options options_;
  const std::string dir_;
  Env* const env_;
  // Set by Open once the WALs are checked (a refused open writes no LOG).
  std::shared_ptr<Logger> info_log_;
  // What VersionSet logs through: forwards to info_log_.
  class ForwardingLogger final : public Logger {
   public:
    explicit ForwardingLogger(DBImpl* db) : db_(db) {}
    void Log(std::string_view line) override { db_->Log(std::string(line)); }

   private:
    DBImpl* const db_;
  };
  ForwardingLogger version_log_{this};
  std::unique_ptr<FileLock> lock_file_;
  std::vector<std::string> recovery_damage_;  // written by Open only, before it returns

  Mutex mu_;
  CondVar bg_cv_;      // signalled when background work changes state
  CondVar gather_cv_;  // a syncing leader waits here for followers
  CondVar sync_cv_;    // a Sync() or a WAL switch finished
  std::unique_ptr<VersionSet> versions_ GUARDED_BY(mu_);

  std::shared_ptr<MemTable> mem_ GUARDED_BY(mu_);
  std::shared_ptr<MemTable> imm_ GUARDED_BY(mu_);  // being flushed, or null
  uint64_t mem_log_number_ GUARDED_BY(mu_) = 0;    // first WAL holding mem_'s writes
  std::unique_ptr<WalWriter> wal_;                 // written by the leader only
  uint64_t wal_number_ GUARDED_BY(mu_) = 0;
  bool wal_needs_roll_ GUARDED_BY(mu_) = false;
  // Records appended whole to wal_: a WAL rolled with none is removed (a
  // full disk would otherwise leave one empty WAL per failed write).
  uint64_t wal_records_ GUARDED_BY(mu_) = 0;
  // Sync() works beside the writer queue, so that writers that do not sync
  // never wait for an fdatasync (when the WAL file allows a Sync beside
  // appends, IsSyncThreadSafe). It needs: the bytes appended to the WAL so
  // far (all files), the bytes known durable, whether a Sync() is in
  // wal_->Sync() without the mutex, and whether NewWal is replacing wal_.
  uint64_t wal_appended_ GUARDED_BY(mu_) = 0;
  uint64_t wal_synced_ GUARDED_BY(mu_) = 0;
  bool wal_syncing_ GUARDED_BY(mu_) = false;
  bool wal_switching_ GUARDED_BY(mu_) = false;

  std::deque<Writer*> writers_ GUARDED_BY(mu_);
  size_t last_sync_group_size_ GUARDED_BY(mu_) = 0;  // writers in the last synced group
  WriteBatch group_batch_;  // used by the leader only

  std::multiset<SequenceNumber> snapshots_ GUARDED_BY(mu_);
  std::set<uint64_t> pending_outputs_ GUARDED_BY(mu_);
  // RemoveObsoleteFiles scans the directory without the mutex; two scans at
  // once (the flush and the compaction thread) would find the same obsolete
  // file and both unlink it. One runs at a time; the other waits its turn.
  bool removing_obsolete_ GUARDED_BY(mu_) = false;
  CondVar obsolete_cv_;  // removing_obsolete_ went false

  Status permanent_error_ GUARDED_BY(mu_);  // makes the DB read-only
  Status flush_error_ GUARDED_BY(mu_);       // last flush failure, cleared on success
  Status compaction_error_ GUARDED_BY(mu_);  // last compaction failure, likewise
  Status close_status_ GUARDED_BY(mu_);
  std::atomic<bool> stop_requested_{false};  // tells a running compaction to give up
  bool compacting_ GUARDED_BY(mu_) = false;  // a compaction (background or manual) runs
  bool shutting_down_ GUARDED_BY(mu_) = false;
  bool closed_ GUARDED_BY(mu_) = false;
  CondVar closed_cv_;  // closed_ went true
  bool opened_ GUARDED_BY(mu_) = false;
  uint64_t flushes_done_ GUARDED_BY(mu_) = 0;
  std::thread flush_thread_;
  std::thread compaction_thread_;
  // NextCompaction's view of idleness (the compaction thread's alone).
  uint64_t idle_writes_seen_ GUARDED_BY(mu_) = 0;
  CondVar::Clock::time_point idle_at_ GUARDED_BY(mu_){};
  uint64_t idle_flushed_at_writes_ GUARDED_BY(mu_) = UINT64_MAX;

  // Statistics.
  std::vector<CompactionStats> level_stats_ GUARDED_BY(mu_);
  uint64_t stall_micros_ GUARDED_BY(mu_) = 0;
  uint64_t stalls_ GUARDED_BY(mu_) = 0;
  uint64_t writes_ GUARDED_BY(mu_) = 0;
  uint64_t write_groups_ GUARDED_BY(mu_) = 0;
  uint64_t wal_syncs_ GUARDED_BY(mu_) = 0;
  uint64_t wal_sync_micros_ GUARDED_BY(mu_) = 0;
  uint64_t user_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t wal_bytes_ GUARDED_BY(mu_) = 0;
  // Compaction inputs deleted whole under a range tombstone, unread.
  std::atomic<uint64_t> tables_dropped_whole_{0};
  std::atomic<uint64_t> bloom_checked_{0};
  std::atomic<uint64_t> bloom_useful_{0};
  std::atomic<uint64_t> table_reads_since_trim_{0};  // table reads, ever
  uint64_t resident_baseline_ = 0;  // resident file bytes after Open; set once
  std::atomic<bool> trimming_{false};
  size_t trim_cursor_ = 0;  // next table to trim; used by the trimming thread only
};

}  // namespace iron::lsm

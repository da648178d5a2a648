#include "db_impl.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <semaphore>

#include "arena.h"
#include "bloom.h"
#include "coding.h"
#include "db_iter.h"
#include "filename.h"
#include "merging_iterator.h"
#include "table_output.h"
#include "wal_reader.h"
#include "write_batch_internal.h"

namespace iron::lsm {

namespace {

// The compaction thread's nice value (foreground threads have 0).
constexpr int kCompactionNice = 10;

constexpr size_t kMaxGroupBytes = 1 << 20;
constexpr size_t kSmallBatchBytes = 128 << 10;
// How long a syncing leader waits for the writers of the previous synced
// group to come back (a fraction of one fdatasync, 150-500 us here).
constexpr int kGatherMicros = 60;
// Writers a leader wakes in one pass after releasing the mutex.
constexpr size_t kMaxWakeups = 64;
// Deletion-triggered compaction: a table whose deletions hide at least
// this many bytes deeper down per byte its compaction reads is compacted
// at once; any other with deletions that hide something, once no write
// has come for this long.
constexpr double kDeletionCompactionRatio = 0.5;
constexpr auto kIdleBeforeDeletionCompaction = std::chrono::seconds(5);

Status ValidateOptions(const Options& o) {
  if (o.write_buffer_size < (64 << 10)) {
    return Status::InvalidArgument("write_buffer_size must be at least 64 KiB");
  }
  if (o.num_levels < 2 || o.num_levels > 20) {
    return Status::InvalidArgument("num_levels must be between 2 and 20");
  }
  if (o.block_size < 256 || o.block_restart_interval < 1 || o.bloom_bits_per_key < 0) {
    return Status::InvalidArgument("block_size >= 256, block_restart_interval >= 1 required");
  }
  if (o.level0_compaction_trigger < 1 || o.level0_slowdown_trigger < o.level0_compaction_trigger ||
      o.level0_stop_trigger < o.level0_slowdown_trigger) {
    return Status::InvalidArgument(
        "level-0 triggers must satisfy 1 <= compaction <= slowdown <= stop");
  }
  if (o.target_file_size == 0 || o.max_bytes_for_level_base == 0 ||
      o.level_size_multiplier < 2) {
    return Status::InvalidArgument("table and level sizes must be positive");
  }
  return Status::OK();
}

}  // namespace

struct DBImpl::Writer {
  WriteBatch* batch = nullptr;  // nullptr: only a sync (or a forced MemTable switch)
  bool sync = false;
  bool force_switch = false;
  bool may_use_reserve = false;  // WriteOptions::may_use_reserve
  // Set by the leader that wrote this writer's batch, before `wake`.
  bool done = false;
  Status status;
  // Released once: when the write is done, or when this writer becomes the
  // leader. Waiting on it needs no mutex, so a finished group wakes without
  // its members convoying on mu_.
  std::binary_semaphore wake{0};
};

class DBImpl::SnapshotImpl final : public Snapshot {
 public:
  SnapshotImpl(DBImpl* db, std::multiset<SequenceNumber>::iterator it)
      : db_(db), it_(it), sequence_(*it) {}
  ~SnapshotImpl() override {
    MutexLock lock(&db_->mu_);
    db_->snapshots_.erase(it_);
  }
  uint64_t sequence() const override { return sequence_; }

 private:
  DBImpl* const db_;
  const std::multiset<SequenceNumber>::iterator it_;
  const SequenceNumber sequence_;
};

DBImpl::DBImpl(const Options& options, std::string dir)
    : options_(options),
      dir_(std::move(dir)),
      env_(options.env != nullptr ? options.env : Env::Default()),
      info_log_(options.info_log),
      level_stats_(std::max(options.num_levels, 1)) {}

DBImpl::~DBImpl() {
  Status s = Close();
  if (!s.ok()) Log("close: " + s.ToString());
}

void DBImpl::Log(const std::string& line) {
  if (info_log_) info_log_->Log(line);
}

// ------------------------------------------------------------------ Open

Status DBImpl::Open() {
  IRON_RETURN_IF_ERROR(ValidateOptions(options_));
  if (options_.read_only) {
    IRON_RETURN_IF_ERROR(env_->LockFileReadOnly(LockFileName(dir_), &lock_file_));
  } else {
    IRON_RETURN_IF_ERROR(env_->CreateDir(dir_));
    IRON_RETURN_IF_ERROR(env_->LockFile(LockFileName(dir_), &lock_file_));
  }

  mu_.Lock();
  versions_ = std::make_unique<VersionSet>(dir_, options_, env_, &version_log_);
  VersionEdit edit;
  auto recovered = std::make_shared<MemTable>(MemTableFilterBits());
  Status s = Recover(&edit, &recovered);
  if (s.ok() && options_.read_only) {
    mem_ = std::move(recovered);
  } else if (s.ok()) {
    mem_ = std::make_shared<MemTable>(MemTableFilterBits());
    s = NewWal();
    mem_log_number_ = wal_number_;
    if (s.ok()) s = versions_->WriteSnapshotManifest();
    if (s.ok()) {
      edit.SetLogNumber(mem_log_number_);
      s = versions_->LogAndApply(&edit, &mu_);
    }
  }
  pending_outputs_.clear();
  if (!s.ok()) {
    if (wal_) {
      Status c = wal_->Close();
      if (!c.ok()) Log("closing the WAL of a failed open: " + c.ToString());
    }
    wal_.reset();
    mu_.Unlock();
    lock_file_.reset();
    return s;
  }
  if (!options_.read_only) RemoveObsoleteFiles();
  resident_baseline_ = env_->ResidentFileBytes();
  Log("opened " + dir_ + (options_.read_only ? " read-only" : "") + " at sequence " +
      std::to_string(versions_->last_sequence()));
  opened_ = true;
  if (!options_.read_only) {
    flush_thread_ = std::thread([this] { FlushThread(); });
    compaction_thread_ = std::thread([this] { CompactionThread(); });
  }
  bg_cv_.SignalAll();
  mu_.Unlock();
  return Status::OK();
}

Status DBImpl::Recover(VersionEdit* edit, std::shared_ptr<MemTable>* mem) {
  Status s = versions_->Recover();
  std::vector<std::string> children;
  IRON_RETURN_IF_ERROR(env_->GetChildren(dir_, &children));
  if (s.IsNotFound()) {
    for (const auto& name : children) {
      uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) &&
          (type == FileType::kLog || type == FileType::kTable || type == FileType::kManifest)) {
        return Status::Corruption(dir_ + ": CURRENT is missing but the directory holds " +
                                  "database files (" + name +
                                  "); refusing to start an empty database over them");
      }
    }
    if (!options_.create_if_missing || options_.read_only) {
      return Status::InvalidArgument(dir_ + ": no database here (" +
                                     (options_.read_only ? "read-only" : "create_if_missing is off") +
                                     ")");
    }
  } else if (!s.ok()) {
    return s;
  } else if (options_.error_if_exists) {
    return Status::InvalidArgument(dir_ + ": a database already exists (error_if_exists)");
  }

  // Every WAL at or after the manifest's log number holds writes that no
  // table has; replay them in order.
  std::vector<uint64_t> logs;
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    versions_->MarkFileNumberUsed(number);
    if (type == FileType::kLog && number >= versions_->log_number()) logs.push_back(number);
  }
  std::sort(logs.begin(), logs.end());
  // Every WAL is read through before anything is written (a table, the
  // LOG): an open refused for damage leaves the directory as it was.
  SequenceNumber seen = 0;
  for (uint64_t number : logs) IRON_RETURN_IF_ERROR(CheckLog(number, &seen));
  if (!info_log_ && !options_.read_only) {
    std::unique_ptr<Logger> logger;
    if (env_->NewLogger(InfoLogFileName(dir_), &logger).ok()) info_log_ = std::move(logger);
  }
  for (const auto& line : recovery_damage_) Log("WARNING: skipped damage at recovery: " + line);

  SequenceNumber max_sequence = versions_->last_sequence();
  seen = 0;
  for (uint64_t number : logs) {
    IRON_RETURN_IF_ERROR(ReplayLog(number, mem, edit, &max_sequence, &seen));
  }
  if (!(*mem)->Empty() && !options_.read_only) {
    IRON_RETURN_IF_ERROR(WriteLevel0Table(*mem, edit));
  }
  versions_->SetLastSequence(max_sequence);
  return Status::OK();
}

void DBImpl::RequireSequenceAfter(WalReader* reader, const SequenceNumber* seen) {
  reader->SetPlausible([seen](std::string_view payload) {
    return payload.size() >= WriteBatchInternal::kHeaderSize &&
           DecodeFixed64(payload.data()) > *seen;
  });
}

void DBImpl::NoteBatch(std::string_view record, SequenceNumber* seen) {
  if (record.size() >= WriteBatchInternal::kHeaderSize) {
    *seen = std::max(*seen, DecodeFixed64(record.data()));
  }
}

Status DBImpl::CheckLog(uint64_t number, SequenceNumber* seen) {
  std::string name = LogFileName(dir_, number);
  struct Reporter : WalReader::Reporter {
    std::vector<Status> damage;
    void Dropped(uint64_t, WalReader::Drop kind, const Status& reason) override {
      if (kind == WalReader::Drop::kDamage) damage.push_back(reason);
    }
  } reporter;
  std::unique_ptr<SequentialFile> file;
  IRON_RETURN_IF_ERROR(env_->NewSequentialFile(name, &file));
  const bool skip = options_.wal_recovery == WalRecovery::kSkipDamage;
  WalReader reader(std::move(file), name, &reporter, /*resync=*/skip);
  RequireSequenceAfter(&reader, seen);
  std::string record;
  while (reader.ReadRecord(&record)) NoteBatch(record, seen);
  if (reporter.damage.empty()) return Status::OK();
  if (!skip) {
    // RocksDB's kTolerateCorruptedTailRecords: only a torn tail is dropped.
    return Status::Corruption(reporter.damage.front().message() +
                              ": the log is damaged there (not cut short by a crash), and the "
                              "records after it would be lost; refusing to open, nothing "
                              "was changed");
  }
  for (const Status& d : reporter.damage) recovery_damage_.push_back(d.message());
  return Status::OK();
}

Status DBImpl::ReplayLog(uint64_t number, std::shared_ptr<MemTable>* mem, VersionEdit* edit,
                         SequenceNumber* max_sequence, SequenceNumber* seen) {
  std::string name = LogFileName(dir_, number);
  struct Reporter : WalReader::Reporter {
    DBImpl* db;
    std::string name;
    void Dropped(uint64_t bytes, WalReader::Drop kind, const Status& reason) override {
      if (kind == WalReader::Drop::kDamage) return;  // logged by Recover
      // Zeros are the preallocated space a WAL leaves when it is not closed.
      bool expected = kind == WalReader::Drop::kZeroTail;
      db->Log(std::string(expected ? "" : "WARNING: ") + name + ": dropped " +
              std::to_string(bytes) + " bytes at recovery: " + reason.ToString());
    }
  } reporter;
  reporter.db = this;
  reporter.name = name;

  std::unique_ptr<SequentialFile> file;
  IRON_RETURN_IF_ERROR(env_->NewSequentialFile(name, &file));
  // CheckLog has refused damage already unless it is to be skipped.
  WalReader reader(std::move(file), name, &reporter,
                   /*resync=*/options_.wal_recovery == WalRecovery::kSkipDamage);
  RequireSequenceAfter(&reader, seen);
  std::string record;
  WriteBatch batch;
  uint64_t batches = 0;
  while (reader.ReadRecord(&record)) {
    NoteBatch(record, seen);
    Status s = WriteBatchInternal::SetContents(&batch, record);
    if (s.ok()) s = WriteBatchInternal::InsertInto(batch, mem->get());
    if (!s.ok()) {
      // The checksum matched, so this is a bug or deliberate damage; the
      // records after it are still applied in order.
      Log("WARNING: " + name + ": skipping an unreadable batch: " + s.ToString());
      continue;
    }
    ++batches;
    SequenceNumber last = WriteBatchInternal::Sequence(batch) + batch.Count() - 1;
    if (batch.Count() > 0) *max_sequence = std::max(*max_sequence, last);
    if ((*mem)->ApproximateMemoryUsage() > options_.write_buffer_size && !options_.read_only) {
      IRON_RETURN_IF_ERROR(WriteLevel0Table(*mem, edit));
      *mem = std::make_shared<MemTable>(MemTableFilterBits());
    }
  }
  Log("replayed " + name + ": " + std::to_string(batches) + " batches");
  return Status::OK();
}

// Starts a new WAL file; the old one (if any) is synced and closed, so a
// later Sync() that syncs only the new WAL still covers every write.
Status DBImpl::NewWal() {
  uint64_t number = versions_->NewFileNumber();
  std::string name = LogFileName(dir_, number);
  // The old WAL is synced and closed below; no Sync() may be using it.
  while (wal_syncing_) sync_cv_.Wait(&mu_);
  wal_switching_ = true;
  mu_.Unlock();
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewLogFile(name, &file);
  const bool created = s.ok();
  std::unique_ptr<WalWriter> wal;
  if (created) {
    wal = std::make_unique<WalWriter>(std::move(file));
    // A WAL that starts without its spare could not take a delete.
    s = wal->AllocateSpare();
  }
  // The new file's directory entry must be durable before a synced write
  // in it is acknowledged.
  if (s.ok()) s = env_->SyncDir(dir_);
  Status old;
  if (s.ok() && wal_) {
    old = wal_->Sync();
    Status c = wal_->Close();
    if (old.ok()) old = c;
  }
  mu_.Lock();
  wal_switching_ = false;
  sync_cv_.SignalAll();
  if (!old.ok()) {
    RecordPermanentError("WAL sync", old);
    return old;
  }
  if (!s.ok()) {  // the old WAL stays, unsynced
    // A creation that failed half way (the file made, its space not
    // allocated) leaves a file too: every failed roll on a full disk would
    // add one.
    // The file is removed next: its Close can only fail for bytes
    // nobody will read.
    if (wal) wal->Close().IgnoreError();
    file.reset();
    if (env_->FileExists(name)) {
      Status r = env_->RemoveFile(name);
      if (!r.ok()) Log("could not remove a half-made WAL: " + r.ToString());
    }
    if (!s.IsNoSpace()) RecordPermanentError("creating a WAL", s);
    return s;
  }
  // Everything appended so far was in the old WAL, now synced (the caller
  // leads the writer queue: nothing else is appending).
  if (wal_) wal_synced_ = std::max(wal_synced_, wal_appended_);
  // A WAL that holds no whole record (rolled after its first append failed
  // on a full disk) holds nothing to replay.
  if (wal_ && wal_records_ == 0) {
    Status r = env_->RemoveFile(LogFileName(dir_, wal_number_));
    if (!r.ok()) Log("could not remove empty WAL: " + r.ToString());
  }
  wal_ = std::move(wal);
  wal_number_ = number;
  wal_records_ = 0;
  wal_needs_roll_ = false;
  return Status::OK();
}

// ------------------------------------------------------------------ Writes

Status DBImpl::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status DBImpl::DeleteRange(const WriteOptions& options, std::string_view begin,
                           std::string_view end) {
  WriteBatch batch;
  batch.DeleteRange(begin, end);
  return Write(options, &batch);
}

// Group commit beside the writer queue: a caller needs what was appended
// when it called; while one fdatasync runs, later callers wait, and the
// next of them syncs for all (everything appended by then). Only a WAL file
// whose Sync may run beside appends allows that (env.h); on any other the
// sync goes through the writer queue, as a write of nothing.
Status DBImpl::Sync() {
  MutexLock lock(&mu_);
  if (!opened_ || shutting_down_) return Status::IOError(dir_ + ": database is closed");
  const uint64_t target = wal_appended_;
  if (wal_synced_ < target && !wal_->IsSyncThreadSafe()) {
    lock.Release();
    WriteOptions synced;
    synced.sync = true;
    return WriteImpl(synced, nullptr, /*force_switch=*/false);
  }
  while (wal_synced_ < target) {
    if (!permanent_error_.ok()) return permanent_error_;
    if (shutting_down_) return Status::IOError(dir_ + ": database is closing");
    if (wal_syncing_ || wal_switching_) {
      sync_cv_.Wait(&mu_);
      continue;
    }
    wal_syncing_ = true;
    const uint64_t upto = wal_appended_;
    WalWriter* wal = wal_.get();
    mu_.Unlock();
    uint64_t start = env_->NowMicros();
    Status s = wal->Sync();
    uint64_t micros = env_->NowMicros() - start;
    mu_.Lock();
    wal_syncing_ = false;
    sync_cv_.SignalAll();
    wal_sync_micros_ += micros;
    if (!s.ok()) {
      RecordPermanentError("WAL sync", s);
      return s;
    }
    ++wal_syncs_;
    wal_synced_ = std::max(wal_synced_, upto);
  }
  return Status::OK();
}

Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  if (batch == nullptr) return Status::InvalidArgument("Write: null batch");
  return WriteImpl(options, batch, false);
}

Status DBImpl::WriteImpl(const WriteOptions& options, WriteBatch* batch, bool force_switch) {
  Writer w;
  w.batch = batch;
  w.sync = options.sync;
  w.force_switch = force_switch;
  w.may_use_reserve = options.may_use_reserve;

  if (options_.read_only) return Status::ReadOnly(dir_ + ": opened read-only");
  mu_.Lock();
  if (!opened_ || shutting_down_) {
    mu_.Unlock();
    return Status::IOError(dir_ + ": database is closed");
  }
  writers_.push_back(&w);
  if (writers_.size() > 1) {
    gather_cv_.Signal();  // a leader may be waiting for company
    mu_.Unlock();
    w.wake.acquire();
    if (w.done) return w.status;
    mu_.Lock();  // the previous leader made this writer the head
  }

  // This writer leads a group.
  Status s = MakeRoomForWrite(force_switch, w.may_use_reserve);
  if (s.ok() && w.sync && last_sync_group_size_ > 1 && writers_.size() < last_sync_group_size_) {
    // The previous synced group's writers were just acknowledged and, when
    // they write again at once, arrive within microseconds: waiting a
    // fraction of one fdatasync for them lets them share this one.
    const auto deadline = CondVar::Clock::now() + std::chrono::microseconds(kGatherMicros);
    while (writers_.size() < last_sync_group_size_ && gather_cv_.WaitUntil(&mu_, deadline)) {
    }
  }
  Writer* last_writer = &w;
  if (s.ok() && !force_switch) {
    WriteBatch* group = BuildBatchGroup(&last_writer);
    uint32_t count = group != nullptr ? group->Count() : 0;
    SequenceNumber last = versions_->last_sequence();
    WalWriter* wal = wal_.get();
    MemTable* mem = mem_.get();
    bool sync = w.sync;
    if (count > 0) WriteBatchInternal::SetSequence(group, last + 1);

    mu_.Unlock();
    bool sync_failed = false;
    if (count > 0) {
      s = wal->AddRecord(WriteBatchInternal::Contents(*group), /*for_sync=*/sync,
                         /*may_use_spare=*/w.may_use_reserve);
    }
    uint64_t sync_micros = 0;
    if (s.ok() && sync) {
      uint64_t t0 = env_->NowMicros();
      s = wal->Sync();
      sync_micros = env_->NowMicros() - t0;
      sync_failed = !s.ok();
    }
    if (s.ok() && count > 0) s = WriteBatchInternal::InsertBuiltInto(*group, mem);
    mu_.Lock();

    if (count > 0) {
      // The sequence numbers are spent even on failure: a record that did
      // reach the WAL must never share them with a later one.
      versions_->SetLastSequence(last + count);
      ++write_groups_;
      wal_bytes_ += WriteBatchInternal::ByteSize(*group);
      if (s.ok()) {
        wal_appended_ += WriteBatchInternal::ByteSize(*group);
        ++wal_records_;
      }
    }
    if (sync && !sync_failed) {
      ++wal_syncs_;
      if (s.ok()) wal_synced_ = std::max(wal_synced_, wal_appended_);
    }
    wal_sync_micros_ += sync_micros;
    if (sync) {
      size_t n = 1;
      for (auto it = writers_.begin(); *it != last_writer; ++it) ++n;
      last_sync_group_size_ = n;
    }
    if (sync_failed) {
      RecordPermanentError("WAL sync", s);
    } else if (s.IsNoSpace()) {
      // Refused before a byte was written, the WAL stays usable; a record
      // cut short by the disk filling must be the last in its file.
      if (wal->torn()) wal_needs_roll_ = true;
    } else if (!s.ok()) {
      RecordPermanentError("WAL append", s);
    }
    if (group == &group_batch_) group_batch_.Clear();
  }

  Writer* finished[kMaxWakeups];
  size_t n_finished = 0;
  for (;;) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready->batch != nullptr) {
      ++writes_;
      user_bytes_ += WriteBatchInternal::ByteSize(*ready->batch) - WriteBatchInternal::kHeaderSize;
    }
    if (ready != &w) {
      ready->status = s;
      ready->done = true;
      if (n_finished == kMaxWakeups) {
        for (Writer* f : finished) f->wake.release();
        n_finished = 0;
      }
      finished[n_finished++] = ready;
    }
    if (ready == last_writer) break;
  }
  Writer* next_leader = writers_.empty() ? nullptr : writers_.front();
  if (next_leader == nullptr && shutting_down_) bg_cv_.SignalAll();  // Close waits for this
  mu_.Unlock();
  // A released writer returns at once and its Writer is gone: release is
  // the last use of each.
  for (size_t i = 0; i < n_finished; ++i) finished[i]->wake.release();
  if (next_leader != nullptr) next_leader->wake.release();
  return s;
}

WriteBatch* DBImpl::BuildBatchGroup(Writer** last_writer) {
  Writer* first = writers_.front();
  WriteBatch* result = first->batch;
  size_t size = result != nullptr ? WriteBatchInternal::ByteSize(*result) : 0;
  // A small write is not held up behind a large group.
  size_t max_size = size <= kSmallBatchBytes ? size + kSmallBatchBytes : kMaxGroupBytes;
  *last_writer = first;
  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->force_switch) break;
    if (w->sync && !first->sync) break;  // a non-syncing leader cannot carry it
    // The spare is for the writes that free space, and only for them.
    if (w->may_use_reserve != first->may_use_reserve) break;
    if (w->batch != nullptr) {
      size += WriteBatchInternal::ByteSize(*w->batch);
      if (size > max_size) break;
      if (result == nullptr) {
        result = w->batch;
      } else {
        if (result != &group_batch_) {
          group_batch_.Clear();
          group_batch_.Append(*result);
          result = &group_batch_;
        }
        group_batch_.Append(*w->batch);
      }
    }
    *last_writer = w;
  }
  return result;
}

Status DBImpl::ManifestWriteFailed(const std::string& what, const Status& s) {
  // Only a full disk met while appending leaves the edit surely unrecorded
  // (the manifest is rolled over on the next edit); after any other
  // failure the edit may be in the manifest, so its tables are kept until
  // the database is reopened and nothing more is written.
  if (!s.IsNoSpace()) RecordPermanentError(what + ": manifest write", s);
  return s;
}

void DBImpl::NoteReadError(const Status& s) {
  // The message names the table and the block.
  if (s.IsCorruption()) Log("ERROR: a read met damaged data: " + s.ToString());
}

void DBImpl::NoteCompactionFailure(const Status& s) {
  // A table that cannot be written means a disk that cannot be trusted; a
  // full disk may empty, and a damaged input only stops this merge.
  if (!s.ok() && !shutting_down_ && !s.IsNoSpace() && !s.IsCorruption()) {
    RecordPermanentError("compaction", s);
  }
}

void DBImpl::RecordPermanentError(const std::string& what, const Status& s) {
  if (permanent_error_.ok()) {
    permanent_error_ = s;
    Log("ERROR: " + what + " failed; the database is now read-only until it is reopened: " +
        s.ToString());
    bg_cv_.SignalAll();
  }
}

Status DBImpl::MakeRoomForWrite(bool force, bool may_use_reserve) {
  bool allow_delay = !force;
  for (;;) {
    if (!permanent_error_.ok()) return permanent_error_;
    if (wal_needs_roll_) {
      IRON_RETURN_IF_ERROR(NewWal());
      continue;
    }
    size_t l0 = versions_->current()->files(0).size();
    if (allow_delay && l0 >= static_cast<size_t>(options_.level0_slowdown_trigger)) {
      // Level 0 is crowded: give compaction a millisecond of every write
      // rather than stopping writes outright later.
      uint64_t start = env_->NowMicros();
      mu_.Unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      mu_.Lock();
      stall_micros_ += env_->NowMicros() - start;
      ++stalls_;
      allow_delay = false;
      continue;
    }
    if (force && mem_->Empty()) return Status::OK();
    if (!force && mem_->ApproximateMemoryUsage() < options_.write_buffer_size) {
      return Status::OK();
    }
    bool full_l0 = l0 >= static_cast<size_t>(options_.level0_stop_trigger);
    // A write that frees space does not wait on a flush or a compaction a
    // full disk may be stopping: the MemTable holds it a while longer.
    if (may_use_reserve && !force && (imm_ || full_l0)) return Status::OK();
    if (imm_ || full_l0) {
      // Waiting is bounded by background progress; when that progress is
      // failing, the writer hears why instead of waiting forever.
      if (imm_ && !flush_error_.ok()) return flush_error_;
      if (full_l0 && !compaction_error_.ok()) return compaction_error_;
      if (shutting_down_) return Status::IOError(dir_ + ": database is closing");
      uint64_t start = env_->NowMicros();
      bg_cv_.WaitUntil(&mu_, CondVar::Clock::now() + std::chrono::milliseconds(100));
      stall_micros_ += env_->NowMicros() - start;
      ++stalls_;
      continue;
    }
    if (Status s = NewWal(); !s.ok()) {
      if (may_use_reserve && !force && s.IsNoSpace()) return Status::OK();  // as above
      return s;
    }
    imm_ = std::move(mem_);
    mem_ = std::make_shared<MemTable>(MemTableFilterBits());
    mem_log_number_ = wal_number_;
    force = false;
    bg_cv_.SignalAll();
  }
}

// ------------------------------------------------------------------ Reads

SequenceNumber DBImpl::SmallestSnapshot() const {
  return snapshots_.empty() ? versions_->last_sequence() : *snapshots_.begin();
}

void DBImpl::NoteTableReads(uint64_t reads) {
  // Every 256 table reads, look at how much file-backed memory is
  // resident beyond what it was at Open (the program and its libraries);
  // past the budget, hand table pages back to the page cache, a few tables
  // at a time in rotation, until a quarter of the budget is free again.
  // Often enough that fault-around (16 pages mapped per fault) cannot
  // overshoot the budget by much between two looks.
  constexpr uint64_t kCheckEvery = 256;
  if (!options_.mmap_reads) return;  // the block cache keeps its own budget
  uint64_t before = table_reads_since_trim_.fetch_add(reads, std::memory_order_relaxed);
  if (before / kCheckEvery == (before + reads) / kCheckEvery) return;
  const uint64_t budget = options_.max_resident_table_bytes;
  uint64_t resident = env_->ResidentFileBytes();
  if (resident <= resident_baseline_ + budget) return;
  if (trimming_.exchange(true)) return;  // another thread is at it
  std::vector<std::shared_ptr<Table>> tables;
  {
    MutexLock lock(&mu_);
    if (versions_) {
      auto v = versions_->current();
      for (int level = 0; level < v->num_levels(); ++level) {
        for (const auto& f : v->files(level)) tables.push_back(f->table);
      }
    }
  }
  size_t dropped = 0;
  const uint64_t target = resident_baseline_ + budget / 4 * 3;
  while (dropped < tables.size() && resident > target) {
    tables[(trim_cursor_ + dropped) % tables.size()]->DropResident();
    if (++dropped % 2 == 0) resident = env_->ResidentFileBytes();
  }
  trim_cursor_ += dropped;
  trimming_.store(false);
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  std::shared_ptr<MemTable> mem, imm;
  std::shared_ptr<const Version> version;
  SequenceNumber snapshot;
  {
    MutexLock lock(&mu_);
    if (!opened_ || closed_) return Status::IOError(dir_ + ": database is closed");
    snapshot = options.snapshot != nullptr ? options.snapshot->sequence()
                                           : versions_->last_sequence();
    mem = mem_;
    imm = imm_;
    version = versions_->current();
  }
  LookupKey lkey(key, snapshot);
  const uint64_t hash = BloomHash(key);  // one hash for every filter on the way
  SequenceNumber max_tombstone = 0;
  for (const MemTable* m : {mem.get(), imm.get()}) {
    if (m == nullptr) continue;
    if (m->HasRangeTombstones()) {
      max_tombstone = std::max(max_tombstone, m->MaxCoveringTombstone(key, snapshot));
    }
    MemTable::LookupResult r = m->Get(lkey, hash);
    if (r.found) {
      if (r.sequence < max_tombstone || r.type != ValueType::kValue) {
        return Status::NotFound("");
      }
      value->assign(r.value);
      return Status::OK();
    }
    if (max_tombstone != 0) return Status::NotFound("");
  }
  bool found = false;
  VersionGetStats stats;
  Status s = version->Get(lkey, hash, value, &found, &max_tombstone, &stats);
  if (stats.bloom_checked != 0) {
    bloom_checked_.fetch_add(stats.bloom_checked, std::memory_order_relaxed);
    bloom_useful_.fetch_add(stats.bloom_useful, std::memory_order_relaxed);
  }
  if (stats.tables_read > stats.bloom_useful) NoteTableReads(stats.tables_read - stats.bloom_useful);
  if (!s.ok()) {
    NoteReadError(s);
    return s;
  }
  return found ? Status::OK() : Status::NotFound("");
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  DBIterParams p;
  std::shared_ptr<MemTable> mem, imm;
  std::shared_ptr<const Version> version;
  {
    MutexLock lock(&mu_);
    if (!opened_ || closed_) {
      return NewEmptyIterator(Status::IOError(dir_ + ": database is closed"));
    }
    p.snapshot = options.snapshot != nullptr ? options.snapshot->sequence()
                                             : versions_->last_sequence();
    mem = mem_;
    imm = imm_;
    version = versions_->current();
  }
  p.lower_bound = options.lower_bound;
  p.upper_bound = options.upper_bound;
  const std::string* lower = options.lower_bound ? &*options.lower_bound : nullptr;
  const std::string* upper = options.upper_bound ? &*options.upper_bound : nullptr;
  std::vector<std::unique_ptr<Iterator>> children;
  for (const auto& m : {mem, imm}) {
    if (!m) continue;
    children.push_back(m->NewIterator());
    if (m->HasRangeTombstones()) {
      const std::vector<SequenceNumber> reader{p.snapshot};
      if (auto t = m->RangeTombstonesIn(lower, upper, &reader)) {
        p.tombstones.push_back(std::move(t));
      }
    }
  }
  version->AddIterators(lower, upper, &children, &p.tombstones, options.skip_damaged_blocks);
  p.internal = NewMergingIterator(std::move(children));
  p.pins = {mem, imm, version};
  p.on_entries_read = [this](uint64_t entries) { NoteTableReads(entries / 32 + 1); };
  p.on_error = [this](const Status& s) { NoteReadError(s); };
  return NewDBIterator(std::move(p));
}

std::shared_ptr<const Snapshot> DBImpl::GetSnapshot() {
  MutexLock lock(&mu_);
  auto it = snapshots_.insert(versions_ ? versions_->last_sequence() : 0);
  return std::make_shared<SnapshotImpl>(this, it);
}

Status DBImpl::VerifyTables(std::vector<std::string>* problems) {
  std::shared_ptr<const Version> version;
  {
    MutexLock lock(&mu_);
    if (!opened_ || closed_) return Status::IOError(dir_ + ": database is closed");
    version = versions_->current();
  }
  for (int level = 0; level < version->num_levels(); ++level) {
    for (const auto& f : version->files(level)) {
      Status s = f->table->VerifyBlocks(problems);
      if (!s.ok()) problems->push_back(s.ToString());
    }
  }
  return Status::OK();
}

// ------------------------------------------------------------------ Flush

Status DBImpl::Flush() {
  IRON_RETURN_IF_ERROR(WriteImpl(WriteOptions{}, nullptr, /*force_switch=*/true));
  MutexLock lock(&mu_);
  std::shared_ptr<MemTable> target = imm_;
  while (imm_ == target && target && flush_error_.ok() && !shutting_down_) bg_cv_.Wait(&mu_);
  if (imm_ == target && target) {
    return !flush_error_.ok() ? flush_error_ : Status::IOError(dir_ + ": database is closing");
  }
  return Status::OK();
}

uint64_t DBImpl::NewOutputFileNumber() {
  MutexLock lock(&mu_);
  uint64_t n = versions_->NewFileNumber();
  pending_outputs_.insert(n);
  return n;
}

Status DBImpl::WriteLevel0Table(const std::shared_ptr<MemTable>& mem, VersionEdit* edit) {
  uint64_t start = env_->NowMicros();
  SequenceNumber smallest_snapshot = SmallestSnapshot();
  const std::vector<SequenceNumber> snapshots(snapshots_.begin(), snapshots_.end());
  mu_.Unlock();

  // Only the tombstone sequences some reader can tell apart are written:
  // nested ranges (a file truncated again and again) stay linear.
  std::vector<RangeTombstone> tombstones;
  if (mem->HasRangeTombstones()) {
    if (auto t = mem->RangeTombstonesIn(nullptr, nullptr, &snapshots)) tombstones = t->tombstones();
  }
  TableOutput out(options_, env_, dir_, UINT64_MAX, [this] { return NewOutputFileNumber(); },
                  std::move(tombstones));
  std::unique_ptr<Iterator> it = mem->NewIterator();
  Status s;
  std::string current_key;
  bool has_current = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  for (it->SeekToFirst(); s.ok() && it->Valid(); it->Next()) {
    // Closing need not wait for a flush: what it writes is in the WAL,
    // which the next open replays.
    if (stop_requested_.load(std::memory_order_relaxed)) {
      s = Status::IOError(dir_ + ": flush interrupted by close");
      break;
    }
    std::string_view user_key = ExtractUserKey(it->key());
    if (!has_current || user_key != current_key) {
      current_key.assign(user_key);
      has_current = true;
      last_sequence_for_key = kMaxSequenceNumber;
    }
    // An older entry that every reader sees shadowed is not worth a write.
    bool hidden = last_sequence_for_key <= smallest_snapshot;
    last_sequence_for_key = ExtractSequence(it->key());
    if (!hidden) s = out.Add(it->key(), it->value());
  }
  if (s.ok()) s = it->status();
  if (s.ok()) s = out.Finish();
  if (!s.ok()) out.Abandon();
  uint64_t bytes = out.bytes_written();

  mu_.Lock();
  if (s.ok()) {
    for (const auto& f : out.files()) edit->AddFile(0, f);
    CompactionStats& st = level_stats_[0];
    ++st.count;
    st.bytes_written += bytes;
    st.micros += env_->NowMicros() - start;
  }
  return s;
}

Status DBImpl::FlushImmutable() {
  std::shared_ptr<MemTable> imm = imm_;
  VersionEdit edit;
  Status s = WriteLevel0Table(imm, &edit);
  if (s.ok()) {
    // Every WAL before the one the live MemTable started in is now in tables.
    edit.SetLogNumber(mem_log_number_);
    s = versions_->LogAndApply(&edit, &mu_);
    if (!s.ok()) s = ManifestWriteFailed("flush", s);
  }
  if (s.ok() || permanent_error_.ok()) {
    for (const auto& [level, f] : edit.new_files()) pending_outputs_.erase(f.number);
  }
  if (!s.ok()) {
    RemoveObsoleteFiles();
    return s;
  }
  imm_.reset();
  ++flushes_done_;
  RemoveObsoleteFiles();
  return Status::OK();
}

void DBImpl::FlushThread() {
  MutexLock lock(&mu_);
  for (;;) {
    while (!shutting_down_ && !(imm_ && permanent_error_.ok())) bg_cv_.Wait(&mu_);
    // Writes are in the WAL, so closing need not wait for a flush.
    if (shutting_down_) break;
    Status s = FlushImmutable();
    if (!s.ok() && shutting_down_) break;  // interrupted: the WAL keeps the MemTable
    if (s.ok()) {
      flush_error_ = Status::OK();
      bg_cv_.SignalAll();
      continue;
    }
    flush_error_ = s;
    bg_cv_.SignalAll();
    if (!s.IsNoSpace()) {
      RecordPermanentError("flush", s);
      continue;
    }
    Log("ERROR: flush failed (retrying in 1 s): " + s.ToString());
    const auto retry = CondVar::Clock::now() + std::chrono::seconds(1);
    while (!shutting_down_ && bg_cv_.WaitUntil(&mu_, retry)) {
    }
  }
}

// ------------------------------------------------------------------ Compaction

void DBImpl::CompactionThread() {
  // Compaction is debt paid in the background: on a small machine it must
  // not take the CPU from the writes it serves. (Flushes keep the normal
  // priority: a write waits for them when both MemTables are full.)
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kCompactionNice);
  MutexLock lock(&mu_);
  int failures = 0;
  for (;;) {
    std::unique_ptr<Compaction> c = NextCompaction();
    if (!c) break;  // shutting down
    compacting_ = true;
    Status s = RunCompaction(c.get());
    NoteCompactionFailure(s);
    compacting_ = false;
    bg_cv_.SignalAll();
    if (s.ok() || shutting_down_) {
      failures = 0;
      compaction_error_ = Status::OK();
      continue;
    }
    compaction_error_ = s;
    if (!permanent_error_.ok()) continue;
    ++failures;
    auto backoff = std::chrono::seconds(std::min(60, 1 << std::min(failures, 6)));
    Log("ERROR: compaction failed (retrying in " + std::to_string(backoff.count()) +
        " s): " + s.ToString());
    const auto retry = CondVar::Clock::now() + backoff;
    while (!shutting_down_ && bg_cv_.WaitUntil(&mu_, retry)) {
    }
  }
}

std::unique_ptr<Compaction> DBImpl::NextCompaction() {
  while (!shutting_down_) {
    // The DB counts as idle once no write has come for a while.
    if (writes_ != idle_writes_seen_) {
      idle_writes_seen_ = writes_;
      idle_at_ = CondVar::Clock::now() + kIdleBeforeDeletionCompaction;
    }
    if (!compacting_ && permanent_error_.ok()) {
      if (versions_->MaxScore() >= 1.0) {
        if (auto c = versions_->PickCompaction()) return c;
      }
      // Deletions that hide much more than compacting them reads are paid
      // at once; the rest once writes have rested a while, so that space
      // comes back without a manual compaction.
      const bool idle = CondVar::Clock::now() >= idle_at_;
      if (idle && !imm_ && mem_->NumDeletions() != 0 && idle_flushed_at_writes_ != writes_) {
        // Deletions resting in the MemTable hide nothing from compaction
        // until they are in a table: flush them (once per quiet spell).
        idle_flushed_at_writes_ = writes_;
        mu_.Unlock();
        Status s = Flush();
        mu_.Lock();
        if (!s.ok() && !shutting_down_) Log("flushing resting deletions: " + s.ToString());
        continue;
      }
      if (auto c = versions_->PickDeletionCompaction(
              SmallestSnapshot(), idle ? 0.0 : kDeletionCompactionRatio)) {
        return c;
      }
    }
    // Writes do not wake this thread: it looks again at least every
    // kIdleBeforeDeletionCompaction for deletions that came to rest.
    const auto now = CondVar::Clock::now();
    bg_cv_.WaitUntil(&mu_, idle_at_ > now ? idle_at_ : now + kIdleBeforeDeletionCompaction);
  }
  return nullptr;
}

Status DBImpl::RunCompaction(Compaction* c) {
  uint64_t start = env_->NowMicros();
  VersionEdit edit;
  for (int which = 0; which < 2; ++which) {
    for (const auto& f : c->inputs[which]) edit.RemoveFile(c->level + which, f->meta.number);
  }
  CompactionStats& st = level_stats_[c->output_level()];
  if (c->trivial_move) {
    // Nothing below overlaps: the tables move down unchanged.
    for (const auto& f : c->inputs[0]) edit.AddFile(c->output_level(), f->meta);
    Status s = versions_->LogAndApply(&edit, &mu_);
    if (s.ok()) ++st.count;
    if (!s.ok()) s = ManifestWriteFailed("compaction", s);
    return s;
  }

  SequenceNumber smallest_snapshot = SmallestSnapshot();
  const std::vector<SequenceNumber> snapshots(snapshots_.begin(), snapshots_.end());
  std::vector<FileMetaData> outputs;
  uint64_t bytes_written = 0;
  mu_.Unlock();
  Status s = MergeCompactionInputs(*c, smallest_snapshot, snapshots, &outputs, &bytes_written);
  mu_.Lock();
  if (s.ok()) {
    for (const auto& f : outputs) edit.AddFile(c->output_level(), f);
    s = versions_->LogAndApply(&edit, &mu_);
    if (!s.ok()) s = ManifestWriteFailed("compaction", s);
  }
  if (s.ok() || permanent_error_.ok()) {
    for (const auto& f : outputs) pending_outputs_.erase(f.number);
  }
  if (s.ok()) {
    ++st.count;
    st.bytes_read += c->InputBytes();
    st.bytes_written += bytes_written;
    st.micros += env_->NowMicros() - start;
  }
  // The inputs' version must not count as a reader of the inputs' files.
  c->version.reset();
  RemoveObsoleteFiles();
  return s;
}

namespace {

// Answers "does any level below the output hold this user key's range?"
// for keys visited in ascending order, in amortized O(1) per key.
class DeeperLevelCursor {
 public:
  DeeperLevelCursor(const Version& v, int output_level)
      : v_(v), first_(output_level + 1), pos_(v.num_levels(), 0) {}

  bool MayHold(std::string_view user_key) {
    for (int level = first_; level < v_.num_levels(); ++level) {
      const auto& files = v_.files(level);
      size_t& p = pos_[level];
      while (p < files.size() && files[p]->largest_user_key() < user_key) ++p;
      if (p < files.size() && files[p]->smallest_user_key() <= user_key) return true;
    }
    return false;
  }

 private:
  const Version& v_;
  const int first_;
  std::vector<size_t> pos_;
};

}  // namespace

Status DBImpl::MergeCompactionInputs(const Compaction& c, SequenceNumber smallest_snapshot,
                                     const std::vector<SequenceNumber>& snapshots,
                                     std::vector<FileMetaData>* outputs,
                                     uint64_t* bytes_written) {
  std::vector<RangeTombstone> tombstones;
  for (const auto& level : c.inputs) {
    for (const auto& f : level) {
      const RangeTombstonesPtr& t = f->table->range_tombstones();
      if (t) tombstones.insert(tombstones.end(), t->tombstones().begin(), t->tombstones().end());
    }
  }
  FragmentedRangeTombstones covering(std::move(tombstones));
  // A table of the lower level that lies wholly under tombstones newer
  // than all it holds, which every reader sees, is not read at all: it
  // goes with the compaction's inputs and nothing of it is written. (Its
  // own tombstones are older than, and inside, the ones that cover it.)
  std::vector<std::unique_ptr<Iterator>> children;
  std::vector<std::shared_ptr<Table>> tables;
  for (int which = 0; which < 2; ++which) {
    for (const auto& f : c.inputs[which]) {
      const bool sentinel_end = ExtractValueType(f->meta.largest) == ValueType::kRangeDeletion &&
                                ExtractSequence(f->meta.largest) == kMaxSequenceNumber;
      if (which == 1 && !covering.empty() &&
          covering.CoversWhole(f->smallest_user_key(), f->largest_user_key(), !sentinel_end,
                               f->meta.largest_sequence, smallest_snapshot)) {
        ++tables_dropped_whole_;
        continue;
      }
      children.push_back(f->table->NewIterator(/*fill_cache=*/false));
      tables.push_back(f->table);
    }
  }
  // The inputs' tombstones, written out fragmented and collapsed to the
  // sequences a reader can tell apart, so that overlapping ones from
  // several inputs do not add up. A tombstone every reader sees, over a
  // range nothing deeper holds, has done its work here and is dropped with
  // what it covered.
  std::vector<RangeTombstone> kept =
      covering.Collapse(snapshots, [&](const RangeTombstone& t) {
        return t.sequence <= smallest_snapshot &&
               !c.version->DeeperLevelsOverlap(c.output_level(), t.begin, t.end);
      });

  TableOutput out(options_, env_, dir_, options_.target_file_size,
                  [this] { return NewOutputFileNumber(); }, std::move(kept));
  DeeperLevelCursor deeper(*c.version, c.output_level());
  std::unique_ptr<Iterator> it = NewMergingIterator(std::move(children));
  Status s;
  std::string current_key;
  bool has_current = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  // Every 64 Ki entries or 8 MiB of input (64 Ki entries of file data are
  // 256 MiB at 4 KiB a block), hand the input pages already merged back to
  // the page cache: they need not stay in this process, and a merge of
  // large tables would otherwise map them all.
  constexpr uint64_t kCheckEntries = 1 << 16, kCheckBytes = 8 << 20;
  uint64_t entries = 0, bytes = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    // A close gives up the merge at once (at every entry: on a busy disk
    // 8 MiB of output can take seconds): its inputs stay live, and the
    // next open picks the compaction again.
    if (stop_requested_.load(std::memory_order_relaxed)) {
      s = Status::IOError(dir_ + ": compaction interrupted by close");
      break;
    }
    bytes += it->key().size() + it->value().size();
    if (++entries >= kCheckEntries || bytes >= kCheckBytes) {
      entries = bytes = 0;
      for (const auto& t : tables) t->DropResident();
    }
    ParsedInternalKey k;
    if (!ParseInternalKey(it->key(), &k)) {
      s = Status::Corruption(dir_ + ": malformed internal key during compaction");
      break;
    }
    if (!has_current || k.user_key != current_key) {
      current_key.assign(k.user_key);
      has_current = true;
      last_sequence_for_key = kMaxSequenceNumber;
    }
    bool drop = false;
    if (last_sequence_for_key <= smallest_snapshot) {
      drop = true;  // shadowed by a newer entry of the key that every reader sees
    } else if (k.type == ValueType::kDeletion && k.sequence <= smallest_snapshot &&
               !deeper.MayHold(k.user_key)) {
      drop = true;  // nothing older remains for the deletion to hide
    } else if (!covering.empty() &&
               covering.Covers(k.user_key, k.sequence, smallest_snapshot)) {
      drop = true;  // deleted by a range tombstone every reader sees
    }
    last_sequence_for_key = k.sequence;
    if (!drop) {
      s = out.Add(it->key(), it->value());
      if (!s.ok()) break;
    }
  }
  if (s.ok()) s = it->status();
  if (s.ok()) s = out.Finish();
  if (!s.ok()) {
    out.Abandon();
    return s;
  }
  for (const auto& t : tables) t->DropResident();
  *outputs = out.files();
  *bytes_written = out.bytes_written();
  return Status::OK();
}

Status DBImpl::CompactRange(const std::string* begin, const std::string* end) {
  IRON_RETURN_IF_ERROR(Flush());
  MutexLock lock(&mu_);
  while (compacting_ && !shutting_down_) bg_cv_.Wait(&mu_);
  if (shutting_down_) return Status::IOError(dir_ + ": database is closing");
  // Holding the compaction slot for the whole pass keeps background
  // compactions from moving data past a level already visited.
  compacting_ = true;
  std::string_view b = begin ? std::string_view(*begin) : std::string_view();
  std::string_view e = end ? std::string_view(*end) : std::string_view();
  const std::string_view* bp = begin ? &b : nullptr;
  const std::string_view* ep = end ? &e : nullptr;
  const int last = options_.num_levels - 1;
  Status s;
  for (int level = 0; s.ok() && level < last; ++level) {
    if (shutting_down_) {
      s = Status::IOError(dir_ + ": compaction interrupted by close");
      break;
    }
    std::unique_ptr<Compaction> c = versions_->CompactRangeAt(level, bp, ep);
    if (level + 1 == last) {
      // The step into the last level always merges, even with nothing
      // above: only there do tombstones and what they cover disappear.
      if (!c) {
        c = std::make_unique<Compaction>();
        c->level = level;
        c->version = versions_->current();
        c->inputs[1] = c->version->OverlappingFiles(last, bp, ep);
        if (c->inputs[1].empty()) break;
      }
      c->trivial_move = false;
    }
    if (c) {
      s = RunCompaction(c.get());
      NoteCompactionFailure(s);
    }
  }
  compacting_ = false;
  bg_cv_.SignalAll();
  return s;
}

// ------------------------------------------------------------------ Files

void DBImpl::RemoveObsoleteFiles() {
  // Waits rather than leaving the work to the scan under way: that scan's
  // view of the live files may predate what made this caller's files
  // obsolete, and a caller (CompactRange, say) may count on them being gone.
  while (removing_obsolete_) obsolete_cv_.Wait(&mu_);
  removing_obsolete_ = true;
  std::set<uint64_t> live = pending_outputs_;
  versions_->AddLiveFiles(&live);
  const uint64_t log_number = versions_->log_number();
  const uint64_t manifest_number = versions_->manifest_number();
  // Numbers handed out after this point belong to files being created now.
  const uint64_t next_number = versions_->next_file_number();
  mu_.Unlock();

  std::vector<std::string> children;
  if (env_->GetChildren(dir_, &children).ok()) {
    for (const auto& name : children) {
      uint64_t number;
      FileType type;
      if (!ParseFileName(name, &number, &type) || number >= next_number) continue;
      bool keep = true;
      switch (type) {
        case FileType::kLog:
          keep = number >= log_number;
          break;
        case FileType::kTable:
          keep = live.count(number) != 0;
          break;
        case FileType::kManifest:
          keep = number >= manifest_number;
          break;
        case FileType::kTemp:
          keep = live.count(number) != 0;
          break;
        case FileType::kCurrent:
        case FileType::kLock:
        case FileType::kInfoLog:
          break;
      }
      if (!keep) {
        Status s = env_->RemoveFile(dir_ + "/" + name);
        if (!s.ok()) Log("could not remove obsolete " + name + ": " + s.ToString());
      }
    }
  }
  mu_.Lock();
  removing_obsolete_ = false;
  obsolete_cv_.SignalAll();
}

// ------------------------------------------------------------------ Stats, Close

size_t DBImpl::ReleaseIdleMemory() {
  // Longer than a flush of a full MemTable takes, so that blocks waiting
  // for the MemTable being filled now are kept.
  constexpr auto kIdle = std::chrono::seconds(5);
  size_t released = Arena::ReleaseIdleBlocks(kIdle);
  // The cached blocks too: the page cache still holds the tables, so the
  // first reads after the rest cost a pread each, not a disk read.
  std::shared_ptr<BlockCache> cache;
  {
    MutexLock lock(&mu_);
    if (versions_) cache = versions_->block_cache();
  }
  if (cache) released += cache->Clear();
  return released;
}

DBStats DBImpl::GetStats() {
  DBStats st;
  MutexLock lock(&mu_);
  if (!versions_) return st;
  auto v = versions_->current();
  for (int level = 0; level < v->num_levels(); ++level) {
    LevelStats ls;
    ls.files = static_cast<int>(v->files(level).size());
    ls.bytes = v->LevelBytes(level);
    const CompactionStats& cs = level_stats_[level];
    ls.compactions = cs.count;
    ls.bytes_read = cs.bytes_read;
    ls.bytes_written = cs.bytes_written;
    ls.compaction_micros = cs.micros;
    if (level == 0) {
      st.flushes = cs.count;
    } else {
      st.compactions += cs.count;
      st.compaction_micros += cs.micros;
    }
    st.live_table_bytes += ls.bytes;
    for (const auto& f : v->files(level)) st.table_pinned_bytes += f->table->pinned_bytes();
    st.levels.push_back(ls);
  }
  BlockCacheStats cache = versions_->block_cache()->GetStats();
  st.block_cache_hits = cache.hits;
  st.block_cache_misses = cache.misses;
  st.block_cache_inserts = cache.inserts;
  st.block_cache_evictions = cache.evictions;
  st.block_cache_bytes = cache.usage;
  st.block_cache_capacity = cache.capacity;
  st.user_bytes_written = user_bytes_;
  st.wal_bytes_written = wal_bytes_;
  st.wal_syncs = wal_syncs_;
  st.wal_sync_micros = wal_sync_micros_;
  st.writes = writes_;
  st.write_groups = write_groups_;
  st.bloom_checked = bloom_checked_.load();
  st.bloom_useful = bloom_useful_.load();
  st.stall_micros = stall_micros_;
  st.tables_dropped_whole = tables_dropped_whole_.load();
  st.stalls = stalls_;
  if (mem_) st.memtable_bytes += mem_->ApproximateMemoryUsage();
  if (imm_) st.memtable_bytes += imm_->ApproximateMemoryUsage();
  return st;
}

Status DBImpl::Close() {
  mu_.Lock();
  if (!opened_ || shutting_down_) {
    // Never opened, closed, or closing on another thread: that Close's
    // outcome is this one's.
    while (opened_ && !closed_) closed_cv_.Wait(&mu_);
    Status s = close_status_;
    mu_.Unlock();
    return s;
  }
  shutting_down_ = true;
  stop_requested_ = true;
  bg_cv_.SignalAll();
  sync_cv_.SignalAll();
  // A manual compaction (CompactRange on another thread) gives up at its
  // next entry; it must be out before the LOCK is released, or it would
  // write a manifest that the next owner of the directory also writes.
  while (!writers_.empty() || compacting_) bg_cv_.Wait(&mu_);
  while (wal_syncing_) sync_cv_.Wait(&mu_);
  mu_.Unlock();
  if (flush_thread_.joinable()) flush_thread_.join();  // none when read-only
  if (compaction_thread_.joinable()) compaction_thread_.join();
  mu_.Lock();
  Status s;
  if (wal_) {
    s = wal_->Sync();
    Status c = wal_->Close();
    if (s.ok()) s = c;
    wal_.reset();
  }
  Log("closed " + dir_ + (s.ok() ? "" : ": " + s.ToString()));
  // Released before any Close returns: the directory is free once one has.
  lock_file_.reset();
  closed_ = true;
  close_status_ = s;
  closed_cv_.SignalAll();
  mu_.Unlock();
  return s;
}

// ------------------------------------------------------------------ DB

Status DB::Open(const Options& options, const std::string& dir, std::unique_ptr<DB>* db) {
  auto impl = std::make_unique<DBImpl>(options, dir);
  IRON_RETURN_IF_ERROR(impl->Open());
  *db = std::move(impl);
  return Status::OK();
}

Status DestroyDB(const std::string& dir, const Options& options) {
  Env* env = options.env != nullptr ? options.env : Env::Default();
  std::vector<std::string> children;
  if (!env->GetChildren(dir, &children).ok()) return Status::OK();  // nothing there
  std::unique_ptr<FileLock> lock;
  IRON_RETURN_IF_ERROR(env->LockFile(LockFileName(dir), &lock));
  Status result;
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type) || type == FileType::kLock) continue;
    Status s = env->RemoveFile(dir + "/" + name);
    if (result.ok() && !s.ok()) result = s;
  }
  lock.reset();
  Status s = env->RemoveFile(LockFileName(dir));
  if (result.ok()) result = s;
  return result;
}

}  // namespace iron::lsm

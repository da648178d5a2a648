#include "version_set.h"

#include <algorithm>

#include "filename.h"
#include "wal_reader.h"

namespace iron::lsm {
namespace {

// A failure that changes nothing for the caller (the clean-up of an
// operation that already failed, or of a manifest no longer current) but
// leaves a file behind or a descriptor in doubt: worth a line in the LOG.
void LogFailure(Logger* log, std::string_view what, const Status& s) {
  if (log != nullptr && !s.ok()) log->Log(std::string(what) + ": " + s.ToString());
}

}  // namespace

uint64_t Compaction::InputBytes() const {
  uint64_t sum = 0;
  for (const auto& in : inputs) {
    for (const auto& f : in) sum += f->meta.file_size;
  }
  return sum;
}

VersionSet::VersionSet(const std::string& dir, const Options& options, Env* env, Logger* log)
    : dir_(dir),
      options_(options),
      env_(env),
      log_(log),
      block_cache_(std::make_shared<BlockCache>(options.mmap_reads ? 0 : options.block_cache_bytes)),
      current_(std::make_shared<Version>(options.num_levels)),
      compact_pointer_(options.num_levels) {}

uint64_t VersionSet::MaxBytesForLevel(int level) const {
  uint64_t bytes = options_.max_bytes_for_level_base;
  for (int l = 1; l < level; ++l) bytes *= options_.level_size_multiplier;
  return bytes;
}

Status VersionSet::OpenTable(const FileMetaData& meta, std::shared_ptr<Table>* table) {
  std::string name = TableFileName(dir_, meta.number);
  if (options_.mmap_reads) {
    std::unique_ptr<MappedFile> file;
    IRON_RETURN_IF_ERROR(env_->NewMappedFile(name, &file));
    return Table::Open(options_, name, std::move(file), table);
  }
  std::unique_ptr<RandomAccessFile> file;
  IRON_RETURN_IF_ERROR(env_->NewRandomAccessFile(name, &file));
  uint64_t size = 0;
  IRON_RETURN_IF_ERROR(env_->GetFileSize(name, &size));
  return Table::Open(options_, name, std::move(file), size, block_cache_, table);
}

Status VersionSet::Apply(const Version& base, const VersionEdit& edit,
                         std::shared_ptr<Version>* result) {
  auto v = std::make_shared<Version>(options_.num_levels);
  for (int level = 0; level < options_.num_levels; ++level) {
    for (const auto& f : base.files(level)) {
      bool deleted = std::any_of(edit.deleted_files().begin(), edit.deleted_files().end(),
                                 [&](const auto& d) {
                                   return d.first == level && d.second == f->meta.number;
                                 });
      if (!deleted) v->mutable_files(level).push_back(f);
    }
  }
  for (const auto& [level, meta] : edit.new_files()) {
    if (level >= options_.num_levels) {
      return Status::Corruption("manifest: table " + std::to_string(meta.number) +
                                " on level " + std::to_string(level) + " beyond the last level");
    }
    auto lf = std::make_shared<LiveFile>();
    lf->meta = meta;
    IRON_RETURN_IF_ERROR(OpenTable(meta, &lf->table));
    v->mutable_files(level).push_back(std::move(lf));
  }
  // Level 0 newest first; deeper levels by smallest key.
  auto& l0 = v->mutable_files(0);
  std::sort(l0.begin(), l0.end(), [](const LiveFilePtr& a, const LiveFilePtr& b) {
    return a->meta.number > b->meta.number;
  });
  for (int level = 1; level < options_.num_levels; ++level) {
    auto& files = v->mutable_files(level);
    std::sort(files.begin(), files.end(), [](const LiveFilePtr& a, const LiveFilePtr& b) {
      return CompareInternalKeys(a->meta.smallest, b->meta.smallest) < 0;
    });
    for (size_t i = 1; i < files.size(); ++i) {
      if (CompareInternalKeys(files[i - 1]->meta.largest, files[i]->meta.smallest) >= 0) {
        return Status::Corruption("manifest: overlapping tables " +
                                  std::to_string(files[i - 1]->meta.number) + " and " +
                                  std::to_string(files[i]->meta.number) + " on level " +
                                  std::to_string(level));
      }
    }
  }
  v->ComputeDeletionDebts();
  *result = std::move(v);
  return Status::OK();
}

void VersionSet::Publish(std::shared_ptr<const Version> v) {
  std::erase_if(live_versions_, [](const auto& w) { return w.expired(); });
  live_versions_.push_back(v);
  current_ = std::move(v);
}

Status VersionSet::ReadManifest(ManifestState* state) const {
  std::string current;
  Status s = ReadFileToString(env_, CurrentFileName(dir_), &current, /*max_bytes=*/4096);
  if (!s.ok()) {
    if (!env_->FileExists(CurrentFileName(dir_))) return Status::NotFound("no CURRENT file");
    return s;
  }
  if (current.empty() || current.back() != '\n') {
    return Status::Corruption(CurrentFileName(dir_) + ": garbled (expected a manifest name)");
  }
  current.pop_back();
  uint64_t number;
  FileType type;
  if (!ParseFileName(current, &number, &type) || type != FileType::kManifest) {
    return Status::Corruption(CurrentFileName(dir_) + ": names '" + current +
                              "', which is not a manifest");
  }
  std::string manifest = dir_ + "/" + current;
  std::unique_ptr<SequentialFile> file;
  s = env_->NewSequentialFile(manifest, &file);
  if (!s.ok()) {
    return Status::Corruption(manifest + ": named by CURRENT but cannot be opened (" +
                              s.ToString() + ")");
  }

  struct Reporter : WalReader::Reporter {
    Status damage;  // set for anything but a torn tail
    void Dropped(uint64_t bytes, WalReader::Drop kind, const Status& reason) override {
      if (kind == WalReader::Drop::kDamage) damage = reason;
    }
  } reporter;
  WalReader reader(std::move(file), manifest, &reporter);

  std::optional<uint64_t> next_file, log_number;
  std::optional<SequenceNumber> last_seq;
  std::vector<std::vector<FileMetaData>> levels(options_.num_levels);
  std::string record;
  int edits = 0;
  while (reader.ReadRecord(&record)) {
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (!s.ok()) return Status::Corruption(manifest + ": " + s.message());
    ++edits;
    if (edit.log_number()) log_number = edit.log_number();
    if (edit.next_file_number()) next_file = edit.next_file_number();
    if (edit.last_sequence()) last_seq = edit.last_sequence();
    for (const auto& [level, n] : edit.deleted_files()) {
      if (level >= options_.num_levels) return Status::Corruption(manifest + ": bad level");
      std::erase_if(levels[level], [n = n](const FileMetaData& f) { return f.number == n; });
    }
    for (const auto& [level, f] : edit.new_files()) {
      if (level >= options_.num_levels) return Status::Corruption(manifest + ": bad level");
      levels[level].push_back(f);
    }
  }
  // A torn final edit was never acknowledged (LogAndApply syncs before
  // publishing), so dropping it is correct. Anything else is damage.
  if (!reporter.damage.ok()) return Status::Corruption(manifest + ": " + reporter.damage.message());
  if (edits == 0 || !next_file || !log_number || !last_seq) {
    return Status::Corruption(manifest + ": incomplete (missing " +
                              std::string(edits == 0 ? "every record" :
                                          !next_file ? "next file number" :
                                          !log_number ? "log number" : "last sequence") + ")");
  }
  state->levels = std::move(levels);
  state->next_file_number = *next_file;
  state->log_number = *log_number;
  state->last_sequence = *last_seq;
  state->manifest_number = number;
  return Status::OK();
}

Status VersionSet::Recover() {
  ManifestState state;
  IRON_RETURN_IF_ERROR(ReadManifest(&state));
  VersionEdit all;
  for (int level = 0; level < options_.num_levels; ++level) {
    for (auto& f : state.levels[level]) all.AddFile(level, f);
  }
  all.SetNextFileNumber(state.next_file_number);
  all.SetLogNumber(state.log_number);
  all.SetLastSequence(state.last_sequence);
  IRON_RETURN_IF_ERROR(InstallState(all));
  manifest_number_ = state.manifest_number;
  MarkFileNumberUsed(state.manifest_number);
  return Status::OK();
}

Status VersionSet::InstallState(const VersionEdit& all) {
  std::shared_ptr<Version> v;
  Version empty(options_.num_levels);
  IRON_RETURN_IF_ERROR(Apply(empty, all, &v));
  Publish(std::move(v));
  next_file_number_ = all.next_file_number().value_or(next_file_number_);
  log_number_ = all.log_number().value_or(log_number_);
  last_sequence_ = all.last_sequence().value_or(last_sequence_);
  for (const auto& [level, f] : all.new_files()) MarkFileNumberUsed(f.number);
  return Status::OK();
}

Status VersionSet::InstallRepairedState(const VersionEdit& all) {
  IRON_RETURN_IF_ERROR(InstallState(all));
  return WriteSnapshotManifest();
}

VersionEdit VersionSet::SnapshotEdit() const {
  VersionEdit snapshot;
  snapshot.SetLogNumber(log_number_);
  snapshot.SetNextFileNumber(next_file_number_);
  snapshot.SetLastSequence(last_sequence_);
  for (int level = 0; level < options_.num_levels; ++level) {
    for (const auto& f : current_->files(level)) snapshot.AddFile(level, f->meta);
  }
  return snapshot;
}

Status VersionSet::CreateManifest(uint64_t number, const VersionEdit& snapshot,
                                  std::unique_ptr<WalWriter>* result) {
  std::string name = ManifestFileName(dir_, number);
  std::unique_ptr<WritableFile> file;
  IRON_RETURN_IF_ERROR(env_->NewWritableFile(name, &file));
  auto writer = std::make_unique<WalWriter>(std::move(file));
  std::string record;
  snapshot.EncodeTo(&record);
  Status s = writer->AddRecord(record);
  if (s.ok()) s = writer->Sync();
  if (s.ok()) {
    // CURRENT is switched by rename, so it always names a complete manifest.
    std::string tmp = TempFileName(dir_, number);
    std::string contents = name.substr(dir_.size() + 1) + "\n";
    s = WriteStringToFile(env_, contents, tmp, /*sync=*/true);
    if (s.ok()) s = env_->RenameFile(tmp, CurrentFileName(dir_));
    if (s.ok()) s = env_->SyncDir(dir_);
    if (!s.ok()) LogFailure(log_, "removing " + tmp, env_->RemoveFile(tmp));
  }
  if (!s.ok()) {
    LogFailure(log_, "closing the failed manifest " + name, writer->Close());
    LogFailure(log_, "removing the failed manifest " + name, env_->RemoveFile(name));
    return s;
  }
  *result = std::move(writer);
  return Status::OK();
}

Status VersionSet::WriteSnapshotManifest() {
  uint64_t number = NewFileNumber();
  std::unique_ptr<WalWriter> writer;
  IRON_RETURN_IF_ERROR(CreateManifest(number, SnapshotEdit(), &writer));
  // CURRENT names the new manifest already: the old one is history.
  if (manifest_) LogFailure(log_, "closing the replaced manifest", manifest_->Close());
  manifest_ = std::move(writer);
  manifest_number_ = number;
  return Status::OK();
}

Status VersionSet::LogAndApply(VersionEdit* edit, Mutex* mu) {
  while (manifest_busy_) manifest_cv_.Wait(mu);
  manifest_busy_ = true;

  // A manifest that may end in a torn record takes no more records: the
  // edit goes to a fresh one that starts with the whole current state.
  uint64_t roll_number = 0;
  VersionEdit roll_snapshot;
  if (manifest_broken_) {
    roll_number = NewFileNumber();
    roll_snapshot = SnapshotEdit();
  }
  // The WALs an edit retires stay live until the edit is in the manifest.
  uint64_t log_number = log_number_;
  if (edit->log_number()) log_number = std::max(log_number, *edit->log_number());
  edit->SetLogNumber(log_number);
  edit->SetNextFileNumber(next_file_number_);
  edit->SetLastSequence(last_sequence_);

  std::shared_ptr<const Version> base = current_;
  std::shared_ptr<Version> v;
  std::string record;
  edit->EncodeTo(&record);

  Status s;
  mu->Unlock();
  s = Apply(*base, *edit, &v);
  bool rolled = false;
  if (s.ok() && roll_number != 0) {
    std::unique_ptr<WalWriter> fresh;
    s = CreateManifest(roll_number, roll_snapshot, &fresh);
    if (s.ok()) {
      // CURRENT names the new manifest already: the old one is history.
      LogFailure(log_, "closing the replaced manifest", manifest_->Close());
      manifest_ = std::move(fresh);
      manifest_broken_ = false;
      rolled = true;
    }
  }
  bool appended = false;
  if (s.ok()) {
    s = manifest_->AddRecord(record);
    appended = s.ok();
    if (!s.ok()) manifest_broken_ = true;
  }
  if (appended) {
    s = manifest_->Sync();
    // Whether the record reached the disk is now unknown, whatever the cause.
    if (!s.ok()) s = Status::IOError("manifest sync: " + s.ToString());
  }
  mu->Lock();
  if (rolled) manifest_number_ = roll_number;

  if (s.ok()) {
    log_number_ = log_number;
    Publish(std::move(v));
  } else if (log_ != nullptr) {
    log_->Log("manifest write failed: " + s.ToString() + " for " + edit->DebugString());
  }
  manifest_busy_ = false;
  manifest_cv_.SignalAll();
  return s;
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) {
  std::erase_if(live_versions_, [](const auto& w) { return w.expired(); });
  for (const auto& w : live_versions_) {
    if (auto v = w.lock()) {
      for (int level = 0; level < v->num_levels(); ++level) {
        for (const auto& f : v->files(level)) live->insert(f->meta.number);
      }
    }
  }
}

double VersionSet::MaxScore() const {
  double best = static_cast<double>(current_->files(0).size()) /
                options_.level0_compaction_trigger;
  for (int level = 1; level + 1 < options_.num_levels; ++level) {
    best = std::max(best, static_cast<double>(current_->LevelBytes(level)) /
                              static_cast<double>(MaxBytesForLevel(level)));
  }
  return best;
}

namespace {

// The files of the next level that overlap the user-key range of inputs[0].
void AddNextLevelInputs(Compaction* c) {
  std::string_view lo = c->inputs[0].front()->smallest_user_key();
  std::string_view hi = c->inputs[0].front()->largest_user_key();
  for (const auto& f : c->inputs[0]) {
    lo = std::min(lo, f->smallest_user_key());
    hi = std::max(hi, f->largest_user_key());
  }
  c->inputs[1] = c->version->OverlappingFiles(c->level + 1, &lo, &hi);
}

}  // namespace

std::unique_ptr<Compaction> VersionSet::PickCompaction() {
  const auto& v = current_;
  int best_level = -1;
  double best = 0;
  for (int level = 0; level + 1 < options_.num_levels; ++level) {
    double score = level == 0 ? static_cast<double>(v->files(0).size()) /
                                    options_.level0_compaction_trigger
                              : static_cast<double>(v->LevelBytes(level)) /
                                    static_cast<double>(MaxBytesForLevel(level));
    if (score >= 1.0 && score > best) {
      best = score;
      best_level = level;
    }
  }
  if (best_level < 0) return nullptr;

  auto c = std::make_unique<Compaction>();
  c->level = best_level;
  c->version = v;
  const auto& files = v->files(best_level);
  if (best_level == 0) {
    // Level-0 files that overlap no other level-0 file and nothing in
    // level 1 move down unchanged: data written in key order (a file
    // written front to back) is then never rewritten here.
    std::vector<LiveFilePtr> movable;
    for (const auto& f : files) {
      std::string_view lo = f->smallest_user_key();
      std::string_view hi = f->largest_user_key();
      bool alone = std::none_of(files.begin(), files.end(), [&](const LiveFilePtr& g) {
        return g != f && g->largest_user_key() >= lo && g->smallest_user_key() <= hi;
      });
      if (alone && v->OverlappingFiles(1, &lo, &hi).empty()) movable.push_back(f);
    }
    if (!movable.empty()) {
      c->inputs[0] = std::move(movable);
      c->trivial_move = true;
      return c;
    }
    // Else every level-0 file: they overlap in time, and taking them all
    // keeps the newest-first rule simple. The range below pulls in level 1.
    c->inputs[0] = files;
  } else {
    // Round robin through the level so every key range gets its turn.
    const std::string& ptr = compact_pointer_[best_level];
    LiveFilePtr pick = files.front();
    for (const auto& f : files) {
      if (ptr.empty() || CompareInternalKeys(f->meta.largest, ptr) > 0) {
        pick = f;
        break;
      }
    }
    c->inputs[0] = {pick};
    compact_pointer_[best_level] = pick->meta.largest;
  }
  AddNextLevelInputs(c.get());
  c->trivial_move = best_level > 0 && c->inputs[0].size() == 1 && c->inputs[1].empty();
  return c;
}

std::unique_ptr<Compaction> VersionSet::PickDeletionCompaction(SequenceNumber smallest_snapshot,
                                                               double min_ratio) {
  const auto& v = current_;
  for (const DeletionDebt& d : v->deletion_debts()) {
    if (static_cast<double>(d.hidden_bytes) < min_ratio * static_cast<double>(d.cost_bytes)) {
      break;  // sorted by that ratio
    }
    if (d.file->meta.largest_sequence > smallest_snapshot) continue;
    auto c = std::make_unique<Compaction>();
    c->level = d.level;
    c->version = v;
    if (d.level == 0) {
      c->inputs[0] = v->files(0);
    } else {
      c->inputs[0] = {d.file};
    }
    AddNextLevelInputs(c.get());
    c->trivial_move = false;
    return c;
  }
  return nullptr;
}

std::unique_ptr<Compaction> VersionSet::CompactRangeAt(int level, const std::string_view* begin,
                                                       const std::string_view* end) {
  const auto& v = current_;
  auto inputs = v->OverlappingFiles(level, begin, end);
  if (inputs.empty()) return nullptr;
  auto c = std::make_unique<Compaction>();
  c->level = level;
  c->version = v;
  c->inputs[0] = std::move(inputs);
  AddNextLevelInputs(c.get());
  c->trivial_move = level > 0 && c->inputs[1].empty();
  return c;
}

}  // namespace iron::lsm

#include "lsm/repair.h"

#include <algorithm>
#include <memory>

#include "coding.h"
#include "filename.h"
#include "lsm/write_batch.h"
#include "table.h"
#include "table_output.h"
#include "table_salvage.h"
#include "version_set.h"
#include "wal_reader.h"
#include "wal_writer.h"
#include "write_batch_internal.h"

namespace iron::lsm {

namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A damaged WAL record names at most this many of the keys it held.
constexpr size_t kMaxKeysNamed = 10000;

class Repairer {
 public:
  Repairer(const Options& options, std::string dir, bool dry_run, RepairReport* report)
      : options_(options),
        dir_(std::move(dir)),
        env_(options.env != nullptr ? options.env : Env::Default()),
        dry_run_(dry_run),
        report_(report),
        versions_(dir_, options_, env_, nullptr) {}

  Status RunLogsOnly() {
    std::vector<std::string> children;
    IRON_RETURN_IF_ERROR(env_->GetChildren(dir_, &children));
    ManifestState state;
    log_number_ = versions_.ReadManifest(&state).ok() ? state.log_number : 0;
    CheckLogs(children);
    return Status::OK();
  }

  Status Run() {
    if (!dry_run_) IRON_RETURN_IF_ERROR(env_->LockFile(LockFileName(dir_), &lock_));
    std::vector<std::string> children;
    IRON_RETURN_IF_ERROR(env_->GetChildren(dir_, &children));
    IRON_RETURN_IF_ERROR(ChooseTables(children));
    for (auto& [level, meta] : tables_) IRON_RETURN_IF_ERROR(CheckTable(level, meta));
    CheckLogs(children);
    if (dry_run_ || (!changed_ && !report_->manifest_rebuilt)) return Status::OK();
    VersionEdit all;
    for (auto& [level, meta] : kept_) {
      last_sequence_ = std::max(last_sequence_, meta.largest_sequence);
      all.AddFile(level, meta);
    }
    all.SetNextFileNumber(next_file_);
    all.SetLogNumber(log_number_);
    all.SetLastSequence(last_sequence_);
    IRON_RETURN_IF_ERROR(versions_.InstallRepairedState(all));
    report_->actions.push_back("wrote a new manifest (MANIFEST-" +
                               std::to_string(versions_.manifest_number()) + ") naming " +
                               std::to_string(kept_.size()) + " tables");
    return Status::OK();
  }

 private:
  // The tables to look at: the manifest's, or every one in the directory.
  Status ChooseTables(const std::vector<std::string>& children) {
    uint64_t highest = 0;
    for (const auto& name : children) {
      uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type)) highest = std::max(highest, number);
    }
    ManifestState state;
    Status s = versions_.ReadManifest(&state);
    if (s.ok()) {
      for (int level = 0; level < static_cast<int>(state.levels.size()); ++level) {
        for (const auto& f : state.levels[level]) tables_.emplace_back(level, f);
      }
      next_file_ = std::max(state.next_file_number, highest + 1);
      log_number_ = state.log_number;
      report_->replaced_files = {"CURRENT", BaseName(ManifestFileName(dir_, state.manifest_number))};
      last_sequence_ = state.last_sequence;
      return Status::OK();
    }
    bool holds_data = std::any_of(children.begin(), children.end(), [](const std::string& n) {
      uint64_t number;
      FileType type;
      return ParseFileName(n, &number, &type) &&
             (type == FileType::kTable || type == FileType::kLog || type == FileType::kManifest);
    });
    if (s.IsNotFound() && !holds_data) return Status::NotFound(dir_ + ": no database here");
    // CURRENT or the manifest is unreadable: rebuild from the tables.
    report_->manifest_rebuilt = true;
    report_->actions.push_back(std::string(dry_run_ ? "would rebuild" : "rebuilt") +
                               " the manifest from every table in the directory (" +
                               s.ToString() + "); every WAL is replayed");
    report_->lost.push_back(LostRange{
        "manifest", "manifest unreadable: deletions that compaction had already applied may "
                    "reappear from tables it had made obsolete",
        std::nullopt, std::nullopt});
    for (const auto& name : children) {
      uint64_t number;
      FileType type;
      if (!ParseFileName(name, &number, &type)) continue;
      if (type == FileType::kTable) {
        FileMetaData f;
        f.number = number;
        tables_.emplace_back(0, f);
      } else if (type == FileType::kManifest || type == FileType::kCurrent) {
        report_->damaged_files.push_back(name);
      }
    }
    if (env_->FileExists(CurrentFileName(dir_))) report_->damaged_files.push_back("CURRENT");
    std::sort(tables_.begin(), tables_.end(),
              [](const auto& a, const auto& b) { return a.second.number < b.second.number; });
    next_file_ = highest + 1;
    log_number_ = 0;
    last_sequence_ = 0;
    return Status::OK();
  }

  // Names each WAL the next Open replays that holds damage (not a torn
  // tail), and the keys each damaged record wrote where its bytes still
  // decode; that Open, with WalRecovery::kSkipDamage, salvages the rest.
  void CheckLogs(const std::vector<std::string>& children) {
    struct Region {
      uint64_t offset;
      std::string what;
    };
    struct Reporter : WalReader::Reporter {
      WalReader* reader = nullptr;
      std::vector<Region> regions;
      void Dropped(uint64_t, WalReader::Drop kind, const Status& reason) override {
        if (kind == WalReader::Drop::kDamage) {
          regions.push_back(Region{reader->LastRecordEnd(), reason.message()});
        }
      }
    };
    for (const auto& name : children) {
      uint64_t number;
      FileType type;
      if (!ParseFileName(name, &number, &type) || type != FileType::kLog ||
          number < log_number_) {
        continue;
      }
      std::unique_ptr<SequentialFile> file;
      Status s = env_->NewSequentialFile(dir_ + "/" + name, &file);
      Reporter reporter;
      if (s.ok()) {
        WalReader reader(std::move(file), name, &reporter, /*resync=*/true);
        reporter.reader = &reader;
        std::string record;
        while (reader.ReadRecord(&record)) {
        }
      } else {
        reporter.regions.push_back(Region{0, s.ToString()});
      }
      if (reporter.regions.empty()) continue;
      report_->damaged_files.push_back(name);
      for (const Region& r : reporter.regions) {
        std::vector<std::pair<std::string, std::string>> keys;
        DamagedRecordKeys(dir_ + "/" + name, r.offset, &keys);
        if (keys.empty()) {
          report_->lost.push_back(LostRange{name, r.what, std::nullopt, std::nullopt});
        }
        for (auto& [first, last] : keys) {
          report_->lost.push_back(LostRange{
              name, "a damaged record at offset " + std::to_string(r.offset), first, last});
        }
        if (dry_run_) report_->actions.push_back("would replay every readable record of " + r.what);
      }
    }
  }

  // The keys (or deleted ranges) of the record at `offset` of a WAL whose
  // checksum failed, as far as its bytes still decode as a write batch:
  // what the damaged record may have lost.
  void DamagedRecordKeys(const std::string& path, uint64_t offset,
                         std::vector<std::pair<std::string, std::string>>* keys) {
    std::unique_ptr<SequentialFile> file;
    if (!env_->NewSequentialFile(path, &file).ok() || !file->Skip(offset).ok()) return;
    char header[kWalHeaderSize];
    std::string_view got;
    if (!file->Read(kWalHeaderSize, &got, header).ok() || got.size() != kWalHeaderSize) return;
    uint32_t length = DecodeFixed32(got.data() + 4);
    if (length == 0 || length > kWalMaxRecord) return;
    std::string payload(length, '\0');
    if (!file->Read(length, &got, payload.data()).ok()) return;
    payload.assign(got);
    WriteBatch batch;
    if (!WriteBatchInternal::SetContents(&batch, payload).ok()) return;
    struct Collector : WriteBatch::Handler {
      std::vector<std::pair<std::string, std::string>>* keys;
      void Add(std::string_view a, std::string_view b) {
        if (keys->size() < kMaxKeysNamed) keys->emplace_back(a, b);
      }
      void Put(std::string_view key, std::string_view) override { Add(key, key); }
      void Delete(std::string_view key) override { Add(key, key); }
      void DeleteRange(std::string_view begin, std::string_view end) override { Add(begin, end); }
    } collector;
    collector.keys = keys;
    // Keeps what decoded before any error; the damage itself is what the
    // caller already reports.
    batch.Iterate(&collector).IgnoreError();
  }

  // Keeps a sound table as it is; salvages any other.
  Status CheckTable(int level, const FileMetaData& meta) {
    std::string name = TableFileName(dir_, meta.number);
    std::string base = BaseName(name);
    std::unique_ptr<MappedFile> file;
    Status s = env_->NewMappedFile(name, &file);
    if (!s.ok()) {
      changed_ = true;
      if (env_->FileExists(name)) report_->damaged_files.push_back(base);
      LostRange lost{base, "table unreadable: " + s.ToString(), std::nullopt, std::nullopt};
      if (!meta.smallest.empty()) lost.first = std::string(ExtractUserKey(meta.smallest));
      if (!meta.largest.empty()) lost.last = std::string(ExtractUserKey(meta.largest));
      report_->lost.push_back(std::move(lost));
      report_->actions.push_back(std::string(dry_run_ ? "would drop " : "dropped ") + base +
                                 " from the manifest (" + s.ToString() + ")");
      return Status::OK();
    }
    if (!report_->manifest_rebuilt) {
      std::shared_ptr<Table> table;
      std::vector<std::string> problems;
      // Table::Open takes the mapping; map again to salvage if needed.
      std::unique_ptr<MappedFile> probe;
      s = env_->NewMappedFile(name, &probe);
      if (s.ok()) s = Table::Open(options_, name, std::move(probe), &table);
      if (s.ok()) s = table->VerifyBlocks(&problems);
      if (s.ok() && problems.empty()) {
        kept_.emplace_back(level, meta);
        return Status::OK();
      }
    }
    return Salvage(level, base, *file);
  }

  Status Salvage(int level, const std::string& base, const MappedFile& file) {
    SalvagedTable salvaged;
    SalvageTable(file.data(), file.size(), base, &salvaged);
    if (!report_->manifest_rebuilt || !salvaged.lost.empty()) {
      changed_ = true;
      report_->damaged_files.push_back(base);
    }
    for (auto& lost : salvaged.lost) report_->lost.push_back(lost);
    std::string kept = std::to_string(salvaged.entries.size()) + " entries in " +
                       std::to_string(salvaged.blocks_kept) + " readable blocks" +
                       (salvaged.index_readable ? "" : " (found without the index)");
    if (dry_run_) {
      report_->actions.push_back("would rewrite " + base + " keeping " + kept);
      return Status::OK();
    }
    if (salvaged.entries.empty() && salvaged.tombstones.empty()) {
      report_->actions.push_back("dropped " + base + ": nothing in it could be read");
      return Status::OK();
    }
    TableOutput out(options_, env_, dir_, options_.target_file_size,
                    [this] { return next_file_++; }, salvaged.tombstones);
    Status s;
    for (const auto& [key, value] : salvaged.entries) {
      s = out.Add(key, value);
      if (!s.ok()) break;
    }
    if (s.ok()) s = out.Finish();
    if (!s.ok()) {
      out.Abandon();
      return s;
    }
    std::string names;
    for (const auto& f : out.files()) {
      kept_.emplace_back(level, f);
      names += (names.empty() ? "" : ", ") + BaseName(TableFileName(dir_, f.number));
    }
    report_->actions.push_back("rewrote " + base + " as " + names + " keeping " + kept);
    return Status::OK();
  }

  const Options options_;
  const std::string dir_;
  Env* const env_;
  const bool dry_run_;
  RepairReport* const report_;
  VersionSet versions_;
  std::unique_ptr<FileLock> lock_;
  std::vector<std::pair<int, FileMetaData>> tables_;  // to look at
  std::vector<std::pair<int, FileMetaData>> kept_;    // the new live set
  bool changed_ = false;
  uint64_t next_file_ = 1;
  uint64_t log_number_ = 0;
  SequenceNumber last_sequence_ = 0;
};

}  // namespace

Status RepairDB(const Options& options, const std::string& dir, bool dry_run,
                RepairReport* report) {
  *report = RepairReport();
  return Repairer(options, dir, dry_run, report).Run();
}

Status FindWalDamage(const Options& options, const std::string& dir, RepairReport* report) {
  *report = RepairReport();
  return Repairer(options, dir, /*dry_run=*/true, report).RunLogsOnly();
}

}  // namespace iron::lsm

#include "fault_injection_env.h"

#include <unistd.h>

#include <algorithm>

namespace iron::lsm {

namespace {

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    // Bytes inside preallocated space were counted when it was reserved.
    uint64_t charge = Beyond(size_ + data.size());
    IRON_RETURN_IF_ERROR(env_->OnAppend(path_, charge));
    // Flushed at once, so that the env's byte count matches the file's.
    Status s = base_->Append(data);
    if (s.ok()) s = base_->Flush();
    if (s.ok()) {
      env_->OnAppended(path_, data.size(), charge);
      size_ += data.size();
    }
    return s;
  }
  Status Preallocate(uint64_t end) override {
    uint64_t charge = Beyond(end);
    if (charge == 0) return Status::OK();
    IRON_RETURN_IF_ERROR(env_->OnPreallocate(path_, charge));
    IRON_RETURN_IF_ERROR(base_->Preallocate(end));
    env_->OnAppended(path_, 0, charge);
    allocated_ = end;
    return Status::OK();
  }
  Status Flush() override { return base_->Flush(); }
  Status Sync() override {
    bool real = false;
    uint64_t size = 0;  // what this sync covers: appends after it may not be
    IRON_RETURN_IF_ERROR(env_->OnSync(path_, &real, &size));
    if (real) IRON_RETURN_IF_ERROR(base_->Sync());
    env_->OnSynced(path_, size);
    return Status::OK();
  }
  // The env's bookkeeping is under its mutex; the rest is the base file's.
  bool IsSyncThreadSafe() const override { return base_->IsSyncThreadSafe(); }
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> base_;
  uint64_t size_ = 0;       // bytes appended
  uint64_t allocated_ = 0;  // bytes preallocated

  // Bytes of space a file `end` bytes long takes beyond what it holds.
  uint64_t Beyond(uint64_t end) const {
    uint64_t held = std::max(size_, allocated_);
    return end > held ? end - held : 0;
  }
};

class FaultInjectionEnv::ReadFile final : public RandomAccessFile {
 public:
  ReadFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<RandomAccessFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* scratch) const override {
    IRON_RETURN_IF_ERROR(env_->CheckRead(path_));
    return base_->Read(offset, n, result, scratch);
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<RandomAccessFile> base_;
};

Status FaultInjectionEnv::NewRandomAccessFile(const std::string& path,
                                              std::unique_ptr<RandomAccessFile>* result) {
  std::unique_ptr<RandomAccessFile> base;
  IRON_RETURN_IF_ERROR(base_->NewRandomAccessFile(path, &base));
  *result = std::make_unique<ReadFile>(this, path, std::move(base));
  return Status::OK();
}

Status FaultInjectionEnv::CheckRead(const std::string& path) {
  MutexLock lock(&mu_);
  return InjectedFailure(Op::kRead, path);
}

Status FaultInjectionEnv::InjectedFailure(Op op, const std::string& path) {
  auto it = failures_.find(op);
  if (it == failures_.end() || path.find(it->second.path_part) == std::string::npos) {
    return Status::OK();
  }
  if (it->second.passes > 0) {
    --it->second.passes;
    return Status::OK();
  }
  return it->second.error;
}

Status FaultInjectionEnv::Check(Op op, const std::string& path) {
  if (mutations_before_cut_) {
    if (*mutations_before_cut_ == 0) {
      active_ = false;
      mutations_before_cut_.reset();
    } else {
      --*mutations_before_cut_;
    }
  }
  if (!active_) return Status::IOError("filesystem inactive (simulated crash)");
  return InjectedFailure(op, path);
}

Status FaultInjectionEnv::OnAppend(const std::string& path, uint64_t n) {
  MutexLock lock(&mu_);
  IRON_RETURN_IF_ERROR(Check(Op::kAppend, path));
  // Bytes written into space already reserved need none: on a full disk
  // they still succeed, however the count stands (a write that passed
  // this check before SetSpaceLimit may be counted after it).
  if (space_limit_ != 0 && n != 0 && space_used_ + n > space_limit_) {
    return Status::NoSpace(path + ": write: No space left on device (simulated)");
  }
  return Status::OK();
}

// Not a mutation a power cut could tear: only a dead disk or the space
// limit fails it, never FailAfter or CutPowerAfter.
Status FaultInjectionEnv::OnPreallocate(const std::string& path, uint64_t n) {
  MutexLock lock(&mu_);
  if (!active_) return Status::IOError("filesystem inactive (simulated crash)");
  if (space_limit_ != 0 && n != 0 && space_used_ + n > space_limit_) {
    return Status::NoSpace(path + ": fallocate: No space left on device (simulated)");
  }
  return Status::OK();
}

void FaultInjectionEnv::OnAppended(const std::string& path, size_t n, uint64_t charge) {
  MutexLock lock(&mu_);
  space_used_ += charge;
  if (n != 0) ++appends_;
  files_[path].size += n;
}

Status FaultInjectionEnv::OnSync(const std::string& path, bool* real, uint64_t* size) {
  MutexLock lock(&mu_);
  *real = real_syncs_;
  auto it = files_.find(path);
  *size = it != files_.end() ? it->second.size : 0;
  return Check(Op::kSync, path);
}

void FaultInjectionEnv::OnSynced(const std::string& path, uint64_t size) {
  MutexLock lock(&mu_);
  ++syncs_;
  auto it = files_.find(path);
  if (it != files_.end()) it->second.synced = std::max(it->second.synced, size);
}

Status FaultInjectionEnv::NewWritableFile(const std::string& path,
                                          std::unique_ptr<WritableFile>* result) {
  return NewTrackedFile(path, /*log=*/false, result);
}

Status FaultInjectionEnv::NewLogFile(const std::string& path,
                                     std::unique_ptr<WritableFile>* result) {
  return NewTrackedFile(path, /*log=*/true, result);
}

Status FaultInjectionEnv::NewTrackedFile(const std::string& path, bool log,
                                         std::unique_ptr<WritableFile>* result) {
  {
    MutexLock lock(&mu_);
    IRON_RETURN_IF_ERROR(Check(Op::kCreate, path));
  }
  std::unique_ptr<WritableFile> base;
  IRON_RETURN_IF_ERROR(log ? base_->NewLogFile(path, &base) : base_->NewWritableFile(path, &base));
  {
    MutexLock lock(&mu_);
    auto it = files_.find(path);
    bool existed_durably = it != files_.end() && it->second.entry_durable;
    files_[path] = FileState{0, 0, existed_durably};
  }
  *result = std::make_unique<File>(this, path, std::move(base));
  return Status::OK();
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  {
    MutexLock lock(&mu_);
    IRON_RETURN_IF_ERROR(Check(Op::kRemove, path));
  }
  IRON_RETURN_IF_ERROR(base_->RemoveFile(path));
  MutexLock lock(&mu_);
  files_.erase(path);
  return Status::OK();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  std::optional<std::string> replaced;
  {
    MutexLock lock(&mu_);
    IRON_RETURN_IF_ERROR(Check(Op::kRename, to));
  }
  std::string old;
  if (base_->FileExists(to) && ReadFileToString(base_, to, &old).ok()) replaced = old;
  IRON_RETURN_IF_ERROR(base_->RenameFile(from, to));
  MutexLock lock(&mu_);
  auto it = files_.find(from);
  FileState state = it != files_.end() ? it->second : FileState{0, 0, true};
  if (it != files_.end()) files_.erase(it);
  state.entry_durable = false;
  files_[to] = state;
  renames_.push_back(Rename{from, to, std::move(replaced)});
  return Status::OK();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  bool real;
  {
    MutexLock lock(&mu_);
    IRON_RETURN_IF_ERROR(Check(Op::kSyncDir, dir));
    real = real_syncs_;
  }
  if (real) IRON_RETURN_IF_ERROR(base_->SyncDir(dir));
  MutexLock lock(&mu_);
  for (auto& [path, state] : files_) {
    if (DirOf(path) == dir) state.entry_durable = true;
  }
  std::erase_if(renames_, [&](const Rename& r) { return DirOf(r.to) == dir; });
  return Status::OK();
}

void FaultInjectionEnv::PowerCut() {
  MutexLock lock(&mu_);
  CutFiles(nullptr);
}

void FaultInjectionEnv::PowerCutKeepingTornTails(uint64_t seed) {
  std::mt19937_64 torn(seed);
  MutexLock lock(&mu_);
  CutFiles(&torn);
}

void FaultInjectionEnv::CutFiles(std::mt19937_64* torn) {
  // Undo renames the directory never recorded, newest first.
  for (auto r = renames_.rbegin(); r != renames_.rend(); ++r) {
    if (base_->RenameFile(r->to, r->from).ok()) {
      auto it = files_.find(r->to);
      if (it != files_.end()) {
        FileState state = it->second;
        files_.erase(it);
        files_[r->from] = state;
      }
      // Puts back what the rename replaced. A simulated power cut has no
      // one to report to: a failure shows as the old contents missing.
      if (r->replaced) WriteStringToFile(base_, *r->replaced, r->to, true).IgnoreError();
    }
  }
  renames_.clear();
  for (const auto& [path, state] : files_) {
    if (!state.entry_durable) {
      base_->RemoveFile(path).IgnoreError();  // removed meanwhile: nothing to cut
    } else if (state.synced < state.size) {
      uint64_t keep = state.synced;
      if (torn != nullptr) keep += (*torn)() % (state.size - state.synced + 1);
      if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
        // The file was removed meanwhile; nothing to cut.
      }
    }
  }
  files_.clear();
  mutations_before_cut_.reset();
}

void FaultInjectionEnv::CutPowerAfter(uint64_t mutations) {
  MutexLock lock(&mu_);
  mutations_before_cut_ = mutations;
}

bool FaultInjectionEnv::power_is_cut() const {
  MutexLock lock(&mu_);
  return !active_;
}

void FaultInjectionEnv::SetFilesystemActive(bool active) {
  MutexLock lock(&mu_);
  active_ = active;
}

void FaultInjectionEnv::SetRealSyncs(bool real) {
  MutexLock lock(&mu_);
  real_syncs_ = real;
}

void FaultInjectionEnv::FailAfter(Op op, int n, Status error, std::string path_part) {
  MutexLock lock(&mu_);
  failures_[op] = Failure{n, std::move(error), std::move(path_part)};
}

void FaultInjectionEnv::ClearFailures() {
  MutexLock lock(&mu_);
  failures_.clear();
}

void FaultInjectionEnv::SetSpaceLimit(uint64_t bytes) {
  MutexLock lock(&mu_);
  space_limit_ = bytes;
  space_used_ = 0;
}

uint64_t FaultInjectionEnv::syncs() const {
  MutexLock lock(&mu_);
  return syncs_;
}

uint64_t FaultInjectionEnv::appends() const {
  MutexLock lock(&mu_);
  return appends_;
}

}  // namespace iron::lsm

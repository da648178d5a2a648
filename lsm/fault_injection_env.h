// FaultInjectionEnv: an Env for tests that fails on command and simulates
// power loss.
//
// It wraps a real Env and remembers, for every file written through it,
// how many bytes were synced and whether the directory entry that created
// (or renamed) it was made durable by SyncDir. PowerCut() then does what
// losing power would: files whose creation never reached a synced
// directory disappear, renames not followed by a SyncDir are undone, and
// every other file is cut back to its last synced length.
// PowerCutKeepingTornTails(seed) does the same but keeps, of each file, a
// random part of what was appended and not synced (a prefix: the disk
// wrote some of the dirty pages in order before it lost power).
//
// The instant of the cut: CutPowerAfter(n) lets n more mutations (appends,
// syncs, creates, renames, removes, directory syncs) through and then
// makes the filesystem inactive, as if the power went at that instant in
// the middle of whatever the DB was doing; power_is_cut() says whether it
// has happened. PowerCut() must still be called afterwards.
//
// Speed: SetRealSyncs(false) makes Sync and SyncDir only record what they
// would have made durable, without asking the disk; a test that only ever
// loses power through this Env needs nothing more.
//
// Failures: FailAfter(op, n, status[, path_part]) lets n more calls of `op`
// (on paths containing path_part, if given) succeed and fails every later one with `status` until ClearFailures().
// Op::kRead counts reads of RandomAccessFiles (tables read through the
// block cache), which are not mutations: they never bring a power cut on.
// SetFilesystemActive(false) fails every mutation, as a dead disk would.
// SetSpaceLimit(bytes) makes Append and Preallocate fail with NoSpace once
// that many bytes have been taken since the call (0: no limit); an append
// into preallocated space takes none.
//
// Thread safety: every method may be called from any thread. PowerCut
// requires that no file written through the Env is still open (destroy the
// DB first).
#pragma once

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lsm/env.h"
#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"

namespace iron::lsm {

class FaultInjectionEnv final : public Env {
 public:
  enum class Op { kAppend, kSync, kCreate, kRename, kRemove, kSyncDir, kRead };

  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  void PowerCut();
  void PowerCutKeepingTornTails(uint64_t seed);
  void CutPowerAfter(uint64_t mutations);
  bool power_is_cut() const;
  void SetFilesystemActive(bool active);
  void SetRealSyncs(bool real);
  // Only calls on paths containing `path_part` count and fail, when given.
  void FailAfter(Op op, int n, Status error, std::string path_part = "");
  void ClearFailures();
  void SetSpaceLimit(uint64_t bytes);

  uint64_t syncs() const;
  uint64_t appends() const;

  // Env
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    return base_->NewSequentialFile(path, result);
  }
  Status NewWritableFile(const std::string& path,
                         std::unique_ptr<WritableFile>* result) override;
  Status NewLogFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewMappedFile(const std::string& path, std::unique_ptr<MappedFile>* result) override {
    return base_->NewMappedFile(path, result);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return base_->GetChildren(dir, names);
  }
  Status GetFileSize(const std::string& path, uint64_t* size) override {
    return base_->GetFileSize(path, size);
  }
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status CreateDir(const std::string& dir) override { return base_->CreateDir(dir); }
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return base_->LockFile(path, lock);
  }
  Status LockFileReadOnly(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return base_->LockFileReadOnly(path, lock);
  }
  Status NewLogger(const std::string& path, std::unique_ptr<Logger>* result) override {
    return base_->NewLogger(path, result);
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }
  uint64_t ResidentFileBytes() override { return base_->ResidentFileBytes(); }

 private:
  class File;
  friend class File;
  class ReadFile;
  friend class ReadFile;

  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool entry_durable = false;  // its directory was synced since it was created
  };
  struct Rename {
    std::string from, to;
    std::optional<std::string> replaced;  // what `to` held before
  };

  void CutFiles(std::mt19937_64* torn) REQUIRES(mu_);
  Status NewTrackedFile(const std::string& path, bool log, std::unique_ptr<WritableFile>* result);
  // OK, or the failure to inject for one call of `op`.
  Status Check(Op op, const std::string& path) REQUIRES(mu_);
  // OK, or the failure to inject for one read of `path`.
  Status CheckRead(const std::string& path);
  // The failure FailAfter arranged for `op` on `path`, once its turn has come.
  Status InjectedFailure(Op op, const std::string& path) REQUIRES(mu_);
  // OK if `n` more bytes of space may be taken (appended or preallocated).
  Status OnAppend(const std::string& path, uint64_t n);
  Status OnPreallocate(const std::string& path, uint64_t n);
  // `n` bytes were appended, taking `charge` bytes of new space.
  void OnAppended(const std::string& path, size_t n, uint64_t charge);
  // *size: the bytes appended so far, which the sync about to run covers.
  Status OnSync(const std::string& path, bool* real, uint64_t* size);
  void OnSynced(const std::string& path, uint64_t size);

  Env* const base_;
  mutable Mutex mu_;
  std::map<std::string, FileState> files_ GUARDED_BY(mu_);
  std::vector<Rename> renames_ GUARDED_BY(mu_);  // not yet made durable
  bool active_ GUARDED_BY(mu_) = true;
  bool real_syncs_ GUARDED_BY(mu_) = true;
  std::optional<uint64_t> mutations_before_cut_ GUARDED_BY(mu_);
  struct Failure {
    int passes;  // calls still let through
    Status error;
    std::string path_part;
  };
  std::map<Op, Failure> failures_ GUARDED_BY(mu_);
  uint64_t space_limit_ GUARDED_BY(mu_) = 0;
  uint64_t space_used_ GUARDED_BY(mu_) = 0;
  uint64_t syncs_ GUARDED_BY(mu_) = 0;
  uint64_t appends_ GUARDED_BY(mu_) = 0;
};

}  // namespace iron::lsm

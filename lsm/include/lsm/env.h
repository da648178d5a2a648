// Env: every file-system call the engine makes goes through this seam.
//
// The default Env is POSIX. Tests substitute FaultInjectionEnv
// (fault_injection_env.h) to fail writes, run out of space, or cut power and
// drop whatever was not synced, the way LevelDB's and RocksDB's tests do.
//
// Files and directories the engine creates are private to its owner: data
// files 0600, directories 0700.
//
// A data directory may hold anything (a FIFO, a socket, a device node, a
// symbolic link where a table should be), so the POSIX Env opens only
// regular files, never follows a symbolic link and never blocks in open:
// anything else fails with an error that says what the path is ("... is a
// FIFO, not a regular file").
//
// Thread safety: an Env is shared by every thread of a DB and must be safe
// for concurrent use. A file object is used by one thread at a time, except
// RandomAccessFile and MappedFile, which any number of threads may read at
// once, and a WritableFile whose IsSyncThreadSafe() is true: its Sync may run on one
// thread while another appends.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/status.h"

namespace iron::lsm {

// A file read front to back (WAL and manifest recovery).
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes. *result points into scratch (n bytes long) or at
  // static data; it is shorter than n only at end of file.
  virtual Status Read(size_t n, std::string_view* result, char* scratch) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

// A file written at its end (WAL, manifest, a table being built).
// Append may buffer in user space; Flush hands the bytes to the kernel (they
// then survive the death of the process); Sync makes them durable (they then
// survive power loss).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Appends and hands the bytes to the kernel. A file that appends through
  // a memory mapping writes these with a system call instead: for bytes
  // about to be synced (the sync then need not write-protect mapped pages)
  // and for large appends (one copy by the kernel costs less than a page
  // fault for every fresh page).
  virtual Status AppendBySyscall(std::string_view data) {
    Status s = Append(data);
    return s.ok() ? Flush() : s;
  }
  // Makes sure that the file can grow to `end` bytes without an append
  // failing for want of space (NoSpace here instead, with nothing
  // appended). A file that cannot allocate ahead answers OK.
  virtual Status Preallocate(uint64_t end) {
    (void)end;
    return Status::OK();
  }
  virtual Status Flush() = 0;
  virtual Status Sync() = 0;  // Flush, then fdatasync
  // True if Sync may run beside Append, AppendBySyscall, Preallocate and
  // Flush on another thread, and then makes durable at least what was
  // flushed before it began. (Close still runs alone.) A file that
  // buffers in user space cannot promise it; the POSIX log file does.
  virtual bool IsSyncThreadSafe() const { return false; }
  virtual Status Close() = 0;
};

// A file read at any offset (SSTables, through the block cache). A file
// that shrank under its reader gives a short read, never a signal.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at `offset`. *result points into scratch (n bytes
  // long); it is shorter than n only where the file ends. Thread-safe.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result,
                      char* scratch) const = 0;
};

// A whole file mapped read-only into memory (SSTables, with
// Options::mmap_reads; repair). The bytes stay valid
// until the object is destroyed; but a file that shrinks under the mapping,
// or a disk that fails to read a page of it, takes pages away.
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  virtual const char* data() const = 0;
  virtual size_t size() const = 0;
  // True once a page of the mapping could not be read (the file shrank, or
  // the disk failed). The POSIX Env's mappings then read as zeros where the
  // page was lost instead of killing the process (guarded_mapping.h); a
  // reader checks this after reading and discards what it read if set.
  bool damaged() const {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return damaged_flag_ != nullptr && damaged_flag_->load(std::memory_order_acquire);
  }
  // Hints that [offset, offset+n) is not needed soon: its pages leave this
  // process's resident set (they stay in the page cache). Reading them again
  // is correct, merely a minor fault.
  virtual void DropResident(size_t offset, size_t n) = 0;

 protected:
  // Set by an implementation whose lost pages do not kill the process.
  const std::atomic<bool>* damaged_flag_ = nullptr;
};

// An exclusive advisory lock on a file, released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// A line-oriented diagnostic log (the data directory's LOG file).
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(std::string_view line) = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never destroyed.
  static Env* Default();

  virtual Status NewSequentialFile(const std::string& path,
                                   std::unique_ptr<SequentialFile>* result) = 0;
  // Creates or truncates.
  virtual Status NewWritableFile(const std::string& path,
                                 std::unique_ptr<WritableFile>* result) = 0;
  virtual Status NewRandomAccessFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* result) = 0;
  virtual Status NewMappedFile(const std::string& path,
                               std::unique_ptr<MappedFile>* result) = 0;
  // Creates or truncates a log file (the WAL): appended to record by
  // record, each record surviving the death of the process once Append
  // returns, with Flush a no-op. The POSIX Env copies appends into a shared
  // mapping of space it preallocates in chunks (no system call per record);
  // the zero-filled tail left by a crash is what a reader sees as the end.
  // Close cuts the file to the bytes appended; Sync is thread-safe
  // (IsSyncThreadSafe). By default, a WritableFile.
  virtual Status NewLogFile(const std::string& path, std::unique_ptr<WritableFile>* result) {
    return NewWritableFile(path, result);
  }

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status GetFileSize(const std::string& path, uint64_t* size) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces `to` if it exists.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Creates `dir` with mode 0700; OK if it already exists as a directory.
  virtual Status CreateDir(const std::string& dir) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // flock(LOCK_EX|LOCK_NB) on `path`, created if missing. Busy if another
  // process (or another open DB in this one) holds it.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;
  // For a read-only open: writes nothing, works on read-only storage. Opens
  // an existing `path` read-only and takes flock(LOCK_SH|LOCK_NB), so that
  // readers share it and a writer's LockFile is refused meanwhile (Busy if
  // a writer holds it). OK with *lock null if `path` does not exist.
  // By default, LockFile (for Envs whose LockFile writes nothing).
  virtual Status LockFileReadOnly(const std::string& path, std::unique_ptr<FileLock>* lock) {
    return LockFile(path, lock);
  }

  // Opens `path` for appending log lines. The POSIX Env's logger bounds
  // what a storm of lines can write (file_logger.h): repeated lines are
  // summarized, and at 4 MiB the file becomes PATH.old.
  virtual Status NewLogger(const std::string& path, std::unique_ptr<Logger>* result) = 0;

  virtual uint64_t NowMicros() = 0;

  // Bytes of file-backed memory (mapped tables, mostly) resident in this
  // process, or 0 if the platform cannot tell.
  virtual uint64_t ResidentFileBytes() = 0;
};

// An Env that hands every call to another (`target`, which must outlive
// it): a test or a layer that changes a few calls derives from it and
// overrides only those.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}

  Env* target() const { return target_; }

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    return target_->NewSequentialFile(path, result);
  }
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    return target_->NewWritableFile(path, result);
  }
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    return target_->NewRandomAccessFile(path, result);
  }
  Status NewMappedFile(const std::string& path, std::unique_ptr<MappedFile>* result) override {
    return target_->NewMappedFile(path, result);
  }
  Status NewLogFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    return target_->NewLogFile(path, result);
  }
  bool FileExists(const std::string& path) override { return target_->FileExists(path); }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return target_->GetChildren(dir, names);
  }
  Status GetFileSize(const std::string& path, uint64_t* size) override {
    return target_->GetFileSize(path, size);
  }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status CreateDir(const std::string& dir) override { return target_->CreateDir(dir); }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return target_->LockFile(path, lock);
  }
  Status LockFileReadOnly(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return target_->LockFileReadOnly(path, lock);
  }
  Status NewLogger(const std::string& path, std::unique_ptr<Logger>* result) override {
    return target_->NewLogger(path, result);
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }
  uint64_t ResidentFileBytes() override { return target_->ResidentFileBytes(); }

 private:
  Env* const target_;
};

// Helpers over any Env.
Status WriteStringToFile(Env* env, std::string_view data, const std::string& path,
                         bool sync);
// Corruption if the file holds more than max_bytes (CURRENT is a line).
Status ReadFileToString(Env* env, const std::string& path, std::string* data,
                        size_t max_bytes = 64 << 20);

}  // namespace iron::lsm

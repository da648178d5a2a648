// The POSIX Env: plain system calls, O_CLOEXEC everywhere, errors that name
// the path and the operation.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>

#include "file_logger.h"
#include "guarded_mapping.h"
#include "lsm/env.h"

namespace iron::lsm {

namespace {

Status PosixError(const std::string& path, const char* op, int err) {
  return Status::FromErrno(path + ": " + op, err);
}

Status NotRegular(const std::string& path, mode_t mode) {
  const char* kind = S_ISFIFO(mode)   ? "a FIFO"
                     : S_ISSOCK(mode) ? "a socket"
                     : S_ISCHR(mode)  ? "a character device"
                     : S_ISBLK(mode)  ? "a block device"
                     : S_ISDIR(mode)  ? "a directory"
                     : S_ISLNK(mode)  ? "a symbolic link"
                                      : "of an unknown kind";
  return Status::IOError(path + " is " + kind + ", not a regular file");
}

// Opens `path` (flags plus O_NOFOLLOW, O_CLOEXEC) only if it is a regular
// file, or a new one with O_CREAT. What is there is looked at before the
// open, so that a device is never opened; the open itself is non-blocking
// (a FIFO put there meanwhile would block it forever) and its result is
// checked again with fstat.
Status OpenRegularFile(const std::string& path, int flags, const char* op, int* fd) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return NotRegular(path, st.st_mode);
  int f = ::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
  if (f < 0) {
    int err = errno;
    // ELOOP (a symbolic link) or ENXIO (a FIFO or socket without a peer):
    // something was put there after the lstat.
    if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return NotRegular(path, st.st_mode);
    return PosixError(path, op, err);
  }
  if (::fstat(f, &st) != 0) {
    int err = errno;
    ::close(f);
    return PosixError(path, "fstat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(f);
    return NotRegular(path, st.st_mode);
  }
  // Only the open could block; reads and writes of a regular file never do.
  int fl = ::fcntl(f, F_GETFL);
  if (fl >= 0) ::fcntl(f, F_SETFL, fl & ~O_NONBLOCK);
  *fd = f;
  return Status::OK();
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::read(fd_, scratch + done, n - done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_, "read", errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) return PosixError(path_, "lseek", errno);
    return Status::OK();
  }

 private:
  const std::string path_;
  const int fd_;
};

// pread(2) on a descriptor held for the file's life: any number of threads
// read at once, and a file that shrank gives a short read.
class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        int err = errno;
        if (err == EINTR) continue;
        return PosixError(path_ + " at offset " + std::to_string(offset + done), "pread", err);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return Status::OK();
  }

 private:
  const std::string path_;
  const int fd_;
};

// Appends are buffered up to kBufferSize; larger ones go straight through.
// After a failed write the unwritten bytes are dropped: the file then ends
// where the failure left it, and the caller abandons or rolls it.
class PosixWritableFile final : public WritableFile {
 public:
  static constexpr size_t kBufferSize = 64 << 10;

  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
    buffer_.reserve(kBufferSize);
  }
  ~PosixWritableFile() override {
    // A destructor has no one to tell: an owner that needs the data
    // durable calls Sync() and Close() itself and reads their Status.
    if (fd_ >= 0) Close().IgnoreError();
  }

  Status Append(std::string_view data) override {
    if (buffer_.size() + data.size() <= kBufferSize) {
      buffer_.append(data);
      return Status::OK();
    }
    IRON_RETURN_IF_ERROR(Flush());
    if (data.size() <= kBufferSize) {
      buffer_.append(data);
      return Status::OK();
    }
    return WriteAll(data);
  }

  Status Flush() override {
    if (buffer_.empty()) return Status::OK();
    Status s = WriteAll(buffer_);
    buffer_.clear();
    return s;
  }

  Status Sync() override {
    IRON_RETURN_IF_ERROR(Flush());
    if (::fdatasync(fd_) != 0) return PosixError(path_, "fdatasync", errno);
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = Flush();
    if (::close(fd_) != 0 && s.ok()) s = PosixError(path_, "close", errno);
    fd_ = -1;
    return s;
  }

 private:
  Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t w = ::write(fd_, data.data(), data.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_, "write", errno);
      }
      data.remove_prefix(static_cast<size_t>(w));
    }
    return Status::OK();
  }

  const std::string path_;
  int fd_;
  std::string buffer_;
};

// A log written through a shared mapping: an append is a memcpy into the
// page cache, which outlives the process without a system call. Space is
// preallocated (fallocate, so a full disk is an error here, never a SIGBUS
// later) and mapped kChunk bytes at a time.
class PosixMmapLogFile final : public WritableFile {
 public:
  static constexpr size_t kChunk = 1 << 20;

  PosixMmapLogFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixMmapLogFile() override {
    // A destructor has no one to tell: an owner that needs the data
    // durable calls Sync() and Close() itself and reads their Status.
    if (fd_ >= 0) Close().IgnoreError();
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      if (pos_ < window_start_ || pos_ >= window_end_) IRON_RETURN_IF_ERROR(MapWindowAtPos());
      size_t n = std::min<size_t>(data.size(), window_end_ - pos_);
      std::memcpy(window_ + (pos_ - window_start_), data.data(), n);
      pos_ += n;
      data.remove_prefix(n);
    }
    return Status::OK();
  }

  Status Flush() override { return Status::OK(); }  // already in the page cache

  Status Preallocate(uint64_t end) override { return Reserve(end); }

  // Writing a synced record through the mapping would make every fdatasync
  // write-protect the page again, a TLB shootdown across CPUs each time;
  // pwrite into the preallocated space leaves the mapping untouched.
  Status AppendBySyscall(std::string_view data) override {
    IRON_RETURN_IF_ERROR(Reserve(pos_ + data.size()));
    while (!data.empty()) {
      ssize_t w = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(pos_));
      if (w < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_, "write", errno);
      }
      pos_ += static_cast<uint64_t>(w);
      data.remove_prefix(static_cast<size_t>(w));
    }
    return Status::OK();
  }

  Status Sync() override {
    // Writes back the pages dirtied through the mapping, and the size.
    if (::fdatasync(fd_) != 0) return PosixError(path_, "fdatasync", errno);
    return Status::OK();
  }
  // Sync reads only fd_, which nothing but Close changes, and every append
  // is in the page cache when it returns.
  bool IsSyncThreadSafe() const override { return true; }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Unmap();
    Status s;
    if (::ftruncate(fd_, static_cast<off_t>(pos_)) != 0) s = PosixError(path_, "ftruncate", errno);
    if (::close(fd_) != 0 && s.ok()) s = PosixError(path_, "close", errno);
    fd_ = -1;
    return s;
  }

 private:
  // Preallocates the file up to `end`, rounded up to whole chunks, and
  // fills the new space with zeros. fallocate alone leaves unwritten
  // extents, and then every fdatasync would also commit an extent-tree
  // change for the pages it writes; written zeros make the first sync of
  // a chunk allocate all of it, and every later one a plain overwrite.
  // The zeros are usually overwritten in the page cache before they reach
  // the disk, so this costs no bandwidth on a stream of unsynced appends.
  Status Reserve(uint64_t end) {
    if (end <= allocated_) return Status::OK();
    end = (end + kChunk - 1) / kChunk * kChunk;
    int err = ::posix_fallocate(fd_, static_cast<off_t>(allocated_),
                                static_cast<off_t>(end - allocated_));
    if (err != 0) return PosixError(path_, "fallocate", err);
    static const char kZeros[64 << 10] = {};
    for (uint64_t at = allocated_; at < end;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof(kZeros), end - at));
      ssize_t w = ::pwrite(fd_, kZeros, n, static_cast<off_t>(at));
      if (w < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_, "write", errno);
      }
      at += static_cast<uint64_t>(w);
    }
    allocated_ = end;
    return Status::OK();
  }

  // Maps the kChunk-aligned window holding pos_, allocating it first.
  Status MapWindowAtPos() {
    Unmap();
    uint64_t start = pos_ / kChunk * kChunk;
    IRON_RETURN_IF_ERROR(Reserve(start + kChunk));
    void* p = ::mmap(nullptr, kChunk, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                     static_cast<off_t>(start));
    if (p == MAP_FAILED) return PosixError(path_, "mmap", errno);
    window_ = static_cast<char*>(p);
    window_start_ = start;
    window_end_ = start + kChunk;
    return Status::OK();
  }

  void Unmap() {
    if (window_ != nullptr) ::munmap(window_, kChunk);
    window_ = nullptr;
  }

  const std::string path_;
  int fd_;
  char* window_ = nullptr;
  uint64_t window_start_ = 0;  // file offset of window_[0]; a multiple of kChunk
  uint64_t window_end_ = 0;
  uint64_t pos_ = 0;           // bytes appended
  uint64_t allocated_ = 0;     // bytes preallocated and zeroed (the file's size until Close)
};

// A lost page (the file shrank, or the disk failed) reads as zeros and
// marks the file damaged, rather than killing the process with SIGBUS.
class PosixMappedFile final : public MappedFile {
 public:
  PosixMappedFile(const char* base, size_t size) : base_(base), size_(size) {
    if (base_ != nullptr) {
      guard_.emplace(base_, size_);
      damaged_flag_ = guard_->damaged_flag();
    }
  }
  ~PosixMappedFile() override {
    guard_.reset();  // before the range can be mapped again, for something else
    if (base_ != nullptr) ::munmap(const_cast<char*>(base_), size_);
  }
  const char* data() const override { return base_; }
  size_t size() const override { return size_; }

  void DropResident(size_t offset, size_t n) override {
    if (base_ == nullptr || offset >= size_) return;
    static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_t begin = (offset + page - 1) / page * page;  // whole pages inside the range
    size_t end = std::min(size_, offset + n);
    if (end == size_) end = (size_ + page - 1) / page * page;
    else end = end / page * page;
    if (end > begin) ::madvise(const_cast<char*>(base_) + begin, end - begin, MADV_DONTNEED);
  }

 private:
  const char* const base_;
  const size_t size_;
  std::optional<GuardedMapping> guard_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the flock

 private:
  const int fd_;
};

// Every file of a database is opened with O_NOFOLLOW: a symbolic link
// planted in a database directory (one restored from an untrusted copy,
// say) cannot make the engine read, truncate or append to a file outside
// it. Nor is anything but a regular file opened (OpenRegularFile).
class PosixEnv final : public Env {
 public:
  PosixEnv() : statm_fd_(::open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) {}

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    int fd;
    IRON_RETURN_IF_ERROR(OpenRegularFile(path, O_RDONLY, "open", &fd));
    *result = std::make_unique<PosixSequentialFile>(path, fd);
    return Status::OK();
  }

  Status NewWritableFile(const std::string& path,
                         std::unique_ptr<WritableFile>* result) override {
    int fd;
    IRON_RETURN_IF_ERROR(OpenRegularFile(path, O_WRONLY | O_CREAT | O_TRUNC, "create", &fd));
    *result = std::make_unique<PosixWritableFile>(path, fd);
    return Status::OK();
  }

  Status NewLogFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    int fd;
    IRON_RETURN_IF_ERROR(OpenRegularFile(path, O_RDWR | O_CREAT | O_TRUNC, "create", &fd));
    // A file system without fallocate gets the plain, write(2)-based file.
    int err = ::posix_fallocate(fd, 0, PosixMmapLogFile::kChunk);
    if (err == EOPNOTSUPP || err == EINVAL) {
      *result = std::make_unique<PosixWritableFile>(path, fd);
      return Status::OK();
    }
    if (err != 0) {
      // The file was made here and holds nothing: a full disk must not
      // collect one per attempt.
      ::close(fd);
      ::unlink(path.c_str());
      return PosixError(path, "fallocate", err);
    }
    *result = std::make_unique<PosixMmapLogFile>(path, fd);
    return Status::OK();
  }

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    int fd;
    IRON_RETURN_IF_ERROR(OpenRegularFile(path, O_RDONLY, "open", &fd));
    *result = std::make_unique<PosixRandomAccessFile>(path, fd);
    return Status::OK();
  }

  Status NewMappedFile(const std::string& path, std::unique_ptr<MappedFile>* result) override {
    int fd;
    IRON_RETURN_IF_ERROR(OpenRegularFile(path, O_RDONLY, "open", &fd));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return PosixError(path, "fstat", err);
    }
    size_t size = static_cast<size_t>(st.st_size);
    const char* base = nullptr;
    if (size > 0) {
      void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return PosixError(path, "mmap", err);
      }
      base = static_cast<const char*>(p);
    }
    ::close(fd);  // the mapping outlives the descriptor
    *result = std::make_unique<PosixMappedFile>(base, size);
    return Status::OK();
  }

  // A dangling symbolic link exists too: opening it says what it is.
  bool FileExists(const std::string& path) override {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    names->clear();
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError(dir, "opendir", errno);
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      names->emplace_back(e->d_name);
    }
    ::closedir(d);
    return Status::OK();
  }

  Status GetFileSize(const std::string& path, uint64_t* size) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError(path, "stat", errno);
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError(path, "unlink", errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError(from, "rename", errno);
    return Status::OK();
  }

  Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0700) == 0) return Status::OK();
    int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
    return PosixError(dir, "mkdir", err);
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(dir, "open directory", errno);
    Status s;
    if (::fsync(fd) != 0) s = PosixError(dir, "fsync directory", errno);
    ::close(fd);
    return s;
  }

  // flock locks belong to the open file description, so a second LockFile
  // of the same path fails even within one process.
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    int fd;
    IRON_RETURN_IF_ERROR(OpenRegularFile(path, O_RDWR | O_CREAT, "open lock file", &fd));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::Busy(path + ": held by another process (is the database already open?)");
      }
      return PosixError(path, "flock", err);
    }
    *lock = std::make_unique<PosixFileLock>(fd);
    return Status::OK();
  }

  Status LockFileReadOnly(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
      lock->reset();  // nothing to lock, and making it would be a write
      return Status::OK();
    }
    int fd;
    IRON_RETURN_IF_ERROR(OpenRegularFile(path, O_RDONLY, "open lock file", &fd));
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::Busy(path + ": held by another process (is the database open for writing?)");
      }
      return PosixError(path, "flock", err);
    }
    *lock = std::make_unique<PosixFileLock>(fd);
    return Status::OK();
  }

  // Bounded in size and rate: see file_logger.h.
  Status NewLogger(const std::string& path, std::unique_ptr<Logger>* result) override {
    return NewFileLogger(path, FileLoggerOptions(), result);
  }

  // The third field of /proc/self/statm: resident pages backed by files
  // (and shared memory).
  // Called every few hundred table reads, so the file stays open: one
  // pread per call.
  uint64_t ResidentFileBytes() override {
    if (statm_fd_ < 0) return 0;
    char buf[128];
    ssize_t n = ::pread(statm_fd_, buf, sizeof(buf) - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    unsigned long long size = 0, resident = 0, shared = 0;
    if (std::sscanf(buf, "%llu %llu %llu", &size, &resident, &shared) != 3) return 0;
    return shared * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  }

  uint64_t NowMicros() override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }

 private:
  const int statm_fd_;  // -1 where /proc is missing; never closed (the Env lives forever)
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: threads may outlive statics
  return env;
}

}  // namespace iron::lsm

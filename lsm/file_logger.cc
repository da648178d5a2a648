#include "file_logger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "lsm/log_limiter.h"
#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"

namespace iron::lsm {
namespace {

// Never through a symbolic link, never blocking (a FIFO planted as LOG
// would block an open for writing until a reader came), and only a
// regular file: anything else is refused with ENXIO-like errno EINVAL.
int OpenLog(const std::string& path) {
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) return fd;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    errno = EINVAL;
    return -1;
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

std::string Stamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
                std::chrono::seconds(1);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros.count()));
  return stamp;
}

uint64_t NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

class FileLogger final : public Logger {
 public:
  FileLogger(std::string path, const FileLoggerOptions& options, int fd, uint64_t size)
      : path_(std::move(path)),
        max_bytes_(options.max_bytes),
        limiter_(options.per_text, options.total),
        fd_(fd),
        size_(size) {}
  ~FileLogger() override {
    MutexLock lock(&mu_);
    for (const std::string& line : limiter_.Drain()) WriteLine(line);
    ::close(fd_);
  }

  void Log(std::string_view line) override {
    MutexLock lock(&mu_);
    for (const std::string& out : limiter_.Admit(line, NowMicros())) WriteLine(out);
  }

 private:
  void WriteLine(std::string_view line) REQUIRES(mu_) {
    std::string out = Stamp();
    out.append(line);
    out.push_back('\n');
    // One write per line; a log line lost to a full disk is not worth an error.
    ssize_t w = ::write(fd_, out.data(), out.size());
    if (w > 0) size_ += static_cast<uint64_t>(w);
    if (size_ >= max_bytes_) Rotate();
  }

  // PATH -> PATH.old, and a fresh PATH. If that fails, the file goes on
  // growing rather than losing lines.
  void Rotate() REQUIRES(mu_) {
    std::string old = path_ + ".old";
    if (::rename(path_.c_str(), old.c_str()) != 0) return;
    int fd = OpenLog(path_);
    if (fd < 0) return;  // lines go on to PATH.old
    ::close(fd_);
    fd_ = fd;
    size_ = 0;
  }

  Mutex mu_;
  const std::string path_;
  const uint64_t max_bytes_;
  LogLimiter limiter_ GUARDED_BY(mu_);
  int fd_ GUARDED_BY(mu_);
  uint64_t size_ GUARDED_BY(mu_);
};

}  // namespace

Status NewFileLogger(const std::string& path, const FileLoggerOptions& options,
                     std::unique_ptr<Logger>* result) {
  int fd = OpenLog(path);
  if (fd < 0) return Status::FromErrno(path + ": open log", errno);
  struct stat st;
  uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  *result = std::make_unique<FileLogger>(path, options, fd, size);
  return Status::OK();
}

}  // namespace iron::lsm

#include "mount/log.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

#include "lsm/env.h"
#include "lsm/log_limiter.h"
#include "lsm/mutex.h"

namespace iron::mount {
namespace {

enum class Sink { kStderr, kSyslog, kFile };

lsm::Mutex mu;
Sink sink GUARDED_BY(mu) = Sink::kStderr;
std::unique_ptr<lsm::Logger> log_file GUARDED_BY(mu);  // Sink::kFile
lsm::LogLimiter limiter GUARDED_BY(mu);

// glibc's syslog() drops messages without a word when nothing listens on
// /dev/log; find out first, the way it connects (datagram, then stream).
bool SyslogReachable() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, _PATH_LOG, sizeof(addr.sun_path) - 1);
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok) return true;
  }
  return false;
}

const char* Level(int priority) {
  switch (priority & LOG_PRIMASK) {
    case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR: return "error: ";
    case LOG_WARNING: return "warning: ";
    default: return "";
  }
}

uint64_t NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void Write(int priority, const std::string& text) REQUIRES(mu) {
  switch (sink) {
    case Sink::kSyslog:
      syslog(priority, "%s", text.c_str());
      break;
    case Sink::kFile:
      log_file->Log(std::string(Level(priority)) + text);
      break;
    case Sink::kStderr:
      std::fprintf(stderr, "ironfs: %s\n", text.c_str());
      break;
  }
}

}  // namespace

std::string LogToSyslog(const std::string& fallback_file) {
  lsm::MutexLock l(&mu);
  if (SyslogReachable()) {
    openlog("ironfs", LOG_PID, LOG_DAEMON);
    sink = Sink::kSyslog;
    return "syslog";
  }
  if (!fallback_file.empty() &&
      lsm::Env::Default()->NewLogger(fallback_file, &log_file).ok()) {
    sink = Sink::kFile;
    Write(LOG_NOTICE, "syslog is not reachable (nothing listens on " _PATH_LOG
                      "): the daemon's messages go here (pid " + std::to_string(getpid()) + ")");
    return fallback_file;
  }
  return "stderr";
}

void FlushLog() {
  lsm::MutexLock l(&mu);
  for (const std::string& line : limiter.Drain()) Write(LOG_NOTICE, line);
}

void Log(int priority, const char* format, ...) {
  char buf[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  lsm::MutexLock l(&mu);
  for (const std::string& line : limiter.Admit(buf, NowMicros())) Write(priority, line);
}

}  // namespace iron::mount

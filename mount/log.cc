#include "mount/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace iron::mount {
namespace {
std::atomic<bool> to_syslog{false};
}

void LogToSyslog() {
  openlog("ironfs", LOG_PID, LOG_DAEMON);
  to_syslog = true;
}

void Log(int priority, const char* format, ...) {
  va_list args;
  va_start(args, format);
  if (to_syslog) {
    vsyslog(priority, format, args);
  } else {
    std::fputs("ironfs: ", stderr);
    std::vfprintf(stderr, format, args);
    std::fputc('\n', stderr);
  }
  va_end(args);
}

}  // namespace iron::mount

// Messages of the daemon: to stderr while it runs in the foreground, to
// syslog (facility daemon, tag "ironfs") once it is a daemon.
//
// Thread safety: Log may be called from any thread.
#pragma once

#include <syslog.h>

namespace iron::mount {

// Sends later messages to syslog instead of stderr.
void LogToSyslog();

// printf-style; `priority` is a syslog level (LOG_ERR, LOG_INFO, ...).
void Log(int priority, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace iron::mount

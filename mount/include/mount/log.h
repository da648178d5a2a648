// Messages of the daemon: to stderr while it runs in the foreground, to
// syslog (facility daemon, tag "ironfs") once it is a daemon, or, where
// syslog cannot be reached (no /dev/log, as in many containers), to a file
// instead of nowhere.
//
// Bounded: a message of a given text is written at most 5 times a second
// and 100 messages a second in all (lsm::LogLimiter); what is held back is
// counted and reported ("... repeated K more times"), so an unprivileged
// user rereading a damaged file cannot flood the log.
//
// Thread safety: Log may be called from any thread; LogToSyslog only
// while no other thread logs.
#pragma once

#include <syslog.h>

#include <string>

namespace iron::mount {

// Sends later messages to syslog instead of stderr; if syslog is not
// reachable, to `fallback_file` (appended to, capped in size as the
// engine's LOG is) when one is given, and otherwise leaves them on stderr.
// Returns where they go, for a message.
std::string LogToSyslog(const std::string& fallback_file);

// Writes the summaries of what the rate limit still holds back (at exit).
void FlushLog();

// printf-style; `priority` is a syslog level (LOG_ERR, LOG_INFO, ...).
void Log(int priority, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace iron::mount

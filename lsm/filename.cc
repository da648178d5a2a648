#include "filename.h"

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace iron::lsm {

namespace {

std::string NumberedName(const std::string& dir, uint64_t number, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/%06" PRIu64 ".%s", number, suffix);
  return dir + buf;
}

bool ParseNumber(std::string_view s, uint64_t* number) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *number = v;
  return true;
}

}  // namespace

std::string LogFileName(const std::string& dir, uint64_t n) { return NumberedName(dir, n, "log"); }
std::string TableFileName(const std::string& dir, uint64_t n) { return NumberedName(dir, n, "sst"); }
std::string TempFileName(const std::string& dir, uint64_t n) { return NumberedName(dir, n, "tmp"); }

std::string ManifestFileName(const std::string& dir, uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/MANIFEST-%06" PRIu64, number);
  return dir + buf;
}

std::string CurrentFileName(const std::string& dir) { return dir + "/CURRENT"; }
std::string LockFileName(const std::string& dir) { return dir + "/LOCK"; }
std::string InfoLogFileName(const std::string& dir) { return dir + "/LOG"; }

bool ParseFileName(const std::string& name, uint64_t* number, FileType* type) {
  std::string_view s(name);
  *number = 0;
  if (s == "CURRENT") {
    *type = FileType::kCurrent;
    return true;
  }
  if (s == "LOCK") {
    *type = FileType::kLock;
    return true;
  }
  if (s == "LOG") {
    *type = FileType::kInfoLog;
    return true;
  }
  if (s.starts_with("MANIFEST-")) {
    *type = FileType::kManifest;
    return ParseNumber(s.substr(9), number);
  }
  size_t dot = s.find('.');
  if (dot == std::string_view::npos || !ParseNumber(s.substr(0, dot), number)) return false;
  std::string_view suffix = s.substr(dot + 1);
  if (suffix == "log") {
    *type = FileType::kLog;
  } else if (suffix == "sst") {
    *type = FileType::kTable;
  } else if (suffix == "tmp") {
    *type = FileType::kTemp;
  } else {
    return false;
  }
  return true;
}

Status LockDB(Env* env, const std::string& dir, std::unique_ptr<FileLock>* lock) {
  return env->LockFile(LockFileName(dir), lock);
}

Status FindDB(const std::string& dir, bool* found) {
  *found = false;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t number;
    FileType type;
    if (ParseFileName(e.path().filename(), &number, &type) && type != FileType::kInfoLog &&
        type != FileType::kLock) {
      *found = true;
    }
  }
  if (ec) return Status::IOError("cannot read " + dir + ": " + ec.message());
  return Status::OK();
}

}  // namespace iron::lsm

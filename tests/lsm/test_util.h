// Helpers shared by the engine's tests: a scratch directory that cleans up
// after itself, and deterministic random keys and values.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lsm/filename.h"

namespace iron::lsm::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents
// when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Zero-padded decimal key, so numeric order is byte order.
std::string NumberKey(uint64_t n, int width = 16);
std::string RandomBytes(std::mt19937_64& rng, size_t n);

// Paths of the files of one type in `dir` (a DB's directory), oldest
// (lowest number) first.
std::vector<std::string> FilesOfType(const std::string& dir, FileType type);

// Reads a whole file / overwrites one byte of it (corruption tests).
std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& data);

}  // namespace iron::lsm::test

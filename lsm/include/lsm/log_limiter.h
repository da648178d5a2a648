// LogLimiter: keeps a storm of log lines from filling a disk or a syslog.
//
// A reader that meets damaged data logs it, and a user who rereads a
// damaged file in a loop would otherwise write a line per read (100,000
// lines in 10 s have been seen). Here a line of a given text passes at
// most `per_text` times a second, and lines of any text at most `total`
// times a second. What is held back is counted, and once its second is
// over a summary line says how much ("... repeated K more times"), so
// nothing is dropped without a word.
//
// Thread safety: none; the logger that owns one serializes its calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace iron::lsm {

class LogLimiter {
 public:
  explicit LogLimiter(int per_text = 5, int total = 100) : per_text_(per_text), total_(total) {}

  // The lines to write now for `line`, logged at `now_micros` (any clock
  // that does not go back): summaries of what was held back in seconds
  // that have ended, then `line` itself unless it is held back.
  std::vector<std::string> Admit(std::string_view line, uint64_t now_micros);

  // Summaries of everything still held back (for a logger that closes).
  std::vector<std::string> Drain();

 private:
  struct Window {
    uint64_t start = 0;  // micros
    int passed = 0;
    uint64_t held = 0;
  };
  static constexpr uint64_t kSecond = 1000000;

  static std::string Summary(std::string_view text, uint64_t held);
  void SweepEnded(uint64_t now, std::vector<std::string>* out);

  const int per_text_;
  const int total_;
  std::unordered_map<std::string, Window> texts_;  // texts that passed in the last second
  Window all_;                                      // every text; held = over `total`
  uint64_t last_sweep_ = 0;
};

}  // namespace iron::lsm

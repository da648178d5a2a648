#include "lsm/log_limiter.h"

namespace iron::lsm {

std::string LogLimiter::Summary(std::string_view text, uint64_t held) {
  constexpr size_t kShown = 160;
  std::string out = "... repeated " + std::to_string(held) + " more times in a second (held back): ";
  out.append(text.substr(0, kShown));
  if (text.size() > kShown) out += "...";
  return out;
}

void LogLimiter::SweepEnded(uint64_t now, std::vector<std::string>* out) {
  if (now - last_sweep_ < kSecond && last_sweep_ != 0) return;
  last_sweep_ = now;
  for (auto it = texts_.begin(); it != texts_.end();) {
    if (now - it->second.start < kSecond) {
      ++it;
      continue;
    }
    if (it->second.held > 0) out->push_back(Summary(it->first, it->second.held));
    it = texts_.erase(it);
  }
}

std::vector<std::string> LogLimiter::Admit(std::string_view line, uint64_t now) {
  std::vector<std::string> out;
  if (now - all_.start >= kSecond) {
    if (all_.held > 0) {
      out.push_back("... " + std::to_string(all_.held) + " more lines held back (over " +
                    std::to_string(total_) + " lines a second)");
    }
    all_ = Window{now, 0, 0};
  }
  SweepEnded(now, &out);
  auto it = texts_.find(std::string(line));
  if (it != texts_.end() && now - it->second.start >= kSecond) {
    if (it->second.held > 0) out.push_back(Summary(it->first, it->second.held));
    it->second = Window{now, 0, 0};
  }
  if (it != texts_.end() && it->second.passed >= per_text_) {
    ++it->second.held;
    return out;
  }
  if (all_.passed >= total_) {
    ++all_.held;
    return out;
  }
  ++all_.passed;
  if (it == texts_.end()) it = texts_.emplace(std::string(line), Window{now, 0, 0}).first;
  ++it->second.passed;
  out.emplace_back(line);
  return out;
}

std::vector<std::string> LogLimiter::Drain() {
  std::vector<std::string> out;
  for (const auto& [text, w] : texts_) {
    if (w.held > 0) out.push_back(Summary(text, w.held));
  }
  texts_.clear();
  if (all_.held > 0) {
    out.push_back("... " + std::to_string(all_.held) + " more lines held back (over " +
                  std::to_string(total_) + " lines a second)");
  }
  all_ = Window{};
  return out;
}

}  // namespace iron::lsm

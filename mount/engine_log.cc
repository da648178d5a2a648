#include "engine_log.h"

#include "lsm/db_files.h"
#include "mount/log.h"

namespace iron::mount {

namespace {

class EngineLog final : public lsm::Logger {
 public:
  EngineLog(std::string data_dir, std::unique_ptr<lsm::Logger> file)
      : data_dir_(std::move(data_dir)), file_(std::move(file)) {}

  void Log(std::string_view line) override {
    if (file_) file_->Log(line);
    if (line.starts_with("ERROR")) {
      mount::Log(LOG_ERR, "%s: %.*s", data_dir_.c_str(), static_cast<int>(line.size()), line.data());
    } else if (line.starts_with("WARNING")) {
      mount::Log(LOG_WARNING, "%s: %.*s", data_dir_.c_str(), static_cast<int>(line.size()),
                 line.data());
    }
  }

 private:
  const std::string data_dir_;
  const std::unique_ptr<lsm::Logger> file_;  // null: read-only, no LOG file
};

}  // namespace

std::shared_ptr<lsm::Logger> NewEngineLog(const std::string& data_dir, bool read_only) {
  if (read_only) return std::make_shared<EngineLog>(data_dir, nullptr);
  std::unique_ptr<lsm::Logger> file;
  if (!lsm::Env::Default()->NewLogger(lsm::InfoLogFileName(data_dir), &file).ok()) return nullptr;
  return std::make_shared<EngineLog>(data_dir, std::move(file));
}

}  // namespace iron::mount

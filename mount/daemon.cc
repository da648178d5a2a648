#include "mount/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "mount/data_dir.h"
#include "mount/fuse_adapter.h"
#include "mount/log.h"
#include "mount/privileges.h"
#include "mount/request_loop.h"
#include "mount/stats_file.h"

namespace iron::mount {
namespace {

// Threads that may wait for the disk at once (concurrent fsyncs, or any
// request with -o sync); they share group commits.
constexpr int kMaxRequestThreads = 16;

// Whether `path` is a mount point already, per /proc/self/mountinfo.
bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    // Octal escapes (\040 for a space) as the kernel writes them.
    std::string decoded;
    for (size_t i = 0; i < point.size(); ++i) {
      if (point[i] == '\\' && i + 3 < point.size()) {
        decoded.push_back(static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8)));
        i += 3;
      } else {
        decoded.push_back(point[i]);
      }
    }
    if (decoded == path) return true;
  }
  return false;
}

std::string CheckMountpoint(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "mount point " + path + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return "mount point " + path + " is not a directory";
  if (IsMountPoint(path)) {
    return "mount point " + path + " is busy: something is mounted there already "
           "(fusermount3 -u " + path + " unmounts an ironfs)";
  }
  return {};
}

// The background process tells the one that started it how the mount went:
// an empty message for success, else the error.
class StartupChannel {
 public:
  // Forks unless `foreground`. In the parent, waits for the child's word
  // and exits with it; returns only in the process that goes on.
  void Fork(bool foreground) {
    if (foreground) return;
    int fds[2];
    if (pipe(fds) != 0) {
      Log(LOG_ERR, "pipe: %s", std::strerror(errno));
      _exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
      Log(LOG_ERR, "fork: %s", std::strerror(errno));
      _exit(1);
    }
    if (pid > 0) {
      close(fds[1]);
      std::string message;
      char buf[512];
      ssize_t n;
      while ((n = read(fds[0], buf, sizeof(buf))) > 0) message.append(buf, n);
      if (message.empty()) {
        std::fprintf(stderr, "ironfs: the daemon died while starting (see syslog)\n");
        _exit(1);
      }
      if (message != "ok") {
        std::fprintf(stderr, "ironfs: %s\n", message.c_str());
        _exit(1);
      }
      _exit(0);
    }
    close(fds[0]);
    fd_ = fds[1];
    setsid();
  }
  void Fail(const std::string& message) {
    if (fd_ >= 0) {
      (void)!write(fd_, message.data(), message.size());
    } else {
      std::fprintf(stderr, "ironfs: %s\n", message.c_str());
    }
  }
  // Success: the parent exits 0 and this process leaves the terminal.
  void Succeed() {
    if (fd_ < 0) return;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) close(null);
    }
    LogToSyslog();
    (void)!write(fd_, "ok", 2);
    close(fd_);
    fd_ = -1;
    (void)!chdir("/");
  }

 private:
  int fd_ = -1;
};

// Rewrites DATA_DIR/ironfs.stats every few seconds until stopped.
class StatsWriter {
 public:
  StatsWriter(const std::string& dir, lsm::DB* db, fs::Filesystem* fs)
      : thread_([this, dir, db, fs] {
          std::unique_lock l(mu_);
          while (!stop_) {
            l.unlock();
            WriteStatsFile(dir, StatsReport(db, fs));
            l.lock();
            cv_.wait_for(l, std::chrono::seconds(5), [this] { return stop_; });
          }
        }) {}
  ~StatsWriter() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace

int RunMount(const MountConfig& config) {
  umask(077);  // the data directory's files are the owner's alone
  if (std::string problem = CheckMountpoint(config.mountpoint); !problem.empty()) {
    std::fprintf(stderr, "ironfs: %s\n", problem.c_str());
    return 1;
  }
  // Fork before any thread exists (the engine starts background threads).
  StartupChannel startup;
  startup.Fork(config.foreground);
  // Before the engine starts its threads: they inherit what is left.
  if (std::string problem = DropPrivileges(config.data_dir, config.mountpoint); !problem.empty()) {
    startup.Fail("cannot drop privileges: " + problem);
    return 1;
  }

  OpenedFilesystem opened;
  std::string error;
  if (!OpenDataDir(config, &opened, &error)) {
    startup.Fail(error);
    return 1;
  }
  Mounted mounted{opened.fs.get(), &config};

  std::vector<std::string> arg_strings{"ironfs"};
  std::string fuse_options;
  for (const std::string& o : config.fuse_options) fuse_options += (fuse_options.empty() ? "" : ",") + o;
  if (config.read_only && fuse_options.find("ro") == std::string::npos) fuse_options += ",ro";
  arg_strings.push_back("-o");
  arg_strings.push_back(fuse_options);
  if (config.debug) arg_strings.push_back("-d");
  std::vector<char*> argv;
  for (std::string& s : arg_strings) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());

  const fuse_lowlevel_ops ops = FuseOperations(config);
  fuse_session* session = fuse_session_new(&args, &ops, sizeof(ops), &mounted);
  if (session == nullptr) {
    startup.Fail("invalid mount options: " + fuse_options + " (libfuse's complaint is above)");
    return 1;
  }
  if (fuse_set_signal_handlers(session) != 0) {
    startup.Fail("cannot install signal handlers");
    fuse_session_destroy(session);
    return 1;
  }
  int mount_status;
  {
    ScopedSysAdmin admin;
    mount_status = fuse_session_mount(session, config.mountpoint.c_str());
  }
  if (mount_status != 0) {
    startup.Fail("cannot mount on " + config.mountpoint + " (libfuse's complaint is above)");
    fuse_remove_signal_handlers(session);
    fuse_session_destroy(session);
    return 1;
  }
  startup.Succeed();
  Log(LOG_INFO, "mounted %s on %s", config.data_dir.c_str(), config.mountpoint.c_str());

  int status;
  {
    // A read-only mount writes nothing in the data directory.
    std::optional<StatsWriter> stats;
    if (!config.read_only) stats.emplace(config.data_dir, opened.db.get(), opened.fs.get());
    if (config.single_thread) {
      status = fuse_session_loop(session);
    } else {
      RequestLoop loop(session, kMaxRequestThreads, std::chrono::microseconds(config.spin_us),
                       /*every_request_waits=*/config.sync);
      status = loop.Run();
    }
  }
  {
    ScopedSysAdmin admin;
    fuse_session_unmount(session);
  }
  fuse_remove_signal_handlers(session);
  fuse_session_destroy(session);  // calls Destroy: everything is synced

  std::string report = StatsReport(opened.db.get(), opened.fs.get());
  opened.fs.reset();
  lsm::Status s = opened.db->Close();
  if (!config.read_only) WriteStatsFile(config.data_dir, report);
  if (!s.ok()) {
    Log(LOG_ERR, "closing the engine: %s", s.ToString().c_str());
    return 1;
  }
  Log(LOG_INFO, "unmounted %s", config.mountpoint.c_str());
  // fuse_session_loop returns the signal number when a signal ended it: a
  // clean stop.
  return status < 0 ? 1 : 0;
}

}  // namespace iron::mount

#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <thread>

#include "data_dir.h"
#include "fuse_adapter.h"
#include "housekeeping.h"
#include "mount/log.h"
#include "mountinfo.h"
#include "privileges.h"
#include "mount/request_loop.h"
#include "stats_file.h"

namespace iron::mount {
namespace {

// Threads that may wait for the disk at once (concurrent fsyncs, or any
// request with -o sync); they share group commits.
constexpr int kMaxRequestThreads = 16;

// In DATA_DIR: the daemon's messages where syslog cannot be reached.
constexpr char kDaemonLogName[] = "ironfs.log";

// Whether `path` is a mount point already.
bool IsMountPoint(const std::string& path) {
  for (const MountEntry& m : ReadMountinfo()) {
    if (m.point == path) return true;
  }
  return false;
}

lsm::Status CheckMountpoint(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return lsm::Status::FromErrno("mount point " + path, errno);
  if (!S_ISDIR(st.st_mode)) {
    return lsm::Status::InvalidArgument("mount point " + path + " is not a directory");
  }
  if (IsMountPoint(path)) {
    return lsm::Status::Busy("mount point " + path + " is busy: something is mounted there already "
                             "(fusermount3 -u " + path + " unmounts an ironfs)");
  }
  return lsm::Status::OK();
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
  // Success: the parent exits 0 and this process leaves the terminal;
  // messages go to syslog, or to `log_fallback` if syslog is unreachable.
  void Succeed(const std::string& log_fallback) {
    if (fd_ < 0) return;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) close(null);
    }
    LogToSyslog(log_fallback);
    (void)!write(fd_, "ok", 2);
    close(fd_);
    fd_ = -1;
    (void)!chdir("/");
  }

 private:
  int fd_ = -1;
};

// Closes every descriptor above stderr that the daemon inherited (a
// shell's fd 7, a launcher's pipes): a daemon that serves other users for
// days must not hold what its launcher happened to have open. The one
// exception is a /dev/fd/N mount point, libfuse's way to be given an open
// /dev/fuse.
void CloseInheritedDescriptors(const std::string& mountpoint) {
  int keep = -1;
  if (mountpoint.starts_with("/dev/fd/")) keep = std::atoi(mountpoint.c_str() + 8);
  if (keep > 3) close_range(3, static_cast<unsigned>(keep) - 1, 0);
  close_range(static_cast<unsigned>(std::max(3, keep + 1)), ~0U, 0);
}

}  // namespace

int RunMount(const MountConfig& config) {
  CloseInheritedDescriptors(config.mountpoint);
  umask(077);  // the data directory's files are the owner's alone
  if (lsm::Status s = CheckMountpoint(config.mountpoint); !s.ok()) {
    std::fprintf(stderr, "ironfs: %s\n", s.message().c_str());
    return 1;
  }
  // Fork before any thread exists (the engine starts background threads).
  StartupChannel startup;
  startup.Fork(config.foreground);
  // Before the engine starts its threads: they inherit what is left.
  if (lsm::Status s = DropPrivileges(config.data_dir, config.mountpoint); !s.ok()) {
    startup.Fail("cannot drop privileges: " + s.message());
    return 1;
  }

  OpenedFilesystem opened;
  if (lsm::Status s = OpenDataDir(config, &opened); !s.ok()) {
    startup.Fail(s.message());
    return 1;
  }
  Mounted mounted{opened.fs.get(), &config};

  std::vector<std::string> arg_strings{"ironfs"};
  std::string fuse_options = FuseOptionString(config);
  arg_strings.push_back("-o");
  arg_strings.push_back(fuse_options);
  if (config.debug) arg_strings.push_back("-d");
  std::vector<char*> argv;
  for (std::string& s : arg_strings) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  // What libfuse adds to the arguments (its own copies) is ours to free,
  // on every way out, after the session.
  struct FreeArgs {
    fuse_args* args;
    ~FreeArgs() { fuse_opt_free_args(args); }
  } free_args{&args};

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
  // SIGTERM and SIGINT unmount (libfuse's handlers). SIGHUP would too,
  // aborting every request in flight (ECONNABORTED to writers), but a
  // daemon's SIGHUP is a hangup of a terminal it left or a request to
  // reopen logs, neither a reason to unmount: ignored. (The logs need no
  // reopening: syslog, and LOG files the daemon rotates itself.)
  signal(SIGHUP, SIG_IGN);
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
  // A read-only mount writes nothing in DATA_DIR, so without syslog its
  // messages are lost once it leaves the terminal.
  // Mounted: what serves requests keeps no capability it could raise.
  Unmounter unmounter;
  lsm::Status dropped = unmounter.Start(config.mountpoint);
  if (dropped.ok()) dropped = DropMountPrivileges();
  if (!dropped.ok()) {
    startup.Fail("cannot drop privileges after mounting: " + dropped.message());
    if (unmounter.started()) {
      unmounter.Unmount();
    } else {
      ScopedSysAdmin admin;
      fuse_session_unmount(session);
    }
    fuse_remove_signal_handlers(session);
    fuse_session_destroy(session);
    return 1;
  }
  startup.Succeed(config.read_only ? "" : config.data_dir + "/" + kDaemonLogName);
  Log(LOG_INFO, "mounted %s on %s", config.data_dir.c_str(), config.mountpoint.c_str());

  int status;
  {
    // A read-only mount writes nothing in the data directory.
    Housekeeping housekeeping(opened.db.get(), opened.fs.get(), config.data_dir, config.read_only);
    if (config.single_thread) {
      status = fuse_session_loop(session);
    } else {
      RequestLoop loop(session, kMaxRequestThreads, std::chrono::microseconds(config.spin_us),
                       /*every_request_waits=*/config.sync);
      status = loop.Run();
    }
  }
  if (unmounter.started()) {
    // Unmounted already (fusermount3 -u, umount) if the session's
    // descriptor reports an error, as libfuse itself checks; else
    // (SIGTERM, SIGINT) the unmounter unmounts.
    pollfd p{.fd = fuse_session_fd(session), .events = 0};
    if (!(poll(&p, 1, 0) == 1 && (p.revents & POLLERR)) && !unmounter.Unmount()) {
      Log(LOG_ERR, "could not unmount %s (fusermount3 -u does)", config.mountpoint.c_str());
    }
  } else {
    ScopedSysAdmin admin;
    fuse_session_unmount(session);
  }
  fuse_remove_signal_handlers(session);
  fuse_session_destroy(session);  // calls Destroy: everything is synced

  // The engine closes first: a compaction running for the filesystem
  // (space reclaim) or in the background is given up, not finished, so
  // that the LOCK is free within seconds of the unmount; what was
  // acknowledged is in the WAL, synced by Close. The stats file is
  // written while the LOCK is still ours.
  if (!config.read_only) {
    lsm::Status s = WriteStatsFile(config.data_dir, StatsReport(opened.db.get(), opened.fs.get()));
    if (!s.ok()) Log(LOG_WARNING, "writing the stats file: %s", s.ToString().c_str());
  }
  lsm::Status s = opened.db->Close();
  opened.fs.reset();
  if (!s.ok()) {
    Log(LOG_ERR, "closing the engine: %s", s.ToString().c_str());
    FlushLog();
    return 1;
  }
  Log(LOG_INFO, "unmounted %s", config.mountpoint.c_str());
  FlushLog();
  // fuse_session_loop returns the signal number when a signal ended it: a
  // clean stop.
  return status < 0 ? 1 : 0;
}

}  // namespace iron::mount

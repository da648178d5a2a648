#include "privileges.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

namespace iron::mount {

namespace {

struct CapSets {
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
};

constexpr uint64_t Bit(int cap) { return uint64_t{1} << cap; }

bool GetCaps(CapSets* out) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  out->effective = data[0].effective | (uint64_t{data[1].effective} << 32);
  out->permitted = data[0].permitted | (uint64_t{data[1].permitted} << 32);
  out->inheritable = data[0].inheritable | (uint64_t{data[1].inheritable} << 32);
  return true;
}

bool SetCaps(const CapSets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0] = {static_cast<uint32_t>(sets.effective), static_cast<uint32_t>(sets.permitted),
             static_cast<uint32_t>(sets.inheritable)};
  data[1] = {static_cast<uint32_t>(sets.effective >> 32), static_cast<uint32_t>(sets.permitted >> 32),
             static_cast<uint32_t>(sets.inheritable >> 32)};
  return syscall(SYS_capset, &header, data) == 0;
}

int LastCap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = CAP_LAST_CAP;
  in >> last;
  return last;
}

// Whether `path` (or, while it does not exist, the directory that will
// hold it) belongs to someone other than this process.
bool Foreign(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return st.st_uid != geteuid();
  size_t slash = path.find_last_of('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  return stat(parent.c_str(), &st) == 0 && st.st_uid != geteuid();
}

}  // namespace

lsm::Status DropPrivileges(const std::string& data_dir, const std::string& mountpoint) {
  CapSets now;
  if (!GetCaps(&now)) return lsm::Status::FromErrno("capget", errno);
  if (geteuid() != 0 || now.permitted == 0) return lsm::Status::OK();
  // CAP_SETPCAP only to take CAP_SYS_ADMIN out of the bounding set once
  // mounted (DropMountPrivileges).
  uint64_t keep = Bit(CAP_SYS_ADMIN) | Bit(CAP_SETPCAP);
  if (Foreign(data_dir) || Foreign(mountpoint)) {
    keep |= Bit(CAP_DAC_OVERRIDE) | Bit(CAP_DAC_READ_SEARCH);
  }
  for (int cap = 0; cap <= LastCap(); ++cap) {
    if ((keep & Bit(cap)) == 0 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return lsm::Status::FromErrno(
          "dropping capability " + std::to_string(cap) + " from the bounding set", errno);
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return lsm::Status::FromErrno("clearing ambient capabilities", errno);
  }
  CapSets sets;
  sets.permitted = now.permitted & keep;
  sets.effective = sets.permitted & ~(Bit(CAP_SYS_ADMIN) | Bit(CAP_SETPCAP));
  if (!SetCaps(sets)) return lsm::Status::FromErrno("capset", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return lsm::Status::FromErrno("no_new_privs", errno);
  }
  return lsm::Status::OK();
}

namespace {

// Set by DropMountPrivileges before it signals a thread; read by the
// handler, which may use only system calls.
std::atomic<uint64_t> drop_keep{0};
std::atomic<int> drop_last_cap{CAP_LAST_CAP};
std::atomic<int> drops_done{0};

// In one thread: empties its bounding set but for `drop_keep` (which needs
// CAP_SETPCAP effective) and then keeps only `drop_keep` permitted and
// effective. Capabilities belong to threads: each must do this itself.
void DropInThisThread() {
  uint64_t keep = drop_keep.load();
  CapSets sets;
  if (GetCaps(&sets) && (sets.permitted & Bit(CAP_SETPCAP))) {
    sets.effective |= Bit(CAP_SETPCAP);
    SetCaps(sets);
    for (int cap = 0; cap <= drop_last_cap.load(); ++cap) {
      if ((keep & Bit(cap)) == 0) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    }
  }
  CapSets none;
  none.permitted = sets.permitted & keep;
  none.effective = sets.effective & keep;
  SetCaps(none);
}

void DropHandler(int) {
  int saved = errno;
  DropInThisThread();
  drops_done.fetch_add(1);
  errno = saved;
}

std::vector<pid_t> Threads() {
  std::vector<pid_t> tids;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') tids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    }
    closedir(d);
  }
  return tids;
}

}  // namespace

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer's own background thread blocks every signal, so it
// never answers: in that test build only, a thread that stays silent for
// a second is left as it is.
constexpr bool kSanitizerThreadsStaySilent = true;
#else
constexpr bool kSanitizerThreadsStaySilent = false;
#endif

lsm::Status DropMountPrivileges() {
  CapSets now;
  if (!GetCaps(&now)) return lsm::Status::FromErrno("capget", errno);
  if (geteuid() != 0 || (now.permitted & (Bit(CAP_SYS_ADMIN) | Bit(CAP_SETPCAP))) == 0) {
    return lsm::Status::OK();
  }
  drop_keep = now.permitted & (Bit(CAP_DAC_OVERRIDE) | Bit(CAP_DAC_READ_SEARCH));
  drop_last_cap = LastCap();
  DropInThisThread();
  // The other threads (the engine's, started before the mount), each by
  // a signal whose handler drops its own; repeated until every thread
  // listed has answered, so none is missed.
  const int signal = SIGRTMIN + 3;
  struct sigaction sa {}, old {};
  sa.sa_handler = DropHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(signal, &sa, &old) != 0) return lsm::Status::FromErrno("sigaction", errno);
  lsm::Status problem;
  std::set<pid_t> done{static_cast<pid_t>(gettid())};
  for (int round = 0; round < 100 && problem.ok(); ++round) {
    std::vector<pid_t> todo;
    for (pid_t tid : Threads()) {
      if (!done.contains(tid)) todo.push_back(tid);
    }
    if (todo.empty()) break;
    for (pid_t tid : todo) {
      int before = drops_done.load();
      if (syscall(SYS_tgkill, getpid(), tid, signal) != 0) {
        if (errno != ESRCH) problem = lsm::Status::FromErrno("tgkill", errno);
        done.insert(tid);
        continue;
      }
      // 10 s: a thread may be in a long fdatasync.
      const int waits = kSanitizerThreadsStaySilent ? 5000 : 50000;
      for (int i = 0; i < waits && drops_done.load() == before; ++i) usleep(200);
      if (drops_done.load() == before && !kSanitizerThreadsStaySilent) {
        problem = lsm::Status::IOError("thread " + std::to_string(tid) +
                                       " did not drop its capabilities");
      }
      done.insert(tid);
    }
  }
  sigaction(signal, &old, nullptr);
  return problem;
}

Unmounter::~Unmounter() {
  if (pipe_ >= 0) close(pipe_);  // the unmounter exits without unmounting
  if (pid_ > 0) waitpid(pid_, nullptr, 0);
}

lsm::Status Unmounter::Start(const std::string& mountpoint) {
  CapSets now;
  if (geteuid() != 0 || !GetCaps(&now) || (now.permitted & Bit(CAP_SYS_ADMIN)) == 0) {
    return lsm::Status::OK();
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return lsm::Status::FromErrno("pipe", errno);
  std::string path = mountpoint;  // copied before the fork: the child may not allocate
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return lsm::Status::FromErrno("fork", errno);
  }
  if (pid == 0) {
    // The unmounter: a fork of a threaded process, so system calls only. It
    // holds nothing but the pipe (not /dev/fuse: the session must end
    // when the daemon does) and only CAP_SYS_ADMIN.
    int in = fds[0];
    if (in > 0) close_range(0, static_cast<unsigned>(in) - 1, 0);
    close_range(static_cast<unsigned>(in) + 1, ~0U, 0);
    prctl(PR_SET_NAME, "ironfs-umount", 0, 0, 0);
    CapSets sets;
    sets.permitted = Bit(CAP_SYS_ADMIN);
    SetCaps(sets);
    char c = 0;
    ssize_t n;
    do {
      n = read(in, &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1 || c != 'u') _exit(0);  // the daemon is gone: leave the mount as it is
    sets.effective = Bit(CAP_SYS_ADMIN);
    SetCaps(sets);
    _exit(umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0 ? 0 : 1);
  }
  close(fds[0]);
  pipe_ = fds[1];
  pid_ = pid;
  return lsm::Status::OK();
}

bool Unmounter::Unmount() {
  if (pipe_ < 0) return false;
  bool sent = write(pipe_, "u", 1) == 1;
  close(pipe_);
  pipe_ = -1;
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) status = 1;
  pid_ = -1;
  return sent && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

ScopedSysAdmin::ScopedSysAdmin() {
  CapSets sets;
  if (!GetCaps(&sets) || (sets.permitted & Bit(CAP_SYS_ADMIN)) == 0 ||
      (sets.effective & Bit(CAP_SYS_ADMIN)) != 0) {
    return;
  }
  sets.effective |= Bit(CAP_SYS_ADMIN);
  raised_ = SetCaps(sets);
}

ScopedSysAdmin::~ScopedSysAdmin() {
  CapSets sets;
  if (!raised_ || !GetCaps(&sets)) return;
  sets.effective &= ~Bit(CAP_SYS_ADMIN);
  SetCaps(sets);
}

}  // namespace iron::mount

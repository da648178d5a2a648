#include "mount/privileges.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>

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

std::string DropPrivileges(const std::string& data_dir, const std::string& mountpoint) {
  CapSets now;
  if (!GetCaps(&now)) return std::string("capget: ") + std::strerror(errno);
  if (geteuid() != 0 || now.permitted == 0) return "";
  uint64_t keep = Bit(CAP_SYS_ADMIN);
  if (Foreign(data_dir) || Foreign(mountpoint)) {
    keep |= Bit(CAP_DAC_OVERRIDE) | Bit(CAP_DAC_READ_SEARCH);
  }
  for (int cap = 0; cap <= LastCap(); ++cap) {
    if ((keep & Bit(cap)) == 0 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return "dropping capability " + std::to_string(cap) + " from the bounding set: " +
             std::strerror(errno);
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return std::string("clearing ambient capabilities: ") + std::strerror(errno);
  }
  CapSets sets;
  sets.permitted = now.permitted & keep;
  sets.effective = sets.permitted & ~Bit(CAP_SYS_ADMIN);
  if (!SetCaps(sets)) return std::string("capset: ") + std::strerror(errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return std::string("no_new_privs: ") + std::strerror(errno);
  }
  return "";
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

// The differential test: one long random sequence of operations, by several
// users, applied to iron::fs and, through ordinary system calls, to a
// scratch directory on the host's filesystem (ext4 here). Every result must
// match: the errno, the bytes read, the stat fields both define alike
// (type and mode, nlink, owner, size of non-directories), directory
// listings, symlink targets, xattrs.
//
// Paths are walked over iron::fs the way the kernel walks them (search
// permission on each directory, intermediate symlinks followed), so the
// filesystem answers for everything past the walk exactly as ext4 does.
// Where the kernel applies a rule of its own before a filesystem is asked
// (protected_hardlinks), the filesystem is told the host's setting.
//
// Users are switched with setfsuid/setfsgid/setgroups, which needs root;
// run as another user, the test plays that user alone.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

struct Outcome {
  int err = 0;
  std::string data;  // what the operation returned, canonical form
  bool operator==(const Outcome&) const = default;
};

std::string Describe(const Outcome& o) {
  std::string d = o.data.size() > 200 ? o.data.substr(0, 200) + "..." : o.data;
  for (char& ch : d) {
    if (ch == '\0') ch = '|';
  }
  return "errno " + std::to_string(o.err) + " [" + d + "]";
}

enum class Kind {
  kMkdir, kCreate, kMkfifo, kSymlink, kUnlink, kRmdir, kRename, kLink, kChmod, kChown,
  kTruncate, kWrite, kRead, kLstat, kStat, kReaddir, kSetxattr, kGetxattr, kListxattr,
  kRemovexattr, kAccess, kUtimens, kReadlink, kOpen, kFallocate, kCount
};

const char* const kKindNames[] = {
    "mkdir", "create", "mkfifo", "symlink", "unlink", "rmdir", "rename", "link", "chmod",
    "chown", "truncate", "write", "read", "lstat", "stat", "readdir", "setxattr", "getxattr",
    "listxattr", "removexattr", "access", "utimens", "readlink", "open", "fallocate"};

struct Op {
  Kind kind;
  int user = 0;
  uint32_t umask = 0;
  std::string path, path2;
  uint32_t mode = 0;
  int flags = 0;
  uint64_t offset = 0, length = 0;
  std::string data;
  int64_t uid = -1, gid = -1;

  std::string ToString() const {
    std::ostringstream s;
    s << kKindNames[static_cast<int>(kind)] << " user=" << user << " umask=0" << std::oct
      << umask << " path=" << path << " path2=" << path2 << " mode=0" << mode << std::dec
      << " flags=0x" << std::hex << flags << std::dec << " offset=" << offset
      << " length=" << length << " data.size=" << data.size() << " uid=" << uid
      << " gid=" << gid;
    return s.str();
  }
};

int ReadSysctl(const char* path) {
  std::ifstream in(path);
  int v = 0;
  in >> v;
  return v;
}

class DifferentialTest : public FsFixture, public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override {
    as_root_ = geteuid() == 0;
    if (as_root_) {
      users_ = {Root(), Alice(), Bob()};
    } else {
      std::printf("note: not root, so one user only (uid %u)\n", geteuid());
      Caller self{geteuid(), getegid(), {}, 0};
      users_ = {self};
    }
    FsFixture::SetUp();
    // The fs's root is made like the host's scratch directory: 0777, root's.
    ASSERT_TRUE(chmod(host_.path().c_str(), 0777) == 0);
    AttrChanges open_root;
    open_root.mode = 0777;
    open_root.uid = users_[0].uid;
    open_root.gid = users_[0].gid;
    ASSERT_TRUE(fs_->SetAttr(users_[0], kRootIno, open_root).ok());
    // xattrs in the user namespace are needed on the host (ext4 has them).
    user_xattrs_ = lsetxattr(host_.path().c_str(), "user.probe", "", 0, 0) == 0;
    if (user_xattrs_) lremovexattr(host_.path().c_str(), "user.probe");
    if (!user_xattrs_) std::printf("note: host lacks user xattrs; xattr ops use trusted.* only\n");
  }
  void TearDown() override {
    BecomeHost(Root());
    FsFixture::TearDown();
  }

  // ---- the random operations
  // A path: often one that an earlier operation made (or a name inside
  // it), so that most operations reach something; else any of 84 paths.
  std::string RandomPath(std::mt19937_64& rng) {
    static const char* names[] = {"a", "b", "c", "d"};
    if (rng() % 200 == 0) return std::string(256, 'L');
    if (!made_.empty() && rng() % 10 < 6) {
      std::string p = made_[rng() % made_.size()];
      if (rng() % 3 == 0 && std::count(p.begin(), p.end(), '/') < 3) p += std::string("/") + names[rng() % 4];
      return p;
    }
    int depth = 1 + static_cast<int>(rng() % 3);
    std::string p;
    for (int i = 0; i < depth; ++i) {
      if (i) p += '/';
      p += names[rng() % 4];
    }
    // Leaves are often named from their own set, so that directories
    // (made under a..d) and files (e..h) do not crowd each other out.
    if (rng() % 2) p.back() = static_cast<char>('e' + rng() % 4);
    return p;
  }

  Op RandomOp(std::mt19937_64& rng) {
    static const uint32_t modes[] = {0755, 0700, 0777, 0644, 0600, 0000, 0555, 0711, 01777,
                                     02755, 04755, 06777, 02775, 0640, 0770, 01770};
    static const uint32_t umasks[] = {0, 022, 077, 002};
    Op op;
    // Weights: creation and writes often, the rest evenly.
    static const int weights[] = {8, 8, 1, 3, 4, 3, 6, 3, 4, 4, 3, 6, 5, 4, 2, 3, 2, 2, 2, 1, 2, 2, 1, 3, 2};
    static_assert(sizeof(weights) / sizeof(weights[0]) == static_cast<int>(Kind::kCount));
    int total = 0;
    for (int w : weights) total += w;
    int pick = static_cast<int>(rng() % total);
    int k = 0;
    while (pick >= weights[k]) pick -= weights[k++];
    op.kind = static_cast<Kind>(k);
    op.user = rng() % 2 == 0 ? 0 : static_cast<int>(rng() % users_.size());
    op.umask = umasks[rng() % 4];
    op.path = RandomPath(rng);
    op.path2 = RandomPath(rng);
    op.mode = modes[rng() % 16];
    bool data_op = op.kind == Kind::kWrite || op.kind == Kind::kRead || op.kind == Kind::kTruncate ||
                   op.kind == Kind::kFallocate || op.kind == Kind::kOpen;
    if (data_op && !files_.empty() && rng() % 10 < 7) op.path = files_[rng() % files_.size()];
    switch (op.kind) {
      case Kind::kCreate:
        op.flags = (rng() % 3 == 0 ? O_EXCL : 0) | (rng() % 3 == 0 ? O_TRUNC : 0);
        op.data.assign(rng() % 3000, static_cast<char>('a' + rng() % 26));
        break;
      case Kind::kSymlink: {
        static const char* targets[] = {"a", "b", "a/b", "c/d", "d", "missing", "a/b/c"};
        op.data = targets[rng() % 7];
        break;
      }
      case Kind::kRename: {
        static const unsigned flags[] = {0, 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE};
        op.flags = static_cast<int>(flags[rng() % 5]);
        break;
      }
      case Kind::kChown: {
        static const int64_t ids[] = {-1, 0, 1000, 1001, 2000, 3000};
        do {
          op.uid = ids[rng() % 6];
          op.gid = ids[rng() % 6];
        } while (op.uid == -1 && op.gid == -1);
        if (!as_root_) op.uid = -1, op.gid = getegid();
        break;
      }
      case Kind::kTruncate:
        op.length = rng() % 20000;
        break;
      case Kind::kWrite:
        op.offset = rng() % 20000;
        op.data.resize(1 + rng() % 9000);
        for (char& ch : op.data) ch = static_cast<char>(rng());
        break;
      case Kind::kRead:
        op.offset = rng() % 25000;
        op.length = rng() % 30000;
        break;
      case Kind::kSetxattr:
      case Kind::kGetxattr:
      case Kind::kRemovexattr: {
        static const char* names[] = {"user.a", "user.b", "trusted.t", "user.c"};
        op.data = names[rng() % 4];
        if (!user_xattrs_) op.data = "trusted.t";
        op.path2 = std::string(rng() % 50, 'v');  // the value
        static const int flags[] = {0, 0, XATTR_CREATE, XATTR_REPLACE};
        op.flags = flags[rng() % 4];
        op.length = rng() % 3 == 0 ? 0 : (rng() % 2 ? 4096 : 10);  // buffer size
        break;
      }
      case Kind::kListxattr:
        op.length = rng() % 3 == 0 ? 0 : (rng() % 2 ? 4096 : 10);
        break;
      case Kind::kAccess:
        op.flags = static_cast<int>(rng() % 8);
        break;
      case Kind::kUtimens:
        op.flags = static_cast<int>(rng() % 3);  // touch, explicit, one now and one omitted
        break;
      case Kind::kOpen: {
        static const int flags[] = {O_RDONLY, O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC, O_RDONLY | O_TRUNC};
        op.flags = flags[rng() % 5];
        break;
      }
      case Kind::kFallocate: {
        static const int modes[] = {0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                    FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE};
        op.flags = modes[rng() % 5];
        op.offset = rng() % 20000;
        op.length = 1 + rng() % 12000;
        break;
      }
      default:
        break;
    }
    // A root process with another fsuid still sees trusted.* names, so a
    // size query or a small buffer (which cannot be filtered) is root's.
    if (op.kind == Kind::kListxattr && op.length != 4096 && as_root_) op.user = 0;
    // trusted.* only as root: a root process keeps CAP_SYS_ADMIN whatever
    // its fsuid, so the host would let any "user" through.
    if (op.data.starts_with("trusted.") && as_root_) op.user = 0;
    return op;
  }

  // ---- the host side
  void BecomeHost(const Caller& c) {
    if (!as_root_) return;
    setfsuid(0);
    setfsgid(c.gid);
    std::vector<gid_t> groups(c.groups.begin(), c.groups.end());
    setgroups(groups.size(), groups.data());
    setfsuid(c.uid);
  }

  static Outcome Fail() { return Outcome{errno, {}}; }

  static std::string StatFields(const struct stat& st) {
    std::string s = "mode=" + std::to_string(st.st_mode) + " nlink=" + std::to_string(st.st_nlink) +
                    " uid=" + std::to_string(st.st_uid) + " gid=" + std::to_string(st.st_gid);
    if (!S_ISDIR(st.st_mode)) s += " size=" + std::to_string(st.st_size);
    return s;
  }

  Outcome HostOp(const Op& op) {
    BecomeHost(users_[op.user]);
    umask(op.umask);
    Outcome out = HostOpAs(op);
    umask(0);
    BecomeHost(Root());
    return out;
  }

  Outcome HostOpAs(const Op& op) {
    std::string p = host_.path() + "/" + op.path;
    std::string p2 = host_.path() + "/" + op.path2;
    const char* xname = op.data.c_str();
    switch (op.kind) {
      case Kind::kMkdir:
        return mkdir(p.c_str(), op.mode) == 0 ? Outcome{} : Fail();
      case Kind::kCreate: {
        int fd = open(p.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | op.flags, op.mode);
        if (fd < 0) return Fail();
        Outcome out;
        if (!op.data.empty() && pwrite(fd, op.data.data(), op.data.size(), 0) < 0) out = Fail();
        close(fd);
        return out;
      }
      case Kind::kMkfifo:
        return mknod(p.c_str(), S_IFIFO | op.mode, 0) == 0 ? Outcome{} : Fail();
      case Kind::kSymlink:
        return symlink(op.data.c_str(), p.c_str()) == 0 ? Outcome{} : Fail();
      case Kind::kUnlink:
        return unlink(p.c_str()) == 0 ? Outcome{} : Fail();
      case Kind::kRmdir:
        return rmdir(p.c_str()) == 0 ? Outcome{} : Fail();
      case Kind::kRename:
        return renameat2(AT_FDCWD, p.c_str(), AT_FDCWD, p2.c_str(), op.flags) == 0 ? Outcome{} : Fail();
      case Kind::kLink:
        return linkat(AT_FDCWD, p.c_str(), AT_FDCWD, p2.c_str(), 0) == 0 ? Outcome{} : Fail();
      case Kind::kChmod:
        return chmod(p.c_str(), op.mode) == 0 ? Outcome{} : Fail();
      case Kind::kChown:
        return lchown(p.c_str(), static_cast<uid_t>(op.uid), static_cast<gid_t>(op.gid)) == 0 ? Outcome{} : Fail();
      case Kind::kTruncate:
        return truncate(p.c_str(), static_cast<off_t>(op.length)) == 0 ? Outcome{} : Fail();
      case Kind::kWrite: {
        int fd = open(p.c_str(), O_WRONLY);
        if (fd < 0) return Fail();
        Outcome out;
        ssize_t n = pwrite(fd, op.data.data(), op.data.size(), static_cast<off_t>(op.offset));
        if (n < 0) out = Fail();
        else out.data = std::to_string(n);
        close(fd);
        return out;
      }
      case Kind::kRead: {
        int fd = open(p.c_str(), O_RDONLY);
        if (fd < 0) return Fail();
        Outcome out;
        std::string buf(op.length, '\0');
        ssize_t n = pread(fd, buf.data(), buf.size(), static_cast<off_t>(op.offset));
        if (n < 0) {
          out = Fail();
        } else {
          buf.resize(n);
          out.data = buf;
        }
        close(fd);
        return out;
      }
      case Kind::kLstat:
      case Kind::kStat: {
        struct stat st;
        int r = op.kind == Kind::kStat ? stat(p.c_str(), &st) : lstat(p.c_str(), &st);
        return r == 0 ? Outcome{0, StatFields(st)} : Fail();
      }
      case Kind::kReaddir: {
        int fd = open(p.c_str(), O_RDONLY | O_DIRECTORY);
        if (fd < 0) return Fail();
        DIR* d = fdopendir(fd);
        std::vector<std::string> names;
        while (struct dirent* e = readdir(d)) names.emplace_back(e->d_name);
        closedir(d);
        std::sort(names.begin(), names.end());
        Outcome out;
        for (auto& n : names) out.data += n + "/";
        return out;
      }
      case Kind::kSetxattr:
        return lsetxattr(p.c_str(), xname, op.path2.data(), op.path2.size(), op.flags) == 0 ? Outcome{} : Fail();
      case Kind::kGetxattr: {
        std::string buf(op.length, '\0');
        ssize_t n = lgetxattr(p.c_str(), xname, buf.data(), buf.size());
        if (n < 0) return Fail();
        return Outcome{0, op.length == 0 ? std::to_string(n) : buf.substr(0, n)};
      }
      case Kind::kListxattr: {
        std::string buf(op.length, '\0');
        ssize_t n = llistxattr(p.c_str(), buf.data(), buf.size());
        if (n < 0) return Fail();
        if (op.length == 0) return Outcome{0, std::to_string(n)};
        return Outcome{0, SortedNames(buf.substr(0, n))};
      }
      case Kind::kRemovexattr:
        return lremovexattr(p.c_str(), xname) == 0 ? Outcome{} : Fail();
      case Kind::kAccess:
        return faccessat(AT_FDCWD, p.c_str(), op.flags, AT_EACCESS) == 0 ? Outcome{} : Fail();
      case Kind::kUtimens: {
        struct timespec ts[2];
        if (op.flags == 0) {
          ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
        } else if (op.flags == 1) {
          ts[0] = {1000, 1};
          ts[1] = {2000, 2};
        } else {
          ts[0].tv_nsec = UTIME_OMIT;
          ts[1].tv_nsec = UTIME_NOW;
        }
        return utimensat(AT_FDCWD, p.c_str(), ts, 0) == 0 ? Outcome{} : Fail();
      }
      case Kind::kReadlink: {
        char buf[5000];
        ssize_t n = readlink(p.c_str(), buf, sizeof(buf));
        return n < 0 ? Fail() : Outcome{0, std::string(buf, n)};
      }
      case Kind::kOpen: {
        int fd = open(p.c_str(), op.flags);
        if (fd < 0) return Fail();
        close(fd);
        return {};
      }
      case Kind::kFallocate: {
        int fd = open(p.c_str(), O_WRONLY);
        if (fd < 0) return Fail();
        Outcome out;
        if (fallocate(fd, op.flags, static_cast<off_t>(op.offset), static_cast<off_t>(op.length)) != 0) out = Fail();
        close(fd);
        return out;
      }
      case Kind::kCount:
        break;
    }
    return {};
  }

  static std::string SortedNames(const std::string& list) {
    std::vector<std::string> names;
    size_t pos = 0;
    while (pos < list.size()) {
      size_t end = list.find('\0', pos);
      names.push_back(list.substr(pos, end - pos));
      pos = end + 1;
    }
    std::sort(names.begin(), names.end());
    std::string out;
    for (auto& n : names) out += n + "/";
    return out;
  }

  // ---- the iron::fs side: a path walk like the kernel's
  static std::vector<std::string> Split(const std::string& path) {
    std::vector<std::string> parts;
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t slash = path.find('/', pos);
      if (slash == std::string::npos) slash = path.size();
      if (slash > pos) parts.push_back(path.substr(pos, slash - pos));
      pos = slash + 1;
    }
    return parts;
  }

  // Resolves `parts` from `dir`, following symlinks met on the way (and
  // the last one too if `follow_last`).
  Result<uint64_t> Walk(const Caller& c, uint64_t dir, const std::vector<std::string>& parts,
                        bool follow_last, int* links) {
    uint64_t cur = dir;
    for (size_t i = 0; i < parts.size(); ++i) {
      Result<Entry> e = fs_->Lookup(c, cur, parts[i]);
      if (!e.ok()) return Errno{e.error()};
      fs_->Forget(e->ino, 1);
      bool last = i + 1 == parts.size();
      if (S_ISLNK(e->attr.st_mode) && (!last || follow_last)) {
        if (++*links > 40) return Errno{ELOOP};
        Result<std::string> target = fs_->ReadLink(c, e->ino);
        if (!target.ok()) return Errno{target.error()};
        Result<uint64_t> next = Walk(c, cur, Split(*target), true, links);
        if (!next.ok()) return next;
        cur = *next;
      } else {
        cur = e->ino;
      }
    }
    return cur;
  }
  Result<uint64_t> WalkAll(const Caller& c, const std::string& path, bool follow) {
    int links = 0;
    return Walk(c, kRootIno, Split(path), follow, &links);
  }
  Result<std::pair<uint64_t, std::string>> WalkParent(const Caller& c, const std::string& path) {
    std::vector<std::string> parts = Split(path);
    std::string last = parts.back();
    parts.pop_back();
    int links = 0;
    Result<uint64_t> dir = Walk(c, kRootIno, parts, true, &links);
    if (!dir.ok()) return Errno{dir.error()};
    // The kernel's walk stops at a parent that is not a directory, or that
    // the caller may not search, before it looks at the last name.
    Result<struct stat> st = fs_->GetAttr(*dir);
    if (!st.ok()) return Errno{st.error()};
    if (!S_ISDIR(st->st_mode)) return Errno{ENOTDIR};
    Result<void> search = fs_->Access(c, *dir, kMayExec);
    if (!search.ok()) return Errno{search.error()};
    return std::make_pair(*dir, last);
  }

  static Outcome Err(int e) { return Outcome{e, {}}; }
  template <typename T>
  static Outcome Of(const Result<T>& r) {
    return Outcome{r.ok() ? 0 : r.error(), {}};
  }

  Outcome FsOp(const Op& op) {
    Caller c = users_[op.user];
    c.umask = op.umask;
    auto parent = [&](const std::string& path) { return WalkParent(c, path); };
    switch (op.kind) {
      case Kind::kMkdir: {
        auto p = parent(op.path);
        if (!p.ok()) return Err(p.error());
        Result<Entry> e = fs_->MakeDir(c, p->first, p->second, op.mode);
        if (e.ok()) fs_->Forget(e->ino, 1);
        return Of(e);
      }
      case Kind::kCreate: {
        auto p = parent(op.path);
        if (!p.ok()) return Err(p.error());
        auto r = fs_->Create(c, p->first, p->second, op.mode, O_CREAT | O_WRONLY | op.flags);
        if (!r.ok()) return Err(r.error());
        fs_->Forget(r->first.ino, 1);
        Outcome out;
        if (!op.data.empty()) out = Of(fs_->Write(c, *r->second, 0, op.data));
        fs_->Release(std::move(r->second));
        return out;
      }
      case Kind::kMkfifo: {
        auto p = parent(op.path);
        if (!p.ok()) return Err(p.error());
        Result<Entry> e = fs_->MakeNode(c, p->first, p->second, S_IFIFO | op.mode, 0);
        if (e.ok()) fs_->Forget(e->ino, 1);
        return Of(e);
      }
      case Kind::kSymlink: {
        auto p = parent(op.path);
        if (!p.ok()) return Err(p.error());
        Result<Entry> e = fs_->Symlink(c, p->first, p->second, op.data);
        if (e.ok()) fs_->Forget(e->ino, 1);
        return Of(e);
      }
      case Kind::kUnlink:
      case Kind::kRmdir: {
        auto p = parent(op.path);
        if (!p.ok()) return Err(p.error());
        return Of(op.kind == Kind::kUnlink ? fs_->Unlink(c, p->first, p->second)
                                           : fs_->RemoveDir(c, p->first, p->second));
      }
      case Kind::kRename: {
        auto p = parent(op.path);
        if (!p.ok()) return Err(p.error());
        auto p2 = parent(op.path2);
        if (!p2.ok()) return Err(p2.error());
        return Of(fs_->Rename(c, p->first, p->second, p2->first, p2->second, op.flags));
      }
      case Kind::kLink: {
        Result<uint64_t> ino = WalkAll(c, op.path, false);
        if (!ino.ok()) return Err(ino.error());
        auto p2 = parent(op.path2);
        if (!p2.ok()) return Err(p2.error());
        Result<Entry> e = fs_->Link(c, *ino, p2->first, p2->second);
        if (e.ok()) fs_->Forget(e->ino, 1);
        return Of(e);
      }
      case Kind::kChmod:
      case Kind::kChown:
      case Kind::kTruncate:
      case Kind::kUtimens: {
        Result<uint64_t> ino = WalkAll(c, op.path, op.kind != Kind::kChown);
        if (!ino.ok()) return Err(ino.error());
        AttrChanges ch;
        if (op.kind == Kind::kChmod) ch.mode = op.mode;
        if (op.kind == Kind::kChown) {
          if (op.uid >= 0) ch.uid = static_cast<uint32_t>(op.uid);
          if (op.gid >= 0) ch.gid = static_cast<uint32_t>(op.gid);
        }
        if (op.kind == Kind::kTruncate) ch.size = op.length;
        if (op.kind == Kind::kUtimens) {
          if (op.flags == 0) {
            ch.atime = ch.mtime = AttrChanges::Time::kNow;
          } else if (op.flags == 1) {
            ch.atime = ch.mtime = AttrChanges::Time::kSet;
            ch.atime_value = {1000, 1};
            ch.mtime_value = {2000, 2};
          } else {
            ch.mtime = AttrChanges::Time::kNow;
          }
        }
        return Of(fs_->SetAttr(c, *ino, ch));
      }
      case Kind::kWrite:
      case Kind::kRead:
      case Kind::kOpen:
      case Kind::kFallocate: {
        Result<uint64_t> ino = WalkAll(c, op.path, true);
        if (!ino.ok()) return Err(ino.error());
        int flags = op.kind == Kind::kRead ? O_RDONLY : op.kind == Kind::kOpen ? op.flags : O_WRONLY;
        auto f = fs_->Open(c, *ino, flags);
        if (!f.ok()) return Err(f.error());
        Outcome out;
        if (op.kind == Kind::kWrite) {
          Result<size_t> n = fs_->Write(c, **f, op.offset, op.data);
          out = n.ok() ? Outcome{0, std::to_string(*n)} : Err(n.error());
        } else if (op.kind == Kind::kRead) {
          std::string buf(op.length, '\0');
          Result<size_t> n = fs_->Read(**f, op.offset, buf);
          if (n.ok()) buf.resize(*n);
          out = n.ok() ? Outcome{0, buf} : Err(n.error());
        } else if (op.kind == Kind::kFallocate) {
          out = Of(fs_->Fallocate(c, **f, op.flags, op.offset, op.length));
        }
        fs_->Release(std::move(*f));
        return out;
      }
      case Kind::kLstat:
      case Kind::kStat: {
        Result<uint64_t> ino = WalkAll(c, op.path, op.kind == Kind::kStat);
        if (!ino.ok()) return Err(ino.error());
        Result<struct stat> st = fs_->GetAttr(*ino);
        return st.ok() ? Outcome{0, StatFields(*st)} : Err(st.error());
      }
      case Kind::kReaddir: {
        Result<uint64_t> ino = WalkAll(c, op.path, true);
        if (!ino.ok()) return Err(ino.error());
        auto d = fs_->OpenDir(c, *ino);
        if (!d.ok()) return Err(d.error());
        std::vector<std::string> names;
        Result<void> r = fs_->ReadDir(**d, 0, [&](const DirEntryView& e) {
          names.emplace_back(e.name);
          return true;
        });
        fs_->ReleaseDir(std::move(*d));
        if (!r.ok()) return Err(r.error());
        std::sort(names.begin(), names.end());
        Outcome out;
        for (auto& n : names) out.data += n + "/";
        return out;
      }
      case Kind::kSetxattr:
      case Kind::kGetxattr:
      case Kind::kListxattr:
      case Kind::kRemovexattr: {
        Result<uint64_t> ino = WalkAll(c, op.path, false);
        if (!ino.ok()) return Err(ino.error());
        if (op.kind == Kind::kSetxattr) return Of(fs_->SetXattr(c, *ino, op.data, op.path2, op.flags));
        if (op.kind == Kind::kRemovexattr) return Of(fs_->RemoveXattr(c, *ino, op.data));
        if (op.kind == Kind::kGetxattr) {
          Result<std::string> v = fs_->GetXattr(c, *ino, op.data, op.length);
          if (!v.ok()) return Err(v.error());
          return Outcome{0, op.length == 0 ? std::to_string(v->size()) : *v};
        }
        Result<std::string> list = fs_->ListXattr(c, *ino, op.length);
        if (!list.ok()) return Err(list.error());
        return Outcome{0, op.length == 0 ? std::to_string(list->size()) : SortedNames(*list)};
      }
      case Kind::kAccess: {
        Result<uint64_t> ino = WalkAll(c, op.path, true);
        if (!ino.ok()) return Err(ino.error());
        return Of(fs_->Access(c, *ino, op.flags));
      }
      case Kind::kReadlink: {
        Result<uint64_t> ino = WalkAll(c, op.path, false);
        if (!ino.ok()) return Err(ino.error());
        Result<std::string> t = fs_->ReadLink(c, *ino);
        return t.ok() ? Outcome{0, *t} : Err(t.error());
      }
      case Kind::kCount:
        break;
    }
    return {};
  }

  // Operations that open the target are not sent to FIFOs: the host would
  // block or refuse in ways only the kernel's FIFO code decides.
  bool OpensASpecialFile(const Op& op) {
    if (op.kind != Kind::kWrite && op.kind != Kind::kRead && op.kind != Kind::kOpen &&
        op.kind != Kind::kFallocate && op.kind != Kind::kCreate && op.kind != Kind::kTruncate) {
      return false;
    }
    Result<uint64_t> ino = WalkAll(Root(), op.path, op.kind != Kind::kCreate);
    if (!ino.ok()) return false;
    Result<struct stat> st = fs_->GetAttr(*ino);
    return st.ok() && (S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode));
  }

  void Run(int seed, int ops) {
    std::mt19937_64 rng(seed);
    const bool trace = getenv("IRONFS_DIFF_TRACE") != nullptr;  // every op, for debugging
    int compared = 0;
    std::map<int, std::pair<int, int>> by_kind;  // kind -> (ok, failed)
    for (int i = 0; i < ops; ++i) {
      Op op = RandomOp(rng);
      if (OpensASpecialFile(op)) op.kind = Kind::kLstat;
      Outcome want = HostOp(op);
      Outcome got = FsOp(op);
      if (trace) std::printf("%d: %s -> %s\n", i, op.ToString().c_str(), Describe(want).c_str());
      if (want.err == 0 && op.kind == Kind::kListxattr && op.user != 0 && op.length != 0) {
        // A root process with another fsuid still lists trusted.* names.
        std::string filtered;
        size_t pos = 0;
        while (pos < want.data.size()) {
          size_t end = want.data.find('/', pos);
          std::string name = want.data.substr(pos, end - pos);
          if (!name.starts_with("trusted.")) filtered += name + "/";
          pos = end + 1;
        }
        want.data = filtered;
      }
      ASSERT_EQ(Describe(got), Describe(want)) << "seed " << seed << " op " << i << ": " << op.ToString();
      bool makes = op.kind == Kind::kMkdir || op.kind == Kind::kCreate || op.kind == Kind::kMkfifo ||
                   op.kind == Kind::kSymlink;
      if (want.err == 0 && makes) made_.push_back(op.path);
      if (want.err == 0 && op.kind == Kind::kCreate) files_.push_back(op.path);
      if (files_.size() > 100) files_.erase(files_.begin(), files_.begin() + 50);
      if (want.err == 0 && (op.kind == Kind::kRename || op.kind == Kind::kLink)) made_.push_back(op.path2);
      if (made_.size() > 200) made_.erase(made_.begin(), made_.begin() + 100);
      ++compared;
      auto& counts = by_kind[static_cast<int>(op.kind)];
      (want.err == 0 ? counts.first : counts.second)++;
      if ((i + 1) % 10000 == 0) {
        Remount();
        CheckReport report = CheckFilesystem(store());
        ASSERT_TRUE(report.clean()) << "after op " << i << ":\n" << report.ToString();
      }
    }
    std::printf("seed %d: %d operations compared;", seed, compared);
    for (auto& [kind, counts] : by_kind) {
      std::printf(" %s %d/%d", kKindNames[kind], counts.first, counts.first + counts.second);
    }
    std::printf(" (succeeded/total)\n");
  }

  bool as_root_ = false;
  bool user_xattrs_ = true;
  std::vector<Caller> users_;
  std::vector<std::string> made_;   // paths operations created, newest last
  std::vector<std::string> files_;  // paths of regular files created
  lsm::test::ScratchDir host_;
};

TEST_P(DifferentialTest, MatchesTheHostFilesystem) {
  // The kernel's protected_hardlinks applies before the host's filesystem
  // is asked; tell ours the same.
  bool protected_hardlinks = ReadSysctl("/proc/sys/fs/protected_hardlinks") != 0;
  if (!protected_hardlinks) {
    mount_options_.protected_hardlinks = false;
    Remount();
  }
  ASSERT_EQ(ReadSysctl("/proc/sys/fs/protected_symlinks"), 0)
      << "the walk here does not model protected_symlinks";
  ASSERT_EQ(ReadSysctl("/proc/sys/fs/protected_regular"), 0)
      << "the walk here does not model protected_regular";
  Run(GetParam(), 25000);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialTest, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace iron::fs::test

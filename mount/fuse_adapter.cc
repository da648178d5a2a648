#include "fuse_adapter.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "control.h"
#include "mount/init_flags.h"
#include "mount/log.h"
#include "mount/request_loop.h"

namespace iron::mount {
namespace {

using fs::AttrChanges;
using fs::Caller;
using fs::DirStream;
using fs::OpenFile;

// ---- the barrier
//
// No exception may cross into libfuse, which is C: one thrown out of a
// handler (an allocation that fails, a thread that cannot start) would end
// in std::terminate and take the mount down for every user. So every entry
// of the operation table is Guarded<name, handler>::Call, which runs the
// handler and catches anything it throws: it logs the operation and the
// exception, answers the request ENOMEM (std::bad_alloc) or EIO (anything
// else), or nothing for a forget, and the mount goes on serving.
//
// A request is answered once. A handler answers last; what it does after
// an answer the kernel did not take (AfterLostReply) runs with the request
// already gone, and a throw from there is logged but answers nothing.

thread_local bool answered = false;

template <size_t N>
struct OpName {
  constexpr OpName(const char (&s)[N]) { std::copy_n(s, N, text); }  // NOLINT: from a literal
  char text[N];
};

// How a request that threw is finished: with an errno, or (a forget,
// which the kernel never waits for) with no answer at all.
enum class Answer { kErrno, kNone };

// From inside a catch: logs what was thrown out of `op` and finishes
// `req` (none for the session's own calls) unless it is answered already.
void Caught(const char* op, fuse_req_t req, Answer answer) {
  const char* what = "an exception of unknown type";
  int err = EIO;
  try {
    throw;
  } catch (const std::bad_alloc& e) {
    what = e.what();
    err = ENOMEM;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  const bool replies = req != nullptr && !answered && answer == Answer::kErrno;
  if (replies) {
    fuse_reply_err(req, err);
  } else if (req != nullptr && !answered) {
    fuse_reply_none(req);
  }
  // The request is finished first: the log may need memory that is not
  // there, and what it cannot say is lost, not thrown.
  try {
    Log(LOG_ERR, "%s failed with an exception (%s); %sthe mount goes on serving", op, what,
        !replies ? "" : err == ENOMEM ? "answered ENOMEM, " : "answered EIO, ");
  } catch (...) {
  }
}

template <OpName kName, auto kHandler, Answer kAnswer = Answer::kErrno>
struct Guarded;

// A request's handler (all but init and destroy).
template <OpName kName, typename... Args, void (*kHandler)(fuse_req_t, Args...), Answer kAnswer>
struct Guarded<kName, kHandler, kAnswer> {
  static void Call(fuse_req_t req, Args... args) noexcept {
    answered = false;
    try {
      kHandler(req, args...);
    } catch (...) {
      Caught(kName.text, req, kAnswer);
    }
  }
};

// The session's own calls (init, destroy): nobody to answer.
template <OpName kName, typename... Args, void (*kHandler)(void*, Args...), Answer kAnswer>
struct Guarded<kName, kHandler, kAnswer> {
  static void Call(void* userdata, Args... args) noexcept {
    try {
      kHandler(userdata, args...);
    } catch (...) {
      Caught(kName.text, nullptr, kAnswer);
    }
  }
};

// Undoes what an answer the kernel did not take had handed over (a
// reference, an open file). The request is gone: the barrier must not
// answer it again if `undo` throws.
template <typename Undo>
void AfterLostReply(Undo undo) {
  answered = true;
  undo();
}

#ifdef IRON_TEST_HOOKS
// Test builds only (cmake -DIRON_TEST_HOOKS=ON, never installed): a lookup
// of one of these names throws, so that a test sees the barrier answer and
// the mount go on serving. Nothing of this is compiled into a normal build.
void ThrowIfAsked(const char* name) {
  if (std::strcmp(name, ".ironfs-test-throw-runtime-error") == 0) {
    throw std::runtime_error("test hook: a handler threw");
  }
  if (std::strcmp(name, ".ironfs-test-throw-bad-alloc") == 0) throw std::bad_alloc();
}
#else
void ThrowIfAsked(const char*) {}
#endif

Mounted& Self(fuse_req_t req) { return *static_cast<Mounted*>(fuse_req_userdata(req)); }
fs::Filesystem& Fs(fuse_req_t req) { return *Self(req).fs; }

// The credentials of the process behind a request. Supplementary groups
// come from /proc (a read per request), so only for callers who are not
// root, whose rights may depend on them, or whose capabilities are read.
// The effective capabilities of thread `pid`, from /proc as the kernel
// keeps them; none if it cannot be read (the thread is gone).
uint64_t CapabilitiesOf(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* line = std::strstr(buf, "\nCapEff:");
  if (line == nullptr) return 0;
  return std::strtoull(line + std::strlen("\nCapEff:"), nullptr, 16);
}

Caller CallerOf(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  Caller c;
  c.uid = ctx->uid;
  c.gid = ctx->gid;
  c.umask = ctx->umask;
  // Without default_permissions nobody else judges privilege: by the
  // caller's capabilities, as the kernel would (uid 0 without them is an
  // ordinary user; another holding them is privileged).
  if (!Self(req).config->default_permissions) c.capabilities = CapabilitiesOf(ctx->pid);
  if (c.uid != 0 || c.capabilities) {
    gid_t groups[64];
    int n = fuse_req_getgroups(req, 64, groups);
    if (n > 64) {
      std::vector<gid_t> more(n);
      n = fuse_req_getgroups(req, n, more.data());
      if (n > 0) c.groups.assign(more.begin(), more.begin() + std::min<int>(n, more.size()));
    } else if (n > 0) {
      c.groups.assign(groups, groups + n);
    }
  }
  return c;
}

OpenFile& FileOf(fuse_file_info* fi) { return *reinterpret_cast<OpenFile*>(fi->fh); }
DirStream& DirOf(fuse_file_info* fi) { return *reinterpret_cast<DirStream*>(fi->fh); }

// Whether the kernel opens files without asking us (see KernelOpensFiles).
bool KernelOpens(const MountConfig& config) { return config.default_permissions && !config.writeback; }

// The open file a request comes through. When the kernel opens files
// alone it has checked the access mode itself (reads need FMODE_READ,
// writes FMODE_WRITE), so the file is as good as open for both; O_APPEND
// comes with each write.
OpenFile FileFor(fuse_ino_t ino, fuse_file_info* fi) {
  if (fi->fh != 0) return FileOf(fi);
  return OpenFile{.ino = ino, .flags = O_RDWR | (fi->flags & O_APPEND)};
}

// An EIO answer means the engine met damaged data (its own message names
// the table and block); this names the file it belongs to.
void NoteDamage(fuse_ino_t ino, const char* op) {
  Log(LOG_ERR, "inode %llu: %s failed with EIO: its data is damaged or unreadable "
      "(see the engine's message for the table); 'ironfs fsck DATA_DIR' names every damaged file",
      static_cast<unsigned long long>(ino), op);
}

fuse_entry_param EntryParam(fuse_req_t req, const fs::Entry& e) {
  const MountConfig& config = *Self(req).config;
  fuse_entry_param p{};
  p.ino = e.ino;
  p.generation = e.generation;
  p.attr = e.attr;
  p.attr_timeout = config.attr_timeout;
  p.entry_timeout = config.entry_timeout;
  return p;
}

void ReplyEntry(fuse_req_t req, const fs::Result<fs::Entry>& e) {
  if (!e.ok()) {
    if (e.error() == ENOENT && Self(req).config->negative_timeout > 0) {
      fuse_entry_param p{};  // ino 0: a cacheable "no such name"
      p.entry_timeout = Self(req).config->negative_timeout;
      fuse_reply_entry(req, &p);
      return;
    }
    fuse_reply_err(req, e.error());
    return;
  }
  fuse_entry_param p = EntryParam(req, *e);
  if (fuse_reply_entry(req, &p) != 0) {  // the kernel never got it
    AfterLostReply([&] { Fs(req).Forget(e->ino, 1); });
  }
}

void ReplyAttr(fuse_req_t req, const fs::Result<struct stat>& st) {
  if (!st.ok()) {
    fuse_reply_err(req, st.error());
    return;
  }
  fuse_reply_attr(req, &*st, Self(req).config->attr_timeout);
}

template <typename T>
void ReplyOk(fuse_req_t req, const fs::Result<T>& r) {
  fuse_reply_err(req, r.ok() ? 0 : r.error());
}

// ---- init

void Init(void* userdata, fuse_conn_info* conn) {
  auto* self = static_cast<Mounted*>(userdata);
  // The kernel's umask is ours to apply: the setgid rules need the mode
  // as asked for.
  if (conn->capable & FUSE_CAP_DONT_MASK) conn->want |= FUSE_CAP_DONT_MASK;
  if (self->config->writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
    conn->want |= FUSE_CAP_WRITEBACK_CACHE;
  } else {
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  }
  // FUSE_CAP_HANDLE_KILLPRIV stays as libfuse sets it (on): the filesystem
  // clears setuid/setgid on chown, truncate and write, with the caller's
  // credentials, and file capabilities too (Filesystem::DropPrivileges);
  // FUSE_HANDLE_KILLPRIV_V2 says so (init_flags.h: added to the reply by
  // the request loop, or asked of a libfuse that knows it).
  WantKillprivV2(conn);
  // (A write the writeback cache sends later comes from no one in
  // particular and clears nothing; see README.)
  if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
  // O_TRUNC comes in the open, unless there is no open: then the kernel
  // sends it as a truncate.
  if (KernelOpens(*self->config)) {
    conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  } else if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) {
    conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  }
  if (conn->capable & FUSE_CAP_EXPORT_SUPPORT) conn->want |= FUSE_CAP_EXPORT_SUPPORT;
  conn->max_write = 1 << 20;
  conn->time_gran = 1;  // nanoseconds
}

void Destroy(void* userdata) {
  auto* self = static_cast<Mounted*>(userdata);
  // An unmount leaves everything durable. Nobody is left to answer; the
  // engine's Close, next, syncs again and its failure fails the daemon.
  fs::Result<void> synced = self->fs->Fsync();
  if (!synced.ok()) Log(LOG_ERR, "sync at unmount: %s", std::strerror(synced.error()));
}

// ---- names

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ThrowIfAsked(name);
  fs::Result<fs::Entry> e = Fs(req).Lookup(CallerOf(req), parent, name);
  if (!e.ok() && e.error() == EIO) NoteDamage(parent, "lookup in directory");
  ReplyEntry(req, e);
}

void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Fs(req).Forget(ino, nlookup);
  fuse_reply_none(req);
}

void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) Fs(req).Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void MakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  ReplyEntry(req, Fs(req).MakeNode(CallerOf(req), parent, name, mode, rdev));
}

void MakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  ReplyEntry(req, Fs(req).MakeDir(CallerOf(req), parent, name, mode));
}

void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  ReplyEntry(req, Fs(req).Symlink(CallerOf(req), parent, name, target));
}

void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  ReplyEntry(req, Fs(req).Link(CallerOf(req), ino, new_parent, new_name));
}

void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ReplyOk(req, Fs(req).Unlink(CallerOf(req), parent, name));
}

void RemoveDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ReplyOk(req, Fs(req).RemoveDir(CallerOf(req), parent, name));
}

void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
            const char* new_name, unsigned int flags) {
  ReplyOk(req, Fs(req).Rename(CallerOf(req), parent, name, new_parent, new_name, flags));
}

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  fs::Result<std::string> target = Fs(req).ReadLink(CallerOf(req), ino);
  if (!target.ok()) {
    fuse_reply_err(req, target.error());
    return;
  }
  fuse_reply_readlink(req, target->c_str());
}

// ---- attributes

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  fs::Result<struct stat> st = Fs(req).GetAttr(ino);
  if (!st.ok() && st.error() == EIO) NoteDamage(ino, "getattr");
  ReplyAttr(req, st);
}

void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  AttrChanges ch;
  if (to_set & FUSE_SET_ATTR_MODE) {
    ch.mode = attr->st_mode & 07777;
    // A mode change alone may be the kernel clearing setuid/setgid after
    // a write; the filesystem allows that much to the writer.
    ch.from_kernel_killpriv = to_set == FUSE_SET_ATTR_MODE;
  }
  if (to_set & FUSE_SET_ATTR_UID) ch.uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) ch.gid = attr->st_gid;
  if (to_set & FUSE_SET_ATTR_SIZE) ch.size = attr->st_size;
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
    ch.atime = AttrChanges::Time::kNow;
  } else if (to_set & FUSE_SET_ATTR_ATIME) {
    ch.atime = AttrChanges::Time::kSet;
    ch.atime_value = {attr->st_atim.tv_sec, static_cast<uint32_t>(attr->st_atim.tv_nsec)};
  }
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    ch.mtime = AttrChanges::Time::kNow;
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    ch.mtime = AttrChanges::Time::kSet;
    ch.mtime_value = {attr->st_mtim.tv_sec, static_cast<uint32_t>(attr->st_mtim.tv_nsec)};
  }
  if (to_set & FUSE_SET_ATTR_CTIME) {
    ch.ctime = fs::Timestamp{attr->st_ctim.tv_sec, static_cast<uint32_t>(attr->st_ctim.tv_nsec)};
  }
  // fi: a truncate through an open file, allowed by its open mode.
  std::optional<OpenFile> file;
  if (fi != nullptr) file = FileFor(ino, fi);
  ReplyAttr(req, Fs(req).SetAttr(CallerOf(req), ino, ch, file ? &*file : nullptr));
}

void Access(fuse_req_t req, fuse_ino_t ino, int mask) {
  ReplyOk(req, Fs(req).Access(CallerOf(req), ino, mask));
}

void StatFs(fuse_req_t req, fuse_ino_t) {
  fs::Result<struct statvfs> st = Fs(req).StatFs();
  if (!st.ok()) {
    fuse_reply_err(req, st.error());
    return;
  }
  fuse_reply_statfs(req, &*st);
}

// ---- files

// The flags the filesystem sees: with the writeback cache the kernel
// places appends itself, and may read through a write-only open.
int FileFlags(fuse_req_t req, int flags) {
  if (Self(req).config->writeback) {
    flags &= ~O_APPEND;
    if ((flags & O_ACCMODE) == O_WRONLY) flags = (flags & ~O_ACCMODE) | O_RDWR;
  }
  return flags;
}

// ENOSYS tells the kernel to open files by itself from now on: no OPEN
// and no RELEASE round trips (and, without create, files are made with
// MKNOD). Safe only where the kernel checks permissions; an unlinked file
// still open keeps its kernel reference, so its FORGET marks the end.
void KernelOpensFiles(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, ENOSYS); }

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  fs::Caller c = CallerOf(req);
  // Permission is judged on the flags as the caller gave them.
  fs::Result<std::unique_ptr<OpenFile>> file = Fs(req).Open(c, ino, fi->flags);
  if (!file.ok()) {
    fuse_reply_err(req, file.error());
    return;
  }
  (*file)->flags = FileFlags(req, (*file)->flags);
  fi->fh = reinterpret_cast<uint64_t>(file->release());
  fi->keep_cache = 1;  // nothing changes the file but through this mount
  if (fuse_reply_open(req, fi) != 0) {
    AfterLostReply([&] { Fs(req).Release(std::unique_ptr<OpenFile>(&FileOf(fi))); });
  }
}

void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  auto created = Fs(req).Create(CallerOf(req), parent, name, mode, fi->flags);
  if (!created.ok()) {
    fuse_reply_err(req, created.error());
    return;
  }
  created->second->flags = FileFlags(req, created->second->flags);
  fi->fh = reinterpret_cast<uint64_t>(created->second.release());
  fi->keep_cache = 1;
  fuse_entry_param p = EntryParam(req, created->first);
  if (fuse_reply_create(req, &p, fi) != 0) {
    AfterLostReply([&] {
      Fs(req).Release(std::unique_ptr<OpenFile>(&FileOf(fi)));
      Fs(req).Forget(created->first.ino, 1);
    });
  }
}

void Release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Fs(req).Release(std::unique_ptr<OpenFile>(&FileOf(fi)));
  fuse_reply_err(req, 0);
}

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
  auto buffer = std::make_unique_for_overwrite<char[]>(size);
  fs::Result<size_t> n = Fs(req).Read(FileFor(ino, fi), offset, {buffer.get(), size});
  if (!n.ok()) {
    if (n.error() == EIO) NoteDamage(ino, "read");
    fuse_reply_err(req, n.error());
    return;
  }
  fuse_reply_buf(req, buffer.get(), *n);
}

void Write(fuse_req_t req, fuse_ino_t ino, const char* data, size_t size, off_t offset, fuse_file_info* fi) {
  fs::Result<size_t> n = Fs(req).Write(CallerOf(req), FileFor(ino, fi), offset, {data, size});
  if (!n.ok()) {
    fuse_reply_err(req, n.error());
    return;
  }
  fuse_reply_write(req, *n);
}

// Handlers that wait for the disk let another thread read the next
// requests meanwhile (RequestLoop::HandOff).
void Fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
  RequestLoop::HandOff();
  ReplyOk(req, Fs(req).Fsync());
}

void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  if (offset < 0 || length <= 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  ReplyOk(req, Fs(req).Fallocate(CallerOf(req), FileFor(ino, fi), mode, offset, length));
}

void Lseek(fuse_req_t req, fuse_ino_t ino, off_t offset, int whence, fuse_file_info* fi) {
  if (whence != SEEK_DATA && whence != SEEK_HOLE) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  fs::Result<uint64_t> at = Fs(req).SeekData(FileFor(ino, fi), offset, whence);
  if (!at.ok()) {
    fuse_reply_err(req, at.error());
    return;
  }
  fuse_reply_lseek(req, static_cast<off_t>(*at));
}

void CopyFileRange(fuse_req_t req, fuse_ino_t in_ino, off_t in_offset, fuse_file_info* in,
                   fuse_ino_t out_ino, off_t out_offset, fuse_file_info* out, size_t length, int flags) {
  if (flags != 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  fs::Result<size_t> n = Fs(req).CopyFileRange(CallerOf(req), FileFor(in_ino, in), in_offset,
                                                FileFor(out_ino, out), out_offset, length);
  if (!n.ok()) {
    fuse_reply_err(req, n.error());
    return;
  }
  fuse_reply_write(req, *n);
}

// ---- directories

void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto dir = Fs(req).OpenDir(CallerOf(req), ino);
  if (!dir.ok()) {
    fuse_reply_err(req, dir.error());
    return;
  }
  fi->fh = reinterpret_cast<uint64_t>(dir->release());
  fi->keep_cache = 1;
  fi->cache_readdir = 1;
  if (fuse_reply_open(req, fi) != 0) {
    AfterLostReply([&] { Fs(req).ReleaseDir(std::unique_ptr<DirStream>(&DirOf(fi))); });
  }
}

void ReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Fs(req).ReleaseDir(std::unique_ptr<DirStream>(&DirOf(fi)));
  fuse_reply_err(req, 0);
}

// A reply buffer of directory entries, filled until the next one does not
// fit (an entry that does not fit is left for the next call).
class Listing {
 public:
  Listing(fuse_req_t req, size_t size) : req_(req), buffer_(size, '\0') {}
  // `add(buffer, room)` encodes one entry (or only measures it when it
  // does not fit) and returns its size.
  template <typename Add>
  bool Take(Add add) {
    size_t need = add(buffer_.data() + used_, buffer_.size() - used_);
    if (need > buffer_.size() - used_) return false;
    used_ += need;
    return true;
  }
  // Sends what was taken; an error only if nothing was.
  void Reply(const fs::Result<void>& r) {
    if (!r.ok() && used_ == 0) {
      fuse_reply_err(req_, r.error());
    } else {
      fuse_reply_buf(req_, buffer_.data(), used_);
    }
  }

 private:
  fuse_req_t req_;
  std::string buffer_;
  size_t used_ = 0;
};

void ReadDir(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
  Listing listing(req, size);
  listing.Reply(Fs(req).ReadDir(DirOf(fi), offset, [&](const fs::DirEntryView& e) {
    struct stat st {};
    st.st_ino = e.ino;
    st.st_mode = static_cast<mode_t>(e.type) << 12;
    std::string name(e.name);
    return listing.Take([&](char* at, size_t room) {
      return fuse_add_direntry(req, at, room, name.c_str(), &st, e.cookie);
    });
  }));
}

void ReadDirPlus(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
  Listing listing(req, size);
  listing.Reply(Fs(req).ReadDirPlus(DirOf(fi), offset, [&](const fs::DirEntryView& v, const fs::Entry& e) {
    fuse_entry_param p{};
    if (e.ino != 0) {
      p = EntryParam(req, e);
    } else {  // "." and "..": a name and a type, no reference
      p.attr.st_ino = v.ino;
      p.attr.st_mode = static_cast<mode_t>(v.type) << 12;
    }
    std::string name(v.name);
    return listing.Take([&](char* at, size_t room) {
      return fuse_add_direntry_plus(req, at, room, name.c_str(), &p, v.cookie);
    });
  }));
}

void FsyncDir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
  RequestLoop::HandOff();
  ReplyOk(req, Fs(req).Fsync());
}

// ---- extended attributes

void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
  ReplyOk(req, Fs(req).SetXattr(CallerOf(req), ino, name, {value, size}, flags));
}

void ReplySized(fuse_req_t req, const fs::Result<std::string>& r, size_t size) {
  if (!r.ok()) {
    fuse_reply_err(req, r.error());
  } else if (size == 0) {
    fuse_reply_xattr(req, r->size());
  } else {
    fuse_reply_buf(req, r->data(), r->size());
  }
}

void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  ReplySized(req, Fs(req).GetXattr(CallerOf(req), ino, name, size), size);
}

void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  ReplySized(req, Fs(req).ListXattr(CallerOf(req), ino, size), size);
}

void RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  ReplyOk(req, Fs(req).RemoveXattr(CallerOf(req), ino, name));
}

// ---- control requests (control.h)

void Ioctl(fuse_req_t req, fuse_ino_t, unsigned int cmd, void*, fuse_file_info*, unsigned flags,
           const void*, size_t, size_t) {
  if (cmd != kCompactRequest || (flags & FUSE_IOCTL_COMPAT)) {
    fuse_reply_err(req, ENOTTY);
    return;
  }
  if (fuse_req_ctx(req)->uid != 0) {
    fuse_reply_err(req, EPERM);
    return;
  }
  RequestLoop::HandOff();
  fs::Result<void> r = Fs(req).Compact();
  if (!r.ok()) {
    fuse_reply_err(req, r.error());
    return;
  }
  fuse_reply_ioctl(req, 0, nullptr, 0);
}

fuse_lowlevel_ops MakeOperations(const MountConfig& config) {
  fuse_lowlevel_ops ops{};
  ops.init = Guarded<"init", Init>::Call;
  ops.destroy = Guarded<"destroy", Destroy>::Call;
  ops.lookup = Guarded<"lookup", Lookup>::Call;
  ops.forget = Guarded<"forget", Forget, Answer::kNone>::Call;
  ops.forget_multi = Guarded<"forget_multi", ForgetMulti, Answer::kNone>::Call;
  ops.getattr = Guarded<"getattr", GetAttr>::Call;
  ops.setattr = Guarded<"setattr", SetAttr>::Call;
  ops.readlink = Guarded<"readlink", ReadLink>::Call;
  ops.mknod = Guarded<"mknod", MakeNode>::Call;
  ops.mkdir = Guarded<"mkdir", MakeDir>::Call;
  ops.unlink = Guarded<"unlink", Unlink>::Call;
  ops.rmdir = Guarded<"rmdir", RemoveDir>::Call;
  ops.symlink = Guarded<"symlink", Symlink>::Call;
  ops.rename = Guarded<"rename", Rename>::Call;
  ops.link = Guarded<"link", Link>::Call;
  ops.open = KernelOpens(config) ? Guarded<"open", KernelOpensFiles>::Call
                                  : Guarded<"open", Open>::Call;
  ops.read = Guarded<"read", Read>::Call;
  ops.write = Guarded<"write", Write>::Call;
  // No flush: every write is in the WAL before its reply, and without a
  // handler the kernel stops sending FLUSH on every close.
  ops.release = Guarded<"release", Release>::Call;
  ops.fsync = Guarded<"fsync", Fsync>::Call;
  ops.opendir = Guarded<"opendir", OpenDir>::Call;
  ops.readdir = Guarded<"readdir", ReadDir>::Call;
  ops.readdirplus = Guarded<"readdirplus", ReadDirPlus>::Call;
  ops.releasedir = Guarded<"releasedir", ReleaseDir>::Call;
  ops.fsyncdir = Guarded<"fsyncdir", FsyncDir>::Call;
  ops.statfs = Guarded<"statfs", StatFs>::Call;
  ops.setxattr = Guarded<"setxattr", SetXattr>::Call;
  ops.getxattr = Guarded<"getxattr", GetXattr>::Call;
  ops.listxattr = Guarded<"listxattr", ListXattr>::Call;
  ops.removexattr = Guarded<"removexattr", RemoveXattr>::Call;
  ops.access = Guarded<"access", Access>::Call;
  if (!KernelOpens(config)) ops.create = Guarded<"create", Create>::Call;
  ops.fallocate = Guarded<"fallocate", Fallocate>::Call;
  // With the writeback cache, written data may still be in the kernel's
  // page cache, where we cannot see it: holes are then the kernel's to
  // answer (it treats the whole file as data, which is always true enough).
  if (!config.writeback) ops.lseek = Guarded<"lseek", Lseek>::Call;
  ops.copy_file_range = Guarded<"copy_file_range", CopyFileRange>::Call;
  ops.ioctl = Guarded<"ioctl", Ioctl>::Call;
  return ops;
}

}  // namespace

fuse_lowlevel_ops FuseOperations(const MountConfig& config) { return MakeOperations(config); }

}  // namespace iron::mount

// floor_fs: the FUSE floor. A filesystem that keeps everything in memory
// (names, attributes, data) and does nothing else: no durability, no
// checks the kernel does not leave to it. What a workload costs on it is
// what the kernel's FUSE costs on this machine, before any filesystem does
// any real work.
//
//   floor_fs MOUNTPOINT
//
// It asks for what IronFS asks for, so that the two see the same requests:
// the kernel checks permissions (default_permissions) and opens files itself
// (OPEN answered ENOSYS; files made with MKNOD), no FLUSH, READDIRPLUS,
// names and attributes cached 60 s, missing names not cached, 1 MiB writes,
// FUSE_HANDLE_KILLPRIV_V2 (it drops setuid and setgid itself, and keeps no
// capabilities to drop). Requests are served by the daemon's own
// RequestLoop, which negotiates that flag, with IronFS's default spin.
//
// One request thread; it runs in the foreground until unmounted, and errors
// are the errno a real filesystem would give (ENOENT, EEXIST, ENOTEMPTY...).
// Nothing is ever freed (FORGET is ignored; a removed file keeps its data
// for whoever still has it open): it lives for one benchmark run.
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "mount/init_flags.h"
#include "mount/options.h"
#include "mount/request_loop.h"

namespace {

constexpr double kTimeout = 60;

struct Entry {
  fuse_ino_t ino;
  uint64_t cookie;  // its place in a readdir; never reused in its directory
};

struct Node {
  struct stat st {};
  std::string data;                      // a regular file's, or a symlink's target
  std::map<std::string, Entry> entries;  // a directory's, by name
  std::map<uint64_t, std::string> order; // the same names, by cookie
  uint64_t next_cookie = 1;
};

// By inode number; 0 unused, 1 the root. A deque: growing it moves no
// node, so no create pays for copying all the others.
std::deque<Node> nodes(2);

timespec Now() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

Node* Get(fuse_ino_t ino) { return ino < nodes.size() && nodes[ino].st.st_nlink ? &nodes[ino] : nullptr; }

void Touch(Node& n) { n.st.st_mtim = n.st.st_ctim = Now(); }

// What FUSE_HANDLE_KILLPRIV_V2 leaves to the filesystem on a write, a
// truncate or a chown: setuid goes, and setgid where it means "run as".
void DropSetId(Node& n) {
  if (!S_ISREG(n.st.st_mode)) return;
  n.st.st_mode &= ~S_ISUID;
  if (n.st.st_mode & S_IXGRP) n.st.st_mode &= ~S_ISGID;
}

void AddEntry(Node& dir, const std::string& name, fuse_ino_t ino) {
  dir.entries[name] = Entry{ino, dir.next_cookie};
  dir.order[dir.next_cookie++] = name;
  Touch(dir);
}

void RemoveEntry(Node& dir, const std::string& name) {
  auto it = dir.entries.find(name);
  dir.order.erase(it->second.cookie);
  dir.entries.erase(it);
  Touch(dir);
}

void ReplyEntry(fuse_req_t req, fuse_ino_t ino) {
  fuse_entry_param e{};
  e.ino = ino;
  e.attr = nodes[ino].st;
  e.attr_timeout = e.entry_timeout = kTimeout;
  fuse_reply_entry(req, &e);
}

// A new inode under `parent`, named `name`, owned by the caller.
void Make(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, const char* target) {
  Node* dir = Get(parent);
  if (dir == nullptr) return (void)fuse_reply_err(req, ENOENT);
  if (dir->entries.count(name)) return (void)fuse_reply_err(req, EEXIST);
  const fuse_ctx* ctx = fuse_req_ctx(req);
  fuse_ino_t ino = nodes.size();
  nodes.emplace_back();
  Node& n = nodes[ino];
  n.st.st_ino = ino;
  n.st.st_mode = mode;
  n.st.st_nlink = S_ISDIR(mode) ? 2 : 1;
  n.st.st_uid = ctx->uid;
  n.st.st_gid = ctx->gid;
  n.st.st_blksize = 4096;
  n.st.st_atim = n.st.st_mtim = n.st.st_ctim = Now();
  if (target != nullptr) {
    n.data = target;
    n.st.st_size = static_cast<off_t>(n.data.size());
  }
  if (S_ISDIR(mode)) dir->st.st_nlink++;
  AddEntry(*dir, name, ino);
  ReplyEntry(req, ino);
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Node* dir = Get(parent);
  if (dir == nullptr) return (void)fuse_reply_err(req, ENOENT);
  auto it = dir->entries.find(name);
  if (it == dir->entries.end()) return (void)fuse_reply_err(req, ENOENT);
  ReplyEntry(req, it->second.ino);
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Node* n = Get(ino);
  if (n == nullptr) return (void)fuse_reply_err(req, ENOENT);
  fuse_reply_attr(req, &n->st, kTimeout);
}

void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  Node* n = Get(ino);
  if (n == nullptr) return (void)fuse_reply_err(req, ENOENT);
  if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_SIZE)) DropSetId(*n);
  if (to_set & FUSE_SET_ATTR_MODE) n->st.st_mode = (n->st.st_mode & S_IFMT) | (attr->st_mode & 07777);
  if (to_set & FUSE_SET_ATTR_UID) n->st.st_uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) n->st.st_gid = attr->st_gid;
  if (to_set & FUSE_SET_ATTR_SIZE) {
    n->data.resize(static_cast<size_t>(attr->st_size));
    n->st.st_size = attr->st_size;
  }
  if (to_set & FUSE_SET_ATTR_ATIME) n->st.st_atim = attr->st_atim;
  if (to_set & FUSE_SET_ATTR_MTIME) n->st.st_mtim = attr->st_mtim;
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) n->st.st_atim = Now();
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) n->st.st_mtim = Now();
  n->st.st_ctim = Now();
  fuse_reply_attr(req, &n->st, kTimeout);
}

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  Node* n = Get(ino);
  if (n == nullptr || !S_ISLNK(n->st.st_mode)) return (void)fuse_reply_err(req, EINVAL);
  fuse_reply_readlink(req, n->data.c_str());
}

void MakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
  Make(req, parent, name, mode, nullptr);
}

void MakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Make(req, parent, name, S_IFDIR | (mode & 07777), nullptr);
}

void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  Make(req, parent, name, S_IFLNK | 0777, target);
}

void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name) {
  Node* n = Get(ino);
  Node* dir = Get(parent);
  if (n == nullptr || dir == nullptr) return (void)fuse_reply_err(req, ENOENT);
  if (dir->entries.count(name)) return (void)fuse_reply_err(req, EEXIST);
  n->st.st_nlink++;
  AddEntry(*dir, name, ino);
  ReplyEntry(req, ino);
}

// Drops `name` from `dir`; a directory must be empty. 0 or an errno.
int Drop(Node& dir, const std::string& name) {
  auto it = dir.entries.find(name);
  if (it == dir.entries.end()) return ENOENT;
  Node& n = nodes[it->second.ino];
  if (S_ISDIR(n.st.st_mode)) {
    if (!n.entries.empty()) return ENOTEMPTY;
    n.st.st_nlink = 0;
    dir.st.st_nlink--;
  } else {
    n.st.st_nlink--;
  }
  n.st.st_ctim = Now();
  RemoveEntry(dir, name);
  return 0;
}

void Remove(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Node* dir = Get(parent);
  fuse_reply_err(req, dir == nullptr ? ENOENT : Drop(*dir, name));
}

void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
            const char* newname, unsigned int flags) {
  Node* from = Get(parent);
  Node* to = Get(newparent);
  if (from == nullptr || to == nullptr) return (void)fuse_reply_err(req, ENOENT);
  if (flags != 0) return (void)fuse_reply_err(req, EINVAL);
  if (from == to && std::strcmp(name, newname) == 0) return (void)fuse_reply_err(req, 0);
  auto it = from->entries.find(name);
  if (it == from->entries.end()) return (void)fuse_reply_err(req, ENOENT);
  fuse_ino_t ino = it->second.ino;
  if (to->entries.count(newname)) {
    if (int err = Drop(*to, newname)) return (void)fuse_reply_err(req, err);
  }
  RemoveEntry(*from, name);
  AddEntry(*to, newname, ino);
  if (S_ISDIR(nodes[ino].st.st_mode) && from != to) {
    from->st.st_nlink--;
    to->st.st_nlink++;
  }
  fuse_reply_err(req, 0);
}

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  Node* n = Get(ino);
  if (n == nullptr) return (void)fuse_reply_err(req, ENOENT);
  size_t at = std::min(static_cast<size_t>(off), n->data.size());
  fuse_reply_buf(req, n->data.data() + at, std::min(size, n->data.size() - at));
}

void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
           fuse_file_info*) {
  Node* n = Get(ino);
  if (n == nullptr) return (void)fuse_reply_err(req, ENOENT);
  size_t end = static_cast<size_t>(off) + size;
  if (end > n->data.size()) n->data.resize(end);
  std::memcpy(n->data.data() + off, buf, size);
  n->st.st_size = static_cast<off_t>(n->data.size());
  DropSetId(*n);
  Touch(*n);
  fuse_reply_write(req, size);
}

void KernelOpens(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, ENOSYS); }

void Fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) { fuse_reply_err(req, 0); }

// Cookies are per entry and never reused, so entries removed between two
// calls (rm -rf) neither hide nor repeat the others.
void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*, bool plus) {
  Node* dir = Get(ino);
  if (dir == nullptr) return (void)fuse_reply_err(req, ENOENT);
  std::vector<char> buf(size);
  size_t used = 0;
  for (auto it = dir->order.upper_bound(static_cast<uint64_t>(off)); it != dir->order.end(); ++it) {
    fuse_ino_t child = dir->entries[it->second].ino;
    size_t n;
    if (plus) {
      fuse_entry_param e{};
      e.ino = child;
      e.attr = nodes[child].st;
      e.attr_timeout = e.entry_timeout = kTimeout;
      n = fuse_add_direntry_plus(req, buf.data() + used, size - used, it->second.c_str(), &e,
                                 static_cast<off_t>(it->first));
    } else {
      n = fuse_add_direntry(req, buf.data() + used, size - used, it->second.c_str(),
                            &nodes[child].st, static_cast<off_t>(it->first));
    }
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void ReadDirPlain(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  ReadDir(req, ino, size, off, fi, false);
}

void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  ReadDir(req, ino, size, off, fi, true);
}

void StatFs(fuse_req_t req, fuse_ino_t) {
  struct statvfs s {};
  s.f_bsize = s.f_frsize = 4096;
  s.f_blocks = s.f_bfree = s.f_bavail = 1 << 26;
  s.f_files = s.f_ffree = 1 << 26;
  s.f_namemax = 255;
  fuse_reply_statfs(req, &s);
}

void GetXattr(fuse_req_t req, fuse_ino_t, const char*, size_t) { fuse_reply_err(req, ENODATA); }

void ListXattr(fuse_req_t req, fuse_ino_t, size_t size) {
  if (size == 0) return (void)fuse_reply_xattr(req, 0);
  fuse_reply_buf(req, nullptr, 0);
}

void SetXattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) {
  fuse_reply_err(req, ENOTSUP);
}

void Init(void*, fuse_conn_info* conn) {
  iron::mount::WantKillprivV2(conn);  // as IronFS (init_flags.h)
  if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  conn->max_write = 1 << 20;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: floor_fs MOUNTPOINT   (serves in the foreground until unmounted)\n");
    return 2;
  }
  Node& root = nodes[1];
  root.st.st_ino = 1;
  root.st.st_mode = S_IFDIR | 0755;
  root.st.st_nlink = 2;
  root.st.st_atim = root.st.st_mtim = root.st.st_ctim = Now();

  fuse_lowlevel_ops ops{};
  ops.init = Init;
  ops.lookup = Lookup;
  ops.getattr = GetAttr;
  ops.setattr = SetAttr;
  ops.readlink = ReadLink;
  ops.mknod = MakeNode;
  ops.mkdir = MakeDir;
  ops.unlink = Remove;
  ops.rmdir = Remove;
  ops.symlink = Symlink;
  ops.rename = Rename;
  ops.link = Link;
  ops.open = KernelOpens;
  ops.read = Read;
  ops.write = Write;
  ops.fsync = Fsync;
  ops.readdir = ReadDirPlain;
  ops.readdirplus = ReadDirPlus;
  ops.statfs = StatFs;
  ops.getxattr = GetXattr;
  ops.listxattr = ListXattr;
  ops.setxattr = SetXattr;

  const char* args[] = {argv[0], "-o", "default_permissions,allow_other,fsname=floor_fs"};
  fuse_args fa = FUSE_ARGS_INIT(3, const_cast<char**>(args));
  fuse_session* se = fuse_session_new(&fa, &ops, sizeof ops, nullptr);
  if (se == nullptr) return 1;
  if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0) {
    fprintf(stderr, "floor_fs: cannot mount on %s\n", argv[1]);
    return 1;
  }
  // IronFS's own loop, with its default spin, one thread (no handler here
  // ever waits).
  iron::mount::RequestLoop loop(se, 1, std::chrono::microseconds(iron::mount::MountConfig{}.spin_us),
                                /*every_request_waits=*/false);
  int err = loop.Run();
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  return err < 0 ? 1 : 0;
}

// Filesystem: POSIX filesystem semantics over a key-value Store (store.h).
//
// This is iron::fs's public face. Operations are addressed by inode number
// the way the kernel's VFS (and FUSE's low-level API) addresses them, take
// the Caller whose permissions apply, and answer with a value or an errno
// (result.h), exactly as ext4 would answer the same system call on Linux.
// The data lives in a Store (store.h); the key schema is in key_schema.h,
// the values in inode_codec.h, the inodes are InodeStore's and the bytes of
// files BlockMap's (all private to fs).
//
// Atomicity and durability: every operation that changes the filesystem
// does so with one WriteBatch, so a crash leaves either all of it or none.
// A change is in the engine's write-ahead log before the operation returns
// (it survives the death of the process); Fsync makes every change so far
// survive power loss; with Options::sync every change does before it
// returns.
//
// Lookup counts: like FUSE, every operation that returns an Entry adds one
// reference to that inode, which Forget takes back. An inode whose last
// name is removed lives on (as an orphan) while it has references or open
// files, and is reclaimed when the last goes away, or at the next Mount
// after a crash.
//
// Thread safety: every method may be called from any number of threads at
// once. Operations on different inodes do not wait for each other (each
// inode has its own lock); a cross-directory rename takes one global lock
// so that no rename can create a cycle.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fs/caller.h"
#include "fs/result.h"
#include "fs/store.h"
#include "fs/timestamp.h"
#include "lsm/mutex.h"

namespace iron::fs {

// The filesystem's own parts (private headers).
class BlockMap;
class DirCookies;
class InodeStore;
class SpaceGuard;
struct DirEntry;
struct Inode;
struct Superblock;

// The root directory's inode number (FUSE's FUSE_ROOT_ID).
inline constexpr uint64_t kRootIno = 1;
// The on-disk format this program writes and reads (inode_codec.h). A
// filesystem of a later one refuses the mount (EPROTO).
inline constexpr uint8_t kFormatVersion = 1;
// The largest file (as ext4 with 4 KiB blocks allows): 16 TiB.
inline constexpr uint64_t kMaxFileSize = 1ull << 44;
// The most names a non-directory may have (ext4's EXT4_LINK_MAX).
inline constexpr uint32_t kMaxLinks = 65000;
// Extended attributes: a value is at most 64 KiB (XATTR_SIZE_MAX), and one
// inode's names, each with its NUL, take at most what the kernel's
// listxattr buffer holds (XATTR_LIST_MAX, 64 KiB), so they can always be
// listed; a name past that is ENOSPC, as ext4 answers when its space for
// attributes is full.
inline constexpr size_t kMaxXattrValue = 65536;
inline constexpr size_t kMaxXattrList = 65536;
// A symlink's target is shorter than a page, as on ext4.
inline constexpr size_t kMaxSymlinkLength = 4095;
// The open flag the kernel adds when it opens a file to execute it
// (__FMODE_EXEC): such an open needs execute permission, not read.
inline constexpr int kOpenForExec = 040;
// What a new inode and its directory entry take, for SpaceGuard.
inline constexpr uint64_t kMetadataBytes = 512;

struct FormatOptions {
  uint32_t block_size = 4096;  // a power of two, 512 B .. 1 MiB
  // The root directory of a new filesystem.
  uint32_t root_mode = 0755;
  uint32_t root_uid = 0;
  uint32_t root_gid = 0;
};

struct MountOptions {
  bool sync = false;  // every change durable before it returns
  // Inodes kept decoded in memory beyond those the kernel references.
  size_t inode_cache_entries = 1 << 16;
  // The directory whose filesystem the data lives on (for StatFs); empty:
  // StatFs reports no space.
  std::string data_dir;
  // Linux's fs.protected_hardlinks: only a file's owner, or one who may
  // read and write it, links to it. The kernel applies it before asking
  // us; without the kernel (tests, tools) we apply it ourselves.
  bool protected_hardlinks = true;
  // Bytes of data_dir's filesystem kept free: operations that add data
  // fail with ENOSPC below it (space_guard.h). 0: no reserve.
  uint64_t reserve_bytes = 0;
  // Mount writes nothing (no format, no reclaim of orphans left by a
  // crash); the DB is expected to be opened read-only too, and every
  // change then answers EROFS.
  bool read_only = false;
};

// An inode as a lookup answers it.
struct Entry {
  uint64_t ino = 0;
  uint64_t generation = 0;
  struct stat attr {};
};

// What SetAttr changes; an empty field is left alone.
struct AttrChanges {
  enum class Time { kOmit, kNow, kSet };
  std::optional<uint32_t> mode;  // permission bits only (07777)
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;
  Time atime = Time::kOmit;
  Time mtime = Time::kOmit;
  Timestamp atime_value, mtime_value;  // when kSet
  // Set only by the kernel's own bookkeeping (FUSE's writeback cache
  // flushing times it kept), which it has authorized already: times that
  // come with it, or with a size, need no owner's rights.
  std::optional<Timestamp> ctime;
  // The kernel clearing setuid/setgid after a write (file_remove_privs
  // sends a plain mode change): a mode that only drops those bits is then
  // allowed to anybody who may write the file. Only the FUSE adapter sets it.
  bool from_kernel_killpriv = false;
};

// An open regular file. Released with Filesystem::Release.
struct OpenFile {
  uint64_t ino = 0;
  int flags = 0;  // the open(2) flags
  bool readable() const;
  bool writable() const;
};

// An open directory. Its cookies (readdir offsets) are the directory's
// (DirCookies): each resumes right after the entry it was given with,
// however the directory changes meanwhile, on this stream or another.
class DirStream {
 public:
  DirStream(uint64_t ino, std::shared_ptr<DirCookies> cookies)
      : ino_(ino), cookies_(std::move(cookies)) {}
  uint64_t ino() const { return ino_; }

 private:
  friend class Filesystem;
  const uint64_t ino_;
  const std::shared_ptr<DirCookies> cookies_;
};

// One name as ReadDir reports it; `cookie` resumes after it.
struct DirEntryView {
  std::string_view name;
  uint64_t ino;
  uint8_t type;  // DT_*
  uint64_t cookie;
};

// Figures for `ironfs stats` and the tests.
struct FsStats {
  uint64_t inodes = 0;         // live inodes (counted at mount, kept since)
  uint64_t cached_inodes = 0;  // in the InodeTable
  uint64_t orphans_reclaimed_at_mount = 0;
  uint32_t block_size = 0;
};

class Filesystem {
 public:
  // Mounts the filesystem held by `store`, formatting it with `format` if the
  // store is empty. Reclaims orphans left by a crash. `store` must outlive the
  // Filesystem. Fails with EUCLEAN if the superblock or root is damaged,
  // EPROTO if the format is newer than this program.
  static Result<std::unique_ptr<Filesystem>> Mount(Store* store, const MountOptions& options,
                                                   const FormatOptions& format = {});
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  // ---- names
  Result<Entry> Lookup(const Caller& c, uint64_t parent, std::string_view name);
  void Forget(uint64_t ino, uint64_t nlookup);
  // Creates a regular file, FIFO, socket or device. S_IFMT of `mode` picks
  // the type (0 means regular).
  Result<Entry> MakeNode(const Caller& c, uint64_t parent, std::string_view name, uint32_t mode,
                         uint64_t rdev);
  Result<Entry> MakeDir(const Caller& c, uint64_t parent, std::string_view name, uint32_t mode);
  Result<Entry> Symlink(const Caller& c, uint64_t parent, std::string_view name,
                        std::string_view target);
  Result<Entry> Link(const Caller& c, uint64_t ino, uint64_t new_parent, std::string_view new_name);
  Result<void> Unlink(const Caller& c, uint64_t parent, std::string_view name);
  Result<void> RemoveDir(const Caller& c, uint64_t parent, std::string_view name);
  // flags: 0, RENAME_NOREPLACE, RENAME_EXCHANGE (RENAME_WHITEOUT: EINVAL).
  Result<void> Rename(const Caller& c, uint64_t parent, std::string_view name, uint64_t new_parent,
                      std::string_view new_name, unsigned flags);
  Result<std::string> ReadLink(const Caller& c, uint64_t ino);

  // ---- attributes
  Result<struct stat> GetAttr(uint64_t ino);
  // `file`: the open file a change of size comes through (ftruncate), which
  // then needs no write permission on the inode.
  Result<struct stat> SetAttr(const Caller& c, uint64_t ino, const AttrChanges& changes,
                              const OpenFile* file = nullptr);
  Result<void> Access(const Caller& c, uint64_t ino, int mask);
  Result<struct statvfs> StatFs();

  // ---- files
  // Opens (O_TRUNC truncates; O_APPEND appends every write; kOpenForExec
  // asks for execute permission instead of read, as execve does).
  Result<std::unique_ptr<OpenFile>> Open(const Caller& c, uint64_t ino, int flags);
  // Creates and opens `name`; if it exists, O_EXCL gives EEXIST and
  // otherwise it is opened as Open would.
  Result<std::pair<Entry, std::unique_ptr<OpenFile>>> Create(const Caller& c, uint64_t parent,
                                                             std::string_view name,
                                                             uint32_t mode, int flags);
  void Release(std::unique_ptr<OpenFile> file);
  // Reads up to out.size() bytes at `offset`; fewer at the end of the file.
  Result<size_t> Read(const OpenFile& file, uint64_t offset, std::span<char> out);
  Result<size_t> Write(const Caller& c, const OpenFile& file, uint64_t offset,
                       std::string_view data);
  // mode: 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE|KEEP_SIZE,
  // FALLOC_FL_ZERO_RANGE[|KEEP_SIZE]; others EOPNOTSUPP.
  Result<void> Fallocate(const Caller& c, const OpenFile& file, int mode, uint64_t offset,
                         uint64_t length);
  // whence: SEEK_DATA or SEEK_HOLE.
  Result<uint64_t> SeekData(const OpenFile& file, uint64_t offset, int whence);
  Result<size_t> CopyFileRange(const Caller& c, const OpenFile& in, uint64_t in_offset,
                               const OpenFile& out, uint64_t out_offset, size_t length);
  // Makes every change so far durable (the engine's WAL has no per-file
  // sync; one group-committed fdatasync serves everybody).
  Result<void> Fsync();
  // Merges every table of the engine down to its last level and waits:
  // the space of deleted data is free afterwards. Slow; for maintenance.
  Result<void> Compact();

  // ---- directories
  Result<std::unique_ptr<DirStream>> OpenDir(const Caller& c, uint64_t ino);
  void ReleaseDir(std::unique_ptr<DirStream> dir);
  // Calls `emit` for each entry after `cookie` (0: from the start, with
  // "." and ".."), until it returns false or the directory ends.
  Result<void> ReadDir(DirStream& dir, uint64_t cookie,
                       const std::function<bool(const DirEntryView&)>& emit);

  // ReadDir with each entry's attributes (FUSE's readdirplus). An entry
  // that `emit` takes (returns true for) gains a reference, as from Lookup;
  // "." and ".." come with ino 0 in their Entry and gain none, as the
  // kernel expects.
  Result<void> ReadDirPlus(DirStream& dir, uint64_t cookie,
                           const std::function<bool(const DirEntryView&, const Entry&)>& emit);

  // ---- extended attributes
  // flags: 0, XATTR_CREATE, XATTR_REPLACE.
  Result<void> SetXattr(const Caller& c, uint64_t ino, std::string_view name,
                        std::string_view value, int flags);
  // size 0 asks for the value's length only (the value is then returned
  // anyway); a value longer than a non-zero `size` is ERANGE.
  Result<std::string> GetXattr(const Caller& c, uint64_t ino, std::string_view name, size_t size);
  // NUL-terminated names, concatenated; `size` as for GetXattr.
  Result<std::string> ListXattr(const Caller& c, uint64_t ino, size_t size);
  Result<void> RemoveXattr(const Caller& c, uint64_t ino, std::string_view name);

  FsStats GetStats();
  uint32_t block_size() const;

 private:
  Filesystem(Store* store, const MountOptions& options, const Superblock& sb);

  // -- names (namespace.cc)
  // The entry `name` of directory `dir` (dir's lock held).
  Result<DirEntry> ReadEntry(uint64_t dir, std::string_view name);
  // Creates `name` in `parent` (mknod, mkdir, symlink, create); opens it
  // into *open_file when open_file is given.
  Result<Entry> CreateObject(const Caller& c, uint64_t parent, std::string_view name,
                             uint32_t mode, uint64_t rdev, std::string_view symlink,
                             std::unique_ptr<OpenFile>* open_file, int open_flags);
  // What open(O_CREAT) checks of a name that exists in `dir`.
  Result<void> MayOpenExisting(const Caller& c, const Inode& dir, uint64_t ino);
  Result<void> RemoveEntry(const Caller& c, uint64_t parent, std::string_view name, bool dir);
  Result<bool> DirIsEmpty(uint64_t dir);
  // Whether `ancestor` is `dir` or one of its ancestors (rename_mu_ held).
  Result<bool> IsAncestor(uint64_t ancestor, uint64_t dir);

  Store* const store_;
  const MountOptions options_;
  // Declared in the order they are built: each uses the ones before it.
  const std::unique_ptr<SpaceGuard> space_;  // what may be written
  const std::unique_ptr<BlockMap> blocks_;   // the bytes of files
  const std::unique_ptr<InodeStore> inodes_;

  // Held by every rename between two directories: the ancestry of
  // directories changes only under it.
  lsm::Mutex rename_mu_;
};

}  // namespace iron::fs

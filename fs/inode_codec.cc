#include "inode_codec.h"

#include <time.h>

#include <cstring>

#include "coding.h"

namespace iron::fs {
namespace {

constexpr size_t kInodeFixedSize = 109;
constexpr size_t kSuperblockSize = 48;
constexpr size_t kDirEntrySize = 10;

void PutTime(std::string* dst, Timestamp t) {
  PutFixed64(dst, static_cast<uint64_t>(t.sec));
  PutFixed32(dst, t.nsec);
}

// A cursor over a value that has already been checked to be long enough.
class Reader {
 public:
  explicit Reader(const char* p) : p_(p) {}
  uint8_t U8() { return static_cast<uint8_t>(*p_++); }
  uint16_t U16() {
    uint16_t v;
    std::memcpy(&v, p_, 2);
    p_ += 2;
    return v;
  }
  uint32_t U32() {
    uint32_t v = DecodeFixed32(p_);
    p_ += 4;
    return v;
  }
  uint64_t U64() {
    uint64_t v = DecodeFixed64(p_);
    p_ += 8;
    return v;
  }
  Timestamp Time() {
    Timestamp t;
    t.sec = static_cast<int64_t>(U64());
    t.nsec = U32();
    return t;
  }
  void Bytes(void* dst, size_t n) {
    std::memcpy(dst, p_, n);
    p_ += n;
  }

 private:
  const char* p_;
};

}  // namespace

Timestamp Now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

void Inode::Touch(Timestamp now, bool modified) {
  ctime = now;
  if (modified) mtime = now;
}

std::string EncodeInode(const Inode& n) {
  std::string v;
  v.reserve(kInodeFixedSize + n.symlink.size());
  v.push_back(static_cast<char>(kFormatVersion));
  PutFixed32(&v, n.mode);
  PutFixed32(&v, n.uid);
  PutFixed32(&v, n.gid);
  PutFixed32(&v, n.nlink);
  PutFixed32(&v, n.flags);
  PutFixed64(&v, n.size);
  PutFixed64(&v, n.blocks);
  PutFixed64(&v, n.rdev);
  PutFixed64(&v, n.parent);
  PutFixed64(&v, n.generation);
  PutTime(&v, n.atime);
  PutTime(&v, n.mtime);
  PutTime(&v, n.ctime);
  PutTime(&v, n.btime);
  v.append(n.symlink);
  return v;
}

bool DecodeInode(uint64_t ino, std::string_view value, Inode* out) {
  if (value.size() < kInodeFixedSize || FormatOf(value) != kFormatVersion) return false;
  Reader r(value.data() + 1);
  Inode n;
  n.ino = ino;
  n.mode = r.U32();
  n.uid = r.U32();
  n.gid = r.U32();
  n.nlink = r.U32();
  n.flags = r.U32();
  n.size = r.U64();
  n.blocks = r.U64();
  n.rdev = r.U64();
  n.parent = r.U64();
  n.generation = r.U64();
  n.atime = r.Time();
  n.mtime = r.Time();
  n.ctime = r.Time();
  n.btime = r.Time();
  if (n.atime.nsec >= 1000000000 || n.mtime.nsec >= 1000000000 ||
      n.ctime.nsec >= 1000000000 || n.btime.nsec >= 1000000000) {
    return false;
  }
  std::string_view tail = value.substr(kInodeFixedSize);
  if (S_ISLNK(n.mode)) {
    if (tail.size() != n.size || tail.empty()) return false;
    n.symlink.assign(tail);
  } else if (!tail.empty()) {
    return false;
  }
  *out = std::move(n);
  return true;
}

std::string EncodeSuperblock(const Superblock& sb) {
  std::string v;
  v.push_back(static_cast<char>(kFormatVersion));
  v.push_back(0);
  v.append(2, '\0');
  PutFixed32(&v, sb.block_size);
  v.append(reinterpret_cast<const char*>(sb.uuid), sizeof(sb.uuid));
  PutTime(&v, sb.created);
  PutFixed64(&v, sb.inode_limit);
  PutFixed32(&v, 0);
  return v;
}

bool DecodeSuperblock(std::string_view value, Superblock* out) {
  if (value.size() != kSuperblockSize || FormatOf(value) != kFormatVersion) return false;
  Reader r(value.data() + 1);
  Superblock sb;
  r.U8();
  r.U16();
  sb.block_size = r.U32();
  r.Bytes(sb.uuid, sizeof(sb.uuid));
  sb.created = r.Time();
  sb.inode_limit = r.U64();
  bool power_of_two = sb.block_size != 0 && (sb.block_size & (sb.block_size - 1)) == 0;
  if (!power_of_two || sb.block_size < 512 || sb.block_size > (1u << 20)) return false;
  *out = sb;
  return true;
}

std::string EncodeDirEntry(const DirEntry& e) {
  std::string v;
  v.push_back(static_cast<char>(kFormatVersion));
  PutFixed64(&v, e.ino);
  v.push_back(static_cast<char>(e.type));
  return v;
}

bool DecodeDirEntry(std::string_view value, DirEntry* out) {
  if (value.size() != kDirEntrySize || FormatOf(value) != kFormatVersion) return false;
  Reader r(value.data() + 1);
  out->ino = r.U64();
  out->type = r.U8();
  return out->ino != 0;
}

}  // namespace iron::fs

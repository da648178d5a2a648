// File data: reads and writes at any offset and length, holes, truncation,
// fallocate's modes, SEEK_DATA/SEEK_HOLE, copy_file_range, O_APPEND and
// O_TRUNC, checked against a byte-for-byte model, across block sizes.
#include <errno.h>
#include <linux/falloc.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <random>

#include "tests/fs/fs_fixture.h"

namespace iron::fs::test {
namespace {

class FileDataTest : public FsFixture, public ::testing::WithParamInterface<uint32_t> {
 protected:
  void SetUp() override {
    FormatOptions format = OpenRoot();
    format.block_size = GetParam();
    Mount(format);
    auto created = fs_->Create(Root(), kRootIno, "f", 0644, O_CREAT | O_RDWR);
    ASSERT_TRUE(created.ok());
    ino_ = created->first.ino;
    fs_->Forget(ino_, 1);
    file_ = std::move(created->second);
  }
  void TearDown() override {
    fs_->Release(std::move(file_));
    FsFixture::TearDown();
  }

  void Write(uint64_t offset, const std::string& data) {
    Result<size_t> n = fs_->Write(Root(), *file_, offset, data);
    ASSERT_TRUE(n.ok()) << "errno " << n.error();
    ASSERT_EQ(*n, data.size());
    if (model_.size() < offset + data.size()) model_.resize(offset + data.size(), '\0');
    model_.replace(offset, data.size(), data);
  }
  void Truncate(uint64_t size) {
    ASSERT_TRUE(fs_->SetAttr(Root(), ino_, {.size = size}, file_.get()).ok());
    model_.resize(size, '\0');
  }
  void Verify() {
    ASSERT_EQ(static_cast<uint64_t>(Stat(ino_).st_size), model_.size());
    std::string got(model_.size() + 10, '?');
    Result<size_t> n = fs_->Read(*file_, 0, got);
    ASSERT_TRUE(n.ok());
    got.resize(*n);
    ASSERT_TRUE(got == model_) << "contents differ";
  }

  uint64_t ino_ = 0;
  std::unique_ptr<OpenFile> file_;
  std::string model_;
};

TEST_P(FileDataTest, RandomWritesTruncatesAndReadsMatchAModel) {
  std::mt19937_64 rng(GetParam());
  const uint64_t span = 6 * GetParam() + 777;
  for (int i = 0; i < 400; ++i) {
    uint64_t offset = rng() % span;
    switch (rng() % 6) {
      case 0:
        Truncate(rng() % span);
        break;
      default: {
        std::string data(1 + rng() % (2 * GetParam()), '\0');
        for (char& ch : data) ch = static_cast<char>('a' + rng() % 26);
        Write(offset, data);
      }
    }
    // A random read at a random place.
    uint64_t at = rng() % (span + 100);
    std::string buf(rng() % (3 * GetParam()), '?');
    Result<size_t> n = fs_->Read(*file_, at, buf);
    ASSERT_TRUE(n.ok());
    size_t want = at >= model_.size() ? 0 : std::min(buf.size(), model_.size() - at);
    ASSERT_EQ(*n, want);
    ASSERT_EQ(buf.substr(0, want), model_.substr(std::min<uint64_t>(at, model_.size()), want));
  }
  Verify();
  Remount();
  auto reopened = fs_->Open(Root(), ino_, O_RDWR);
  ASSERT_TRUE(reopened.ok());
  file_ = std::move(*reopened);
  Verify();
}

TEST_P(FileDataTest, HolesReadAsZerosAndCostNothing) {
  Write(10 * GetParam() + 5, "end");
  EXPECT_EQ(Stat(ino_).st_blocks * 512, GetParam());  // only the last block is stored
  EXPECT_LT(Stat(ino_).st_blocks * 512, Stat(ino_).st_size);
  Verify();
  Truncate(100 * GetParam());  // growing adds a hole
  Verify();
  Write(0, "start");
  Truncate(3);  // shrinking drops bytes, regrowing shows zeros
  Truncate(GetParam() * 2);
  Verify();
}

TEST_P(FileDataTest, SeekDataAndHole) {
  const uint64_t bs = GetParam();
  Write(2 * bs, std::string(bs, 'x'));  // block 2
  Write(5 * bs, "y");                   // block 5, short
  Result<uint64_t> r = fs_->SeekData(*file_, 0, SEEK_DATA);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2 * bs);
  EXPECT_EQ(*fs_->SeekData(*file_, 2 * bs + 7, SEEK_DATA), 2 * bs + 7);
  EXPECT_EQ(*fs_->SeekData(*file_, 3 * bs, SEEK_DATA), 5 * bs);
  EXPECT_EQ(*fs_->SeekData(*file_, 0, SEEK_HOLE), 0u);
  EXPECT_EQ(*fs_->SeekData(*file_, 2 * bs, SEEK_HOLE), 3 * bs);
  EXPECT_EQ(*fs_->SeekData(*file_, 5 * bs, SEEK_HOLE), 5 * bs + 1);  // the end is a hole
  EXPECT_EQ(fs_->SeekData(*file_, 5 * bs + 1, SEEK_DATA).error(), ENXIO);
  EXPECT_EQ(fs_->SeekData(*file_, 5 * bs + 1, SEEK_HOLE).error(), ENXIO);
  Truncate(10 * bs);
  EXPECT_EQ(fs_->SeekData(*file_, 6 * bs, SEEK_DATA).error(), ENXIO);
}

TEST_P(FileDataTest, FallocateModes) {
  const uint64_t bs = GetParam();
  Write(0, std::string(4 * bs, 'a'));
  ASSERT_TRUE(fs_->Fallocate(Root(), *file_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, bs / 2, 2 * bs).ok());
  model_.replace(bs / 2, 2 * bs, 2 * bs, '\0');
  Verify();
  EXPECT_EQ(*fs_->SeekData(*file_, bs, SEEK_HOLE), bs);  // block 1 is gone
  ASSERT_TRUE(fs_->Fallocate(Root(), *file_, FALLOC_FL_ZERO_RANGE, 3 * bs + 1, 2 * bs).ok());
  model_.resize(5 * bs + 1, '\0');
  model_.replace(3 * bs + 1, 2 * bs, 2 * bs, '\0');
  Verify();
  ASSERT_TRUE(fs_->Fallocate(Root(), *file_, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 100 * bs).ok());
  model_.assign(model_.size(), '\0');
  Verify();
  ASSERT_TRUE(fs_->Fallocate(Root(), *file_, FALLOC_FL_KEEP_SIZE, 0, 100 * bs).ok());
  Verify();
  ASSERT_TRUE(fs_->Fallocate(Root(), *file_, 0, 0, 8 * bs).ok());
  model_.resize(8 * bs, '\0');
  Verify();
  EXPECT_EQ(fs_->Fallocate(Root(), *file_, FALLOC_FL_PUNCH_HOLE, 0, 1).error(), EOPNOTSUPP);
  EXPECT_EQ(fs_->Fallocate(Root(), *file_, FALLOC_FL_COLLAPSE_RANGE, 0, bs).error(), EOPNOTSUPP);
  EXPECT_EQ(fs_->Fallocate(Root(), *file_, FALLOC_FL_INSERT_RANGE, 0, bs).error(), EOPNOTSUPP);
  EXPECT_EQ(fs_->Fallocate(Root(), *file_, 0, 0, 0).error(), EINVAL);
  EXPECT_EQ(fs_->Fallocate(Root(), *file_, 0, kMaxFileSize, 1).error(), EFBIG);
}

TEST_P(FileDataTest, CopyFileRange) {
  Write(0, std::string(3 * GetParam(), 'q') + "tail");
  auto other = fs_->Create(Root(), kRootIno, "g", 0644, O_CREAT | O_RDWR);
  ASSERT_TRUE(other.ok());
  fs_->Forget(other->first.ino, 1);
  Result<size_t> n = fs_->CopyFileRange(Root(), *file_, 1, *other->second, 7, 1 << 30);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, model_.size() - 1);
  std::string got(model_.size() + 6, '?');
  ASSERT_EQ(*fs_->Read(*other->second, 0, got), model_.size() + 6);
  EXPECT_EQ(got, std::string(7, '\0') + model_.substr(1));
  EXPECT_EQ(*fs_->CopyFileRange(Root(), *file_, model_.size(), *other->second, 0, 10), 0u);
  // Overlapping ranges of one file are refused; disjoint ones work.
  EXPECT_EQ(fs_->CopyFileRange(Root(), *file_, 0, *file_, 1, 10).error(), EINVAL);
  ASSERT_TRUE(fs_->CopyFileRange(Root(), *file_, 0, *file_, model_.size(), 4).ok());
  model_ += model_.substr(0, 4);
  Verify();
  fs_->Release(std::move(other->second));
}

TEST_P(FileDataTest, AppendAndTruncateFlags) {
  Write(0, "hello");
  auto app = fs_->Open(Root(), ino_, O_WRONLY | O_APPEND);
  ASSERT_TRUE(app.ok());
  ASSERT_TRUE(fs_->Write(Root(), **app, 0, " world").ok());  // the offset is ignored
  model_ += " world";
  Verify();
  fs_->Release(std::move(*app));
  auto trunc = fs_->Open(Root(), ino_, O_WRONLY | O_TRUNC);
  ASSERT_TRUE(trunc.ok());
  model_.clear();
  Verify();
  fs_->Release(std::move(*trunc));
  EXPECT_EQ(fs_->Write(Root(), *file_, kMaxFileSize, "x").error(), EFBIG);
  Result<size_t> short_write = fs_->Write(Root(), *file_, kMaxFileSize - 2, "xyz");
  ASSERT_TRUE(short_write.ok());
  EXPECT_EQ(*short_write, 2u);
}

TEST_P(FileDataTest, OpenChecks) {
  uint64_t d = Mkdir(kRootIno, "d");
  EXPECT_EQ(fs_->Open(Root(), d, O_WRONLY).error(), EISDIR);
  ASSERT_TRUE(fs_->SetAttr(Root(), ino_, {.mode = 0640}).ok());
  EXPECT_EQ(fs_->Open(Alice(), ino_, O_RDONLY).error(), EACCES);
  ASSERT_TRUE(fs_->SetAttr(Root(), ino_, {.mode = 0644}).ok());
  EXPECT_TRUE(fs_->Open(Alice(), ino_, O_RDONLY).ok());
  EXPECT_EQ(fs_->Open(Alice(), ino_, O_RDWR).error(), EACCES);
  EXPECT_EQ(fs_->Open(Alice(), ino_, O_RDONLY | O_TRUNC).error(), EACCES);
  Result<std::pair<Entry, std::unique_ptr<OpenFile>>> again =
      fs_->Create(Root(), kRootIno, "f", 0644, O_CREAT | O_EXCL | O_RDWR);
  EXPECT_EQ(again.error(), EEXIST);
  auto open_existing = fs_->Create(Root(), kRootIno, "f", 0644, O_CREAT | O_RDWR);
  ASSERT_TRUE(open_existing.ok());
  EXPECT_EQ(open_existing->first.ino, ino_);
  fs_->Forget(ino_, 1);
  fs_->Release(std::move(open_existing->second));
}

TEST_P(FileDataTest, DeletingALargeFileIsOneRangeTombstone) {
  const uint64_t bs = GetParam();
  for (uint64_t i = 0; i < 64; ++i) Write(i * bs, std::string(bs, static_cast<char>('a' + i % 26)));
  ASSERT_TRUE(db_->Flush().ok());
  lsm::DBStats before = db_->GetStats();
  fs_->Release(std::move(file_));
  ASSERT_TRUE(fs_->Unlink(Root(), kRootIno, "f").ok());
  lsm::DBStats after = db_->GetStats();
  // inode + orphan + dentry + parent + one range: a handful of updates.
  EXPECT_LE(after.user_bytes_written - before.user_bytes_written, 400u);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(CheckFilesystem(store()).blocks, 0u);
  EXPECT_LT(db_->GetStats().live_table_bytes, 16 * bs);
  auto again = fs_->Create(Root(), kRootIno, "f", 0644, O_CREAT | O_RDWR);
  ASSERT_TRUE(again.ok());
  fs_->Forget(again->first.ino, 1);
  ino_ = again->first.ino;
  file_ = std::move(again->second);
}

// fallocate allocates as on ext4: blocks it stores count in st_blocks and
// read as zeros, and a range the disk has no room for is ENOSPC up front
// rather than a later write's surprise.
TEST_P(FileDataTest, FallocateAllocatesOrSaysENOSPC) {
  const uint64_t bs = GetParam();
  Write(0, std::string(bs + 1, 'a'));  // blocks 0 and 1 are stored
  ASSERT_TRUE(fs_->Fallocate(Root(), *file_, 0, 0, 8 * bs).ok());
  model_.resize(8 * bs, '\0');
  Verify();
  EXPECT_EQ(Stat(ino_).st_blocks, static_cast<blkcnt_t>(8 * bs / 512));
  // KEEP_SIZE past the end stores nothing there (and changes no size).
  ASSERT_TRUE(fs_->Fallocate(Root(), *file_, FALLOC_FL_KEEP_SIZE, 6 * bs, 8 * bs).ok());
  Verify();
  EXPECT_EQ(Stat(ino_).st_blocks, static_cast<blkcnt_t>(8 * bs / 512));
  Write(3 * bs + 5, "xyz");  // into an allocated block
  Verify();
  Truncate(bs);
  EXPECT_EQ(Stat(ino_).st_blocks, static_cast<blkcnt_t>(bs / 512));

  // A disk with 64 MiB left beyond the reserve.
  struct statvfs vfs;
  ASSERT_EQ(statvfs(dir_.path().c_str(), &vfs), 0);
  const uint64_t free = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  ASSERT_GT(free, 128u << 20);
  fs_->Release(std::move(file_));
  mount_options_.reserve_bytes = free - (64 << 20);
  Remount();
  auto f = fs_->Open(Root(), ino_, O_RDWR);
  ASSERT_TRUE(f.ok());
  file_ = std::move(*f);
  EXPECT_EQ(fs_->Fallocate(Root(), *file_, 0, 0, 1ull << 30).error(), ENOSPC);
  EXPECT_EQ(fs_->Fallocate(Root(), *file_, FALLOC_FL_KEEP_SIZE, 0, 1ull << 30).error(), ENOSPC);
  Verify();
  EXPECT_EQ(Stat(ino_).st_blocks, static_cast<blkcnt_t>(bs / 512));
  ASSERT_TRUE(fs_->Fallocate(Root(), *file_, 0, 0, 1 << 20).ok());
  model_.resize(1 << 20, '\0');
  Verify();
  EXPECT_EQ(Stat(ino_).st_blocks, static_cast<blkcnt_t>((1 << 20) / 512));
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, FileDataTest, ::testing::Values(512u, 4096u, 65536u));

// An open for execve (the kernel's __FMODE_EXEC in the flags) needs the
// execute bits, not the read bits, as on ext4: with no_default_permissions
// nobody else judges it.
class ExecOpenTest : public FsFixture {};

TEST_F(ExecOpenTest, IsJudgedOnExecuteBits) {
  uint64_t readable = WriteFile(kRootIno, "readable", "#!", 0744, Root());
  uint64_t runnable = WriteFile(kRootIno, "runnable", "#!", 0711, Root());
  EXPECT_EQ(fs_->Open(Alice(), readable, O_RDONLY | kOpenForExec).error(), EACCES);
  auto ran = fs_->Open(Alice(), runnable, O_RDONLY | kOpenForExec);
  ASSERT_TRUE(ran.ok());
  fs_->Release(std::move(*ran));
  // Plain reads are judged as before.
  auto read = fs_->Open(Alice(), readable, O_RDONLY);
  ASSERT_TRUE(read.ok());
  fs_->Release(std::move(*read));
  EXPECT_EQ(fs_->Open(Alice(), runnable, O_RDONLY).error(), EACCES);
  // Root executes what has an execute bit.
  uint64_t plain = WriteFile(kRootIno, "plain", "#!", 0644, Root());
  EXPECT_EQ(fs_->Open(Root(), plain, O_RDONLY | kOpenForExec).error(), EACCES);
}

}  // namespace
}  // namespace iron::fs::test

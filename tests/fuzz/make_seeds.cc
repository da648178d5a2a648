// Writes the seed corpus of the fuzz targets with the engine's and the
// filesystem's own encoders: a few small, valid encodings per target.
//
//   fuzz_make_seeds DIR     writes DIR/<target>/<seed> (DIR is tests/fuzz/corpus)
//
// The seeds are committed; rerun this when a format changes. Each seed is
// a whole input of its target (see the comment at the top of each
// <target>_fuzz.cc).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fs/inode_codec.h"
#include "fs/key_schema.h"
#include "lsm/block_builder.h"
#include "lsm/internal_key.h"
#include "lsm/table_builder.h"
#include "lsm/table_format.h"
#include "lsm/version_edit.h"
#include "lsm/wal_writer.h"
#include "lsm/write_batch.h"
#include "lsm/write_batch_internal.h"
#include "tests/fuzz/memory_files.h"

namespace {

using namespace iron;
using lsm::ValueType;

std::filesystem::path corpus;

// Seeds are built in memory, where nothing should fail: if it does, the
// corpus would be wrong, so stop.
[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "make_seeds: could not build %s\n", what);
  std::exit(1);
}

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
  std::filesystem::create_directories(corpus / target);
  std::ofstream(corpus / target / name, std::ios::binary).write(bytes.data(), bytes.size());
}

lsm::WriteBatch SmallBatch(lsm::SequenceNumber sequence) {
  lsm::WriteBatch b;
  b.Put(fs::InodeKey(1), "inode");
  b.Put(fs::DirEntryKey(1, "hello"), "entry");
  b.Delete(fs::BlockKey(2, 0));
  b.DeleteRange(fs::ObjectBegin(fs::KeyKind::kBlock, 3), fs::ObjectEnd(fs::KeyKind::kBlock, 3));
  lsm::WriteBatchInternal::SetSequence(&b, sequence);
  return b;
}

std::string Log(std::initializer_list<std::string_view> records) {
  std::string bytes;
  lsm::WalWriter writer(std::make_unique<fuzz::StringWritableFile>(&bytes));
  for (std::string_view r : records) {
    if (!writer.AddRecord(r).ok()) Die("a WAL record into memory");
  }
  return bytes;
}

void WriteBatchSeeds() {
  lsm::WriteBatch empty;
  Write("write_batch", "empty", lsm::WriteBatchInternal::Contents(empty));
  Write("write_batch", "mixed", lsm::WriteBatchInternal::Contents(SmallBatch(100)));
  lsm::WriteBatch one;
  one.Put("k", std::string(40, 'v'));
  lsm::WriteBatchInternal::SetSequence(&one, lsm::kMaxSequenceNumber - 1);
  Write("write_batch", "high_sequence", lsm::WriteBatchInternal::Contents(one));
}

void WalSeeds() {
  std::string a(lsm::WriteBatchInternal::Contents(SmallBatch(1)));
  std::string b(lsm::WriteBatchInternal::Contents(SmallBatch(5)));
  std::string log = Log({a, b});
  Write("wal", "two_batches", log);
  Write("wal", "torn_tail", log.substr(0, log.size() - 3));
  Write("wal", "zero_tail", log + std::string(64, '\0'));
  Write("wal", "empty_record", Log({""}));
}

std::string Block(int restart_interval, int entries, bool internal_keys) {
  lsm::BlockBuilder builder(restart_interval);
  for (int i = 0; i < entries; ++i) {
    char user_key[16];
    std::snprintf(user_key, sizeof(user_key), "key%03d", i);
    std::string key = internal_keys ? lsm::MakeInternalKey(user_key, 100 + i, ValueType::kValue)
                                    : std::string(user_key);
    builder.Add(key, "value" + std::to_string(i));
  }
  return std::string(builder.Finish());
}

void BlockSeeds() {
  Write("block", "data", Block(4, 12, true));
  Write("block", "restart_every_entry", Block(1, 5, true));
  Write("block", "user_keys", Block(16, 6, false));
  Write("block", "empty", Block(16, 0, false));
}

std::string Table(int entries, bool with_tombstones, int bloom_bits_per_key) {
  lsm::Options options;
  options.block_size = 256;
  options.block_restart_interval = 4;
  options.bloom_bits_per_key = bloom_bits_per_key;
  std::string bytes;
  fuzz::StringWritableFile file(&bytes);
  lsm::TableBuilder builder(options, &file);
  for (int i = 0; i < entries; ++i) {
    char user_key[16];
    std::snprintf(user_key, sizeof(user_key), "k%04d", i / 2);
    // Two versions of every key: a value, then an older deletion.
    ValueType type = i % 2 == 0 ? ValueType::kValue : ValueType::kDeletion;
    builder.Add(lsm::MakeInternalKey(user_key, 1000 - i, type),
                type == ValueType::kValue ? "v" + std::to_string(i) : "");
  }
  if (with_tombstones) {
    builder.AddRangeTombstone({"k0002", "k0005", 2000});
    builder.AddRangeTombstone({"k0004", "k0009", 1500});
  }
  if (!builder.Finish().ok()) Die("a table into memory");
  return bytes;
}

void TableSeeds() {
  Write("table", "blocks_and_tombstones", Table(40, true, 10));
  Write("table", "one_entry", Table(1, false, 10));
  Write("table", "no_filter", Table(10, false, 0));
  Write("table", "only_tombstones", Table(0, true, 10));
}

void ManifestSeeds() {
  lsm::VersionEdit snapshot;
  snapshot.SetLogNumber(7);
  snapshot.SetNextFileNumber(12);
  snapshot.SetLastSequence(3000);
  lsm::FileMetaData f;
  f.number = 9;
  f.file_size = 4096;
  f.smallest = lsm::MakeInternalKey("a", 10, ValueType::kValue);
  f.largest = lsm::MakeInternalKey("m", lsm::kMaxSequenceNumber, ValueType::kRangeDeletion);
  f.num_entries = 50;
  f.largest_sequence = 2999;
  snapshot.AddFile(0, f);
  f.number = 10;
  snapshot.AddFile(1, f);
  std::string first;
  snapshot.EncodeTo(&first);

  lsm::VersionEdit change;
  change.SetLogNumber(11);
  change.SetNextFileNumber(13);
  change.SetLastSequence(3100);
  change.RemoveFile(0, 9);
  std::string second;
  change.EncodeTo(&second);

  Write("manifest", "snapshot_edit", first);
  Write("manifest", "change_edit", second);
  Write("manifest", "manifest_log", Log({first, second}));
}

void FsValueSeeds() {
  fs::Inode file;
  file.mode = S_IFREG | 0644;
  file.uid = 1000;
  file.gid = 1000;
  file.nlink = 1;
  file.size = 12345;
  file.blocks = 4;
  file.parent = 1;
  file.generation = 3;
  file.mtime = {1700000000, 123456789};
  Write("fs_values", "inode_file", fs::EncodeInode(file));
  fs::Inode link = file;
  link.mode = S_IFLNK | 0777;
  link.symlink = "../target";
  link.size = link.symlink.size();
  Write("fs_values", "inode_symlink", fs::EncodeInode(link));
  fs::Superblock sb;
  sb.block_size = 4096;
  sb.uuid[0] = 0x5a;
  sb.created = {1700000000, 1};
  sb.inode_limit = 1024;
  Write("fs_values", "superblock", fs::EncodeSuperblock(sb));
  Write("fs_values", "dir_entry", fs::EncodeDirEntry({2, fs::TypeOfMode(S_IFDIR)}));
  Write("fs_values", "key_superblock", fs::SuperblockKey());
  Write("fs_values", "key_inode", fs::InodeKey(2));
  Write("fs_values", "key_dir_entry", fs::DirEntryKey(1, "hello.txt"));
  Write("fs_values", "key_block", fs::BlockKey(2, 7));
  Write("fs_values", "key_xattr", fs::XattrKey(2, "user.comment"));
  Write("fs_values", "key_orphan", fs::OrphanKey(5));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  corpus = argv[1];
  WalSeeds();
  WriteBatchSeeds();
  BlockSeeds();
  TableSeeds();
  ManifestSeeds();
  FsValueSeeds();
  return 0;
}

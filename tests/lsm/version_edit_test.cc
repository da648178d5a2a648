#include "lsm/version_edit.h"

#include <gtest/gtest.h>

namespace iron::lsm {
namespace {

TEST(VersionEditTest, EncodeDecodeRoundTrip) {
  VersionEdit edit;
  edit.SetLogNumber(7);
  edit.SetNextFileNumber(42);
  edit.SetLastSequence(123456789);
  for (int i = 0; i < 4; ++i) {
    FileMetaData f;
    f.number = 10 + i;
    f.file_size = 1000 * (i + 1);
    f.smallest = MakeInternalKey("a" + std::to_string(i), 5, ValueType::kValue);
    f.largest = MakeInternalKey("z" + std::to_string(i), kMaxSequenceNumber,
                                ValueType::kRangeDeletion);
    f.num_entries = 99 + i;
    f.largest_sequence = 500 + i;
    f.num_deletions = i % 2 == 0 ? 0 : 7 * i;  // absent (0) and present
    edit.AddFile(i, f);
    edit.RemoveFile(i + 1, 3 + i);
  }
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit parsed;
  ASSERT_TRUE(parsed.DecodeFrom(encoded).ok());
  std::string again;
  parsed.EncodeTo(&again);
  EXPECT_EQ(encoded, again);
  EXPECT_EQ(*parsed.log_number(), 7u);
  EXPECT_EQ(*parsed.next_file_number(), 42u);
  EXPECT_EQ(*parsed.last_sequence(), 123456789u);
  ASSERT_EQ(parsed.new_files().size(), 4u);
  EXPECT_EQ(parsed.new_files()[2].first, 2);
  EXPECT_EQ(parsed.new_files()[2].second.largest, edit.new_files()[2].second.largest);
  EXPECT_EQ(parsed.new_files()[3].second.largest_sequence, 503u);
  EXPECT_EQ(parsed.new_files()[2].second.num_deletions, 0u);
  EXPECT_EQ(parsed.new_files()[3].second.num_deletions, 21u);
  ASSERT_EQ(parsed.deleted_files().size(), 4u);
  EXPECT_EQ(parsed.deleted_files()[1], std::make_pair(2, uint64_t{4}));
}

TEST(VersionEditTest, EmptyEditHasNothing) {
  VersionEdit edit, parsed;
  std::string encoded;
  edit.EncodeTo(&encoded);
  ASSERT_TRUE(parsed.DecodeFrom(encoded).ok());
  EXPECT_FALSE(parsed.log_number().has_value());
  EXPECT_TRUE(parsed.new_files().empty());
}

TEST(VersionEditTest, GarbageIsCorruptionNotACrash) {
  VersionEdit edit;
  edit.SetLogNumber(1);
  FileMetaData f;
  f.number = 1;
  f.smallest = MakeInternalKey("a", 1, ValueType::kValue);
  f.largest = MakeInternalKey("b", 1, ValueType::kValue);
  edit.AddFile(0, f);
  std::string encoded;
  edit.EncodeTo(&encoded);
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    VersionEdit parsed;
    Status s = parsed.DecodeFrom(std::string_view(encoded).substr(0, cut));
    // A prefix either decodes as a shorter edit or is rejected; it never crashes.
    if (!s.ok()) {
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    }
  }
  VersionEdit parsed;
  EXPECT_TRUE(parsed.DecodeFrom(std::string("\x63\x01\x02", 3)).IsCorruption());
}

}  // namespace
}  // namespace iron::lsm

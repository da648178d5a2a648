// The WAL record framing: round trips, and the line between a torn tail
// (dropped quietly) and damage (reported as such).
#include <random>

#include <gtest/gtest.h>

#include "lsm/coding.h"

#include "lsm/env.h"
#include "lsm/wal_reader.h"
#include "lsm/wal_writer.h"
#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

struct Recorder : WalReader::Reporter {
  int calls = 0;
  uint64_t bytes = 0;
  std::string message;
  WalReader::Drop kind = WalReader::Drop::kDamage;
  void Dropped(uint64_t b, WalReader::Drop k, const Status& reason) override {
    ++calls;
    bytes = b;
    kind = k;
    message = reason.message();
  }
};

class WalTest : public ::testing::TestWithParam<bool> {  // param: NewLogFile (mapped) or plain
 protected:
  std::string path() { return dir_.Join("000001.log"); }
  void Write(const std::vector<std::string>& records) {
    std::unique_ptr<WritableFile> f;
    Env* env = Env::Default();
    ASSERT_TRUE((GetParam() ? env->NewLogFile(path(), &f) : env->NewWritableFile(path(), &f)).ok());
    WalWriter w(std::move(f));
    uint64_t expected = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      ASSERT_TRUE(w.AddRecord(records[i], /*for_sync=*/i % 3 == 0).ok());
      expected += kWalHeaderSize + records[i].size();
      EXPECT_EQ(w.size(), expected);
    }
    ASSERT_TRUE(w.Sync().ok());
    ASSERT_TRUE(w.Close().ok());
  }
  std::vector<std::string> Read(Recorder* rec, uint64_t* last_end = nullptr) {
    std::unique_ptr<SequentialFile> f;
    EXPECT_TRUE(Env::Default()->NewSequentialFile(path(), &f).ok());
    WalReader r(std::move(f), "000001.log", rec);
    std::vector<std::string> out;
    std::string rec_bytes;
    while (r.ReadRecord(&rec_bytes)) out.push_back(rec_bytes);
    if (last_end) *last_end = r.LastRecordEnd();
    return out;
  }
  std::vector<std::string> Records() {
    std::vector<std::string> v = {"", "a", std::string(1 << 20, 'b')};
    std::mt19937_64 rng(3);
    for (int i = 0; i < 300; ++i) v.push_back(test::RandomBytes(rng, rng() % 3000));
    v.push_back("last record");
    return v;
  }
  test::ScratchDir dir_;
};

TEST_P(WalTest, RoundTrip) {
  auto records = Records();
  Write(records);
  Recorder rec;
  uint64_t end = 0;
  EXPECT_EQ(Read(&rec, &end), records);
  EXPECT_EQ(rec.calls, 0);
  EXPECT_EQ(end, test::ReadFileOrDie(path()).size());  // Close cut the preallocated tail
}

TEST_P(WalTest, EveryTruncationOfTheLastRecordIsATornTail) {
  std::vector<std::string> records = {"first", "second", "the third and last record"};
  Write(records);
  std::string full = test::ReadFileOrDie(path());
  size_t last_start = full.size() - (kWalHeaderSize + records[2].size());
  for (size_t cut = last_start + 1; cut < full.size(); ++cut) {
    test::WriteFileOrDie(path(), full.substr(0, cut));
    Recorder rec;
    auto got = Read(&rec);
    ASSERT_EQ(got, std::vector<std::string>(records.begin(), records.begin() + 2)) << cut;
    ASSERT_EQ(rec.calls, 1);
    EXPECT_NE(rec.message.find("torn"), std::string::npos) << rec.message;
    EXPECT_EQ(rec.bytes, cut - last_start);
  }
}

TEST_P(WalTest, ZeroFilledTailIsTorn) {
  Write({"one", "two"});
  std::string full = test::ReadFileOrDie(path());
  test::WriteFileOrDie(path(), full + std::string(4096, '\0'));
  Recorder rec;
  EXPECT_EQ(Read(&rec), (std::vector<std::string>{"one", "two"}));
  EXPECT_NE(rec.message.find("torn"), std::string::npos) << rec.message;
  // A record cut short with zeros after it (a crash inside the copy).
  test::WriteFileOrDie(path(), full.substr(0, full.size() - 2) + std::string(100, '\0'));
  Recorder rec2;
  EXPECT_EQ(Read(&rec2), (std::vector<std::string>{"one"}));
  EXPECT_NE(rec2.message.find("torn"), std::string::npos) << rec2.message;
}

TEST_P(WalTest, DamageInTheMiddleIsNotTorn) {
  std::vector<std::string> records = {"alpha", "bravo", "charlie", "delta"};
  Write(records);
  std::string full = test::ReadFileOrDie(path());
  size_t second_payload = 2 * kWalHeaderSize + records[0].size();
  full[second_payload + 1] ^= 0x01;
  test::WriteFileOrDie(path(), full);
  Recorder rec;
  EXPECT_EQ(Read(&rec), std::vector<std::string>{"alpha"});
  ASSERT_EQ(rec.calls, 1);
  EXPECT_NE(rec.message.find("checksum mismatch"), std::string::npos) << rec.message;
  EXPECT_EQ(rec.message.find("torn"), std::string::npos) << rec.message;
  EXPECT_NE(rec.message.find("000001.log"), std::string::npos);
}

// A power cut before writeback finished can leave a page of a mapped WAL
// unwritten (zeros) while later pages reached the disk: the records after
// it were never synced, so the log ends there, as at a torn tail, and it
// is not damage. A flipped bit never makes a page of zeros.
TEST_P(WalTest, UnwrittenPageEndsTheLog) {
  std::vector<std::string> records;
  for (int i = 0; i < 40; ++i) records.push_back(std::string(1000, static_cast<char>('a' + i % 26)));
  Write(records);
  std::string full = test::ReadFileOrDie(path());
  ASSERT_GT(full.size(), 3u * 4096);
  std::fill(full.begin() + 4096, full.begin() + 2 * 4096, '\0');
  test::WriteFileOrDie(path(), full);
  Recorder rec;
  std::vector<std::string> got = Read(&rec);
  // Records wholly before offset 4096 survive; one crossing it is cut.
  EXPECT_EQ(got.size(), 4096 / (kWalHeaderSize + 1000));
  ASSERT_EQ(rec.calls, 1);
  EXPECT_EQ(rec.kind, WalReader::Drop::kUnwrittenPage) << rec.message;
  EXPECT_NE(rec.message.find("unwritten page"), std::string::npos) << rec.message;

  // The same with the page's zeros starting at a record boundary.
  Write(records);
  full = test::ReadFileOrDie(path());
  size_t boundary = 4 * (kWalHeaderSize + 1000);  // record 4 starts in the first page
  std::fill(full.begin() + boundary, full.begin() + 2 * 4096, '\0');
  test::WriteFileOrDie(path(), full);
  Recorder rec2;
  EXPECT_EQ(Read(&rec2).size(), 4u);
  EXPECT_EQ(rec2.kind, WalReader::Drop::kUnwrittenPage) << rec2.message;
}

TEST_P(WalTest, ImpossibleLengthInTheMiddle) {
  Write({"alpha", "bravo", std::string(5000, 'c')});
  std::string full = test::ReadFileOrDie(path());
  EncodeFixed32(full.data() + kWalHeaderSize + 5 + 4, 0x7fffffff);  // bravo's length
  test::WriteFileOrDie(path(), full);
  Recorder rec;
  EXPECT_EQ(Read(&rec), std::vector<std::string>{"alpha"});
  // The length runs past the end of the file, but a valid record follows:
  // damage, not a torn tail.
  EXPECT_EQ(rec.calls, 1);
  EXPECT_EQ(rec.message.find("torn"), std::string::npos) << rec.message;
  EXPECT_NE(rec.message.find("offset " + std::to_string(kWalHeaderSize + 5)), std::string::npos)
      << rec.message;
}

TEST_P(WalTest, ResyncSkipsEachDamagedRegionAndReadsOn) {
  std::vector<std::string> records = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"};
  Write(records);
  std::string full = test::ReadFileOrDie(path());
  size_t bravo = kWalHeaderSize + records[0].size();
  size_t delta = bravo + 2 * kWalHeaderSize + records[1].size() + records[2].size();
  full[bravo + kWalHeaderSize + 1] ^= 0x01;  // bravo's payload
  full[delta + 4] ^= 0x10;                    // delta's length
  test::WriteFileOrDie(path(), full);
  std::unique_ptr<SequentialFile> f;
  ASSERT_TRUE(Env::Default()->NewSequentialFile(path(), &f).ok());
  struct : WalReader::Reporter {
    std::vector<std::string> messages;
    void Dropped(uint64_t, WalReader::Drop kind, const Status& reason) override {
      EXPECT_EQ(kind, WalReader::Drop::kDamage);
      messages.push_back(reason.message());
    }
  } rec;
  WalReader r(std::move(f), "000001.log", &rec, /*resync=*/true);
  std::vector<std::string> got;
  std::string one;
  while (r.ReadRecord(&one)) got.push_back(one);
  EXPECT_EQ(got, (std::vector<std::string>{"alpha", "charlie", "echo", "foxtrot"}));
  ASSERT_EQ(rec.messages.size(), 2u);
  EXPECT_NE(rec.messages[0].find("at offset " + std::to_string(bravo) + " (" +
                                 std::to_string(kWalHeaderSize + records[1].size()) +
                                 " bytes dropped)"),
            std::string::npos)
      << rec.messages[0];
  EXPECT_NE(rec.messages[1].find("at offset " + std::to_string(delta)), std::string::npos)
      << rec.messages[1];
}

TEST_P(WalTest, EmptyLog) {
  Write({});
  Recorder rec;
  EXPECT_TRUE(Read(&rec).empty());
  EXPECT_EQ(rec.calls, 0);
}

INSTANTIATE_TEST_SUITE_P(Files, WalTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Mapped" : "Plain"; });

}  // namespace
}  // namespace iron::lsm

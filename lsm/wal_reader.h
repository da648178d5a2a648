// WalReader: reads back the records a WalWriter appended, stopping at the
// first damage, or (resync) skipping past each damaged region.
//
// A log ends cleanly, or in one of two kinds of damage, which the Reporter
// hears about as a Drop kind and a Corruption naming the file and offset,
// with the number of bytes dropped:
//   - a torn tail (kTorn, or kZeroTail when it is all zeros): the last
//     record is incomplete (the file ends inside its header or payload, or
//     its length runs past the end), or the file ends in zeros (space
//     allocated but never written), or the last record's checksum fails
//     with nothing but zeros after it (a write cut by a crash); and no
//     whole, valid record starts anywhere after it. The message contains
//     "torn". Such a record was never acknowledged as durable, so dropping
//     it is correct.
//   - an unwritten page (kUnwrittenPage): the bad record's bytes reach a
//     page boundary past which its page is all zeros. A power cut before
//     writeback finished leaves that (pages of a mapped file are written
//     back in any order); a flipped bit does not. The records after it were
//     never synced, so the log ends there, valid records after it or not.
//   - damage (kDamage): a checksum mismatch or impossible length with more
//     data after it, any bad record with a valid record after it (a flipped
//     bit in a length can make a record in the middle look cut short: the
//     records after it tell), or a read error. The message says what
//     ("checksum mismatch", "bad record length", ...) and never "torn".
// Without resync the reader stops at the first drop, which then runs to the
// end of the file. With resync, damage followed by a valid record is
// reported with the bytes up to that record, and reading goes on from it;
// a record "valid" there is one whose length fits in the file and whose
// checksum matches (RocksDB's kSkipAnyCorruptedRecords works the same way).
// Callers decide what each means: WAL replay refuses damage unless told to
// salvage (Options::wal_recovery); manifest recovery refuses damage.
//
// Thread safety: one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lsm/env.h"
#include "lsm/status.h"

namespace iron::lsm {

class WalReader {
 public:
  // What the dropped bytes were (see above).
  enum class Drop {
    kZeroTail,  // a torn tail that is nothing but zeros: preallocated, never written
    kTorn,      // a torn tail: a record cut short
    // A record that meets a page the kernel never wrote back (zeros from a
    // page boundary on) before a power cut: records after it may have
    // reached the disk, since mapped pages are written back in any order,
    // but none of them was synced (a sync writes every page before it).
    // Dropped from there on, as a torn tail is.
    kUnwrittenPage,
    kDamage,    // anything else, including a read error
  };

  class Reporter {
   public:
    virtual ~Reporter() = default;
    virtual void Dropped(uint64_t bytes, Drop kind, const Status& reason) = 0;
  };

  // reporter may be null.
  WalReader(std::unique_ptr<SequentialFile> file, std::string file_name, Reporter* reporter,
            bool resync = false);
  WalReader(const WalReader&) = delete;
  WalReader& operator=(const WalReader&) = delete;

  // The next record's payload into *record; false at the end of the log or
  // at the first damage that is not skipped (reported, see above). A read
  // error of the file itself is reported as damage too.
  bool ReadRecord(std::string* record);

  // A record found by scanning past a bad one counts (makes the bad one
  // damage, or is where a resync resumes) only if this accepts its
  // payload. A log's payload may hold another log's bytes (a file copied
  // onto the filesystem), whose records are whole and checksummed too: the
  // WAL replay accepts only a batch that continues its sequence numbers.
  void SetPlausible(std::function<bool(std::string_view payload)> plausible) {
    plausible_ = std::move(plausible);
  }

  // File offset just past the last good record.
  uint64_t LastRecordEnd() const { return last_record_end_; }

 private:
  // Makes at least n unread bytes available; false if the file ends first.
  bool Fill(size_t n);
  size_t Available() const { return buffer_.size() - pos_; }
  // Reads to the end of the file and returns how many bytes remain from
  // the current position.
  uint64_t RemainingBytes();
  // True if every byte from `skip` bytes past the read position to the end
  // of the file is zero.
  bool RestIsZeroFrom(size_t skip);
  // True if, past the read position, bytes [boundary, boundary + kPage)
  // are zero (or up to the end of the file) for some page boundary before
  // `span` bytes from the read position: the bad record there met a page
  // the kernel never wrote.
  bool MeetsUnwrittenPage(uint64_t span);
  enum class Outcome { kRecord, kEnd, kBad };
  // Reads the record at the read position. kBad: *what and *kind say why.
  Outcome ReadOne(std::string* record, std::string* what, Drop* kind);
  // Distance from the read position to the first later offset where a
  // whole record with a matching checksum starts, or 0 if there is none.
  uint64_t NextValidRecord();
  void Report(const std::string& what, Drop kind, uint64_t bytes);

  std::unique_ptr<SequentialFile> file_;
  const std::string file_name_;
  Reporter* const reporter_;
  const bool resync_;
  std::function<bool(std::string_view)> plausible_;
  std::string buffer_;
  size_t pos_ = 0;               // read position in buffer_
  uint64_t buffer_offset_ = 0;   // file offset of buffer_[0]
  bool eof_ = false;
  bool stopped_ = false;
  Status read_error_;
  uint64_t last_record_end_ = 0;
};

}  // namespace iron::lsm

#include "table_salvage.h"

#include <algorithm>

#include "block.h"
#include "checksum.h"
#include "coding.h"
#include "internal_key.h"
#include "table_format.h"

namespace iron::lsm {

namespace {

// A scan gives up on a candidate block longer than this (blocks are cut
// at block_size, a few KiB, plus at most one entry).
constexpr size_t kMaxScannedBlock = 1 << 20;

// Decodes every entry of verified block contents; false if any is bad or
// the keys are not internal keys of a value or a deletion.
bool DecodeDataBlock(std::string_view contents, const std::string& file_name,
                     std::vector<std::pair<std::string, std::string>>* entries) {
  std::vector<std::pair<std::string, std::string>> decoded;
  BlockIter it(contents, CompareInternalKeys, &file_name, kTagSize);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ParsedInternalKey k;
    if (!ParseInternalKey(it.key(), &k) || k.type == ValueType::kRangeDeletion) return false;
    if (!decoded.empty() && CompareInternalKeys(decoded.back().first, it.key()) >= 0) return false;
    decoded.emplace_back(std::string(it.key()), std::string(it.value()));
  }
  if (!it.status().ok() || decoded.empty()) return false;
  entries->insert(entries->end(), std::make_move_iterator(decoded.begin()),
                  std::make_move_iterator(decoded.end()));
  return true;
}

std::string BlockWhat(uint64_t offset, const Status& s) {
  return "block at offset " + std::to_string(offset) + ": " + s.ToString();
}

// Reads the range-deletion block; false if it is unreadable.
bool ReadTombstones(std::string_view contents, const std::string& file_name,
                    std::vector<RangeTombstone>* out) {
  BlockIter it(contents, [](std::string_view a, std::string_view b) { return a.compare(b); },
               &file_name);
  std::vector<RangeTombstone> read;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view v = it.value();
    std::string_view end;
    if (!GetLengthPrefixed(&v, &end) || v.size() != 8) return false;
    read.push_back(RangeTombstone{std::string(it.key()), std::string(end), DecodeFixed64(v.data())});
  }
  if (!it.status().ok()) return false;
  *out = std::move(read);
  return true;
}

// The salvage through a readable index: true if the index could be walked.
bool SalvageByIndex(const char* data, size_t size, const std::string& file_name,
                    const Footer& footer, SalvagedTable* out) {
  std::string_view index;
  if (!ReadBlock(data, size, footer.index, file_name, &index).ok()) return false;
  BlockIter it(index, CompareInternalKeys, &file_name, kTagSize);
  std::optional<std::string> previous;  // the last key of the block before
  std::vector<std::pair<std::string, std::string>> entries;
  std::vector<LostRange> lost;
  size_t kept = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view handle_bytes = it.value();
    BlockHandle handle;
    if (!handle.DecodeFrom(&handle_bytes)) return false;
    std::string_view contents;
    Status s = ReadBlock(data, size, handle, file_name, &contents);
    if (s.ok() && DecodeDataBlock(contents, file_name, &entries)) {
      ++kept;
    } else {
      if (s.ok()) s = Status::Corruption("entries do not decode");
      lost.push_back(LostRange{file_name, BlockWhat(handle.offset, s), previous,
                               std::string(ExtractUserKey(it.key()))});
    }
    previous = std::string(ExtractUserKey(it.key()));
  }
  if (!it.status().ok()) return false;
  out->entries = std::move(entries);
  out->lost = std::move(lost);
  out->blocks_kept = kept;
  out->index_readable = true;
  std::string_view range_del;
  Status s = ReadBlock(data, size, footer.range_del, file_name, &range_del);
  if (!s.ok() || !ReadTombstones(range_del, file_name, &out->tombstones)) {
    out->lost.push_back(LostRange{file_name, "range deletions unreadable", std::nullopt,
                                  std::nullopt});
  }
  return true;
}

// The length of a data block starting at p, or 0 if none does.
size_t BlockLengthAt(const char* p, size_t available) {
  // A block opens with a restart entry: shared = 0, then a key of at least
  // a tag's length.
  if (available < 4 + kBlockTrailerSize + 3 || p[0] != 0) return 0;
  uint8_t non_shared = static_cast<uint8_t>(p[1]);
  if (non_shared < kTagSize && (non_shared & 0x80) == 0) return 0;
  size_t limit = std::min(available - kBlockTrailerSize, kMaxScannedBlock);
  for (size_t len = 8; len <= limit; ++len) {
    if (p[len] != 0) continue;  // the trailer's type byte: raw
    uint32_t restarts = DecodeFixed32(p + len - 4);
    if (restarts == 0 || uint64_t{restarts} * 4 + 4 > len) continue;
    if (DecodeFixed32(p + len - 4 - 4 * uint64_t{restarts}) != 0) continue;
    if (Checksum32(p, len + 1) == DecodeFixed32(p + len + 1)) return len;
  }
  return 0;
}

// The salvage of a table whose index cannot be read: scans for blocks.
void SalvageByScan(const char* data, size_t size, const std::string& file_name,
                   const std::string& why, SalvagedTable* out) {
  std::optional<std::string> last_good;  // the last user key kept
  bool in_gap = false;                   // unreadable bytes since gap_start
  uint64_t gap_start = 0;
  size_t offset = 0;
  while (offset < size) {
    size_t len = BlockLengthAt(data + offset, size - offset);
    std::vector<std::pair<std::string, std::string>> entries;
    if (len > 0 && DecodeDataBlock(std::string_view(data + offset, len), file_name, &entries) &&
        (out->entries.empty() ||
         CompareInternalKeys(out->entries.back().first, entries.front().first) < 0)) {
      if (in_gap) {
        out->lost.push_back(LostRange{file_name,
                                      "unreadable bytes at offsets " +
                                          std::to_string(gap_start) + "-" +
                                          std::to_string(offset),
                                      last_good,
                                      std::string(ExtractUserKey(entries.front().first))});
        in_gap = false;
      }
      out->entries.insert(out->entries.end(), std::make_move_iterator(entries.begin()),
                          std::make_move_iterator(entries.end()));
      last_good = std::string(ExtractUserKey(out->entries.back().first));
      ++out->blocks_kept;
      offset += len + kBlockTrailerSize;
      continue;
    }
    if (!in_gap) {
      in_gap = true;
      gap_start = offset;
    }
    ++offset;
  }
  // After the last block found come the filter, range-deletion and index
  // blocks and the footer, or data blocks that could not be read: without
  // the index the two cannot be told apart, so keys after the last one
  // found may be lost.
  out->lost.push_back(LostRange{
      file_name,
      why + (out->blocks_kept == 0 ? "; no readable data block"
                                   : "; keys after the last readable block may be lost"),
      last_good, std::nullopt});
  out->lost.push_back(
      LostRange{file_name, "range deletions unreadable (index lost)", std::nullopt, std::nullopt});
}

}  // namespace

void SalvageTable(const char* data, size_t size, const std::string& file_name,
                  SalvagedTable* out) {
  *out = SalvagedTable();
  std::string why;
  if (size < kFooterSize) {
    why = "too short to hold a footer (" + std::to_string(size) + " bytes)";
  } else {
    Footer footer;
    Status s = footer.DecodeFrom(std::string_view(data + size - kFooterSize, kFooterSize),
                                 file_name);
    if (s.ok() && SalvageByIndex(data, size, file_name, footer, out)) return;
    why = s.ok() ? "index unreadable" : "footer unreadable";
  }
  SalvageByScan(data, size, file_name, why, out);
}

}  // namespace iron::lsm

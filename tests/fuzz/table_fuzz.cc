// Fuzz target: the input is a whole table file (lsm/table.h), opened from
// memory by Table::Open (footer, index, filter, range-del block), then
// iterated, and every key found looked up with Get. Block checksums would
// stop nearly every mutation at the first ReadBlock, so the input is
// opened twice: as it is, and with the trailers of the blocks its footer
// and index name rewritten to match (the type byte raw, the checksum
// recomputed), which lets the fuzzer reach the block decoders.
//
// Asserts beyond "no crash": no read leaves the file (it is an allocation
// of exactly its size, which ASan guards); iteration ends; the table's
// tombstones answer MaxCoveringSequence as a brute-force scan of them
// does. When its entries are well-formed internal keys in strictly
// increasing order, they are written again by TableBuilder, and the new
// table iterates to the same entries and tombstones, and Get finds, for
// each entry, the first entry at or after its lookup key.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "lsm/block.h"
#include "lsm/checksum.h"
#include "lsm/coding.h"
#include "lsm/internal_key.h"
#include "lsm/table.h"
#include "lsm/table_builder.h"
#include "lsm/table_format.h"
#include "tests/fuzz/check.h"
#include "tests/fuzz/memory_files.h"

namespace {

using namespace iron::lsm;
using Entries = std::vector<std::pair<std::string, std::string>>;

Options TableOptions() {
  Options options;
  options.block_size = 256;  // several data blocks from a small input
  options.block_restart_interval = 4;
  return options;
}

// Rewrites the trailer of the block at `handle` so that ReadBlock accepts it.
void FixTrailer(std::string* file, const BlockHandle& handle) {
  if (handle.offset > file->size() || handle.size > file->size() ||
      handle.offset + handle.size + kBlockTrailerSize > file->size()) {
    return;
  }
  char* p = file->data() + handle.offset;
  p[handle.size] = 0;
  EncodeFixed32(p + handle.size + 1, Checksum32(p, handle.size + 1));
}

// The input with valid trailers on every block it names; unchanged if it
// has no footer.
std::string WithValidChecksums(std::string file) {
  Footer footer;
  if (file.size() < kFooterSize ||
      !footer.DecodeFrom(std::string_view(file).substr(file.size() - kFooterSize), "").ok()) {
    return file;
  }
  FixTrailer(&file, footer.filter);
  FixTrailer(&file, footer.range_del);
  FixTrailer(&file, footer.index);
  std::string_view index;
  if (!ReadBlock(file.data(), file.size(), footer.index, "", &index).ok()) return file;
  std::vector<BlockHandle> data_blocks;
  BlockIter it(index, CompareInternalKeys, nullptr);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view v = it.value();
    BlockHandle h;
    if (h.DecodeFrom(&v)) data_blocks.push_back(h);
  }
  for (const BlockHandle& h : data_blocks) FixTrailer(&file, h);
  return file;
}

std::shared_ptr<Table> OpenTable(std::string_view bytes) {
  std::shared_ptr<Table> table;
  Status s = Table::Open(TableOptions(), "fuzz.sst",
                         std::make_unique<iron::fuzz::MemoryMappedFile>(bytes), &table);
  return s.ok() ? table : nullptr;
}

// Every point entry; false if iteration ends in an error.
bool ReadAll(const Table& table, Entries* entries) {
  auto it = table.NewIterator();
  size_t limit = table.file_size();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    FUZZ_CHECK(entries->size() < limit);  // an entry takes at least 3 bytes
    entries->emplace_back(it->key(), it->value());
  }
  return it->status().ok();
}

std::vector<RangeTombstone> TombstonesOf(const Table& table) {
  if (table.range_tombstones() == nullptr) return {};
  return table.range_tombstones()->tombstones();
}

void CheckTombstones(const Table& table) {
  if (table.range_tombstones() == nullptr) return;
  const FragmentedRangeTombstones& fragments = *table.range_tombstones();
  const std::vector<RangeTombstone>& all = fragments.tombstones();
  std::vector<std::string> probes;
  for (const RangeTombstone& t : all) {
    probes.push_back(t.begin);
    probes.push_back(t.end);
    probes.push_back(t.begin + '\0');
  }
  for (const std::string& key : probes) {
    for (SequenceNumber snapshot : {kMaxSequenceNumber, all.front().sequence}) {
      SequenceNumber expected = 0;
      for (const RangeTombstone& t : all) {
        if (t.begin <= key && key < t.end && t.sequence <= snapshot) {
          expected = std::max(expected, t.sequence);
        }
      }
      FUZZ_CHECK(fragments.MaxCoveringSequence(key, snapshot) == expected);
    }
  }
}

bool StrictlyIncreasingInternalKeys(const Entries& entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    ParsedInternalKey parsed;
    if (!ParseInternalKey(entries[i].first, &parsed)) return false;
    if (i > 0 && CompareInternalKeys(entries[i - 1].first, entries[i].first) >= 0) return false;
  }
  return true;
}

auto TombstoneOrder(const RangeTombstone& t) { return std::tie(t.begin, t.sequence, t.end); }

void SortTombstones(std::vector<RangeTombstone>* tombstones) {
  std::sort(tombstones->begin(), tombstones->end(),
            [](const auto& a, const auto& b) { return TombstoneOrder(a) < TombstoneOrder(b); });
}

// Writes the entries and tombstones again and checks the new table.
void CheckRebuilt(const Entries& entries, std::vector<RangeTombstone> tombstones) {
  std::string bytes;
  iron::fuzz::StringWritableFile file(&bytes);
  TableBuilder builder(TableOptions(), &file);
  for (const auto& [key, value] : entries) builder.Add(key, value);
  for (const RangeTombstone& t : tombstones) builder.AddRangeTombstone(t);
  FUZZ_CHECK(builder.Finish().ok());
  std::shared_ptr<Table> table = OpenTable(bytes);
  FUZZ_CHECK(table != nullptr);

  Entries again;
  FUZZ_CHECK(ReadAll(*table, &again));
  FUZZ_CHECK(again == entries);
  std::vector<RangeTombstone> tombstones_again = TombstonesOf(*table);
  SortTombstones(&tombstones);
  SortTombstones(&tombstones_again);
  FUZZ_CHECK(tombstones.size() == tombstones_again.size());
  for (size_t i = 0; i < tombstones.size(); ++i) {
    FUZZ_CHECK(TombstoneOrder(tombstones[i]) == TombstoneOrder(tombstones_again[i]));
  }

  for (const auto& [key, value] : entries) {
    ParsedInternalKey parsed;
    FUZZ_CHECK(ParseInternalKey(key, &parsed));
    LookupKey lookup(parsed.user_key, parsed.sequence);
    auto first = std::find_if(entries.begin(), entries.end(), [&](const auto& e) {
      return CompareInternalKeys(e.first, lookup.internal_key()) >= 0;
    });
    FUZZ_CHECK(first != entries.end());  // the entry itself qualifies
    TableGetResult result;
    FUZZ_CHECK(table->Get(lookup.internal_key(), &result).ok());
    ParsedInternalKey expected;
    FUZZ_CHECK(ParseInternalKey(first->first, &expected));
    FUZZ_CHECK(result.found == (expected.user_key == parsed.user_key));
    FUZZ_CHECK(!result.found || (result.sequence == expected.sequence &&
                                 result.type == expected.type && result.value == first->second));
  }
}

void FuzzTable(std::string_view bytes) {
  std::shared_ptr<Table> table = OpenTable(bytes);
  if (table == nullptr) return;
  CheckTombstones(*table);
  Entries entries;
  bool complete = ReadAll(*table, &entries);
  for (const auto& [key, value] : entries) {
    if (key.size() < kTagSize) continue;
    TableGetResult result;
    (void)table->Get(key, &result);
    auto it = table->NewIterator();
    it->Seek(key);
  }
  if (complete && StrictlyIncreasingInternalKeys(entries)) {
    CheckRebuilt(entries, TombstonesOf(*table));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  FuzzTable(input);
  std::string fixed = WithValidChecksums(input);
  if (fixed != input) FuzzTable(fixed);
  return 0;
}

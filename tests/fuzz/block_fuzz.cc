// Fuzz target: the input is the contents of one table block (lsm/block.h),
// as ReadBlock hands it over once the checksum matched, iterated as a
// table iterates its data and index blocks (internal keys: a key shorter
// than a tag is corruption) and its range-del block (user keys):
// SeekToFirst + Next over every entry, then Seek to every key found and to
// keys around them.
//
// Asserts beyond "no crash": every value lies inside the input; the walk
// ends (each entry takes at least 3 bytes); the entries re-encode through
// BlockBuilder to a block that decodes to the same entries; when the block
// is exactly what BlockBuilder makes of its entries and they are sorted,
// Seek(t) lands on the first entry >= t.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lsm/block.h"
#include "lsm/block_builder.h"
#include "lsm/internal_key.h"
#include "tests/fuzz/check.h"

namespace {

using namespace iron::lsm;
using Entries = std::vector<std::pair<std::string, std::string>>;

const std::string kContext = "fuzz block";

int CompareBytes(std::string_view a, std::string_view b) { return a.compare(b); }

// Every entry from the first; false if the iterator ends in an error.
bool ReadAll(std::string_view block, BlockComparator cmp, size_t min_key_size, Entries* entries) {
  BlockIter it(block, cmp, &kContext, min_key_size);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    FUZZ_CHECK(it.value().data() >= block.data() &&
               it.value().data() + it.value().size() <= block.data() + block.size());
    FUZZ_CHECK(entries->size() < block.size() / 3);
    entries->emplace_back(it.key(), it.value());
  }
  return it.status().ok();
}

std::string Rebuild(const Entries& entries, int restart_interval) {
  BlockBuilder builder(restart_interval);
  for (const auto& [key, value] : entries) builder.Add(key, value);
  return std::string(builder.Finish());
}

// Seek(target) must land on the first entry >= target of sorted entries.
void CheckSeek(std::string_view block, BlockComparator cmp, size_t min_key_size,
               const Entries& entries, std::string_view target) {
  BlockIter it(block, cmp, &kContext, min_key_size);
  it.Seek(target);
  FUZZ_CHECK(it.status().ok());
  auto first = std::find_if(entries.begin(), entries.end(),
                            [&](const auto& e) { return cmp(e.first, target) >= 0; });
  if (first == entries.end()) {
    FUZZ_CHECK(!it.Valid());
  } else {
    FUZZ_CHECK(it.Valid() && it.key() == first->first && it.value() == first->second);
  }
}

// Targets the comparator accepts: internal keys are at least kTagSize long.
std::vector<std::string> SeekTargets(const Entries& entries, size_t min_size) {
  std::vector<std::string> targets = {std::string(min_size, '\0'),
                                      std::string(min_size + 1, '\xff')};
  for (const auto& e : entries) {
    targets.push_back(e.first);
    targets.push_back(e.first + '\0');
    targets.push_back(e.first + std::string(kTagSize, '\0'));  // the key as a user key
    if (!e.first.empty() && e.first.size() > min_size) {
      targets.push_back(e.first.substr(0, e.first.size() - 1));
    }
  }
  std::erase_if(targets, [&](const std::string& t) { return t.size() < min_size; });
  return targets;
}

void FuzzWith(std::string_view block, BlockComparator cmp, size_t min_key_size) {
  Entries entries;
  if (!ReadAll(block, cmp, min_key_size, &entries)) return;
  for (int interval : {1, 16}) {
    std::string rebuilt = Rebuild(entries, interval);
    Entries again;
    FUZZ_CHECK(ReadAll(rebuilt, cmp, min_key_size, &again));
    FUZZ_CHECK(again == entries);
    bool keys_comparable = std::all_of(entries.begin(), entries.end(), [&](const auto& e) {
      return e.first.size() >= min_key_size;
    });
    bool sorted = keys_comparable &&
                  std::is_sorted(entries.begin(), entries.end(), [&](const auto& a, const auto& b) {
                    return cmp(a.first, b.first) < 0;
                  });
    if (rebuilt == block && sorted) {
      for (const std::string& t : SeekTargets(entries, min_key_size)) {
        CheckSeek(block, cmp, min_key_size, entries, t);
      }
    }
  }
  // Any block: Seek must not read outside it, whatever it holds.
  for (const std::string& t : SeekTargets(entries, min_key_size)) {
    BlockIter it(block, cmp, &kContext, min_key_size);
    it.Seek(t);
    if (it.Valid()) it.Next();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view block(reinterpret_cast<const char*>(data), size);
  FuzzWith(block, CompareBytes, 0);                // range-del blocks
  FuzzWith(block, CompareInternalKeys, kTagSize);  // data and index blocks
  return 0;
}

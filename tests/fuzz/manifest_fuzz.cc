// Fuzz target: the input is one manifest record, decoded by
// VersionEdit::DecodeFrom (lsm/version_edit.h), and also a whole manifest
// file, read as VersionSet::Recover reads it: WalReader framing, one
// VersionEdit per record, the edits replayed onto per-level file lists.
//
// Asserts beyond "no crash": an edit that decodes re-encodes to bytes that
// decode to the same edit, and that encoding is stable (encoding the
// decoded copy gives the same bytes); every decoded level is below 16 and
// every key at least 8 bytes (an internal key's tag).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/internal_key.h"
#include "lsm/version_edit.h"
#include "lsm/wal_reader.h"
#include "tests/fuzz/check.h"
#include "tests/fuzz/memory_files.h"

namespace {

using namespace iron::lsm;

constexpr int kMaxLevels = 16;  // FORMAT.md: levels are below 16

bool SameFile(const FileMetaData& a, const FileMetaData& b) {
  return a.number == b.number && a.file_size == b.file_size && a.smallest == b.smallest &&
         a.largest == b.largest && a.num_entries == b.num_entries &&
         a.largest_sequence == b.largest_sequence;
}

bool SameEdit(const VersionEdit& a, const VersionEdit& b) {
  if (a.log_number() != b.log_number() || a.next_file_number() != b.next_file_number() ||
      a.last_sequence() != b.last_sequence() || a.deleted_files() != b.deleted_files() ||
      a.new_files().size() != b.new_files().size()) {
    return false;
  }
  for (size_t i = 0; i < a.new_files().size(); ++i) {
    if (a.new_files()[i].first != b.new_files()[i].first ||
        !SameFile(a.new_files()[i].second, b.new_files()[i].second)) {
      return false;
    }
  }
  return true;
}

// Decodes one record; checks the edit's invariants and its round trip.
bool DecodeEdit(std::string_view record, VersionEdit* edit) {
  if (!edit->DecodeFrom(record).ok()) return false;
  for (const auto& [level, number] : edit->deleted_files()) {
    FUZZ_CHECK(level >= 0 && level < kMaxLevels);
  }
  for (const auto& [level, f] : edit->new_files()) {
    FUZZ_CHECK(level >= 0 && level < kMaxLevels);
    FUZZ_CHECK(f.smallest.size() >= kTagSize && f.largest.size() >= kTagSize);
  }
  std::string encoded;
  edit->EncodeTo(&encoded);
  VersionEdit again;
  FUZZ_CHECK(again.DecodeFrom(encoded).ok());
  FUZZ_CHECK(SameEdit(*edit, again));
  std::string reencoded;
  again.EncodeTo(&reencoded);
  FUZZ_CHECK(reencoded == encoded);
  (void)edit->DebugString();
  return true;
}

// What Recover does with a manifest, short of opening tables.
void ReplayManifest(std::string_view manifest) {
  WalReader reader(std::make_unique<iron::fuzz::MemorySequentialFile>(manifest), "MANIFEST",
                   nullptr);
  std::vector<std::vector<FileMetaData>> levels(kMaxLevels);
  std::string record;
  while (reader.ReadRecord(&record)) {
    VersionEdit edit;
    if (!DecodeEdit(record, &edit)) return;
    for (const auto& [level, n] : edit.deleted_files()) {
      std::erase_if(levels[level], [n = n](const FileMetaData& f) { return f.number == n; });
    }
    for (const auto& [level, f] : edit.new_files()) levels[level].push_back(f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  VersionEdit edit;
  DecodeEdit(input, &edit);
  ReplayManifest(input);
  return 0;
}

#include "memtable.h"

#include <cstring>
#include <mutex>

#include "bloom.h"
#include "coding.h"

namespace iron::lsm {

namespace {

std::string_view GetLengthPrefixedAt(const char* p) {
  uint32_t len;
  const char* q = GetVarint32Ptr(p, p + 5, &len);
  return {q, len};
}

}  // namespace

int MemTable::KeyComparator::operator()(const char* a, const char* b) const {
  return CompareInternalKeys(GetLengthPrefixedAt(a), GetLengthPrefixedAt(b));
}

MemTable::MemTable(size_t filter_bits) : table_(KeyComparator{}, &arena_), filter_(filter_bits) {}

void MemTable::Add(SequenceNumber seq, ValueType type, std::string_view key,
                   std::string_view value) {
  if (type == ValueType::kRangeDeletion) {
    WriterMutexLock l(&tombstones_mu_);
    tombstones_.Add({std::string(key), std::string(value), seq});
    tombstone_count_.fetch_add(1, std::memory_order_release);
    tombstone_bytes_.store(tombstones_.ApproximateMemoryUsage(), std::memory_order_relaxed);
    entries_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  size_t ikey_len = key.size() + kTagSize;
  size_t len = VarintLength(ikey_len) + ikey_len + VarintLength(value.size()) + value.size();
  char* buf = arena_.Allocate(len);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(ikey_len));
  if (!key.empty()) std::memcpy(p, key.data(), key.size());  // empty views may be null
  p += key.size();
  EncodeFixed64(p, PackTag(seq, type));
  p += kTagSize;
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  filter_.Add(BloomHash(key));  // before the entry can be found
  table_.Insert(buf);
  entries_.fetch_add(1, std::memory_order_relaxed);
  if (type == ValueType::kDeletion) deletions_.fetch_add(1, std::memory_order_relaxed);
}

MemTable::LookupResult MemTable::Get(const LookupKey& key) const {
  return Get(key, BloomHash(key.user_key()));
}

MemTable::LookupResult MemTable::Get(const LookupKey& key, uint64_t user_key_hash) const {
  if (!filter_.MayContain(user_key_hash)) return LookupResult();
  // Seek with a length-prefixed copy of the lookup key.
  std::string_view ikey = key.internal_key();
  char stack_buf[256];
  std::unique_ptr<char[]> heap_buf;
  char* buf = stack_buf;
  if (ikey.size() + 5 > sizeof(stack_buf)) {
    heap_buf = std::make_unique<char[]>(ikey.size() + 5);
    buf = heap_buf.get();
  }
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(ikey.size()));
  std::memcpy(p, ikey.data(), ikey.size());

  Table::Iterator it(&table_);
  it.Seek(buf);
  LookupResult r;
  if (!it.Valid()) return r;
  std::string_view found = GetLengthPrefixedAt(it.key());
  if (ExtractUserKey(found) != key.user_key()) return r;
  r.found = true;
  r.sequence = ExtractSequence(found);
  r.type = ExtractValueType(found);
  if (r.type == ValueType::kValue) r.value = GetLengthPrefixedAt(found.data() + found.size());
  return r;
}

namespace {

class MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(const SkipList<const char*, MemTable::KeyComparator>* table)
      : it_(table) {}
  bool Valid() const override { return it_.Valid(); }
  void SeekToFirst() override { it_.SeekToFirst(); }
  void Seek(std::string_view target) override {
    buf_.clear();
    PutVarint32(&buf_, static_cast<uint32_t>(target.size()));
    buf_.append(target);
    it_.Seek(buf_.data());
  }
  void Next() override { it_.Next(); }
  std::string_view key() const override { return GetLengthPrefixedAt(it_.key()); }
  std::string_view value() const override {
    std::string_view k = key();
    return GetLengthPrefixedAt(k.data() + k.size());
  }
  Status status() const override { return Status::OK(); }

 private:
  SkipList<const char*, MemTable::KeyComparator>::Iterator it_;
  std::string buf_;
};

}  // namespace

std::unique_ptr<Iterator> MemTable::NewIterator() const {
  return std::make_unique<MemTableIterator>(&table_);
}

SequenceNumber MemTable::MaxCoveringTombstone(std::string_view user_key,
                                              SequenceNumber snapshot) const {
  if (!HasRangeTombstones()) return 0;
  ReaderMutexLock l(&tombstones_mu_);
  return tombstones_.MaxCoveringSequence(user_key, snapshot);
}

RangeTombstonesPtr MemTable::RangeTombstonesIn(
    const std::string* lower, const std::string* upper,
    const std::vector<SequenceNumber>* snapshots) const {
  if (!HasRangeTombstones()) return nullptr;
  std::vector<RangeTombstone> pieces;
  {
    ReaderMutexLock l(&tombstones_mu_);
    pieces = tombstones_.Overlapping(lower, upper, snapshots);
  }
  if (pieces.empty()) return nullptr;
  return std::make_shared<FragmentedRangeTombstones>(std::move(pieces));
}

size_t MemTable::ApproximateMemoryUsage() const {
  return arena_.MemoryUsage() + tombstone_bytes_.load(std::memory_order_relaxed);
}

}  // namespace iron::lsm

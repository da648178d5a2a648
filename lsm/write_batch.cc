#include "lsm/write_batch.h"

#include "coding.h"
#include "memtable.h"
#include "write_batch_internal.h"

namespace iron::lsm {

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(WriteBatchInternal::kHeaderSize);
}

uint32_t WriteBatch::Count() const { return DecodeFixed32(rep_.data() + 8); }

void WriteBatch::Put(std::string_view key, std::string_view value) {
  WriteBatchInternal::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(ValueType::kValue));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::Delete(std::string_view key) {
  WriteBatchInternal::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(ValueType::kDeletion));
  PutLengthPrefixed(&rep_, key);
}

void WriteBatch::DeleteRange(std::string_view begin, std::string_view end) {
  if (begin >= end) return;
  WriteBatchInternal::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(ValueType::kRangeDeletion));
  PutLengthPrefixed(&rep_, begin);
  PutLengthPrefixed(&rep_, end);
}

void WriteBatch::Append(const WriteBatch& other) {
  WriteBatchInternal::SetCount(this, Count() + other.Count());
  rep_.append(other.rep_, WriteBatchInternal::kHeaderSize);
}

Status WriteBatch::Iterate(Handler* handler) const {
  std::string_view input(rep_);
  if (input.size() < WriteBatchInternal::kHeaderSize) {
    return Status::Corruption("write batch: shorter than its header");
  }
  input.remove_prefix(WriteBatchInternal::kHeaderSize);
  uint32_t found = 0;
  std::string_view key, value;
  while (!input.empty()) {
    ++found;
    auto tag = static_cast<ValueType>(input[0]);
    input.remove_prefix(1);
    switch (tag) {
      case ValueType::kValue:
        if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
          return Status::Corruption("write batch: bad Put record");
        }
        handler->Put(key, value);
        break;
      case ValueType::kDeletion:
        if (!GetLengthPrefixed(&input, &key)) {
          return Status::Corruption("write batch: bad Delete record");
        }
        handler->Delete(key);
        break;
      case ValueType::kRangeDeletion:
        if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
          return Status::Corruption("write batch: bad DeleteRange record");
        }
        handler->DeleteRange(key, value);
        break;
      default:
        return Status::Corruption("write batch: unknown record type");
    }
  }
  if (found != Count()) return Status::Corruption("write batch: wrong count");
  return Status::OK();
}

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch& b) {
  return DecodeFixed64(b.rep_.data());
}

void WriteBatchInternal::SetSequence(WriteBatch* b, SequenceNumber seq) {
  EncodeFixed64(b->rep_.data(), seq);
}

void WriteBatchInternal::SetCount(WriteBatch* b, uint32_t n) {
  EncodeFixed32(b->rep_.data() + 8, n);
}

Status WriteBatchInternal::SetContents(WriteBatch* b, std::string_view contents) {
  if (contents.size() < kHeaderSize) {
    return Status::Corruption("write batch: shorter than its header");
  }
  b->rep_.assign(contents);
  return Status::OK();
}

namespace {

class MemTableInserter final : public WriteBatch::Handler {
 public:
  MemTableInserter(SequenceNumber seq, MemTable* mem) : seq_(seq), mem_(mem) {}
  void Put(std::string_view key, std::string_view value) override {
    mem_->Add(seq_++, ValueType::kValue, key, value);
  }
  void Delete(std::string_view key) override {
    mem_->Add(seq_++, ValueType::kDeletion, key, {});
  }
  void DeleteRange(std::string_view begin, std::string_view end) override {
    mem_->Add(seq_++, ValueType::kRangeDeletion, begin, end);
  }

 private:
  SequenceNumber seq_;
  MemTable* mem_;
};

// Decodes every update and applies none.
class BatchValidator final : public WriteBatch::Handler {
 public:
  void Put(std::string_view, std::string_view) override {}
  void Delete(std::string_view) override {}
  void DeleteRange(std::string_view, std::string_view) override {}
};

}  // namespace

Status WriteBatchInternal::InsertInto(const WriteBatch& b, MemTable* mem) {
  // A batch read back from a WAL record may be damaged past its first
  // updates; it must then apply none of them (a record is applied entirely
  // or not at all), and its sequence numbers must fit in a tag.
  BatchValidator validator;
  IRON_RETURN_IF_ERROR(b.Iterate(&validator));
  if (b.Count() > 0 && Sequence(b) > kMaxSequenceNumber - (b.Count() - 1)) {
    return Status::Corruption("write batch: sequence numbers beyond the maximum");
  }
  return InsertBuiltInto(b, mem);
}

Status WriteBatchInternal::InsertBuiltInto(const WriteBatch& b, MemTable* mem) {
  MemTableInserter inserter(Sequence(b), mem);
  return b.Iterate(&inserter);
}

}  // namespace iron::lsm

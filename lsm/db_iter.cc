#include "db_iter.h"

namespace iron::lsm {

namespace {

class DBIter final : public Iterator {
 public:
  explicit DBIter(DBIterParams p) : p_(std::move(p)) {}

  ~DBIter() override {
    if (p_.on_entries_read && entries_read_ != 0) p_.on_entries_read(entries_read_);
    if (p_.on_error) {
      if (Status s = status(); !s.ok()) p_.on_error(s);
    }
  }

  bool Valid() const override { return valid_; }

  void SeekToFirst() override {
    if (p_.lower_bound) {
      Seek(*p_.lower_bound);
      return;
    }
    p_.internal->SeekToFirst();
    skipping_ = false;
    FindNextUserEntry();
  }

  void Seek(std::string_view target) override {
    if (p_.lower_bound && target < std::string_view(*p_.lower_bound)) target = *p_.lower_bound;
    std::string ikey;
    AppendInternalKey(&ikey, target, p_.snapshot, kValueTypeForSeek);
    p_.internal->Seek(ikey);
    skipping_ = false;
    FindNextUserEntry();
  }

  void Next() override {
    // Every older entry of the current key is hidden by the one yielded.
    skip_key_.assign(key());
    skipping_ = true;
    Advance();
    FindNextUserEntry();
  }

  std::string_view key() const override { return ExtractUserKey(p_.internal->key()); }
  std::string_view value() const override { return p_.internal->value(); }

  Status status() const override { return corrupt_.ok() ? p_.internal->status() : corrupt_; }

 private:
  void Advance() {
    p_.internal->Next();
    if (++entries_read_ == 4096 && p_.on_entries_read) {
      p_.on_entries_read(entries_read_);
      entries_read_ = 0;
    }
  }

  bool Covered(std::string_view user_key, SequenceNumber seq) const {
    for (const auto& t : p_.tombstones) {
      if (t->Covers(user_key, seq, p_.snapshot)) return true;
    }
    return false;
  }

  // Moves to the first entry that is the visible value of a user key not
  // being skipped, or makes the iterator invalid.
  void FindNextUserEntry() {
    valid_ = false;
    Iterator* it = p_.internal.get();
    while (it->Valid()) {
      ParsedInternalKey k;
      if (!ParseInternalKey(it->key(), &k)) {
        corrupt_ = Status::Corruption("malformed internal key in iterator");
        return;
      }
      if (k.sequence > p_.snapshot || (skipping_ && k.user_key == skip_key_)) {
        Advance();
        continue;
      }
      if (p_.upper_bound && k.user_key >= std::string_view(*p_.upper_bound)) return;
      // The newest visible entry of this user key decides it.
      if (k.type == ValueType::kValue && !Covered(k.user_key, k.sequence)) {
        valid_ = true;
        return;
      }
      skip_key_.assign(k.user_key);
      skipping_ = true;
      Advance();
    }
  }

  DBIterParams p_;
  bool valid_ = false;
  bool skipping_ = false;
  std::string skip_key_;
  Status corrupt_;
  uint64_t entries_read_ = 0;
};

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(DBIterParams params) {
  return std::make_unique<DBIter>(std::move(params));
}

}  // namespace iron::lsm

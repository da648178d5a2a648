#include "table.h"

#include <algorithm>
#include <optional>
#include <set>

#include "block.h"
#include "bloom.h"
#include "coding.h"

namespace iron::lsm {

namespace {

// Walks the data blocks of a table named by its index block. With a
// `skipped` list it steps over blocks that cannot be read (recording each
// once) instead of stopping at the first.
class TableIterator final : public Iterator {
 public:
  TableIterator(std::shared_ptr<const Table> table, std::vector<DamagedBlock>* skipped,
                std::string_view smallest_user_key, bool fill_cache)
      : table_(std::move(table)),
        index_(table_->index_contents(), CompareInternalKeys, &table_->file_name(), kTagSize),
        skipped_(skipped),
        smallest_user_key_(smallest_user_key),
        fill_cache_(fill_cache) {}

  // A lost page ends the walk; status() then says why.
  bool Valid() const override { return data_ && data_->Valid() && !table_->damaged(); }
  void SeekToFirst() override {
    index_.SeekToFirst();
    LoadBlock();
    if (data_) data_->SeekToFirst();
    SkipEmptyBlocks();
  }
  void Seek(std::string_view target) override {
    index_.Seek(target);
    LoadBlock();
    if (data_) data_->Seek(target);
    SkipEmptyBlocks();
  }
  void Next() override {
    data_->Next();
    SkipEmptyBlocks();
  }
  std::string_view key() const override { return data_->key(); }
  std::string_view value() const override { return data_->value(); }
  Status status() const override {
    if (table_->damaged()) return table_->DamagedError();
    if (!index_.status().ok()) return index_.status();
    if (!status_.ok()) return status_;
    return data_ ? data_->status() : Status::OK();
  }

 private:
  void LoadBlock() {
    data_.reset();
    damaged_ = false;
    if (!index_.Valid()) return;
    std::string_view handle_bytes = index_.value();
    BlockHandle handle;
    if (!handle.DecodeFrom(&handle_bytes)) {
      status_ = Status::Corruption(table_->file_name() + ": bad block handle in index");
      return;
    }
    block_offset_ = handle.offset;
    Status s = table_->ReadDataBlock(handle, &block_, fill_cache_);
    if (!s.ok()) {
      if (skipped_ != nullptr) {
        Skip(s);
        damaged_ = true;
        return;
      }
      status_ = s;
      return;
    }
    data_.emplace(block_.contents, CompareInternalKeys, &table_->file_name(), kTagSize);
  }

  // Moves past blocks that end before the position (or, when skipping, that
  // cannot be read), stopping at errors.
  void SkipEmptyBlocks() {
    while (status_.ok() && (damaged_ || (data_ && !data_->Valid()))) {
      if (data_ && !data_->status().ok()) {
        if (skipped_ == nullptr) return;
        Skip(data_->status());
      }
      index_.Next();
      LoadBlock();
      if (data_) data_->SeekToFirst();
    }
  }

  // Records the block at the index's position as damaged, once.
  void Skip(const Status& s) {
    if (!recorded_.insert(block_offset_).second) return;
    DamagedBlock d;
    d.file = table_->file_name();
    d.offset = block_offset_;
    d.error = s.ToString();
    d.largest.assign(ExtractUserKey(index_.key()));
    d.smallest.assign(smallest_user_key_);
    // The block before it in the index holds the lower end; damage is rare,
    // so a walk of the index is cheap enough.
    BlockIter before(table_->index_contents(), CompareInternalKeys, &table_->file_name(),
                     kTagSize);
    for (before.SeekToFirst(); before.Valid(); before.Next()) {
      std::string_view handle_bytes = before.value();
      BlockHandle h;
      if (!h.DecodeFrom(&handle_bytes) || h.offset >= block_offset_) break;
      d.smallest.assign(ExtractUserKey(before.key()));
    }
    skipped_->push_back(std::move(d));
  }

  std::shared_ptr<const Table> table_;
  BlockIter index_;
  DataBlock block_;                // pinned while data_ reads it
  std::optional<BlockIter> data_;
  Status status_;
  std::vector<DamagedBlock>* const skipped_;  // nullptr: stop at damage
  const std::string smallest_user_key_;
  uint64_t block_offset_ = 0;  // of the block data_ holds
  bool damaged_ = false;       // ... which could not be read and was skipped
  std::set<uint64_t> recorded_;
  const bool fill_cache_;
};

}  // namespace

Status Table::Open(const Options& options, std::string file_name,
                   std::unique_ptr<MappedFile> file, std::shared_ptr<Table>* table) {
  (void)options;
  size_t size = file->size();
  if (size < kFooterSize) {
    return Status::Corruption(file_name + ": too short to be a table (" + std::to_string(size) +
                              " bytes)");
  }
  Footer footer;
  IRON_RETURN_IF_ERROR(
      footer.DecodeFrom(std::string_view(file->data() + size - kFooterSize, kFooterSize),
                        file_name));
  std::shared_ptr<Table> t(new Table(std::move(file_name), size));
  t->mapped_ = std::move(file);
  const char* base = t->mapped_->data();
  IRON_RETURN_IF_ERROR(ReadBlock(base, size, footer.index, t->file_name_, &t->index_));
  IRON_RETURN_IF_ERROR(ReadBlock(base, size, footer.filter, t->file_name_, &t->filter_));
  std::string_view range_del;
  IRON_RETURN_IF_ERROR(ReadBlock(base, size, footer.range_del, t->file_name_, &range_del));
  IRON_RETURN_IF_ERROR(t->Finish(footer, range_del));
  if (t->damaged()) return t->DamagedError();
  *table = std::move(t);
  return Status::OK();
}

Status Table::Open(const Options& options, std::string file_name,
                   std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                   std::shared_ptr<BlockCache> cache, std::shared_ptr<Table>* table) {
  (void)options;
  if (file_size < kFooterSize) {
    return Status::Corruption(file_name + ": too short to be a table (" +
                              std::to_string(file_size) + " bytes)");
  }
  char footer_bytes[kFooterSize];
  std::string_view got;
  IRON_RETURN_IF_ERROR(file->Read(file_size - kFooterSize, kFooterSize, &got, footer_bytes));
  if (got.size() != kFooterSize) {
    return Status::Corruption(file_name + ": the footer is cut short (the file shrank)");
  }
  Footer footer;
  IRON_RETURN_IF_ERROR(footer.DecodeFrom(got, file_name));
  std::shared_ptr<Table> t(new Table(std::move(file_name), file_size));
  t->file_ = std::move(file);
  t->cache_ = std::move(cache);
  t->cache_id_ = t->cache_->NewId();
  const RandomAccessFile& f = *t->file_;
  IRON_RETURN_IF_ERROR(
      ReadBlockFromFile(f, file_size, footer.index, t->file_name_, &t->index_block_));
  IRON_RETURN_IF_ERROR(
      ReadBlockFromFile(f, file_size, footer.filter, t->file_name_, &t->filter_block_));
  std::string range_del;
  IRON_RETURN_IF_ERROR(ReadBlockFromFile(f, file_size, footer.range_del, t->file_name_, &range_del));
  t->index_block_.shrink_to_fit();
  t->filter_block_.shrink_to_fit();
  t->index_ = t->index_block_;
  t->filter_ = t->filter_block_;
  IRON_RETURN_IF_ERROR(t->Finish(footer, range_del));
  *table = std::move(t);
  return Status::OK();
}

Table::~Table() {
  if (!cache_ || cache_->capacity() == 0) return;
  BlockIter index(index_, CompareInternalKeys, &file_name_, kTagSize);
  for (index.SeekToFirst(); index.Valid(); index.Next()) {
    std::string_view handle_bytes = index.value();
    BlockHandle handle;
    if (!handle.DecodeFrom(&handle_bytes)) break;
    cache_->Erase(cache_id_, handle.offset);
  }
}

Status Table::Finish(const Footer& footer, std::string_view range_del) {
  data_end_ = std::min<uint64_t>(footer.filter.offset, file_size_);
  // The index must at least be a well-formed block.
  BlockIter index(index_, CompareInternalKeys, &file_name_, kTagSize);
  index.SeekToFirst();
  IRON_RETURN_IF_ERROR(index.status());

  std::vector<RangeTombstone> tombstones;
  BlockIter it(range_del, [](std::string_view a, std::string_view b) { return a.compare(b); },
               &file_name_);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view v = it.value();
    std::string_view end;
    RangeTombstone rt;
    if (!GetLengthPrefixed(&v, &end) || v.size() != 8) {
      return Status::Corruption(file_name_ + ": bad range tombstone");
    }
    rt.begin.assign(it.key());
    rt.end.assign(end);
    rt.sequence = DecodeFixed64(v.data());
    tombstones.push_back(std::move(rt));
  }
  IRON_RETURN_IF_ERROR(it.status());
  if (!tombstones.empty()) {
    range_tombstones_ = std::make_shared<FragmentedRangeTombstones>(std::move(tombstones));
  }
  return Status::OK();
}

Status Table::ReadDataBlock(const BlockHandle& handle, DataBlock* block, bool fill_cache) const {
  block->pin.reset();
  if (mapped_) {
    Status s = ReadBlock(mapped_->data(), mapped_->size(), handle, file_name_, &block->contents);
    return damaged() ? DamagedError() : s;
  }
  block->pin = cache_->Lookup(cache_id_, handle.offset);
  if (!block->pin) {
    std::string contents;
    IRON_RETURN_IF_ERROR(ReadBlockFromFile(*file_, file_size_, handle, file_name_, &contents));
    if (fill_cache) {
      block->pin = cache_->Insert(cache_id_, handle.offset, std::move(contents));
    } else {
      block->pin = std::make_shared<const std::string>(std::move(contents));
    }
  }
  block->contents = *block->pin;
  return Status::OK();
}

Status Table::DamagedError() const {
  return Status::Corruption(file_name_ +
                            ": part of the table could not be read (the file shrank or the "
                            "disk failed under the engine); every read of it fails from now on");
}

Status Table::VerifyBlocks(std::vector<std::string>* problems) const {
  BlockIter index(index_, CompareInternalKeys, &file_name_, kTagSize);
  for (index.SeekToFirst(); index.Valid(); index.Next()) {
    std::string_view handle_bytes = index.value();
    BlockHandle handle;
    if (!handle.DecodeFrom(&handle_bytes)) {
      return Status::Corruption(file_name_ + ": bad block handle in index");
    }
    DataBlock block;
    Status s = ReadDataBlock(handle, &block, /*fill_cache=*/false);
    if (s.ok()) {
      BlockIter data(block.contents, CompareInternalKeys, &file_name_, kTagSize);
      for (data.SeekToFirst(); data.Valid(); data.Next()) {
      }
      s = data.status();
    }
    if (!s.ok()) {
      problems->push_back(s.ToString() + " (the block's keys end at user key " +
                          EscapeBytes(ExtractUserKey(index.key())) + ")");
    }
  }
  if (damaged()) return DamagedError();  // the index itself may have read as zeros
  return index.status();
}

Status Table::Get(std::string_view lookup_ikey, TableGetResult* result) const {
  return Get(lookup_ikey, BloomHash(ExtractUserKey(lookup_ikey)), result);
}

Status Table::Get(std::string_view lookup_ikey, uint64_t user_key_hash,
                  TableGetResult* result) const {
  if (damaged()) return DamagedError();
  Status s = GetFromBlocks(lookup_ikey, user_key_hash, result);
  // A page lost during the lookup read as zeros: the filter, the index and
  // the value read since cannot be trusted.
  if (damaged()) {
    *result = TableGetResult();
    return DamagedError();
  }
  return s;
}

Status Table::GetFromBlocks(std::string_view lookup_ikey, uint64_t user_key_hash,
                             TableGetResult* result) const {
  *result = TableGetResult();
  std::string_view user_key = ExtractUserKey(lookup_ikey);
  if (!filter_.empty()) {
    result->filter_checked = true;
    if (!BloomFilterMayContainHash(filter_, user_key_hash)) {
      result->filter_excluded = true;
      return Status::OK();
    }
  }
  BlockIter index(index_, CompareInternalKeys, &file_name_, kTagSize);
  index.Seek(lookup_ikey);
  // Entries of one user key may continue into the next block.
  for (; index.Valid(); index.Next()) {
    std::string_view handle_bytes = index.value();
    BlockHandle handle;
    if (!handle.DecodeFrom(&handle_bytes)) {
      return Status::Corruption(file_name_ + ": bad block handle in index");
    }
    DataBlock block;
    IRON_RETURN_IF_ERROR(ReadDataBlock(handle, &block));
    BlockIter data(block.contents, CompareInternalKeys, &file_name_, kTagSize);
    data.Seek(lookup_ikey);
    IRON_RETURN_IF_ERROR(data.status());
    if (!data.Valid()) continue;  // every entry of the block sorts before the lookup
    ParsedInternalKey k;
    if (!ParseInternalKey(data.key(), &k)) {
      return Status::Corruption(file_name_ + ": malformed key in block at offset " +
                                std::to_string(handle.offset));
    }
    if (k.user_key == user_key) {
      result->found = true;
      result->type = k.type;
      result->sequence = k.sequence;
      result->value.assign(data.value());
    }
    return Status::OK();
  }
  return index.status();
}

std::unique_ptr<Iterator> Table::NewIterator(bool fill_cache) const {
  return std::make_unique<TableIterator>(shared_from_this(), nullptr, std::string_view(),
                                         fill_cache);
}

std::unique_ptr<Iterator> Table::NewIterator(std::vector<DamagedBlock>* skipped,
                                             std::string_view smallest_user_key) const {
  return std::make_unique<TableIterator>(shared_from_this(), skipped, smallest_user_key,
                                         /*fill_cache=*/true);
}

}  // namespace iron::lsm

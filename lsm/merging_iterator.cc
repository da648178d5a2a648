#include "merging_iterator.h"

#include <algorithm>

#include "internal_key.h"

namespace iron::lsm {

namespace {

// A binary min-heap of the valid children, keyed by their current key.
class MergingIterator final : public Iterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<Iterator>> children)
      : children_(std::move(children)) {
    heap_.reserve(children_.size());
  }

  bool Valid() const override { return status_.ok() && !heap_.empty(); }

  void SeekToFirst() override {
    for (auto& c : children_) c->SeekToFirst();
    Rebuild();
  }

  void Seek(std::string_view target) override {
    for (auto& c : children_) c->Seek(target);
    Rebuild();
  }

  void Next() override {
    Iterator* top = heap_.front();
    top->Next();
    if (top->Valid()) {
      SiftDown(0);
    } else {
      if (!top->status().ok()) status_ = top->status();
      heap_.front() = heap_.back();
      heap_.pop_back();
      if (!heap_.empty()) SiftDown(0);
    }
  }

  std::string_view key() const override { return heap_.front()->key(); }
  std::string_view value() const override { return heap_.front()->value(); }
  Status status() const override { return status_; }

 private:
  static bool Less(Iterator* a, Iterator* b) {
    return CompareInternalKeys(a->key(), b->key()) < 0;
  }

  void Rebuild() {
    heap_.clear();
    status_ = Status::OK();
    for (auto& c : children_) {
      if (c->Valid()) {
        heap_.push_back(c.get());
      } else if (!c->status().ok()) {
        status_ = c->status();
      }
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  void SiftDown(size_t i) {
    size_t n = heap_.size();
    while (true) {
      size_t l = 2 * i + 1;
      if (l >= n) return;
      size_t smallest = l;
      if (l + 1 < n && Less(heap_[l + 1], heap_[l])) smallest = l + 1;
      if (!Less(heap_[smallest], heap_[i])) return;
      std::swap(heap_[i], heap_[smallest]);
      i = smallest;
    }
  }

  std::vector<std::unique_ptr<Iterator>> children_;
  std::vector<Iterator*> heap_;
  Status status_;
};

}  // namespace

std::unique_ptr<Iterator> NewMergingIterator(std::vector<std::unique_ptr<Iterator>> children) {
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace iron::lsm

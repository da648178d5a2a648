// SkipList: the ordered index of a MemTable.
//
// Thread safety:
//   Writes (Insert) require external synchronization: one writer at a time
//   (the DB's write leader). Reads (Contains, iteration) need no lock and may
//   run concurrently with the writer: a node is fully initialized before it
//   is published with a release store, and readers follow links with acquire
//   loads.
//
// Invariants:
//   - Nodes are allocated in the Arena and never freed until the SkipList
//     (and its Arena) is destroyed; nothing is ever deleted from the list.
//   - A node's contents, except its next pointers, never change after it is
//     linked in.
//   - Keys are unique (the MemTable's internal keys carry a unique sequence).
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <new>

#include "arena.h"

namespace iron::lsm {

template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  // cmp compares keys; arena provides node memory and must outlive the list.
  SkipList(Comparator cmp, Arena* arena)
      : compare_(cmp), arena_(arena), head_(NewNode(Key(), kMaxHeight)) {
    for (int i = 0; i < kMaxHeight; ++i) head_->SetNext(i, nullptr);
  }
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // REQUIRES: nothing equal to key is in the list; single writer.
  void Insert(const Key& key) {
    Node* prev[kMaxHeight];
    Node* x = FindGreaterOrEqual(key, prev);
    assert(x == nullptr || !Equal(key, x->key));
    (void)x;
    int height = RandomHeight();
    int max_height = GetMaxHeight();
    if (height > max_height) {
      for (int i = max_height; i < height; ++i) prev[i] = head_;
      // Readers that see the new height before the new node's links find
      // head_->next == nullptr at those levels, which is harmless.
      max_height_.store(height, std::memory_order_relaxed);
    }
    x = NewNode(key, height);
    for (int i = 0; i < height; ++i) {
      x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
      prev[i]->SetNext(i, x);
    }
  }

  bool Contains(const Key& key) const {
    Node* x = FindGreaterOrEqual(key, nullptr);
    return x != nullptr && Equal(key, x->key);
  }

  // Iteration over the list's contents at any moment; entries inserted
  // while iterating may or may not be seen.
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}
    bool Valid() const { return node_ != nullptr; }
    const Key& key() const { return node_->key; }
    void Next() { node_ = node_->Next(0); }
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }

   private:
    const SkipList* list_;
    Node* node_;
  };

 private:
  static constexpr int kMaxHeight = 12;
  static constexpr unsigned kBranching = 4;

  struct Node {
    explicit Node(const Key& k) : key(k) {}
    Key const key;

    Node* Next(int n) { return next_[n].load(std::memory_order_acquire); }
    void SetNext(int n, Node* x) { next_[n].store(x, std::memory_order_release); }
    Node* NoBarrierNext(int n) { return next_[n].load(std::memory_order_relaxed); }
    void NoBarrierSetNext(int n, Node* x) { next_[n].store(x, std::memory_order_relaxed); }

   private:
    // Length is the node's height; next_[0] is the lowest level.
    std::atomic<Node*> next_[1];
  };

  Node* NewNode(const Key& key, int height) {
    char* mem = arena_->AllocateAligned(sizeof(Node) +
                                        sizeof(std::atomic<Node*>) * (height - 1));
    return new (mem) Node(key);
  }

  int GetMaxHeight() const { return max_height_.load(std::memory_order_relaxed); }

  int RandomHeight() {
    int height = 1;
    while (height < kMaxHeight && NextRandom() % kBranching == 0) ++height;
    return height;
  }

  // xorshift64*: cheap, and only the writer calls it.
  uint64_t NextRandom() {
    rnd_ ^= rnd_ >> 12;
    rnd_ ^= rnd_ << 25;
    rnd_ ^= rnd_ >> 27;
    return rnd_ * 2685821657736338717ull;
  }

  bool Equal(const Key& a, const Key& b) const { return compare_(a, b) == 0; }
  bool KeyIsAfterNode(const Key& key, Node* n) const {
    return n != nullptr && compare_(n->key, key) < 0;
  }

  // First node >= key; fills prev[level] with the node before it at each
  // level when prev is not null.
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const {
    Node* x = head_;
    int level = GetMaxHeight() - 1;
    while (true) {
      Node* next = x->Next(level);
      if (KeyIsAfterNode(key, next)) {
        x = next;
      } else {
        if (prev != nullptr) prev[level] = x;
        if (level == 0) return next;
        --level;
      }
    }
  }

  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  uint64_t rnd_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace iron::lsm

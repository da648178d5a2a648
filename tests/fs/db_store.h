// DbStore: the fs::Store of a test's std::unique_ptr<lsm::DB>, following
// it as the test closes and reopens the DB.
#pragma once

#include <memory>

#include "fs/lsm_store.h"
#include "lsm/db.h"

namespace iron::fs::test {

class DbStore {
 public:
  explicit DbStore(const std::unique_ptr<lsm::DB>* db) : db_(db) {}

  // The Store of the DB open now; valid until it is closed.
  Store* get() {
    if (store_ == nullptr || over_ != db_->get()) {
      over_ = db_->get();
      store_ = std::make_unique<LsmStore>(over_);
    }
    return store_.get();
  }

 private:
  const std::unique_ptr<lsm::DB>* const db_;
  lsm::DB* over_ = nullptr;
  std::unique_ptr<LsmStore> store_;
};

}  // namespace iron::fs::test

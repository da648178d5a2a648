// LsmStore: the Store (store.h) of IronFS's own engine, an lsm::DB. The
// only part of fs that knows lsm::DB; the rest sees the Store.
//
// Thread safety: as lsm::DB, every call from any thread.
#pragma once

#include "fs/store.h"
#include "lsm/db.h"

namespace iron::fs {

class LsmStore final : public Store {
 public:
  // `db` must outlive the store.
  explicit LsmStore(lsm::DB* db) : db_(db) {}

  // The engine options a filesystem's keys want (tables cut between key
  // kinds, see key_schema.h); a caller adds its own sizes and Env.
  static lsm::Options EngineOptions();

  lsm::Status Write(const lsm::WriteOptions& options, lsm::WriteBatch* batch) override {
    return db_->Write(options, batch);
  }
  lsm::Status Get(const lsm::ReadOptions& options, std::string_view key,
                  std::string* value) override {
    return db_->Get(options, key, value);
  }
  std::unique_ptr<lsm::Iterator> NewIterator(const lsm::ReadOptions& options) override {
    return db_->NewIterator(options);
  }
  std::shared_ptr<const lsm::Snapshot> GetSnapshot() override { return db_->GetSnapshot(); }
  lsm::Status Sync() override { return db_->Sync(); }
  lsm::Status Compact() override { return db_->CompactRange(nullptr, nullptr); }

 private:
  lsm::DB* const db_;
};

}  // namespace iron::fs

#include "fs/lsm_store.h"

#include "key_schema.h"

namespace iron::fs {

lsm::Options LsmStore::EngineOptions() {
  lsm::Options o;
  o.table_partition_prefix = kKeyKindBytes;
  return o;
}

}  // namespace iron::fs

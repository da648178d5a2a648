// Snapshot: a point in time of a DB. Reads through it (ReadOptions::snapshot)
// see exactly the writes made before it was taken, whatever is written
// after. Obtained from DB::GetSnapshot; released when the last shared_ptr
// to it goes away, which must happen before the DB is closed.
//
// Thread safety: immutable; share it freely.
#pragma once

#include <cstdint>

namespace iron::lsm {

class Snapshot {
 public:
  virtual ~Snapshot() = default;
  virtual uint64_t sequence() const = 0;
};

}  // namespace iron::lsm

// SalvageTable: what can still be read from a damaged table file.
//
// Used by repair (repair.h) on a table that fails to open or has damaged
// blocks. Every data block whose checksum holds and whose entries decode
// is kept; every other block is reported as a LostRange of user keys.
//
// Two ways through a table:
//   - the footer and index are readable: the index names each data block
//     and the key range it held (from the previous block's last key, whose
//     older versions may continue into it, to its own last key), so what is lost is known exactly;
//   - they are not (a truncated table, a damaged footer or index): the
//     data region is scanned for blocks. A block is recognised by its own
//     framing alone: it starts with a restart entry (shared = 0), its last
//     four bytes count restart points whose first offset is 0, its trailer
//     says "raw" and its checksum holds. Internal keys must increase from
//     block to block, which also rejects the index block (its keys repeat
//     the data blocks'). The lost ranges then lie between the readable
//     blocks. The range-deletion block cannot be found this way; its loss
//     is reported.
//
// Thread safety: a function of its arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lsm/repair.h"
#include "lsm/status.h"
#include "range_tombstone.h"

namespace iron::lsm {

struct SalvagedTable {
  std::vector<std::pair<std::string, std::string>> entries;  // internal key -> value, ascending
  std::vector<RangeTombstone> tombstones;
  std::vector<LostRange> lost;
  size_t blocks_kept = 0;
  bool index_readable = false;  // false: the data region was scanned
};

// Salvages the table `file_name` whose bytes are [data, data + size).
void SalvageTable(const char* data, size_t size, const std::string& file_name,
                  SalvagedTable* out);

}  // namespace iron::lsm

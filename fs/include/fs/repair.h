// The filesystem repair (fsck --repair, the filesystem's half): makes the
// key schema's invariants (checker.h) hold again on a DB that opens, with
// as little loss as can be, in the manner of e2fsck -y.
//
// What it changes, each change one line of the report, naming inode
// numbers and paths:
//   - a missing or undecodable superblock is recreated (block size 4096,
//     a new uuid); an inode limit not above every inode number is raised;
//   - a missing root (or one that is not a directory) is recreated empty;
//   - an inode record that does not decode is removed (the inode is then
//     missing, as below);
//   - a directory entry that does not decode, is "." or "..", lives in a
//     missing inode or a non-directory, names a missing inode, names the
//     root, or is a directory's second name is removed; one whose recorded
//     type differs from the inode's is corrected;
//   - a directory no chain of entries leads to from the root (its parent
//     vanished, or a cycle) is moved, with its subtree, into /lost+found
//     as "#<ino>"; so is an inode with no names and no orphan key;
//     /lost+found is created in the root (mode 0700) when first needed;
//   - nlink of every file and directory and a directory's parent field are
//     set from the entries; an orphan key of a named or missing inode is
//     removed; an unnamed inode with an orphan key is left to the next
//     mount, which reclaims it;
//   - data blocks of missing inodes or non-regular files, and blocks past
//     a file's size, are dropped (a block reaching past the size is cut);
//     the recorded block count is raised to the blocks stored;
//   - xattrs of missing inodes are dropped; an inode holding xattrs gets
//     its flag;
//   - keys that do not parse, or of a kind the schema does not know, are
//     removed.
// Damaged table blocks are stepped over (their keys are gone: the engine's
// salvage deals with the tables); the report counts them.
//
// The changes are written in a few WriteBatches (the namespace first, then
// data blocks and xattrs), synced. Afterwards CheckFilesystem reports clean
// unless a write failed (report.status). The filesystem must not be
// mounted while it runs.
#pragma once

#include <string>
#include <vector>

#include "fs/store.h"
#include "lsm/status.h"

namespace iron::fs {

struct RepairReport {
  std::vector<std::string> changes;  // one line per change
  uint64_t damaged_blocks = 0;       // table blocks stepped over
  lsm::Status status;                // not OK: reading or writing failed part way

  std::string ToString() const;
};

RepairReport RepairFilesystem(Store* store);

}  // namespace iron::fs

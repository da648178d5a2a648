#include "fs/store.h"

#include <cerrno>

namespace iron::fs {

int ToErrno(const lsm::Status& s) {
  if (s.ok()) return 0;
  if (s.IsNotFound()) return ENOENT;
  if (s.IsNoSpace()) return ENOSPC;
  if (s.IsBusy()) return EBUSY;
  if (s.IsReadOnly()) return EROFS;
  if (s.IsInvalidArgument()) return EINVAL;
  if (s.IsNotSupported()) return EOPNOTSUPP;
  return EIO;  // damage, I/O errors, and any code this list does not know
}

}  // namespace iron::fs

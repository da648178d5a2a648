#include "lsm/env.h"

namespace iron::lsm {

Status WriteStringToFile(Env* env, std::string_view data, const std::string& path, bool sync) {
  std::unique_ptr<WritableFile> file;
  IRON_RETURN_IF_ERROR(env->NewWritableFile(path, &file));
  Status s = file->Append(data);
  if (s.ok() && sync) s = file->Sync();
  Status c = file->Close();
  if (s.ok()) s = c;
  // The write's own failure is the one to report; a partial file that
  // cannot be removed either is overwritten by the next attempt.
  if (!s.ok()) env->RemoveFile(path).IgnoreError();
  return s;
}

Status ReadFileToString(Env* env, const std::string& path, std::string* data,
                        size_t max_bytes) {
  data->clear();
  std::unique_ptr<SequentialFile> file;
  IRON_RETURN_IF_ERROR(env->NewSequentialFile(path, &file));
  constexpr size_t kChunk = 64 << 10;
  std::string scratch(kChunk, '\0');
  for (;;) {
    std::string_view piece;
    IRON_RETURN_IF_ERROR(file->Read(kChunk, &piece, scratch.data()));
    if (data->size() + piece.size() > max_bytes) {
      data->clear();
      return Status::Corruption(path + ": larger than " + std::to_string(max_bytes) +
                                " bytes, which it never is");
    }
    data->append(piece);
    if (piece.size() < kChunk) return Status::OK();
  }
}

}  // namespace iron::lsm

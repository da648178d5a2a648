#include "table_format.h"

#include <algorithm>

#include "checksum.h"
#include "coding.h"

namespace iron::lsm {

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
}

bool BlockHandle::DecodeFrom(std::string_view* input) {
  return GetVarint64(input, &offset) && GetVarint64(input, &size);
}

std::string Footer::Encode() const {
  std::string out;
  index.EncodeTo(&out);
  filter.EncodeTo(&out);
  range_del.EncodeTo(&out);
  out.resize(kFooterSize - 8, '\0');
  PutFixed64(&out, kTableMagic);
  return out;
}

Status Footer::DecodeFrom(std::string_view footer, const std::string& file_name) {
  if (footer.size() != kFooterSize ||
      DecodeFixed64(footer.data() + kFooterSize - 8) != kTableMagic) {
    return Status::Corruption(file_name + ": not a table (bad magic number)");
  }
  std::string_view in = footer.substr(0, kFooterSize - 8);
  if (!index.DecodeFrom(&in) || !filter.DecodeFrom(&in) || !range_del.DecodeFrom(&in)) {
    return Status::Corruption(file_name + ": bad footer");
  }
  return Status::OK();
}

namespace {

Status BlockError(const std::string& file_name, const BlockHandle& handle, const char* what) {
  return Status::Corruption(file_name + ": block at offset " + std::to_string(handle.offset) +
                            ": " + what);
}

bool InsideFile(uint64_t file_size, const BlockHandle& handle) {
  return handle.offset <= file_size && handle.size <= file_size &&
         handle.offset + handle.size + kBlockTrailerSize <= file_size;
}

// `p` holds the block's contents and its trailer.
Status VerifyBlock(const char* p, const BlockHandle& handle, const std::string& file_name) {
  if (p[handle.size] != 0) return BlockError(file_name, handle, "unknown block type");
  uint32_t expected = DecodeFixed32(p + handle.size + 1);
  if (Checksum32(p, handle.size + 1) != expected) {
    return BlockError(file_name, handle, "checksum mismatch");
  }
  return Status::OK();
}

}  // namespace

Status ReadBlock(const char* base, size_t file_size, const BlockHandle& handle,
                 const std::string& file_name, std::string_view* contents) {
  if (!InsideFile(file_size, handle)) {
    return BlockError(file_name, handle, "extends past the end of the file");
  }
  const char* p = base + handle.offset;
  IRON_RETURN_IF_ERROR(VerifyBlock(p, handle, file_name));
  *contents = std::string_view(p, handle.size);
  return Status::OK();
}

Status ReadBlockFromFile(const RandomAccessFile& file, uint64_t file_size,
                         const BlockHandle& handle, const std::string& file_name,
                         std::string* contents) {
  if (!InsideFile(file_size, handle)) {
    return BlockError(file_name, handle, "extends past the end of the file");
  }
  const size_t n = handle.size + kBlockTrailerSize;
  contents->resize(n);
  std::string_view got;
  IRON_RETURN_IF_ERROR(file.Read(handle.offset, n, &got, contents->data()));
  if (got.size() != n) {
    contents->clear();
    return Status::Corruption(file_name + ": block at offset " + std::to_string(handle.offset) +
                              ": the file ends " + std::to_string(n - got.size()) +
                              " bytes short of it (it shrank under the engine)");
  }
  if (got.data() != contents->data()) std::copy(got.begin(), got.end(), contents->data());
  Status s = VerifyBlock(contents->data(), handle, file_name);
  if (!s.ok()) {
    contents->clear();
    return s;
  }
  contents->resize(handle.size);
  return Status::OK();
}

void AppendBlockTrailer(std::string_view contents, std::string* out) {
  out->push_back('\0');  // type: raw
  PutFixed32(out, Checksum32(contents, std::string_view("\0", 1)));
}

}  // namespace iron::lsm

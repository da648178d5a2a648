#include "table_format.h"

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

Status ReadBlock(const char* base, size_t file_size, const BlockHandle& handle,
                 const std::string& file_name, std::string_view* contents) {
  auto fail = [&](const char* what) {
    return Status::Corruption(file_name + ": block at offset " + std::to_string(handle.offset) +
                              ": " + what);
  };
  if (handle.offset > file_size || handle.size > file_size ||
      handle.offset + handle.size + kBlockTrailerSize > file_size) {
    return fail("extends past the end of the file");
  }
  const char* p = base + handle.offset;
  if (p[handle.size] != 0) return fail("unknown block type");
  uint32_t expected = DecodeFixed32(p + handle.size + 1);
  if (Checksum32(p, handle.size + 1) != expected) return fail("checksum mismatch");
  *contents = std::string_view(p, handle.size);
  return Status::OK();
}

void AppendBlockTrailer(std::string_view contents, std::string* out) {
  out->push_back('\0');  // type: raw
  PutFixed32(out, Checksum32(contents, std::string_view("\0", 1)));
}

}  // namespace iron::lsm

// Internal keys: how the engine orders every version of every user key.
//
// An internal key is the user key followed by an 8-byte little-endian tag,
//   tag = (sequence << 8) | type
// Internal keys sort by user key ascending (bytewise), then by sequence
// descending, then by type descending: the newest version of a key comes
// first, so a seek to (key, snapshot) lands on the newest version the
// snapshot may see.
//
// Sequence numbers are 56 bits; each write in a batch takes the next one.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "coding.h"

namespace iron::lsm {

using SequenceNumber = uint64_t;

inline constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;

enum class ValueType : unsigned char {
  kDeletion = 0,
  kValue = 1,
  kRangeDeletion = 2,  // value = exclusive end of the deleted user-key range
};

// Highest type: a seek key built with it sorts before every entry of the
// same user key and sequence.
inline constexpr ValueType kValueTypeForSeek = ValueType::kRangeDeletion;

inline constexpr size_t kTagSize = 8;

inline uint64_t PackTag(SequenceNumber seq, ValueType t) {
  return (seq << 8) | static_cast<uint64_t>(t);
}

inline void AppendInternalKey(std::string* dst, std::string_view user_key,
                              SequenceNumber seq, ValueType t) {
  dst->append(user_key);
  PutFixed64(dst, PackTag(seq, t));
}

inline std::string MakeInternalKey(std::string_view user_key, SequenceNumber seq,
                                   ValueType t) {
  std::string k;
  k.reserve(user_key.size() + kTagSize);
  AppendInternalKey(&k, user_key, seq, t);
  return k;
}

// Accessors; the caller guarantees ikey.size() >= kTagSize.
inline std::string_view ExtractUserKey(std::string_view ikey) {
  return ikey.substr(0, ikey.size() - kTagSize);
}
inline uint64_t ExtractTag(std::string_view ikey) {
  return DecodeFixed64(ikey.data() + ikey.size() - kTagSize);
}
inline SequenceNumber ExtractSequence(std::string_view ikey) { return ExtractTag(ikey) >> 8; }
inline ValueType ExtractValueType(std::string_view ikey) {
  return static_cast<ValueType>(ExtractTag(ikey) & 0xff);
}

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kValue;
};

// False if `ikey` is too short or carries an unknown type.
inline bool ParseInternalKey(std::string_view ikey, ParsedInternalKey* out) {
  if (ikey.size() < kTagSize) return false;
  uint64_t tag = ExtractTag(ikey);
  unsigned char t = tag & 0xff;
  if (t > static_cast<unsigned char>(ValueType::kRangeDeletion)) return false;
  out->user_key = ExtractUserKey(ikey);
  out->sequence = tag >> 8;
  out->type = static_cast<ValueType>(t);
  return true;
}

// Bytewise user-key order.
inline int CompareUserKeys(std::string_view a, std::string_view b) { return a.compare(b); }

// The internal-key order described above. Both keys must be >= kTagSize.
inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  int r = ExtractUserKey(a).compare(ExtractUserKey(b));
  if (r != 0) return r;
  uint64_t ta = ExtractTag(a);
  uint64_t tb = ExtractTag(b);
  if (ta > tb) return -1;
  if (ta < tb) return +1;
  return 0;
}

// The key a point lookup seeks: user_key with the read's sequence and the
// type that sorts first among entries of that sequence. Short keys live
// inline, so a lookup allocates nothing.
class LookupKey {
 public:
  LookupKey(std::string_view user_key, SequenceNumber snapshot) {
    size_t n = user_key.size() + kTagSize;
    char* dst = space_;
    if (n > sizeof(space_)) {
      heap_ = std::make_unique<char[]>(n);
      dst = heap_.get();
    }
    if (!user_key.empty()) std::memcpy(dst, user_key.data(), user_key.size());
    EncodeFixed64(dst + user_key.size(), PackTag(snapshot, kValueTypeForSeek));
    ikey_ = std::string_view(dst, n);
  }
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;

  std::string_view internal_key() const { return ikey_; }
  std::string_view user_key() const { return ExtractUserKey(ikey_); }

 private:
  char space_[120];
  std::unique_ptr<char[]> heap_;
  std::string_view ikey_;
};

}  // namespace iron::lsm

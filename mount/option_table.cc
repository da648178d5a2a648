#include "option_table.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>
#include <utility>

namespace iron::mount {
namespace {

constexpr std::array kOptions = std::to_array<OwnOption>({
    {.name = "ro",
     .kind = ValueKind::kFlag,
     .field = &MountConfig::read_only,
     .help = "mount read-only: nothing in the data directory is written, created or removed "
             "(the WAL is replayed into memory only; no log or lock file is made), so it may "
             "sit on read-only storage",
     .also_for_libfuse = true},
    {.name = "sync",
     .kind = ValueKind::kFlag,
     .field = &MountConfig::sync,
     .help = "every operation is durable (fdatasync'ed) before it returns "
             "(see \"What survives\" below)"},
    {.name = "writeback",
     .kind = ValueKind::kFlag,
     .field = &MountConfig::writeback,
     .help = "use the kernel's writeback cache: small writes are gathered in the page cache, "
             "but every close makes the next stat ask the daemon, and a write() returns before "
             "IronFS has its data. Refused with sync"},
    {.name = "no_writeback",
     .kind = ValueKind::kFlag,
     .field = &MountConfig::writeback,
     .help = "send every write through at once",
     .flag_value = false},
    {.name = "attr_timeout",
     .kind = ValueKind::kSeconds,
     .field = &MountConfig::attr_timeout,
     .help = "seconds the kernel caches attributes"},
    {.name = "entry_timeout",
     .kind = ValueKind::kSeconds,
     .field = &MountConfig::entry_timeout,
     .help = "seconds the kernel caches names"},
    {.name = "negative_timeout",
     .kind = ValueKind::kSeconds,
     .field = &MountConfig::negative_timeout,
     .help = "seconds the kernel caches missing names"},
    {.name = "memtable_size",
     .kind = ValueKind::kMebibytes,
     .field = &MountConfig::memtable_bytes,
     .help = "the engine's write buffer",
     .min = 1,
     .max = 4096},
    {.name = "cache_size",
     .kind = ValueKind::kMebibytes,
     .field = &MountConfig::cache_bytes,
     .help = "the engine's block cache: table data blocks kept in memory (0: none, every read "
             "a pread); given back while the filesystem rests",
     .max = 1u << 20},
    {.name = "reserve",
     .kind = ValueKind::kMebibytes,
     .field = &MountConfig::reserve_bytes,
     .help = "space of the data directory's disk kept free so that what was written can always "
             "be flushed: writes, creates and xattrs fail with ENOSPC below it, while reads, "
             "deletes and renames go on",
     .max = 1u << 20,
     .unset_default =
         [](const MountConfig& c) {
           return "twice memtable_size + " +
                  std::to_string((c.ReserveBytes() - 2 * c.memtable_bytes) >> 20);
         }},
    {.name = "allow_foreign_data_dir",
     .kind = ValueKind::kFlag,
     .field = &MountConfig::allow_foreign_data_dir,
     .help = "run as root on a DATA_DIR that is not root's alone: owned by another user, or "
             "writable by group or others (it, a file in it, or a directory above it). Refused "
             "by default: whoever can change it can take the filesystem down for every user"},
    {.name = "block_size",
     .kind = ValueKind::kCount,
     .field = &MountConfig::block_size,
     .help = "data block size when formatting; fixed afterwards",
     .min = 512,
     .max = 1u << 20,
     .power_of_two = true},
    {.name = "inode_cache",
     .kind = ValueKind::kCount,
     .field = &MountConfig::inode_cache,
     .help = "inodes kept decoded in memory beyond those the kernel holds; forgotten ones leave",
     .min = 1024,
     .unit = "a count"},
    {.name = "spin_us",
     .kind = ValueKind::kCount,
     .field = &MountConfig::spin_us,
     .help = "after a request, look for the next one for N microseconds before sleeping "
             "(0: sleep at once). A program waiting on the mount is then answered without waking "
             "a sleeping thread",
     .max = 10000,
     .unit = "microseconds"},
    {.name = "default_permissions",
     .kind = ValueKind::kFlag,
     .field = &MountConfig::default_permissions,
     .help = "the kernel checks permissions too, on attributes it caches. IronFS always checks "
             "them itself"},
    {.name = "no_default_permissions",
     .kind = ValueKind::kFlag,
     .field = &MountConfig::default_permissions,
     .help = "only IronFS checks; the kernel then caches no names (entry_timeout=0: it would "
             "skip the search permission of cached directories) and no writes (no_writeback). "
             "FIFOs and devices are opened by the kernel alone, so their permissions go "
             "unchecked in this mode. Privilege comes from the caller's capabilities (read "
             "from /proc per request), not from uid 0",
     .flag_value = false},
});

// A flag stores a bool, a time a double, the rest a whole number.
constexpr bool FieldFitsKind(const OwnOption& o) {
  bool flag = std::holds_alternative<bool MountConfig::*>(o.field);
  bool seconds = std::holds_alternative<double MountConfig::*>(o.field);
  switch (o.kind) {
    case ValueKind::kFlag:
      return flag;
    case ValueKind::kSeconds:
      return seconds;
    default:
      return !flag && !seconds;
  }
}
static_assert(std::ranges::all_of(kOptions, FieldFitsKind));

int Shift(const OwnOption& o) { return o.kind == ValueKind::kMebibytes ? 20 : 0; }

// The type a field holds a value in: T, or the T of std::optional<T>.
template <typename T>
struct Stored {
  using type = T;
};
template <typename T>
struct Stored<std::optional<T>> {
  using type = T;
};

std::optional<double> ParseSeconds(std::string_view v) {
  std::string s(v);  // strtod wants a terminated string
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  // NaN and infinity are refused too: the kernel takes whole seconds and
  // nanoseconds, which neither converts to.
  if (end == s.c_str() || *end != '\0' || !std::isfinite(d) || d < 0) return std::nullopt;
  return d;
}

// A whole number the row accepts, in the row's unit.
std::optional<uint64_t> ParseWhole(const OwnOption& o, std::string_view v) {
  uint64_t n;
  auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || error != std::errc() || end != v.data() + v.size()) return std::nullopt;
  if (n < o.min || n > o.max || (o.power_of_two && (n & (n - 1)) != 0)) return std::nullopt;
  if (n > (std::numeric_limits<uint64_t>::max() >> Shift(o))) return std::nullopt;
  return n;
}

}  // namespace

std::span<const OwnOption> OwnOptions() { return kOptions; }

std::string_view ValueName(const OwnOption& o) {
  switch (o.kind) {
    case ValueKind::kFlag:
      return "";
    case ValueKind::kSeconds:
      return "S";
    case ValueKind::kMebibytes:
      return "MB";
    case ValueKind::kCount:
      return "N";
  }
  return "";
}

const OwnOption* FindOwnOption(std::string_view name) {
  auto it = std::ranges::find(kOptions, name, &OwnOption::name);
  return it == kOptions.end() ? nullptr : &*it;
}

bool StoreOption(const OwnOption& o, std::string_view value, MountConfig* config) {
  return std::visit(
      [&](auto field) {
        using T = typename Stored<std::remove_cvref_t<decltype(config->*field)>>::type;
        if constexpr (std::is_same_v<T, bool>) {
          config->*field = o.flag_value;
          return true;
        } else if constexpr (std::is_same_v<T, double>) {
          std::optional<double> s = ParseSeconds(value);
          if (s) config->*field = *s;
          return s.has_value();
        } else {
          std::optional<uint64_t> n = ParseWhole(o, value);
          if (!n || !std::in_range<T>(*n << Shift(o))) return false;
          config->*field = static_cast<T>(*n << Shift(o));
          return true;
        }
      },
      o.field);
}

std::string AcceptedValues(const OwnOption& o) {
  switch (o.kind) {
    case ValueKind::kFlag:
      return "";
    case ValueKind::kSeconds:
      return "seconds, a number >= 0";
    default: {
      std::string what(o.power_of_two                    ? "a power of two"
                       : o.kind == ValueKind::kMebibytes ? "MiB"
                                                         : o.unit);
      if (o.max == std::numeric_limits<uint64_t>::max())
        return what + " >= " + std::to_string(o.min);
      return what + ", " + std::to_string(o.min) + ".." + std::to_string(o.max);
    }
  }
}

std::optional<std::string> ValueIn(const OwnOption& o, const MountConfig& config) {
  return std::visit(
      [&](auto field) -> std::optional<std::string> {
        const auto& value = config.*field;
        using T = std::remove_cvref_t<decltype(value)>;
        if constexpr (std::is_same_v<T, bool>) {
          if (value != o.flag_value) return std::nullopt;
          return "";
        } else if constexpr (std::is_same_v<T, double>) {
          char text[32];
          auto [end, error] = std::to_chars(text, text + sizeof(text), value);  // round-trips
          return std::string(text, end);
        } else if constexpr (std::is_same_v<T, std::optional<uint64_t>>) {
          if (!value) return std::nullopt;
          return std::to_string(*value >> Shift(o));
        } else {
          return std::to_string(value >> Shift(o));
        }
      },
      o.field);
}

}  // namespace iron::mount

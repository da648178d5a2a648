// The table of IronFS's own -o options: one row per option, holding its
// name, the kind of value it takes, the values it accepts, its help, and
// the MountConfig field it sets. It is the one place where these facts
// live: ParseCommandLine() stores through the rows and Usage() lists them,
// and an option's default is never written down at all but read from a
// default-constructed MountConfig, so --help shows what the parser would
// leave there. (Options that go to libfuse alone are not in the table.)
//
// Thread safety: the table is immutable; everything here may be called
// from any thread.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "mount/options.h"

namespace iron::mount {

enum class ValueKind {
  kFlag,       // no value: stores `flag_value`
  kSeconds,    // -o name=S: a number >= 0
  kMebibytes,  // -o name=MB: whole MiB, stored in bytes
  kCount,      // -o name=N: a whole number, stored as is
};

struct OwnOption {
  using Field = std::variant<bool MountConfig::*, double MountConfig::*, uint32_t MountConfig::*,
                             uint64_t MountConfig::*, std::optional<uint64_t> MountConfig::*>;

  std::string_view name;
  ValueKind kind;
  Field field;
  std::string_view help;   // one paragraph; Usage() wraps it and adds the default
  bool flag_value = true;  // kFlag: what the flag stores
  // kMebibytes and kCount: what is accepted, in the option's unit, and the
  // unit's name in messages ("MiB", "a count", ...).
  uint64_t min = 0;
  uint64_t max = std::numeric_limits<uint64_t>::max();
  bool power_of_two = false;
  std::string_view unit = "";
  // The default in words, for a field a default MountConfig leaves unset.
  std::string (*unset_default)(const MountConfig& defaults) = nullptr;
  // Handed to libfuse as well (ro: the kernel must know too).
  bool also_for_libfuse = false;
};

// Every row, in the order --help lists them.
std::span<const OwnOption> OwnOptions();

// How --help names the value: "S", "MB", "N"; empty for a flag.
std::string_view ValueName(const OwnOption& option);

// The row named `name`, or nullptr.
const OwnOption* FindOwnOption(std::string_view name);

// Stores the option's `value` (the text after '='; "" for a flag) into
// `config`; false if the option does not take it.
bool StoreOption(const OwnOption& option, std::string_view value, MountConfig* config);

// What the option accepts, in words: "MiB, 1..4096". Empty for a flag.
std::string AcceptedValues(const OwnOption& option);

// The option's value in `config` as -o would spell it ("60", "32"), or
// nullopt if the field is unset. For a flag: "" if `config` holds what the
// flag stores, else nullopt.
std::optional<std::string> ValueIn(const OwnOption& option, const MountConfig& config);

}  // namespace iron::mount

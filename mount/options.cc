#include "mount/options.h"

#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string_view>

#include "option_table.h"

namespace iron::mount {
namespace po = boost::program_options;
namespace {

// The type mount shows (fuse.ironfs) unless -o subtype= says otherwise.
constexpr std::string_view kSubtype = "ironfs";

// What --help says after the option table's rows.
constexpr std::string_view kAfterOwnOptions =
    R"(What survives, after kill -9 of the daemon / after a power cut:
    default               kill -9: every operation that returned. Power cut:
                          what was fsync'ed (fsync, fdatasync or fsyncdir
                          on any file of the mount), and all before it;
                          later operations may be lost, never half of one
    sync                  kill -9 and power cut: every operation that
                          returned
    writeback             kill -9 and power cut: what was fsync'ed; data of
                          write()s not yet fsync'ed may be lost (it was in the
                          kernel's cache, as on a local filesystem). Other
                          operations (create, rename, chmod, ...) as default
libfuse options (-o), among others:
    allow_other           let other users in (needs user_allow_other in
                          /etc/fuse.conf unless root)
    fsname=NAME           the source shown by mount and df (default DATA_DIR)
)";

// One entry of an option list: `name` indented by 4, `text` from column 26
// (or two spaces after a longer name), wrapped at column 78.
void AddEntry(std::string_view name, std::string_view text, std::ostream& out) {
  constexpr size_t kTextColumn = 26, kWidth = 78;
  std::string line = "    " + std::string(name);
  line += line.size() + 2 <= kTextColumn ? std::string(kTextColumn - line.size(), ' ') : "  ";
  bool line_has_text = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t space = text.find(' ', start);
    if (space == std::string_view::npos) space = text.size();
    std::string_view word = text.substr(start, space - start);
    start = space + 1;
    if (line_has_text && line.size() + 1 + word.size() > kWidth) {
      out << line << '\n';
      line.assign(kTextColumn, ' ');
      line_has_text = false;
    }
    if (line_has_text) line += ' ';
    line += word;
    line_has_text = true;
  }
  out << line << '\n';
}

// The option table's rows, each with its default as a default-constructed
// MountConfig holds it, and what it accepts.
void AddOwnOptions(std::ostream& out) {
  const MountConfig defaults;
  out << "IronFS options (-o):\n";
  for (const OwnOption& o : OwnOptions()) {
    std::string name(o.name), text(o.help);
    std::optional<std::string> value = ValueIn(o, defaults);
    if (o.kind == ValueKind::kFlag) {
      if (value) text += " (default)";
    } else {
      if (!value) value = o.unset_default ? o.unset_default(defaults) : "none";
      // Any number of seconds will do; of a whole number, say which.
      std::string accepted = o.kind == ValueKind::kSeconds ? "" : AcceptedValues(o) + "; ";
      name += "=" + std::string(ValueName(o));
      text += " (" + accepted + "default " + *value + ")";
    }
    AddEntry(name, text, out);
  }
}

// Takes IronFS's own options out of one -o item; false with `error` set
// if it is ours but malformed, true otherwise (`ours` says which).
bool TakeOwnOption(const std::string& item, MountConfig* c, bool* ours, std::string* error) {
  size_t eq = item.find('=');
  std::string key = item.substr(0, eq);
  std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
  const OwnOption* option = FindOwnOption(key);
  // A flag given a value is not ours: libfuse refuses it, or takes it.
  *ours = option != nullptr && !(option->kind == ValueKind::kFlag && eq != std::string::npos);
  if (!*ours) return true;
  if (!StoreOption(*option, value, c)) {
    *error = "bad value for -o " + key + ": '" + value + "' (" + AcceptedValues(*option) + ")";
    return false;
  }
  *ours = !option->also_for_libfuse;  // ro: the kernel's too
  return true;
}

}  // namespace

std::string Usage() {
  std::ostringstream s;
  s << "usage: ironfs DATA_DIR MOUNTPOINT [-o opt[,opt...]] [-f] [-d] [-s]\n"
       "       ironfs fsck DATA_DIR     check an unmounted filesystem, changing nothing\n"
       "                                (exit 0: clean, 1: damage or problems found,\n"
       "                                2: could not look at all)\n"
       "       ironfs fsck --repair DATA_DIR\n"
       "                                salvage a damaged one: copies the damaged files\n"
       "                                into DATA_DIR/damaged-TIME/, keeps everything\n"
       "                                readable, says what was lost, moves unreachable\n"
       "                                files into /lost+found (exit 0: was clean,\n"
       "                                1: repaired, now clean, 4: problems left)\n"
       "       ironfs stats DATA_DIR    engine and filesystem figures (mounted or not)\n"
       "       ironfs compact DATA_DIR|MOUNTPOINT\n"
       "                                merge every table down to the last level, so\n"
       "                                that deleted data's space is free now; on a\n"
       "                                mount point (root only) the daemon does it\n"
       "\n"
       "Mounts the IronFS filesystem kept in DATA_DIR on MOUNTPOINT. A missing or\n"
       "empty DATA_DIR is formatted (created mode 0700). Unmount with\n"
       "fusermount3 -u MOUNTPOINT (or SIGTERM/SIGINT to the daemon; SIGHUP is\n"
       "ignored). The daemon lets go of DATA_DIR within seconds of the unmount;\n"
       "a mount that finds it still held by a daemon that serves no mount waits\n"
       "for it, up to 30 s.\n"
       "\n"
       "general options:\n"
       "    -o opt,[opt...]       mount options (below)\n"
       "    -f                    stay in the foreground, log to stderr (default:\n"
       "                          run as a daemon, log to syslog, or where\n"
       "                          nothing listens on /dev/log, to\n"
       "                          DATA_DIR/ironfs.log)\n"
       "    -d                    debug: foreground, and log every FUSE request\n"
       "    -s                    one thread serves all requests (default: one reads\n"
       "                          and serves; others join while a request waits\n"
       "                          for the disk)\n"
       "    -h, --help            this text\n"
       "    -V, --version         the version\n"
       "\n";
  AddOwnOptions(s);
  s << kAfterOwnOptions;
  AddEntry("subtype=NAME", "shown as fuse.NAME (default " + std::string(kSubtype) + ")", s);
  return s.str();
}

std::string FuseOptionString(const MountConfig& config) {
  std::string joined;
  bool ro = false;
  for (const std::string& o : config.fuse_options) {
    joined += (joined.empty() ? "" : ",") + o;
    ro |= o == "ro";  // an item, not the letters inside subtype=ironfs
  }
  if (config.read_only && !ro) joined += (joined.empty() ? "" : ",") + std::string("ro");
  return joined;
}

ParsedCommandLine ParseCommandLine(int argc, char** argv) {
  ParsedCommandLine out;
  MountConfig& c = out.config;
  std::vector<std::string> positional, options;
  po::options_description desc;
  desc.add_options()("help,h", "")("version,V", "")("foreground,f", "")("debug,d", "")(
      "single,s", "")("repair", "")("option,o", po::value(&options)->composing(), "")(
      "positional", po::value(&positional)->composing(), "");
  po::positional_options_description pos;
  pos.add("positional", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    out.error = std::string(e.what()) + " (see ironfs --help)";
    return out;
  }
  if (vm.count("help")) {
    out.command = Command::kHelp;
    return out;
  }
  if (vm.count("version")) {
    out.command = Command::kVersion;
    return out;
  }
  if (!positional.empty() &&
      (positional[0] == "fsck" || positional[0] == "stats" || positional[0] == "compact")) {
    out.command = positional[0] == "fsck"    ? Command::kFsck
                  : positional[0] == "stats" ? Command::kStats
                                             : Command::kCompact;
    if (positional.size() != 2) {
      out.error = "usage: ironfs " + positional[0] +
                  (out.command == Command::kCompact ? " DATA_DIR|MOUNTPOINT" : " DATA_DIR");
      return out;
    }
    c.data_dir = std::filesystem::absolute(positional[1]).lexically_normal().string();
    out.repair = vm.count("repair") > 0;
    if (out.repair && out.command != Command::kFsck) out.error = "--repair is an option of fsck";
    return out;
  }
  if (positional.size() != 2) {
    out.error = positional.size() < 2 ? "missing DATA_DIR or MOUNTPOINT (see ironfs --help)"
                                      : "too many arguments: '" + positional[2] + "' (see ironfs --help)";
    return out;
  }
  if (vm.count("repair")) {
    out.error = "--repair is an option of fsck (ironfs fsck --repair DATA_DIR)";
    return out;
  }
  c.data_dir = std::filesystem::absolute(positional[0]).lexically_normal().string();
  c.mountpoint = std::filesystem::absolute(positional[1]).lexically_normal().string();
  if (c.data_dir.size() > 1 && c.data_dir.back() == '/') c.data_dir.pop_back();
  if (c.mountpoint.size() > 1 && c.mountpoint.back() == '/') c.mountpoint.pop_back();
  c.foreground = vm.count("foreground") || vm.count("debug");
  c.debug = vm.count("debug");
  c.single_thread = vm.count("single");
  bool fsname = false, subtype = false;
  for (const std::string& list : options) {
    std::stringstream items(list);
    std::string item;
    while (std::getline(items, item, ',')) {
      if (item.empty()) continue;
      bool ours;
      if (!TakeOwnOption(item, &c, &ours, &out.error)) return out;
      if (ours) continue;
      fsname |= item.starts_with("fsname=");
      subtype |= item.starts_with("subtype=");
      c.fuse_options.push_back(item);
    }
  }
  if (c.sync && c.writeback) {
    // The kernel's cache answers write() before IronFS sees the data, so
    // sync could not keep its promise for writes.
    out.error = "-o sync and -o writeback cannot be combined: with the writeback cache a "
                "write() returns before IronFS has its data, so a power cut could lose it; "
                "drop one of them";
    return out;
  }
  if (c.default_permissions) {
    c.fuse_options.push_back("default_permissions");
  } else {
    // Only IronFS checks: the kernel must ask about every name, and must
    // not send time updates of its own cache, which would reach us looking
    // like a caller's utimensat.
    c.entry_timeout = 0;
    c.negative_timeout = 0;
    c.writeback = false;
  }
  if (!fsname) {
    // libfuse splits options at commas; a backslash keeps one in a value.
    std::string escaped;
    for (char ch : c.data_dir) {
      if (ch == ',' || ch == '\\') escaped.push_back('\\');
      escaped.push_back(ch);
    }
    c.fuse_options.push_back("fsname=" + escaped);
  }
  if (!subtype) c.fuse_options.push_back("subtype=" + std::string(kSubtype));
  return out;
}

}  // namespace iron::mount

#include "mount/options.h"

#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace iron::mount {
namespace po = boost::program_options;
namespace {

// Options of the mount itself, each with its default, for --help.
const char* const kOwnOptions = R"(IronFS options (-o):
    ro                    mount read-only: nothing in the data directory is
                          written, created or removed (the WAL is replayed
                          into memory only; no log or lock file is made), so
                          it may sit on read-only storage
    sync                  every operation is durable (fdatasync'ed) before it
                          returns (see "What survives" below)
    writeback             use the kernel's writeback cache: small writes are
                          gathered in the page cache, but every close makes
                          the next stat ask the daemon, and a write() returns
                          before IronFS has its data. Refused with sync
    no_writeback          send every write through at once (default)
    attr_timeout=S        seconds the kernel caches attributes (default 60)
    entry_timeout=S       seconds the kernel caches names (default 60)
    negative_timeout=S    seconds the kernel caches missing names (default 0)
    memtable_size=MB      engine write buffer, MiB (default 32)
    reserve=MB            MiB of the data directory's disk kept free so that
                          what was written can always be flushed: writes,
                          creates and xattrs fail with ENOSPC below it, while
                          reads, deletes and renames go on (default: twice
                          memtable_size + 32)
    allow_foreign_data_dir  run as root on a DATA_DIR that is not root's
                          alone: owned by another user, or writable by group
                          or others (it, a file in it, or a directory above
                          it). Refused by default: whoever can change it can
                          take the filesystem down for every user
    block_size=N          data block size when formatting: a power of two,
                          512..1048576 (default 4096); fixed afterwards
    inode_cache=N         inodes kept decoded in memory beyond those the
                          kernel holds; forgotten ones leave (default 65536)
    spin_us=N             after a request, look for the next one for N
                          microseconds before sleeping (default 50; 0: sleep
                          at once). A program waiting on the mount is then
                          answered without waking a sleeping thread
    default_permissions   the kernel checks permissions too, on attributes it
                          caches (default). IronFS always checks them itself
    no_default_permissions  only IronFS checks; the kernel then caches no names
                          (entry_timeout=0: it would skip the search permission
                          of cached directories) and no writes (no_writeback).
                          FIFOs and devices are opened by the kernel alone, so
                          their permissions go unchecked in this mode.
                          Privilege comes from the caller's capabilities
                          (read from /proc per request), not from uid 0
What survives, after kill -9 of the daemon / after a power cut:
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
    subtype=NAME          shown as fuse.NAME (default ironfs)
)";

std::optional<double> ParseSeconds(const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || d < 0) return std::nullopt;
  return d;
}

std::optional<uint64_t> ParseCount(const std::string& v) {
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::strtoull(v.c_str(), nullptr, 10);
}

// Takes IronFS's own options out of one -o item; false with `error` set
// if it is ours but malformed, true otherwise (`ours` says which).
bool TakeOwnOption(const std::string& item, MountConfig* c, bool* ours, std::string* error) {
  std::string key = item, value;
  bool has_value = false;
  if (size_t eq = item.find('='); eq != std::string::npos) {
    key = item.substr(0, eq);
    value = item.substr(eq + 1);
    has_value = true;
  }
  *ours = true;
  auto bad = [&](const char* what) {
    *error = "bad value for -o " + key + ": '" + value + "' (" + what + ")";
    return false;
  };
  if (key == "sync" && !has_value) {
    c->sync = true;
  } else if (key == "writeback" && !has_value) {
    c->writeback = true;
  } else if (key == "no_writeback" && !has_value) {
    c->writeback = false;
  } else if (key == "allow_foreign_data_dir" && !has_value) {
    c->allow_foreign_data_dir = true;
  } else if (key == "default_permissions" && !has_value) {
    c->default_permissions = true;
  } else if (key == "no_default_permissions" && !has_value) {
    c->default_permissions = false;
  } else if (key == "attr_timeout" || key == "entry_timeout" || key == "negative_timeout") {
    auto s = ParseSeconds(value);
    if (!s) return bad("seconds, a number >= 0");
    (key == "attr_timeout" ? c->attr_timeout : key == "entry_timeout" ? c->entry_timeout : c->negative_timeout) = *s;
  } else if (key == "memtable_size") {
    auto n = ParseCount(value);
    if (!n || *n < 1 || *n > 4096) return bad("MiB, 1..4096");
    c->memtable_bytes = *n << 20;
  } else if (key == "reserve") {
    auto n = ParseCount(value);
    if (!n || *n > (1u << 20)) return bad("MiB, 0..1048576");
    c->reserve_bytes = *n << 20;
  } else if (key == "block_size") {
    auto n = ParseCount(value);
    if (!n || *n < 512 || *n > (1u << 20) || (*n & (*n - 1)) != 0) return bad("a power of two, 512..1048576");
    c->block_size = static_cast<uint32_t>(*n);
  } else if (key == "inode_cache") {
    auto n = ParseCount(value);
    if (!n || *n < 1024) return bad("a count >= 1024");
    c->inode_cache = *n;
  } else if (key == "spin_us") {
    auto n = ParseCount(value);
    if (!n || *n > 10000) return bad("microseconds, 0..10000");
    c->spin_us = static_cast<uint32_t>(*n);
  } else {
    *ours = false;
    if (key == "ro" && !has_value) c->read_only = true;  // and the kernel's too
  }
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
       "\n"
    << kOwnOptions;
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
  if (!subtype) c.fuse_options.push_back("subtype=ironfs");
  return out;
}

}  // namespace iron::mount

// The command line: what reaches libfuse as -o, the options every FUSE
// filesystem takes (fsname=, subtype=, ro) honoured as given, and --help
// saying of IronFS's own options what the parser does.
#include "mount/options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "mount/option_table.h"

namespace iron::mount {
namespace {

ParsedCommandLine Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ironfs");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

// The -o items libfuse gets, in order.
std::vector<std::string> Items(const std::string& joined) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    items.push_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

size_t CountPrefix(const std::vector<std::string>& items, const std::string& prefix) {
  return std::count_if(items.begin(), items.end(),
                       [&](const std::string& i) { return i.starts_with(prefix); });
}

bool Has(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

TEST(MountOptions, DefaultsNameTheDataDirAndTheType) {
  ParsedCommandLine p = Parse({"/srv/data", "/mnt/x"});
  ASSERT_EQ(p.error, "");
  std::vector<std::string> items = Items(FuseOptionString(p.config));
  EXPECT_TRUE(Has(items, "fsname=/srv/data"));
  EXPECT_TRUE(Has(items, "subtype=ironfs"));
  EXPECT_FALSE(Has(items, "ro"));
}

TEST(MountOptions, FsnameAndSubtypeAreTheUsers) {
  ParsedCommandLine p = Parse({"/srv/data", "/mnt/x", "-o", "subtype=plain,fsname=mine"});
  ASSERT_EQ(p.error, "");
  std::vector<std::string> items = Items(FuseOptionString(p.config));
  EXPECT_EQ(CountPrefix(items, "subtype="), 1u);
  EXPECT_EQ(CountPrefix(items, "fsname="), 1u);
  EXPECT_TRUE(Has(items, "subtype=plain"));
  EXPECT_TRUE(Has(items, "fsname=mine"));
}

// "ro" is an option, not two letters: the "ro" inside "subtype=ironfs"
// (or fsname=/srv/ro) does not make a mount read-only in the kernel's eyes.
TEST(MountOptions, ReadOnlyIsAnItemOfItsOwn) {
  MountConfig config;
  config.read_only = true;
  config.fuse_options = {"subtype=ironfs", "fsname=/srv/ro"};
  EXPECT_TRUE(Has(Items(FuseOptionString(config)), "ro"));

  ParsedCommandLine p = Parse({"/srv/data", "/mnt/x", "-o", "ro,subtype=iron"});
  ASSERT_EQ(p.error, "");
  EXPECT_TRUE(p.config.read_only);
  std::vector<std::string> items = Items(FuseOptionString(p.config));
  EXPECT_EQ(std::count(items.begin(), items.end(), "ro"), 1);
  EXPECT_TRUE(Has(items, "subtype=iron"));
}

TEST(MountOptions, AWritableMountIsNotMadeReadOnly) {
  ParsedCommandLine p = Parse({"/srv/ro", "/mnt/x", "-o", "subtype=ro"});
  ASSERT_EQ(p.error, "");
  EXPECT_FALSE(p.config.read_only);
  EXPECT_FALSE(Has(Items(FuseOptionString(p.config)), "ro"));
}

// --help's list of IronFS's own options: name (without "=V") -> its text,
// the lines of one entry joined with single spaces.
std::map<std::string, std::string> OwnOptionsInHelp() {
  std::istringstream help(Usage());
  std::string line;
  while (std::getline(help, line) && line != "IronFS options (-o):") {
  }
  std::map<std::string, std::string> entries;
  std::string* text = nullptr;
  while (std::getline(help, line) && line.starts_with("    ")) {
    std::istringstream words(line);
    if (line[4] != ' ') {  // a new entry
      std::string name;
      words >> name;
      text = &entries[name.substr(0, name.find('='))];
    }
    for (std::string w; words >> w;) *text += (text->empty() ? "" : " ") + w;
  }
  return entries;
}

// The default an entry of --help states: "(default)" -> "", "(default 60)"
// or "(MiB, 1..4096; default 32)" -> "60", "32"; nullopt if it states none.
std::optional<std::string> StatedDefault(const std::string& text) {
  if (text.ends_with(" (default)")) return "";
  size_t at = text.rfind("default ");
  if (at == std::string::npos || at < 2 || !text.ends_with(")") ||
      (text[at - 1] != '(' && text[at - 2] != ';')) {
    return std::nullopt;
  }
  at += std::string("default ").size();
  return text.substr(at, text.size() - 1 - at);
}

TEST(MountOptions, HelpListsEveryOptionOfTheTableAndNothingElse) {
  std::map<std::string, std::string> help = OwnOptionsInHelp();
  EXPECT_EQ(help.size(), OwnOptions().size());
  for (const OwnOption& o : OwnOptions()) {
    EXPECT_TRUE(help.contains(std::string(o.name))) << o.name;
  }
  for (const auto& [name, text] : help) {
    const OwnOption* o = FindOwnOption(name);
    ASSERT_NE(o, nullptr) << name << " is in --help but not in the option table";
    if (o->kind == ValueKind::kMebibytes || o->kind == ValueKind::kCount) {
      EXPECT_TRUE(text.ends_with("(" + AcceptedValues(*o) + "; default " +
                                 StatedDefault(text).value_or("?") + ")"))
          << name << ": " << text;
    }
  }
}

// The drift check: what --help calls the default, given with -o, leaves
// the configuration as no option does; and a flag --help does not call
// the default changes it.
TEST(MountOptions, TheDefaultHelpStatesIsWhatTheParserLeaves) {
  ParsedCommandLine none = Parse({"/srv/data", "/mnt/x"});
  ASSERT_EQ(none.error, "");
  for (const auto& [name, text] : OwnOptionsInHelp()) {
    SCOPED_TRACE(name + ": " + text);
    const OwnOption* o = FindOwnOption(name);
    ASSERT_NE(o, nullptr);
    std::optional<std::string> stated = StatedDefault(text);
    if (o->kind == ValueKind::kFlag) {
      ParsedCommandLine p = Parse({"/srv/data", "/mnt/x", "-o", name});
      ASSERT_EQ(p.error, "");
      EXPECT_EQ(p.config == none.config, stated.has_value());
      continue;
    }
    ASSERT_TRUE(stated.has_value());
    if (o->unset_default != nullptr) continue;  // a rule, not a value: see reserve's test
    ParsedCommandLine p = Parse({"/srv/data", "/mnt/x", "-o", name + "=" + *stated});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.config, none.config);
  }
}

// reserve's default is a rule: "twice memtable_size + N".
TEST(MountOptions, TheReserveRuleHelpStatesIsTheOneApplied) {
  std::optional<std::string> stated = StatedDefault(OwnOptionsInHelp()["reserve"]);
  ASSERT_TRUE(stated.has_value());
  const std::string rule = "twice memtable_size + ";
  ASSERT_TRUE(stated->starts_with(rule)) << *stated;
  uint64_t extra_mib = std::stoull(stated->substr(rule.size()));
  for (uint64_t memtable_mib : {1, 32, 100}) {
    ParsedCommandLine p =
        Parse({"/srv/data", "/mnt/x", "-o", "memtable_size=" + std::to_string(memtable_mib)});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.config.ReserveBytes(), (2 * memtable_mib + extra_mib) << 20);
    ParsedCommandLine given = Parse({"/srv/data", "/mnt/x", "-o",
                                     "memtable_size=" + std::to_string(memtable_mib) + ",reserve=" +
                                         std::to_string(2 * memtable_mib + extra_mib)});
    ASSERT_EQ(given.error, "");
    EXPECT_EQ(given.config.ReserveBytes(), p.config.ReserveBytes());
  }
}

// The range --help states for a whole-number option is the one the parser
// takes, and a value outside it is refused with that range in the message.
TEST(MountOptions, TheRangeHelpStatesIsWhatTheParserTakes) {
  for (const OwnOption& o : OwnOptions()) {
    if (o.kind != ValueKind::kMebibytes && o.kind != ValueKind::kCount) continue;
    SCOPED_TRACE(std::string(o.name));
    std::string name(o.name);
    auto refused = [&](uint64_t v) {
      ParsedCommandLine p = Parse({"/srv/data", "/mnt/x", "-o", name + "=" + std::to_string(v)});
      return p.error == "bad value for -o " + name + ": '" + std::to_string(v) + "' (" +
                            AcceptedValues(o) + ")";
    };
    EXPECT_FALSE(refused(o.min));
    if (o.min > 0) {
      EXPECT_TRUE(refused(o.min - 1));
    }
    if (o.max != std::numeric_limits<uint64_t>::max()) {
      EXPECT_FALSE(refused(o.max));
      EXPECT_TRUE(refused(o.max + 1));
    }
    if (o.power_of_two) {
      EXPECT_TRUE(refused(o.min + 1));
    }
  }
}

TEST(MountOptions, BadValuesAreRefusedWithWhatIsAccepted) {
  EXPECT_EQ(Parse({"/d", "/m", "-o", "memtable_size=0"}).error,
            "bad value for -o memtable_size: '0' (MiB, 1..4096)");
  EXPECT_EQ(Parse({"/d", "/m", "-o", "attr_timeout=-1"}).error,
            "bad value for -o attr_timeout: '-1' (seconds, a number >= 0)");
  // A timeout the kernel cannot be given: not a number, or no end.
  EXPECT_EQ(Parse({"/d", "/m", "-o", "entry_timeout=nan"}).error,
            "bad value for -o entry_timeout: 'nan' (seconds, a number >= 0)");
  EXPECT_EQ(Parse({"/d", "/m", "-o", "attr_timeout=inf"}).error,
            "bad value for -o attr_timeout: 'inf' (seconds, a number >= 0)");
  EXPECT_EQ(Parse({"/d", "/m", "-o", "block_size=1000"}).error,
            "bad value for -o block_size: '1000' (a power of two, 512..1048576)");
  EXPECT_EQ(Parse({"/d", "/m", "-o", "inode_cache=lots"}).error,
            "bad value for -o inode_cache: 'lots' (a count >= 1024)");
  EXPECT_EQ(Parse({"/d", "/m", "-o", "spin_us"}).error,
            "bad value for -o spin_us: '' (microseconds, 0..10000)");
  EXPECT_EQ(Parse({"/d", "/m", "-o", "inode_cache=99999999999999999999999"}).error,
            "bad value for -o inode_cache: '99999999999999999999999' (a count >= 1024)");
}

TEST(MountOptions, ValuesLandInTheirFields) {
  ParsedCommandLine p =
      Parse({"/d", "/m", "-o", "attr_timeout=1.5,memtable_size=8,reserve=0,block_size=512", "-o",
             "inode_cache=2048,spin_us=0,writeback,no_default_permissions,cache_size=16"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.config.cache_bytes, 16u << 20);
  EXPECT_EQ(p.config.attr_timeout, 1.5);
  EXPECT_EQ(p.config.memtable_bytes, 8u << 20);
  EXPECT_EQ(p.config.reserve_bytes, 0u);
  EXPECT_EQ(p.config.block_size, 512u);
  EXPECT_EQ(p.config.inode_cache, 2048u);
  EXPECT_EQ(p.config.spin_us, 0u);
  EXPECT_FALSE(p.config.default_permissions);
  EXPECT_FALSE(p.config.writeback);  // no_default_permissions turns it off
  EXPECT_EQ(p.config.entry_timeout, 0);
}

// A flag of ours given a value is not ours: libfuse gets it (and refuses).
TEST(MountOptions, AFlagWithAValueGoesToLibfuse) {
  ParsedCommandLine p = Parse({"/d", "/m", "-o", "sync=1,ro=1"});
  ASSERT_EQ(p.error, "");
  EXPECT_FALSE(p.config.sync);
  EXPECT_FALSE(p.config.read_only);
  std::vector<std::string> items = Items(FuseOptionString(p.config));
  EXPECT_TRUE(Has(items, "sync=1"));
  EXPECT_TRUE(Has(items, "ro=1"));
}

TEST(MountOptions, SyncAndWritebackAreRefusedTogether) {
  EXPECT_TRUE(Parse({"/d", "/m", "-o", "sync,writeback"})
                  .error.starts_with("-o sync and -o writeback cannot be combined"));
}

}  // namespace
}  // namespace iron::mount

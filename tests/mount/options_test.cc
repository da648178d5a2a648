// The command line: what reaches libfuse as -o, and the options every FUSE
// filesystem takes (fsname=, subtype=, ro) honoured as given.
#include "mount/options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace iron::mount

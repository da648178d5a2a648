#include "lsm/arena.h"

#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace iron::lsm {
namespace {

TEST(ArenaTest, EmptyUsesNothing) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
}

TEST(ArenaTest, AllocationsKeepTheirBytes) {
  Arena arena;
  std::mt19937 rng(301);
  std::vector<std::pair<size_t, char*>> allocated;
  size_t bytes = 0;
  for (int i = 0; i < 20000; ++i) {
    size_t n = (i % 100 == 0) ? rng() % 6000 + 1 : rng() % 64 + 1;
    char* p = (i % 3 == 0) ? arena.AllocateAligned(n) : arena.Allocate(n);
    if (i % 3 == 0) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t), 0u);
    }
    std::memset(p, i % 256, n);  // ASan catches overlap with a neighbour
    allocated.emplace_back(n, p);
    bytes += n;
    EXPECT_GE(arena.MemoryUsage(), bytes);
  }
  for (size_t i = 0; i < allocated.size(); ++i) {
    auto [n, p] = allocated[i];
    for (size_t b = 0; b < n; ++b) ASSERT_EQ(static_cast<unsigned char>(p[b]), i % 256);
  }
  // Overhead stays bounded: blocks grow with the arena, large requests get
  // their own.
  EXPECT_LE(arena.MemoryUsage(), bytes * 2 + 64 * 1024);
}

TEST(ArenaTest, SlackStaysSmallAsBlocksGrow) {
  Arena arena;
  size_t bytes = 0;
  for (int i = 0; i < 400000; ++i) {  // ~16 MiB of small entries
    char* p = arena.Allocate(40);
    std::memset(p, 1, 40);
    bytes += 40;
  }
  EXPECT_GE(arena.MemoryUsage(), bytes);
  EXPECT_LE(arena.MemoryUsage(), bytes + bytes / 8 + (1 << 20));
}

// Full-size blocks of a destroyed arena wait in a pool for the next one;
// once nobody has taken them for a while they go back to the system.
TEST(ArenaTest, IdleBlocksGoBackToTheSystem) {
  Arena::ReleaseIdleBlocks(std::chrono::seconds(0));  // what earlier tests left
  {
    Arena arena;
    for (int i = 0; i < 400000; ++i) arena.Allocate(40);  // ~16 MiB: full-size blocks
  }
  // Given back just now: kept for the next arena.
  EXPECT_EQ(Arena::ReleaseIdleBlocks(std::chrono::hours(1)), 0u);
  size_t released = Arena::ReleaseIdleBlocks(std::chrono::seconds(0));
  EXPECT_GE(released, 4 * Arena::kMaxBlock);
  EXPECT_EQ(released % Arena::kMaxBlock, 0u);
  EXPECT_EQ(Arena::ReleaseIdleBlocks(std::chrono::seconds(0)), 0u);
}

}  // namespace
}  // namespace iron::lsm

#include "lsm/fault_injection_env.h"

#include <gtest/gtest.h>

#include "tests/lsm/test_util.h"

namespace iron::lsm {
namespace {

Status Write(WritableFile* f, const std::string& s) { return f->Append(s); }

TEST(FaultInjectionEnvTest, PowerCutKeepsOnlyWhatWasSynced) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<WritableFile> durable, unsynced_dir;
  ASSERT_TRUE(env.NewWritableFile(dir.Join("durable"), &durable).ok());
  ASSERT_TRUE(env.SyncDir(dir.path()).ok());  // its name is now durable
  ASSERT_TRUE(Write(durable.get(), "synced").ok());
  ASSERT_TRUE(durable->Sync().ok());
  ASSERT_TRUE(Write(durable.get(), "-lost").ok());
  ASSERT_TRUE(env.NewWritableFile(dir.Join("new"), &unsynced_dir).ok());
  ASSERT_TRUE(Write(unsynced_dir.get(), "data").ok());
  ASSERT_TRUE(unsynced_dir->Sync().ok());  // synced, but its directory entry is not
  ASSERT_TRUE(durable->Close().ok());
  ASSERT_TRUE(unsynced_dir->Close().ok());
  EXPECT_EQ(test::ReadFileOrDie(dir.Join("durable")), "synced-lost");
  env.PowerCut();
  EXPECT_EQ(test::ReadFileOrDie(dir.Join("durable")), "synced");
  EXPECT_FALSE(env.FileExists(dir.Join("new")));
  EXPECT_EQ(env.syncs(), 2u);
}

TEST(FaultInjectionEnvTest, PowerCutUndoesAnUnsyncedRename) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  ASSERT_TRUE(WriteStringToFile(&env, "old", dir.Join("CURRENT"), true).ok());
  ASSERT_TRUE(env.SyncDir(dir.path()).ok());
  ASSERT_TRUE(WriteStringToFile(&env, "new", dir.Join("tmp"), true).ok());
  ASSERT_TRUE(env.RenameFile(dir.Join("tmp"), dir.Join("CURRENT")).ok());
  EXPECT_EQ(test::ReadFileOrDie(dir.Join("CURRENT")), "new");
  env.PowerCut();
  EXPECT_EQ(test::ReadFileOrDie(dir.Join("CURRENT")), "old");
  EXPECT_FALSE(env.FileExists(dir.Join("tmp")));  // created, never made durable
}

TEST(FaultInjectionEnvTest, TornTailsKeepAPrefixOfTheUnsyncedBytes) {
  test::ScratchDir dir;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    FaultInjectionEnv env;
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(env.NewWritableFile(dir.Join("f"), &f).ok());
    ASSERT_TRUE(env.SyncDir(dir.path()).ok());
    ASSERT_TRUE(Write(f.get(), "synced").ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(Write(f.get(), "0123456789").ok());
    ASSERT_TRUE(f->Close().ok());
    env.PowerCutKeepingTornTails(seed);
    std::string kept = test::ReadFileOrDie(dir.Join("f"));
    ASSERT_GE(kept.size(), 6u);
    EXPECT_EQ(kept, std::string("synced0123456789").substr(0, kept.size()));
  }
}

TEST(FaultInjectionEnvTest, CutPowerAfterFailsEveryMutationFromTheNth) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env.NewWritableFile(dir.Join("f"), &f).ok());
  env.CutPowerAfter(2);
  EXPECT_TRUE(Write(f.get(), "1").ok());
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_FALSE(env.power_is_cut());
  EXPECT_TRUE(Write(f.get(), "2").IsIOError());
  EXPECT_TRUE(env.power_is_cut());
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_FALSE(env.SyncDir(dir.path()).ok());
  f->Close().IgnoreError();  // may fail as the sync did; the power cut is the test
  env.PowerCut();
  env.SetFilesystemActive(true);
  EXPECT_FALSE(env.power_is_cut());
}

TEST(FaultInjectionEnvTest, FailAfterLetsNPassThenFails) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env.NewWritableFile(dir.Join("f"), &f).ok());
  env.FailAfter(FaultInjectionEnv::Op::kAppend, 2, Status::IOError("injected"));
  EXPECT_TRUE(Write(f.get(), "1").ok());
  EXPECT_TRUE(Write(f.get(), "2").ok());
  EXPECT_TRUE(Write(f.get(), "3").IsIOError());
  EXPECT_TRUE(Write(f.get(), "4").IsIOError());
  EXPECT_TRUE(f->Sync().ok());  // other operations are unaffected
  env.ClearFailures();
  EXPECT_TRUE(Write(f.get(), "5").ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(test::ReadFileOrDie(dir.Join("f")), "125");
}

TEST(FaultInjectionEnvTest, SpaceLimitAndDeadFilesystem) {
  test::ScratchDir dir;
  FaultInjectionEnv env;
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env.NewWritableFile(dir.Join("f"), &f).ok());
  env.SetSpaceLimit(10);
  EXPECT_TRUE(Write(f.get(), "12345").ok());
  Status s = Write(f.get(), "123456");
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  env.SetSpaceLimit(0);
  EXPECT_TRUE(Write(f.get(), "123456").ok());
  env.SetFilesystemActive(false);
  EXPECT_FALSE(Write(f.get(), "x").ok());
  EXPECT_FALSE(f->Sync().ok());
  std::unique_ptr<WritableFile> g;
  EXPECT_FALSE(env.NewWritableFile(dir.Join("g"), &g).ok());
  env.SetFilesystemActive(true);
  EXPECT_TRUE(Write(f.get(), "x").ok());
}

}  // namespace
}  // namespace iron::lsm

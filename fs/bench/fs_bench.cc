// fs_bench: what a block size costs, measured on iron::fs in-process.
//
// For each block size it formats a fresh filesystem and runs, in order:
//   smallfiles  N files of 100 B .. 16 KiB (sizes like a source tree's)
//               in 100 directories, then one fsync       (files/s)
//   seqwrite    one file written in 1 MiB writes, fsync  (MB/s)
//   seqread     the same file read in 1 MiB reads        (MB/s)
//   randwrite   4 KiB writes at random 4 KiB-aligned offsets of that
//               file, an fsync every 32                  (IOPS)
//   randread    4 KiB reads at random offsets            (IOPS)
// and reports the bytes the engine holds for the small files after a full
// compaction against the bytes written (space amplification), and the
// engine's write amplification over the whole run.
//
// Usage: fs_bench --dir=/var/tmp/fs-bench --block-sizes=4096,16384,65536
#include <fcntl.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>

#include "fs/filesystem.h"
#include "fs/lsm_store.h"
#include "lsm/db.h"

namespace po = boost::program_options;
using iron::fs::Caller;
using iron::fs::Filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fs_bench: %s failed\n", what);
    std::exit(1);
  }
}

struct Figures {
  double files_per_s, small_space_amp, seq_write_mbs, seq_read_mbs, rand_write_iops,
      rand_read_iops, write_amp;
};

Figures Run(const std::string& dir, uint32_t block_size, int files, uint64_t big_mb, int rand_ops) {
  std::filesystem::remove_all(dir);
  std::unique_ptr<iron::lsm::DB> db;
  Check(iron::lsm::DB::Open(iron::fs::LsmStore::EngineOptions(), dir, &db).ok(), "open");
  iron::fs::FormatOptions format;
  format.block_size = block_size;
  iron::fs::LsmStore store(db.get());
  auto mounted = Filesystem::Mount(&store, {}, format);
  Check(mounted.ok(), "mount");
  std::unique_ptr<Filesystem> fs = std::move(*mounted);
  Caller root;
  Figures f{};
  std::mt19937_64 rng(42);

  // Small files.
  std::vector<uint64_t> dirs;
  for (int i = 0; i < 100; ++i) {
    auto e = fs->MakeDir(root, iron::fs::kRootIno, "dir" + std::to_string(i), 0755);
    Check(e.ok(), "mkdir");
    dirs.push_back(e->ino);
  }
  uint64_t small_bytes = 0;
  std::string data(16384, 'x');
  for (char& ch : data) ch = static_cast<char>(rng());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < files; ++i) {
    // Log-uniform between 100 B and 16 KiB: most files are a few KiB.
    size_t size = static_cast<size_t>(100 * std::pow(163.84, std::uniform_real_distribution<>(0, 1)(rng)));
    auto r = fs->Create(root, dirs[i % 100], "file" + std::to_string(i), 0644, O_CREAT | O_WRONLY);
    Check(r.ok(), "create");
    Check(fs->Write(root, *r->second, 0, std::string_view(data).substr(0, size)).ok(), "write");
    fs->Release(std::move(r->second));
    small_bytes += size;
  }
  Check(fs->Fsync().ok(), "fsync");
  f.files_per_s = files / Seconds(start);
  Check(db->Flush().ok() && db->CompactRange(nullptr, nullptr).ok(), "compact");
  f.small_space_amp = static_cast<double>(db->GetStats().live_table_bytes) / small_bytes;

  // One big file.
  auto big = fs->Create(root, iron::fs::kRootIno, "big", 0644, O_CREAT | O_RDWR);
  Check(big.ok(), "create big");
  std::string chunk(1 << 20, '\0');
  for (char& ch : chunk) ch = static_cast<char>(rng());
  start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < big_mb; ++i) {
    Check(fs->Write(root, *big->second, i << 20, chunk).ok(), "seq write");
  }
  Check(fs->Fsync().ok(), "fsync");
  f.seq_write_mbs = big_mb / Seconds(start);
  start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < big_mb; ++i) {
    Check(fs->Read(*big->second, i << 20, chunk).ok(), "seq read");
  }
  f.seq_read_mbs = big_mb / Seconds(start);
  std::string page(4096, 'r');
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < rand_ops; ++i) {
    uint64_t offset = (rng() % (big_mb << 8)) << 12;
    Check(fs->Write(root, *big->second, offset, page).ok(), "rand write");
    if (i % 32 == 31) Check(fs->Fsync().ok(), "fsync");
  }
  f.rand_write_iops = rand_ops / Seconds(start);
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < rand_ops; ++i) {
    uint64_t offset = (rng() % (big_mb << 8)) << 12;
    Check(fs->Read(*big->second, offset, page).ok(), "rand read");
  }
  f.rand_read_iops = rand_ops / Seconds(start);
  fs->Release(std::move(big->second));
  f.write_amp = db->GetStats().WriteAmplification();
  fs.reset();
  Check(db->Close().ok(), "close");
  std::filesystem::remove_all(dir);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, sizes;
  int files, rand_ops;
  uint64_t big_mb;
  po::options_description desc("fs_bench: the cost of a block size, measured on iron::fs in-process");
  desc.add_options()("help", "this help")
      ("dir", po::value(&dir)->default_value("/var/tmp/ironfs-fs-bench"), "scratch directory (wiped)")
      ("block-sizes", po::value(&sizes)->default_value("4096,16384,65536"), "comma-separated block sizes")
      ("files", po::value(&files)->default_value(20000), "small files to create")
      ("big-mb", po::value(&big_mb)->default_value(256), "size of the large file, MiB")
      ("rand-ops", po::value(&rand_ops)->default_value(20000), "random 4 KiB writes, then reads");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "fs_bench: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::ostringstream out;
    out << desc;
    std::printf("%s", out.str().c_str());
    return 0;
  }
  std::printf("%-8s %12s %10s %12s %12s %12s %12s %10s\n", "block", "smallfiles/s", "space-amp",
              "seqwrite MB/s", "seqread MB/s", "randwrite/s", "randread/s", "write-amp");
  std::stringstream list(sizes);
  std::string item;
  while (std::getline(list, item, ',')) {
    uint32_t bs = static_cast<uint32_t>(std::stoul(item));
    Figures f = Run(dir, bs, files, big_mb, rand_ops);
    std::printf("%-8u %12.0f %10.2f %12.0f %12.0f %12.0f %12.0f %10.2f\n", bs, f.files_per_s,
                f.small_space_amp, f.seq_write_mbs, f.seq_read_mbs, f.rand_write_iops,
                f.rand_read_iops, f.write_amp);
    std::fflush(stdout);
  }
  return 0;
}

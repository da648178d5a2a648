// lsm_bench: the engine's benchmark, with LevelDB and RocksDB (when their
// Debian packages are installed) run by the same harness on the same
// workload, so that figures can be compared within one run on one machine.
//
//   lsm_bench --engine=iron --benchmarks=fillrandom,readrandom --num=1000000
//
// Keys are 16 bytes, values 100 random (incompressible) bytes by default;
// every engine runs without compression and with a 10 bits/key bloom
// filter. Each benchmark prints one line:
//   <engine> <benchmark> ops=<n> ops_per_sec=<x> mb_per_sec=<y>
//   p50_us=.. p99_us=.. p999_us=.. peak_rss_mb=.. write_amp=.. (iron; -1 if unknown)
// Every engine gets a block cache of --cache_mb MiB (64 by default).
// `--engine=fsync` measures the raw reference: append one record and
// fdatasync it, in a loop, on a file in --db.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include "lsm/db.h"

#ifdef IRON_BENCH_HAVE_LEVELDB
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#endif
#ifdef IRON_BENCH_HAVE_ROCKSDB
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

// What the harness needs from an engine.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual bool Put(const std::string& key, const std::string& value, bool sync) = 0;
  virtual bool Get(const std::string& key, std::string* value) = 0;  // false: missing
  // Seeks to `start` and reads up to n entries; false on an error.
  virtual bool SeekScan(const std::string& start, int n) = 0;
  virtual std::string Stats() { return ""; }
  // Bytes written to disk per byte written by the user; < 0 if unknown.
  virtual double WriteAmplification() { return -1; }
};

// Seek + scan over any engine's iterator type.
template <typename It>
bool ScanN(It* it, const std::string& start, int n) {
  int seen = 0;
  size_t bytes = 0;  // reading each value's size keeps the loop honest
  for (it->Seek(start); it->Valid() && seen < n; it->Next(), ++seen) bytes += it->value().size();
  return it->status().ok() && bytes != static_cast<size_t>(-1);
}

class IronEngine final : public Engine {
 public:
  IronEngine(const std::string& dir, uint64_t write_buffer_size, size_t cache_bytes,
             bool mmap_reads) {
    iron::lsm::Options o;
    if (write_buffer_size != 0) o.write_buffer_size = write_buffer_size;
    o.block_cache_bytes = cache_bytes;
    o.mmap_reads = mmap_reads;
    iron::lsm::Status s = iron::lsm::DB::Open(o, dir, &db_);
    if (!s.ok()) throw std::runtime_error("iron: " + s.ToString());
  }
  ~IronEngine() override {
    iron::lsm::Status s = db_->Close();
    if (!s.ok()) std::fprintf(stderr, "iron: close: %s\n", s.ToString().c_str());
  }
  bool Put(const std::string& key, const std::string& value, bool sync) override {
    iron::lsm::WriteOptions wo;
    wo.sync = sync;
    return db_->Put(wo, key, value).ok();
  }
  bool Get(const std::string& key, std::string* value) override {
    return db_->Get(iron::lsm::ReadOptions(), key, value).ok();
  }
  bool SeekScan(const std::string& start, int n) override {
    auto it = db_->NewIterator(iron::lsm::ReadOptions());
    return ScanN(it.get(), start, n);
  }
  std::string Stats() override { return db_->GetStats().ToString(); }
  double WriteAmplification() override { return db_->GetStats().WriteAmplification(); }

 private:
  std::unique_ptr<iron::lsm::DB> db_;
};

#ifdef IRON_BENCH_HAVE_LEVELDB
class LevelDBEngine final : public Engine {
 public:
  LevelDBEngine(const std::string& dir, size_t cache_bytes) {
    leveldb::Options o;
    o.create_if_missing = true;
    cache_.reset(leveldb::NewLRUCache(cache_bytes));
    o.block_cache = cache_.get();
    o.compression = leveldb::kNoCompression;
    filter_.reset(leveldb::NewBloomFilterPolicy(10));
    o.filter_policy = filter_.get();
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(o, dir, &db);
    if (!s.ok()) throw std::runtime_error("leveldb: " + s.ToString());
    db_.reset(db);
  }
  ~LevelDBEngine() override { db_.reset(); }  // before the cache
  bool Put(const std::string& key, const std::string& value, bool sync) override {
    leveldb::WriteOptions wo;
    wo.sync = sync;
    return db_->Put(wo, key, value).ok();
  }
  bool Get(const std::string& key, std::string* value) override {
    return db_->Get(leveldb::ReadOptions(), key, value).ok();
  }
  bool SeekScan(const std::string& start, int n) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    return ScanN(it.get(), start, n);
  }

 private:
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
};
#endif

#ifdef IRON_BENCH_HAVE_ROCKSDB
class RocksDBEngine final : public Engine {
 public:
  RocksDBEngine(const std::string& dir, size_t cache_bytes) {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.compression = rocksdb::kNoCompression;
    rocksdb::BlockBasedTableOptions t;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.block_cache = rocksdb::NewLRUCache(cache_bytes);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(o, dir, &db);
    if (!s.ok()) throw std::runtime_error("rocksdb: " + s.ToString());
    db_.reset(db);
  }
  ~RocksDBEngine() override { db_.reset(); }
  bool Put(const std::string& key, const std::string& value, bool sync) override {
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return db_->Put(wo, key, value).ok();
  }
  bool Get(const std::string& key, std::string* value) override {
    return db_->Get(rocksdb::ReadOptions(), key, value).ok();
  }
  bool SeekScan(const std::string& start, int n) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    return ScanN(it.get(), start, n);
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};
#endif

// The reference for durable writes: what the device gives one writer that
// syncs every record itself.
class FsyncEngine final : public Engine {
 public:
  explicit FsyncEngine(const std::string& dir) {
    std::filesystem::create_directories(dir);
    fd_ = ::open((dir + "/fsync.dat").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("fsync: cannot create file in " + dir);
  }
  ~FsyncEngine() override { ::close(fd_); }
  bool Put(const std::string& key, const std::string& value, bool sync) override {
    std::string rec = key + value;
    if (::write(fd_, rec.data(), rec.size()) != static_cast<ssize_t>(rec.size())) return false;
    return !sync || ::fdatasync(fd_) == 0;
  }
  bool Get(const std::string&, std::string*) override { return false; }
  bool SeekScan(const std::string&, int) override { return false; }

 private:
  int fd_ = -1;
};

// Latencies in 1/8-octave buckets: percentiles within ~9%.
class Histogram {
 public:
  void Add(double micros) {
    int b = micros <= 0.1 ? 0 : std::min(kBuckets - 1, static_cast<int>(std::log2(micros * 10) * 8));
    ++counts_[b];
    ++n_;
  }
  void Merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    n_ += o.n_;
  }
  double Percentile(double p) const {
    uint64_t want = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(n_)));
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= want && counts_[i] != 0) return std::exp2((i + 1) / 8.0) / 10.0;
    }
    return 0;
  }

 private:
  static constexpr int kBuckets = 8 * 40;
  uint64_t counts_[kBuckets] = {};
  uint64_t n_ = 0;
};

struct Config {
  std::string engine;
  std::string db;
  uint64_t num = 100000;
  uint64_t reads = 0;  // 0: num
  int threads = 1;
  int key_size = 16;
  int value_size = 100;
  uint64_t seed = 301;
  bool stats = false;
  uint64_t write_buffer_size = 0;  // iron only; 0: the engine's default
  uint64_t cache_mb = 64;          // every engine's block cache
  bool mmap_reads = false;         // iron only
  bool use_existing = false;       // keep what --db holds
};

std::string MakeKey(uint64_t n, int size) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llu", static_cast<unsigned long long>(n));
  std::string k(buf);
  if (static_cast<int>(k.size()) < size) k.append(size - k.size(), '.');
  return k.substr(k.size() - size);
}

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

std::unique_ptr<Engine> OpenEngine(const Config& c) {
  const size_t cache_bytes = static_cast<size_t>(c.cache_mb) << 20;
  if (c.engine == "iron") {
    return std::make_unique<IronEngine>(c.db, c.write_buffer_size, cache_bytes, c.mmap_reads);
  }
  if (c.engine == "fsync") return std::make_unique<FsyncEngine>(c.db);
#ifdef IRON_BENCH_HAVE_LEVELDB
  if (c.engine == "leveldb") return std::make_unique<LevelDBEngine>(c.db, cache_bytes);
#endif
#ifdef IRON_BENCH_HAVE_ROCKSDB
  if (c.engine == "rocksdb") return std::make_unique<RocksDBEngine>(c.db, cache_bytes);
#endif
  throw std::runtime_error("engine '" + c.engine + "' is not built into this lsm_bench");
}

// Runs `ops` operations split over `threads`; op(thread, i, rng) returns
// false on failure.
template <typename Op>
void Run(const Config& c, Engine* engine, const std::string& name, uint64_t ops, int threads,
         uint64_t bytes_per_op, Op op) {
  std::vector<Histogram> hists(threads);
  std::atomic<uint64_t> failures{0};
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(c.seed * 1000 + t);
      uint64_t begin = ops * t / threads, end = ops * (t + 1) / threads;
      for (uint64_t i = begin; i < end; ++i) {
        auto t0 = Clock::now();
        if (!op(t, i, rng)) ++failures;
        hists[t].Add(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& th : pool) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  Histogram all;
  for (auto& h : hists) all.Merge(h);
  std::printf(
      "%s %s ops=%llu threads=%d secs=%.3f ops_per_sec=%.0f mb_per_sec=%.2f p50_us=%.2f "
      "p99_us=%.2f p999_us=%.2f peak_rss_mb=%.1f write_amp=%.2f failures=%llu\n",
      c.engine.c_str(), name.c_str(), static_cast<unsigned long long>(ops), threads, secs,
      static_cast<double>(ops) / secs,
      static_cast<double>(ops * bytes_per_op) / secs / 1048576.0, all.Percentile(50),
      all.Percentile(99), all.Percentile(99.9), PeakRssMb(), engine->WriteAmplification(),
      static_cast<unsigned long long>(failures.load()));
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  namespace po = boost::program_options;
  Config c;
  std::string benchmarks;
  po::options_description desc(
      "lsm_bench: measure the IronFS engine (and LevelDB/RocksDB, when built in)\n"
      "on the same workload.\n\nOptions");
  desc.add_options()("help,h", "show this help")(
      "engine", po::value(&c.engine)->default_value("iron"),
      "iron | leveldb | rocksdb | fsync (raw write+fdatasync reference)")(
      "benchmarks", po::value(&benchmarks)->default_value("fillrandom,readrandom"),
      "comma-separated, run in order on one DB: fillseq, fillrandom, overwrite, "
      "fillsync (durable puts, --threads writers), readrandom, readmissing, "
      "seekrandom (seek + scan 10)")(
      "db", po::value(&c.db), "directory for the database (required; emptied first)")(
      "num", po::value(&c.num)->default_value(c.num), "keys written by fill benchmarks")(
      "reads", po::value(&c.reads)->default_value(0), "lookups by read benchmarks (0: --num)")(
      "threads", po::value(&c.threads)->default_value(1), "threads for fillsync and reads")(
      "key_size", po::value(&c.key_size)->default_value(16), "bytes per key (<= 32)")(
      "value_size", po::value(&c.value_size)->default_value(100), "bytes per value")(
      "seed", po::value(&c.seed)->default_value(c.seed), "random seed")(
      "stats", po::bool_switch(&c.stats), "print the engine's statistics at the end")(
      "write_buffer_size", po::value(&c.write_buffer_size)->default_value(0),
      "iron: MemTable size in bytes (0: the engine's default)")(
      "cache_mb", po::value(&c.cache_mb)->default_value(c.cache_mb),
      "block cache of every engine, MiB")(
      "mmap_reads", po::bool_switch(&c.mmap_reads), "iron: read tables through mappings")(
      "use_existing_db", po::bool_switch(&c.use_existing),
      "read the database --db holds instead of emptying it first");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "lsm_bench: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (c.db.empty()) {
    std::cerr << "lsm_bench: --db DIR is required\n";
    return 2;
  }
  if (c.key_size < 8 || c.key_size > 32 || c.threads < 1 || c.value_size < 0) {
    std::cerr << "lsm_bench: need 8 <= --key_size <= 32, --threads >= 1, --value_size >= 0\n";
    return 2;
  }
  if (c.reads == 0) c.reads = c.num;
  if (!c.use_existing) std::filesystem::remove_all(c.db);

  std::unique_ptr<Engine> engine = OpenEngine(c);
  std::mt19937_64 value_rng(c.seed);
  // A pool of random values; each op picks a window of it.
  std::string pool(1 << 20, '\0');
  for (auto& ch : pool) ch = static_cast<char>(value_rng());
  auto value_at = [&](uint64_t i) {
    size_t off = (i * 7919) % (pool.size() - c.value_size);
    return pool.substr(off, c.value_size);
  };
  const uint64_t bytes = c.key_size + c.value_size;

  std::stringstream list(benchmarks);
  std::string name;
  while (std::getline(list, name, ',')) {
    if (name == "fillseq") {
      Run(c, engine.get(), name, c.num, 1, bytes, [&](int, uint64_t i, std::mt19937_64&) {
        return engine->Put(MakeKey(i, c.key_size), value_at(i), false);
      });
    } else if (name == "fillrandom") {
      // A random permutation-like order of [0, num): every key written once.
      Run(c, engine.get(), name, c.num, 1, bytes, [&](int, uint64_t i, std::mt19937_64&) {
        uint64_t k = (i * 2654435761ull) % c.num;
        return engine->Put(MakeKey(k, c.key_size), value_at(i), false);
      });
    } else if (name == "fillsync") {
      Run(c, engine.get(), name, c.num, c.threads, bytes, [&](int, uint64_t i, std::mt19937_64&) {
        uint64_t k = (i * 2654435761ull) % c.num;
        return engine->Put(MakeKey(k, c.key_size), value_at(i), true);
      });
    } else if (name == "readrandom") {
      Run(c, engine.get(), name, c.reads, c.threads, bytes, [&](int, uint64_t, std::mt19937_64& rng) {
        std::string v;
        return engine->Get(MakeKey(rng() % c.num, c.key_size), &v);
      });
    } else if (name == "overwrite") {
      Run(c, engine.get(), name, c.num, 1, bytes, [&](int, uint64_t i, std::mt19937_64& rng) {
        return engine->Put(MakeKey(rng() % c.num, c.key_size), value_at(i), false);
      });
    } else if (name == "seekrandom") {
      Run(c, engine.get(), name, c.reads, c.threads, bytes * 10, [&](int, uint64_t, std::mt19937_64& rng) {
        return engine->SeekScan(MakeKey(rng() % c.num, c.key_size), 10);
      });
    } else if (name == "readmissing") {
      Run(c, engine.get(), name, c.reads, c.threads, bytes, [&](int, uint64_t, std::mt19937_64& rng) {
        std::string v;
        return !engine->Get(MakeKey(c.num + rng() % c.num, c.key_size), &v);
      });
    } else {
      std::cerr << "lsm_bench: unknown benchmark '" << name << "'\n";
      return 2;
    }
  }
  if (c.stats) std::cout << engine->Stats();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "lsm_bench: " << e.what() << "\n";
    return 1;
  }
}

// What a backup and a restore cost (backup.hpp) on a store of 100,000 customers, side by side with
// what a user would do without amanah. Results: bench/README.md, "Backup and restore".
//
// - BM_backup_Amanah: store.backup(ctx, dir) to a fresh directory per iteration (removed after
//   it, outside the timing): the audit entry of the backup, then sqlite3_backup page copies of
//   data.db and keys.db from read snapshots into new SQLCipher files (WAL; each switched to
//   journal_mode=DELETE once copied), the keyslots, fsync of each, renamed into place.
// - BM_backup_FileCopy: what a user would do with cp, on the same store closed: keyslots, data.db
//   and keys.db copied with std::filesystem::copy_file into a fresh directory, each fsync'd, then
//   the directory fsync'd. The store must be closed for this (nothing is consistent otherwise).
// - BM_backup_SqliteOnlineBackup/plain: SQLite's online backup API (sqlite3_backup_init, step(-1),
//   finish) from an open plain SQLite database (SQLCipher's sqlite3 API without any key) holding
//   the same 100,000 customers in plaintext, one table customers(id TEXT PRIMARY KEY, full_name,
//   email, phone, nik) with an index on email and amanah's PRAGMAs (WAL, synchronous=FULL,
//   secure_delete, auto_vacuum=INCREMENTAL), into a new file opened with the defaults (SQLite's
//   commit of the copy fsyncs it). /sqlcipher: the same on a raw SQLCipher database of the same
//   rows, both sides keyed with the same raw key (SQLCipher decrypts each page read and encrypts
//   it again on write, as amanah's copy does).
// - BM_verify_backup_Amanah: verify_backup(dir, key) on one backup (taken once): the keyslots, then
//   cipher_integrity_check and integrity_check on both databases, and the audit chain.
// - BM_restore_Amanah: restore(backup, fresh dir, key, {.ledger_file}) of that backup (the target
//   removed after each iteration, outside the timing): verify_backup, the files copied (fsync'd) to
//   a staging directory, the store opened there, the erasure ledger replayed (it is empty: nothing
//   was erased), retention swept (the manifest has no rule), closed, renamed into place.
//
// Counters: MB (10^6 bytes copied or read: BackupInfo::bytes for amanah's backup, the backup's
// bytes for verify and restore, the three files for the file copy, the source database file for
// the online backup), MB_per_s (MB per second of wall clock, over the run's iterations) and cpu_ms
// (the calling thread's CPU per iteration). The summary after the run gives the ratios.
//
// The customers are bench_support.hpp's, with its records manifest plus a permit for the backup.
// bench_open.cpp owns main(); the stores of this file live in a fresh
// /tmp/amanah-bench-backup-XXXXXX, built lazily (a filtered-out benchmark costs nothing) and
// removed when the program exits.
#include <benchmark/benchmark.h>

#include <amanah/amanah.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <sqlcipher/sqlite3.h>

#include "bench_summary.hpp"
#include "bench_support.hpp"
#include "store/layout.hpp"

namespace {

namespace fs = std::filesystem;
using amanah::bench::check;
using amanah::bench::customer;
using amanah::bench::exec;
using amanah::bench::kCtx;
using Steady = std::chrono::steady_clock;

constexpr std::size_t kCustomers = 100'000;
constexpr std::size_t kBatch = 1'000;             // customers per insert_many (or raw transaction)
constexpr benchmark::IterationCount kCopies = 3;  // per benchmark

// The records manifest, with the backup allowed to the same role.
const std::string kManifestToml = std::string(amanah::bench::kRecordsManifestToml) + R"toml(
[[permit]]
id = "support-backs-up"
roles = ["support"]
actions = ["backup"]
)toml";

double seconds_since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

void sync_fd_of(const fs::path& file, int flags) {
  const int fd = ::open(file.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("open " + file.string());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("fsync " + file.string());
}

std::uint64_t bytes_of(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

// The three files of a store, as a user would copy them: copy_file, fsync each, fsync the
// directory. Returns the bytes copied.
std::uint64_t copy_store_files(const fs::path& from, const fs::path& to) {
  fs::create_directory(to);
  std::uint64_t bytes = 0;
  for (std::string_view name :
       {amanah::detail::store::kKeyslotsFile, amanah::detail::store::kDataDbFile,
        amanah::detail::store::kKeysDbFile}) {
    fs::copy_file(from / name, to / name);
    sync_fd_of(to / name, O_RDONLY);
    bytes += fs::file_size(to / name);
  }
  sync_fd_of(to, O_RDONLY | O_DIRECTORY);
  return bytes;
}

// Writes back what building the fixtures left in the page cache, so that the measured copies'
// fsync calls do not share the disk with that writeback.
void flush_disk() {
  ::sync();
}

// ---------------------------------------------------------------------------------------------
// The raw side: one database of the same customers, plain (no key) or raw SQLCipher.

class RawDb {
 public:
  // `literal`: the x'<hex>' raw key, or empty for plain SQLite.
  RawDb(fs::path file, amanah::SecretBytes literal)
      : file_(std::move(file)), literal_(std::move(literal)) {
    check(sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
          db_, "sqlite3_open_v2");
    key(db_);
    exec(db_, "PRAGMA temp_store=MEMORY");
    exec(db_, "PRAGMA secure_delete=ON");
    exec(db_, "PRAGMA auto_vacuum=INCREMENTAL");
    exec(db_, "PRAGMA journal_mode=WAL");
    exec(db_, "PRAGMA synchronous=FULL");
    exec(db_, "PRAGMA cache_size=-32768");
    exec(db_,
         "CREATE TABLE customers(id TEXT PRIMARY KEY, full_name TEXT, email TEXT, phone TEXT, "
         "nik TEXT);"
         "CREATE INDEX customers_email ON customers(email);");
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() { sqlite3_close_v2(db_); }

  // Customers 0 .. n-1 under random 32-hex ids (as amanah's), in transactions of kBatch; then
  // the log folded into the file.
  void load(std::size_t n) {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db_, "INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st,
                             nullptr),
          db_, "prepare insert");
    std::mt19937_64 rng(7);
    try {
      for (std::size_t i = 0; i < n; ++i) {
        if (i % kBatch == 0) exec(db_, "BEGIN");
        const auto c = customer(i);
        char id[33];
        std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                      static_cast<unsigned long long>(rng()));
        check(sqlite3_bind_text(st, 1, id, 32, SQLITE_TRANSIENT), db_, "bind");
        int k = 2;
        for (const std::string* v : {&c.full_name, &c.email, &c.phone, &c.nik})
          check(
              sqlite3_bind_text(st, k++, v->data(), static_cast<int>(v->size()), SQLITE_TRANSIENT),
              db_, "bind");
        if (sqlite3_step(st) != SQLITE_DONE) amanah::bench::fail("insert", db_, SQLITE_ERROR);
        sqlite3_reset(st);
        if (i % kBatch == kBatch - 1 || i + 1 == n) exec(db_, "COMMIT");
      }
    } catch (...) {
      sqlite3_finalize(st);
      throw;
    }
    sqlite3_finalize(st);
    check(sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr), db_,
          "checkpoint");
  }

  std::uint64_t bytes() const { return fs::file_size(file_); }

  // SQLite's online backup of the open database into a new file (keyed with the same key).
  void backup_to(const fs::path& dest) const {
    sqlite3* to = nullptr;
    const int rc =
        sqlite3_open_v2(dest.c_str(), &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_close_v2(to);
      amanah::bench::fail("sqlite3_open_v2 " + dest.string(), nullptr, rc);
    }
    int step = SQLITE_OK, finish = SQLITE_OK;
    try {
      key(to);
      sqlite3_backup* b = sqlite3_backup_init(to, "main", db_, "main");
      if (b == nullptr) amanah::bench::fail("sqlite3_backup_init", to, SQLITE_ERROR);
      step = sqlite3_backup_step(b, -1);
      finish = sqlite3_backup_finish(b);
    } catch (...) {
      sqlite3_close_v2(to);
      throw;
    }
    if (step != SQLITE_DONE) {
      sqlite3_close_v2(to);
      amanah::bench::fail("sqlite3_backup_step", nullptr, step);
    }
    check(finish, to, "sqlite3_backup_finish");
    check(sqlite3_close(to), nullptr, "closing the copy");
  }

 private:
  void key(sqlite3* db) const {
    if (literal_.size() == 0) return;
    check(sqlite3_key_v2(db, "main", literal_.data(), static_cast<int>(literal_.size())), db,
          "sqlite3_key_v2");
  }

  fs::path file_;
  amanah::SecretBytes literal_;
  sqlite3* db_ = nullptr;
};

// ---------------------------------------------------------------------------------------------

class Fixtures {
 public:
  // Starts SQLCipher and OpenSSL first (as bench_erasure.cpp does): their exit handlers then run
  // after this object's destructor, once the stores it closes no longer need them.
  Fixtures() {
    amanah::bench::start_sqlcipher();

    root_ = amanah::bench::temp_dir("backup");
    manifest_.emplace(amanah::Manifest::from_toml(kManifestToml, "bench_backup.toml"));
    fs::create_directory(root_ / "ledger");
    ledger_file_ = root_ / "ledger" / "erasures.log";
    ledger_ = std::make_shared<amanah::FileErasureLedger>(ledger_file_);
    warm_up();
  }
  Fixtures(const Fixtures&) = delete;
  Fixtures& operator=(const Fixtures&) = delete;
  ~Fixtures() {
    plain_.reset();
    keyed_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Everything the benchmarks do once, in a throwaway store: the library's function-local
  // statics are then built before this object and destroyed after it.
  void warm_up() {
    const fs::path dir = root_ / "warm-up.amanah";
    const fs::path ledger = root_ / "ledger" / "warm-up.log";
    auto key = amanah::raw_key(amanah::SecretBytes::random(32));
    {
      auto store = amanah::CustomerStore::create(
          dir, *key, *manifest_,
          amanah::CreateOptions{.erasure_ledger =
                                    std::make_shared<amanah::FileErasureLedger>(ledger)});
      (void)store.insert_many(kCtx, {amanah::bench::field_values(customer(0))});
      (void)store.backup(kCtx, root_ / "warm-up.backup");
    }
    (void)amanah::verify_backup(root_ / "warm-up.backup", *key);
    (void)amanah::restore(root_ / "warm-up.backup", root_ / "warm-up.restored", *key,
                          {.ledger_file = ledger});
    for (const char* d : {"warm-up.amanah", "warm-up.backup", "warm-up.restored"})
      fs::remove_all(root_ / d);
    fs::remove(ledger);
  }

  const fs::path& root() const { return root_; }
  const amanah::KeyProvider& key() const { return *key_; }
  const fs::path& ledger_file() const { return ledger_file_; }
  fs::path store_dir() const { return root_ / "store.amanah"; }

  // kCustomers customers, loaded with insert_many, closed and opened again; open.
  amanah::CustomerStore& store() {
    if (!store_) build_store();
    if (!open_) {
      *store_ = amanah::CustomerStore::open(store_dir(), *key_,
                                            amanah::OpenOptions{.erasure_ledger = ledger_});
      open_ = true;
    }
    return *store_;
  }
  // The same store closed (its files as a user would copy them).
  fs::path closed_store() {
    if (!store_) build_store();
    if (open_) {
      store_->close();
      open_ = false;
    }
    return store_dir();
  }

  // One backup of the store, taken once (for verify and restore).
  const amanah::BackupInfo& backup() {
    if (backup_) return *backup_;
    backup_ = store().backup(kCtx, root_ / "reference.backup");
    flush_disk();
    return *backup_;
  }

  // The same customers in one raw database: plain SQLite, or raw SQLCipher.
  RawDb& raw(bool keyed) {
    auto& db = keyed ? keyed_ : plain_;
    if (db) return *db;
    const auto start = Steady::now();
    db = std::make_unique<RawDb>(root_ / (keyed ? "raw-sqlcipher.db" : "raw-plain.db"),
                                 keyed ? amanah::bench::key_literal(amanah::SecretBytes::random(32))
                                       : amanah::SecretBytes());
    db->load(kCustomers);
    flush_disk();
    std::fprintf(stderr, "bench_backup: %s database of %zu customers built in %.1f s\n",
                 keyed ? "raw SQLCipher" : "plain SQLite", kCustomers, seconds_since(start));
    return *db;
  }

 private:
  void build_store() {
    const auto start = Steady::now();
    key_ = amanah::raw_key(amanah::SecretBytes::random(32));
    store_ = std::make_unique<amanah::CustomerStore>(amanah::CustomerStore::create(
        store_dir(), *key_, *manifest_, amanah::CreateOptions{.erasure_ledger = ledger_}));
    std::vector<amanah::FieldValues> batch;
    for (std::size_t i = 0; i < kCustomers; ++i) {
      batch.push_back(amanah::bench::field_values(customer(i)));
      if (batch.size() == kBatch || i + 1 == kCustomers) {
        (void)store_->insert_many(kCtx, batch);
        batch.clear();
      }
    }
    store_->close();
    *store_ = amanah::CustomerStore::open(store_dir(), *key_,
                                          amanah::OpenOptions{.erasure_ledger = ledger_});
    open_ = true;
    if (store_->size() != kCustomers) throw std::runtime_error("the store was not loaded");
    flush_disk();
    const auto mb = [this](std::string_view file) {
      return static_cast<double>(fs::file_size(store_dir() / file)) / 1e6;
    };
    std::fprintf(stderr,
                 "bench_backup: %zu-customer store built in %.1f s (data.db %.1f MB, keys.db %.1f "
                 "MB)\n",
                 kCustomers, seconds_since(start), mb(amanah::detail::store::kDataDbFile),
                 mb(amanah::detail::store::kKeysDbFile));
  }

  fs::path root_, ledger_file_;
  std::optional<amanah::Manifest> manifest_;
  std::shared_ptr<amanah::FileErasureLedger> ledger_;
  std::unique_ptr<amanah::KeyProvider> key_;
  std::unique_ptr<amanah::CustomerStore> store_;
  bool open_ = false;
  std::optional<amanah::BackupInfo> backup_;
  std::unique_ptr<RawDb> plain_, keyed_;
};

Fixtures& fixtures() {
  static Fixtures f;  // destroyed (stores closed, directory removed) when the program exits
  return f;
}

// ---------------------------------------------------------------------------------------------
// Each benchmark: `copy(target)` timed into a fresh target per iteration, which is removed after
// it, outside the timing; it returns the bytes the iteration copied or read.

template <class Copy>
void timed_copies(benchmark::State& state, Copy copy) {
  const fs::path target = fixtures().root() / "target";
  double seconds = 0, cpu_ms = 0, bytes = 0;
  for (auto _ : state) {
    const double c0 = thread_cpu_ms();
    const auto t0 = Steady::now();
    bytes = static_cast<double>(copy(target));
    const double s = seconds_since(t0);
    cpu_ms += thread_cpu_ms() - c0;
    seconds += s;
    state.SetIterationTime(s);
    std::error_code ec;
    fs::remove_all(target, ec);
    if (ec) throw std::runtime_error("cannot remove " + target.string());
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["MB"] = bytes / 1e6;
  state.counters["MB_per_s"] = bytes * n / 1e6 / seconds;
  state.counters["cpu_ms"] = cpu_ms / n;
}

void BM_backup_Amanah(benchmark::State& state) {
  auto& store = fixtures().store();
  timed_copies(state, [&store](const fs::path& target) {
    const amanah::BackupInfo info = store.backup(kCtx, target);
    if (info.customers != kCustomers) throw std::runtime_error("backup: customers missing");
    return info.bytes;
  });
}

void BM_backup_FileCopy(benchmark::State& state) {
  const fs::path from = fixtures().closed_store();
  flush_disk();  // what closing the store wrote back
  timed_copies(state, [&from](const fs::path& target) { return copy_store_files(from, target); });
}

void BM_backup_SqliteOnlineBackup(benchmark::State& state) {
  const RawDb& db = fixtures().raw(state.range(0) == 1);
  timed_copies(state, [&db](const fs::path& target) {
    db.backup_to(target);
    if (fs::file_size(target) != db.bytes())
      throw std::runtime_error("online backup: the copy's size differs from the source's");
    return db.bytes();
  });
}

void BM_verify_backup_Amanah(benchmark::State& state) {
  auto& f = fixtures();
  const amanah::BackupInfo& backup = f.backup();
  timed_copies(state, [&f, &backup](const fs::path&) {
    const amanah::CheckReport r = amanah::verify_backup(backup.dir, f.key());
    if (r.customers != kCustomers || !r.backup) throw std::runtime_error("verify: wrong report");
    return backup.bytes;
  });
}

void BM_restore_Amanah(benchmark::State& state) {
  auto& f = fixtures();
  const amanah::BackupInfo& backup = f.backup();
  timed_copies(state, [&f, &backup](const fs::path& target) {
    const amanah::RestoreReport r =
        amanah::restore(backup.dir, target, f.key(), {.ledger_file = f.ledger_file()});
    if (r.backup.customers != kCustomers || r.replayed != 0)
      throw std::runtime_error("restore: wrong report");
    if (bytes_of(target) == 0) throw std::runtime_error("restore: nothing restored");
    return backup.bytes;
  });
}

// ---------------------------------------------------------------------------------------------
// Registration. The file copy first: it closes the store, which the backups then reopen.

const bool kRegistered = [] {
  const auto setup = [](benchmark::internal::Benchmark* b) {
    b->Unit(benchmark::kMillisecond)->Iterations(kCopies)->UseManualTime();
  };
  setup(benchmark::RegisterBenchmark("BM_backup_FileCopy", BM_backup_FileCopy));
  setup(benchmark::RegisterBenchmark("BM_backup_Amanah", BM_backup_Amanah));
  setup(benchmark::RegisterBenchmark("BM_backup_SqliteOnlineBackup", BM_backup_SqliteOnlineBackup)
            ->Arg(0)
            ->Arg(1)
            ->ArgName("keyed"));
  setup(benchmark::RegisterBenchmark("BM_verify_backup_Amanah", BM_verify_backup_Amanah));
  setup(benchmark::RegisterBenchmark("BM_restore_Amanah", BM_restore_Amanah));
  return true;
}();

}  // namespace

// ---------------------------------------------------------------------------------------------
// The summary printed after the run (SummaryReporter, bench_summary.hpp).

namespace amanah::bench {

void SummaryReporter::print_backup_summary(std::FILE* out) const {
  const Run* ours = median_run("BM_backup_Amanah");
  const Run* file_copy = median_run("BM_backup_FileCopy");
  const Run* plain = median_run("BM_backup_SqliteOnlineBackup", "keyed:0");
  const Run* keyed = median_run("BM_backup_SqliteOnlineBackup", "keyed:1");
  const Run* verify = median_run("BM_verify_backup_Amanah");
  const Run* restored = median_run("BM_restore_Amanah");
  if (ours == nullptr && file_copy == nullptr && plain == nullptr && keyed == nullptr &&
      verify == nullptr && restored == nullptr)
    return;

  std::fprintf(out, "\nBackup and restore summary (bench_backup.cpp; wall clock, MB = 10^6 B)\n");
  for (const auto& [label, r] :
       {std::pair{"backup, amanah", ours}, std::pair{"file copy (cp + fsync)", file_copy},
        std::pair{"online backup, plain", plain}, std::pair{"online backup, SQLCipher", keyed},
        std::pair{"verify_backup, amanah", verify}, std::pair{"restore, amanah", restored}}) {
    if (r == nullptr) continue;
    std::fprintf(
        out, "  %-26s %s MB in %s ms: %s MB/s (CPU %s ms)\n", label,
        num(counter(r, "MB"), "%.1f").c_str(), num(r->GetAdjustedRealTime(), "%.0f").c_str(),
        num(counter(r, "MB_per_s"), "%.1f").c_str(), num(counter(r, "cpu_ms"), "%.0f").c_str());
  }
  // Time per MB, amanah's over the baseline's (> 1: amanah is slower).
  const auto ratio = [](const Run* a, const Run* b) -> std::optional<double> {
    const auto ma = counter(a, "MB_per_s"), mb = counter(b, "MB_per_s");
    if (!ma || !mb || *ma <= 0) return std::nullopt;
    return *mb / *ma;
  };
  for (const auto& [label, b] :
       {std::pair{"amanah / file copy", file_copy}, std::pair{"amanah / online, plain", plain},
        std::pair{"amanah / online, SQLCipher", keyed}})
    if (ours != nullptr && b != nullptr)
      std::fprintf(out, "  %-26s %s (time per MB)\n", label, num(ratio(ours, b), "%.2f").c_str());
  if (verify != nullptr && restored != nullptr && restored->GetAdjustedRealTime() > 0)
    std::fprintf(
        out, "  %-26s %s %% of restore's time\n", "verify_backup",
        num(100 * verify->GetAdjustedRealTime() / restored->GetAdjustedRealTime(), "%.0f").c_str());
}

}  // namespace amanah::bench

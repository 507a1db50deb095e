// What erasure and the retention sweep cost (retention.hpp) on a store of 100,000 customers.
// Results: bench/README.md, "Erasure and the retention sweep".
//
// - BM_erase_Amanah / BM_erase_Sqlcipher: one customer erased per iteration, each a different
//   customer (they disappear), kErasures per run. amanah: store.erase(ctx, id), which commits the
//   data.db transaction, destroys the customer's key in keys.db and scrubs both databases
//   (PRAGMA incremental_vacuum, wal_checkpoint(TRUNCATE)). The baseline is what a user would write
//   on raw SQLCipher with the same PRAGMAs: DELETE of the row (its three index entries with it)
//   in a transaction, DELETE of the key row in a second file, wal_checkpoint(TRUNCATE) on both.
//   Registered as kRounds rounds of adjacent pairs (the order alternating); the summary gives the
//   median of the rounds' ratios. Counters: p50_ms, p95_ms, max_ms (wall) and cpu_p50_ms (the
//   calling thread's CPU) over the run's erasures.
// - BM_erase_disk_flush: in each round, after the pair, a write-ahead log's cycle on a file in the
//   same directory (4 KiB appended to the empty file, fdatasync, ftruncate to zero): what the disk
//   costs at that moment (an erasure, amanah's or the baseline's, waits for it about ten times,
//   five such cycles: bench/README.md).
// - BM_erase_held_Amanah: the same for customers holding a transaction value, which a rule with
//   a legal basis keeps (restricted) for 10 years: the record is rewritten, not deleted.
// - BM_erase_split_Amanah (breakdown): the same erasure as BM_erase_Amanah, with SQLite's
//   statement trace on the store's two write connections, taking the time at the start and end
//   of each statement: the work before the commit, the data.db COMMIT, the key's destruction in
//   keys.db (up to the end of its DELETE, which commits on its own), and the scrub (everything
//   after that: the two incremental_vacuum statements, timed, and the two checkpoints).
// - BM_sweep_nothing_expired / BM_sweep_dry_run_expired / BM_sweep_erase_expired:
//   store.retention().sweep(ctx) over the whole store, with the store's clock 30 days after the
//   customers were loaded (nothing has expired, the nightly case), then 366 days after (every
//   customer's last_viewed, behavioral data kept 365 days from the last activity, has expired):
//   a dry run, then once the real sweep, which erases that field from every customer (it changes
//   the store, so it runs once, last). Counter: customers_per_s (checked, wall clock).
//
// The customers are bench_support.hpp's (full_name, email, phone, nik) plus last_viewed; odd ones
// also hold last_order. bench_open.cpp owns main(); the stores of this file live in a fresh
// /tmp/amanah-bench-erasure-XXXXXX, built lazily (a filtered-out benchmark costs nothing) and
// removed when the program exits.
#include <benchmark/benchmark.h>

#include <amanah/amanah.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <sqlcipher/sqlite3.h>

#include "bench_summary.hpp"
#include "bench_support.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"

namespace {

namespace fs = std::filesystem;
using amanah::bench::check;
using amanah::bench::customer;
using amanah::bench::exec;
using amanah::bench::prepare;
using amanah::bench::step_done;
using amanah::detail::StoreAccess;
using Steady = std::chrono::steady_clock;

constexpr std::size_t kCustomers = 100'000;
constexpr std::size_t kBatch = 1'000;  // customers per insert_many (or raw transaction)
constexpr benchmark::IterationCount kErasures = 100;  // per run
constexpr int kRounds = 3;                            // amanah / raw pairs
constexpr int kRepetitions = 3;
constexpr std::int64_t kDay = 86'400;
constexpr std::int64_t kStart = 1'767'225'600;  // 2026-01-01T00:00:00Z: when customers are loaded

constexpr const char* kManifestToml = R"toml(
[store]
name = "Erasure benchmark"

[purposes.service]
basis = "contract"

[roles.support]
[roles.dpo]

[fields]
full_name   = { type = "text",  category = "identity",    purposes = ["service"] }
email       = { type = "email", category = "contact",     purposes = ["service"], lookup = true, unique = true }
phone       = { type = "phone", category = "contact",     purposes = ["service"], lookup = true }
nik         = { type = "nik",   category = "sensitive",   purposes = ["service"], lookup = true }
last_viewed = { type = "text",  category = "behavioral",  purposes = ["service"] }
last_order  = { type = "money", category = "transaction", purposes = ["service"] }

[retention]
behavioral = { keep = "365d", from = "last_activity" }
transaction = { keep = "10y", basis = "legal_obligation" }

[[permit]]
id = "support-serves-customers"
roles = ["support"]
actions = ["read", "update", "create"]
purposes = ["service"]

[[permit]]
id = "dpo-erases-and-sweeps"
roles = ["dpo"]
actions = ["erase", "manage_retention"]
mask = "none"
restricted = true
)toml";

const amanah::AccessContext kSupport{.actor = "loader", .roles = {"support"}, .purpose = "service"};
const amanah::AccessContext kDpo{.actor = "dpo-1", .roles = {"dpo"}, .purpose = "service"};

// The store's clock, set by each benchmark (as the tests' ManualClock).
class BenchClock final : public amanah::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(at_.load()));
  }
  void set(std::int64_t unix_seconds) { at_ = unix_seconds; }

 private:
  std::atomic<std::int64_t> at_{kStart};
};

bool holds_order(std::size_t i) {
  return i % 2 == 1;
}

amanah::FieldValues values_of(std::size_t i) {
  const auto c = customer(i);
  amanah::FieldValues v{{"full_name", c.full_name},
                        {"email", c.email},
                        {"phone", c.phone},
                        {"nik", c.nik},
                        {"last_viewed", "/product/" + std::to_string(i % 5'000)}};
  if (holds_order(i)) v.emplace("last_order", "IDR " + std::to_string(10'000 + i % 990'000));
  return v;
}

// The customers of one kind (holding last_order or not) in a fixed random order.
std::vector<std::size_t> erase_order(bool with_order) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < kCustomers; ++i)
    if (holds_order(i) == with_order) out.push_back(i);
  std::mt19937_64 rng(with_order ? 17 : 42);
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

double seconds_since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// Writes back what loading a store left in the page cache (about 100 MB), so that the measured
// erasures' fdatasync calls do not share the disk with the load's writeback.
void flush_disk() {
  ::sync();
}

double ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// The nearest-rank percentile `q` (0 < q <= 1) of `v`.
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size(), std::max<std::size_t>(rank, 1)) - 1];
}

// Every erasure's wall and CPU time of the process, by benchmark name (for the summary).
struct Samples {
  std::vector<double> wall_ms, cpu_ms;
};
std::map<std::string, Samples>& all_samples() {
  static std::map<std::string, Samples> s;
  return s;
}

// The per-erasure counters of one run.
void report_erasures(benchmark::State& state, const char* name, const std::vector<double>& wall,
                     const std::vector<double>& cpu) {
  state.counters["p50_ms"] = percentile(wall, 0.50);
  state.counters["p95_ms"] = percentile(wall, 0.95);
  state.counters["max_ms"] = percentile(wall, 1.0);
  state.counters["cpu_p50_ms"] = percentile(cpu, 0.50);
  auto& s = all_samples()[name];
  s.wall_ms.insert(s.wall_ms.end(), wall.begin(), wall.end());
  s.cpu_ms.insert(s.cpu_ms.end(), cpu.begin(), cpu.end());
}

// ---------------------------------------------------------------------------------------------
// The raw SQLCipher side: data.db and keys.db of the same shape, with amanah's PRAGMAs.

sqlite3* open_raw(const fs::path& file, const amanah::SecretBytes& literal, bool create) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db);
    amanah::bench::fail("sqlite3_open_v2", nullptr, rc);
  }
  check(sqlite3_key_v2(db, "main", literal.data(), static_cast<int>(literal.size())), db,
        "sqlite3_key_v2");
  exec(db, "PRAGMA temp_store=MEMORY");
  exec(db, "PRAGMA secure_delete=ON");
  if (create) {
    exec(db, "PRAGMA page_size=4096");
    exec(db, "PRAGMA auto_vacuum=INCREMENTAL");  // as amanah does at creation
  }
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  exec(db, "PRAGMA foreign_keys=ON");
  exec(db, "PRAGMA cache_size=-32768");
  return db;
}

// Random bytes and hex ids for the baseline's rows (their contents do not matter to a delete,
// only their sizes and their spread in the B-trees).
class Bytes {
 public:
  explicit Bytes(std::uint64_t seed) : rng_(seed) {}
  std::string blob(std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s)
      c = static_cast<char>(rng_() & 0xffu);
    return s;
  }
  std::string hex(std::size_t bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < bytes; ++i) {
      const auto v = static_cast<unsigned>(rng_() & 0xffu);
      s += kHex[v >> 4];
      s += kHex[v & 0xfu];
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

void bind_text(sqlite3_stmt* st, int i, const std::string& s) {
  check(sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT),
        sqlite3_db_handle(st), "bind");
}
void bind_blob(sqlite3_stmt* st, int i, const std::string& s) {
  check(sqlite3_bind_blob(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT),
        sqlite3_db_handle(st), "bind");
}

struct Raw {
  sqlite3* data = nullptr;
  sqlite3* keys = nullptr;
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_stmt* del = nullptr;      // DELETE ... RETURNING key_id
  sqlite3_stmt* del_key = nullptr;  // in keys.db
  std::vector<std::string> ids;     // customer i's id (32 hex)
  std::vector<std::size_t> order;   // customers to erase, in order
  std::size_t next = 0;

  Raw() = default;
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  ~Raw() {
    for (auto* st : {begin, commit, del, del_key})
      sqlite3_finalize(st);
    sqlite3_close_v2(data);
    sqlite3_close_v2(keys);
  }

  void build(const fs::path& dir) {
    fs::create_directories(dir);
    const auto literal_data = amanah::bench::key_literal(amanah::SecretBytes::random(32));
    const auto literal_keys = amanah::bench::key_literal(amanah::SecretBytes::random(32));
    data = open_raw(dir / "data.db", literal_data, true);
    keys = open_raw(dir / "keys.db", literal_keys, true);
    exec(data,
         "CREATE TABLE customers(row INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, key_id TEXT "
         "NOT NULL, full_name TEXT, email TEXT, phone TEXT, nik BLOB, last_viewed TEXT, "
         "last_order TEXT, email_idx BLOB, phone_idx BLOB, nik_idx BLOB)");
    exec(data, "CREATE UNIQUE INDEX customers_email ON customers(email_idx)");
    exec(data, "CREATE INDEX customers_phone ON customers(phone_idx)");
    exec(data, "CREATE INDEX customers_nik ON customers(nik_idx)");
    exec(keys, "CREATE TABLE subject_keys(key_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL)");
    sqlite3_stmt* ins = prepare(
        data,
        "INSERT INTO customers(id, key_id, full_name, email, phone, nik, last_viewed, last_order, "
        "email_idx, phone_idx, nik_idx) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    sqlite3_stmt* ins_key =
        prepare(keys, "INSERT INTO subject_keys(key_id, wrapped) VALUES (?1, ?2)");
    Bytes rnd(7);
    for (std::size_t first = 0; first < kCustomers; first += kBatch) {
      exec(data, "BEGIN IMMEDIATE");
      exec(keys, "BEGIN IMMEDIATE");
      for (std::size_t i = first; i < std::min(kCustomers, first + kBatch); ++i) {
        const auto v = values_of(i);
        ids.push_back(rnd.hex(16));
        const std::string key_id = rnd.hex(16);
        bind_text(ins, 1, ids.back());
        bind_text(ins, 2, key_id);
        bind_text(ins, 3, v.at("full_name"));
        bind_text(ins, 4, v.at("email"));
        bind_text(ins, 5, v.at("phone"));
        bind_blob(ins, 6, rnd.blob(12 + 16 + 16));  // nonce, sealed NIK, tag
        bind_text(ins, 7, v.at("last_viewed"));
        if (const auto it = v.find("last_order"); it != v.end())
          bind_text(ins, 8, it->second);
        else
          sqlite3_bind_null(ins, 8);
        for (int k = 9; k <= 11; ++k)
          bind_blob(ins, k, rnd.blob(16));  // keyed blind-index tags
        step_done(ins);
        bind_text(ins_key, 1, key_id);
        bind_blob(ins_key, 2, rnd.blob(12 + 32 + 16));  // the customer key, wrapped
        step_done(ins_key);
      }
      exec(data, "COMMIT");
      exec(keys, "COMMIT");
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(ins_key);
    for (sqlite3* db : {data, keys})
      check(sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr), db,
            "checkpoint");
    begin = prepare(data, "BEGIN IMMEDIATE");
    commit = prepare(data, "COMMIT");
    del = prepare(data, "DELETE FROM customers WHERE id = ?1 RETURNING key_id");
    del_key = prepare(keys, "DELETE FROM subject_keys WHERE key_id = ?1");
    order = erase_order(false);
  }

  // One erasure; `split` (if given) gets the times of its steps in ms: the delete, the commit,
  // the key row, the two checkpoints.
  void erase(std::size_t i, double* split = nullptr) {
    auto t = Steady::now();
    const auto lap = [&](int k) {
      if (split == nullptr) return;
      const auto now = Steady::now();
      split[k] = ms(now - t);
      t = now;
    };
    step_done(begin);
    bind_text(del, 1, ids[i]);
    if (sqlite3_step(del) != SQLITE_ROW) throw std::runtime_error("raw erase: no such customer");
    const std::string key_id(reinterpret_cast<const char*>(sqlite3_column_text(del, 0)),
                             static_cast<std::size_t>(sqlite3_column_bytes(del, 0)));
    if (sqlite3_step(del) != SQLITE_DONE) throw std::runtime_error("raw erase: the delete failed");
    sqlite3_reset(del);
    lap(0);
    step_done(commit);
    lap(1);
    bind_text(del_key, 1, key_id);
    step_done(del_key);
    if (sqlite3_changes(keys) != 1) throw std::runtime_error("raw erase: the key was not deleted");
    lap(2);
    check(sqlite3_wal_checkpoint_v2(data, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr),
          data, "checkpoint");
    lap(3);
    check(sqlite3_wal_checkpoint_v2(keys, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr),
          keys, "checkpoint");
    lap(4);
  }
};

// ---------------------------------------------------------------------------------------------
// SQLite's statement trace on the store's write connections, for the breakdown.

struct Tracer {
  std::thread::id owner = std::this_thread::get_id();
  sqlite3* data = nullptr;
  sqlite3* keys = nullptr;
  std::unordered_map<sqlite3_stmt*, Steady::time_point> started;
  Steady::time_point commit_begin{}, commit_end{}, key_end{};
  Steady::duration vacuum{};
  int vacuums = 0;

  void reset() {
    started.clear();
    commit_begin = commit_end = key_end = {};
    vacuum = {};
    vacuums = 0;
  }
};

int on_trace(unsigned type, void* ctx, void* p, void* x) {
  auto* t = static_cast<Tracer*>(ctx);
  if (std::this_thread::get_id() != t->owner) return 0;  // the audit log's writer thread
  const auto now = Steady::now();
  auto* st = static_cast<sqlite3_stmt*>(p);
  if (type == SQLITE_TRACE_STMT) {
    const char* sql = static_cast<const char*>(x);
    if (sql != nullptr && std::strncmp(sql, "--", 2) != 0) t->started[st] = now;  // not triggers
    return 0;
  }
  if (type != SQLITE_TRACE_PROFILE) return 0;
  const auto it = t->started.find(st);
  if (it == t->started.end()) return 0;
  const Steady::time_point begin = it->second;
  t->started.erase(it);
  const std::string_view sql = sqlite3_sql(st) != nullptr ? sqlite3_sql(st) : "";
  sqlite3* db = sqlite3_db_handle(st);
  if (db == t->data && sql == "COMMIT") {
    t->commit_begin = begin;
    t->commit_end = now;
  } else if (db == t->keys && sql.rfind("DELETE FROM subject_keys", 0) == 0) {
    t->key_end = now;
  } else if (sql == "PRAGMA incremental_vacuum") {
    t->vacuum += now - begin;
    ++t->vacuums;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------

class Fixtures {
 public:
  // Starts SQLCipher and OpenSSL first (as bench_audit.cpp does): their exit handlers then run
  // after this object's destructor, once the stores it closes no longer need them.
  Fixtures() {
    amanah::bench::start_sqlcipher();

    root_ = amanah::bench::temp_dir("erasure");
    manifest_.emplace(amanah::Manifest::from_toml(kManifestToml, "bench_erasure.toml"));
    warm_up();
  }
  Fixtures(const Fixtures&) = delete;
  Fixtures& operator=(const Fixtures&) = delete;
  ~Fixtures() {
    raw_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Everything the benchmarks do once, in a throwaway store: the library's function-local
  // statics are then built before this object and destroyed after it.
  void warm_up() {
    const fs::path dir = root_ / "warm-up.amanah";
    auto key = amanah::raw_key(amanah::SecretBytes::random(32));
    auto clock = std::make_shared<BenchClock>();
    {
      auto store = amanah::CustomerStore::create(dir, *key, *manifest_,
                                                 amanah::CreateOptions{.clock = clock});
      const auto ids = store.insert_many(kSupport, {values_of(0), values_of(1), values_of(2)});
      (void)store.erase(kDpo, ids[0]);
      (void)store.erase(kDpo, ids[1]);
      clock->set(kStart + 366 * kDay);
      (void)store.retention().sweep(kDpo, {.dry_run = true});
      (void)store.retention().sweep(kDpo);
    }
    fs::remove_all(dir);
  }

  BenchClock& clock() { return *clock_; }
  const fs::path& root() const { return root_; }

  // kCustomers customers, loaded with insert_many at kStart, closed and opened again.
  amanah::CustomerStore& store() {
    if (store_) return *store_;
    const auto start = Steady::now();
    const fs::path dir = root_ / "store.amanah";
    key_ = amanah::raw_key(amanah::SecretBytes::random(32));
    clock_->set(kStart);
    store_ = std::make_unique<amanah::CustomerStore>(amanah::CustomerStore::create(
        dir, *key_, *manifest_, amanah::CreateOptions{.clock = clock_}));
    std::vector<amanah::FieldValues> batch;
    for (std::size_t i = 0; i < kCustomers; ++i) {
      batch.push_back(values_of(i));
      if (batch.size() == kBatch || i + 1 == kCustomers) {
        for (auto& id : store_->insert_many(kSupport, batch))
          ids_.push_back(std::move(id));
        batch.clear();
      }
    }
    store_->close();
    *store_ = amanah::CustomerStore::open(dir, *key_, amanah::OpenOptions{.clock = clock_});
    if (store_->size() != kCustomers) throw std::runtime_error("the store was not loaded");
    flush_disk();
    whole_ = erase_order(false);
    held_ = erase_order(true);
    std::fprintf(stderr, "bench_erasure: %zu-customer store built in %.1f s\n", kCustomers,
                 seconds_since(start));
    return *store_;
  }
  const amanah::CustomerId& id(std::size_t i) const { return ids_.at(i); }
  // Customers erased with a held field: they keep only last_order.
  std::size_t erased_held() const { return next_held_; }
  // The next customer to erase: one without (or with) a transaction value.
  std::size_t next_to_erase(bool held) {
    auto& order = held ? held_ : whole_;
    auto& next = held ? next_held_ : next_whole_;
    if (next == order.size()) throw std::runtime_error("no customer left to erase");
    return order[next++];
  }

  Raw& raw() {
    if (raw_) return *raw_;
    const auto start = Steady::now();
    raw_ = std::make_unique<Raw>();
    raw_->build(root_ / "raw");
    flush_disk();
    std::fprintf(stderr, "bench_erasure: raw SQLCipher store of %zu customers built in %.1f s\n",
                 kCustomers, seconds_since(start));
    return *raw_;
  }

 private:
  fs::path root_;
  std::optional<amanah::Manifest> manifest_;
  std::shared_ptr<BenchClock> clock_ = std::make_shared<BenchClock>();
  std::unique_ptr<amanah::KeyProvider> key_;
  std::unique_ptr<amanah::CustomerStore> store_;
  std::vector<amanah::CustomerId> ids_;
  std::vector<std::size_t> whole_, held_;
  std::size_t next_whole_ = 0, next_held_ = 0;
  std::unique_ptr<Raw> raw_;
};

Fixtures& fixtures() {
  static Fixtures f;  // destroyed (stores closed, directory removed) when the program exits
  return f;
}

// ---------------------------------------------------------------------------------------------
// 1. Erasure of one customer, the scrub included.

// Erases the next customer of the kind; checks the receipt.
void erase_one(Fixtures& f, bool held) {
  const std::size_t i = f.next_to_erase(held);
  const auto receipt = f.store().erase(kDpo, f.id(i));
  if (!receipt.key_destroyed || receipt.complete() == held)
    throw std::runtime_error("erase: the receipt is not what this customer should get");
  benchmark::DoNotOptimize(receipt);
}

void erase_amanah(benchmark::State& state, const char* name, bool held) {
  auto& f = fixtures();
  auto& store = f.store();
  f.clock().set(kStart + kDay);
  const std::size_t before = store.size();
  std::vector<double> wall, cpu;
  for (auto _ : state) {
    const double c0 = thread_cpu_ms();
    const auto t0 = Steady::now();
    erase_one(f, held);
    wall.push_back(ms(Steady::now() - t0));
    cpu.push_back(thread_cpu_ms() - c0);
  }
  const std::size_t erased = before - store.size();
  if (erased != (held ? 0 : static_cast<std::size_t>(state.iterations())))
    throw std::runtime_error("erase: the store did not shrink as expected");
  report_erasures(state, name, wall, cpu);
}

void BM_erase_Amanah(benchmark::State& state) {
  erase_amanah(state, "BM_erase_Amanah", false);
}
void BM_erase_held_Amanah(benchmark::State& state) {
  erase_amanah(state, "BM_erase_held_Amanah", true);
}

void BM_erase_Sqlcipher(benchmark::State& state) {
  auto& raw = fixtures().raw();
  std::vector<double> wall, cpu;
  for (auto _ : state) {
    if (raw.next == raw.order.size()) throw std::runtime_error("no customer left to erase");
    const std::size_t i = raw.order[raw.next++];
    const double c0 = thread_cpu_ms();
    const auto t0 = Steady::now();
    raw.erase(i);
    wall.push_back(ms(Steady::now() - t0));
    cpu.push_back(thread_cpu_ms() - c0);
  }
  report_erasures(state, "BM_erase_Sqlcipher", wall, cpu);
}

// The breakdown: where an erasure's time goes, statement by statement (see the top of the file).
void BM_erase_split_Amanah(benchmark::State& state) {
  auto& f = fixtures();
  auto& store = f.store();
  f.clock().set(kStart + kDay);
  Tracer tracer;
  {
    std::lock_guard w(StoreAccess::write_mutex(store));
    tracer.data = StoreAccess::data_db(store).handle();
    tracer.keys = StoreAccess::keys_db(store).handle();
    for (sqlite3* db : {tracer.data, tracer.keys})
      sqlite3_trace_v2(db, SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE, on_trace, &tracer);
  }
  std::vector<double> total, work, commit, key, scrub, vacuum, checkpoint;
  for (auto _ : state) {
    tracer.reset();
    const auto t0 = Steady::now();
    erase_one(f, false);
    const auto t1 = Steady::now();
    if (tracer.commit_end == Steady::time_point{} || tracer.key_end == Steady::time_point{} ||
        tracer.vacuums != 2)
      throw std::runtime_error("erase split: a step was not traced");
    total.push_back(ms(t1 - t0));
    work.push_back(ms(tracer.commit_begin - t0));
    commit.push_back(ms(tracer.commit_end - tracer.commit_begin));
    key.push_back(ms(tracer.key_end - tracer.commit_end));
    scrub.push_back(ms(t1 - tracer.key_end));
    vacuum.push_back(ms(tracer.vacuum));
    checkpoint.push_back(scrub.back() - vacuum.back());
  }
  {
    std::lock_guard w(StoreAccess::write_mutex(store));
    for (sqlite3* db : {tracer.data, tracer.keys})
      sqlite3_trace_v2(db, 0, nullptr, nullptr);
  }
  double sum_total = 0, sum_scrub = 0;
  for (std::size_t k = 0; k < total.size(); ++k) {
    sum_total += total[k];
    sum_scrub += scrub[k];
  }
  state.counters["p50_ms"] = percentile(total, 0.5);
  state.counters["work_ms"] = percentile(work, 0.5);
  state.counters["commit_ms"] = percentile(commit, 0.5);
  state.counters["key_ms"] = percentile(key, 0.5);
  state.counters["scrub_ms"] = percentile(scrub, 0.5);
  state.counters["vacuum_ms"] = percentile(vacuum, 0.5);
  state.counters["checkpoint_ms"] = percentile(checkpoint, 0.5);
  state.counters["scrub_share"] = sum_total > 0 ? sum_scrub / sum_total : 0;
}

// The baseline's steps, timed the same way.
void BM_erase_split_Sqlcipher(benchmark::State& state) {
  auto& raw = fixtures().raw();
  std::vector<double> steps[5];
  double sum_total = 0, sum_checkpoints = 0;
  for (auto _ : state) {
    if (raw.next == raw.order.size()) throw std::runtime_error("no customer left to erase");
    double split[5] = {};
    raw.erase(raw.order[raw.next++], split);
    for (int k = 0; k < 5; ++k) {
      steps[k].push_back(split[k]);
      sum_total += split[k];
    }
    sum_checkpoints += split[3] + split[4];
  }
  state.counters["work_ms"] = percentile(steps[0], 0.5);
  state.counters["commit_ms"] = percentile(steps[1], 0.5);
  state.counters["key_ms"] = percentile(steps[2], 0.5);
  state.counters["checkpoint_ms"] = percentile(steps[3], 0.5) + percentile(steps[4], 0.5);
  state.counters["checkpoint_share"] = sum_total > 0 ? sum_checkpoints / sum_total : 0;
}

// The disk's own cost at that moment, for reading the figures above: a write-ahead log's cycle
// on a file in the same directory, as an erasure uses each of its two logs: 4 KiB appended to the
// empty file, fdatasync, then truncated to zero (two of the ten or so waits an erasure makes for
// the disk; README). An overwrite in place would not show what other writers cost: when another
// process writes to the disk, appends and truncations wait for it far longer than overwrites do.
void BM_erase_disk_flush(benchmark::State& state) {
  const fs::path file = fixtures().root() / "flush.bin";
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("open " + file.string());
  std::vector<char> page(4096, 'x');
  std::vector<double> wall, cpu;
  for (auto _ : state) {
    const double c0 = thread_cpu_ms();
    const auto t0 = Steady::now();
    if (::pwrite(fd, page.data(), page.size(), 0) != static_cast<ssize_t>(page.size()) ||
        ::fdatasync(fd) != 0 || ::ftruncate(fd, 0) != 0) {
      ::close(fd);
      throw std::runtime_error("write, fdatasync or ftruncate failed");
    }
    wall.push_back(ms(Steady::now() - t0));
    cpu.push_back(thread_cpu_ms() - c0);
  }
  ::close(fd);
  report_erasures(state, "BM_erase_disk_flush", wall, cpu);
}

// ---------------------------------------------------------------------------------------------
// 2. The retention sweep over the whole store.

void sweep(benchmark::State& state, std::int64_t at, bool dry_run, std::size_t expect_values) {
  auto& f = fixtures();
  auto& store = f.store();
  f.clock().set(at);
  amanah::SweepReport report;
  double seconds = 0, cpu_ms = 0;
  for (auto _ : state) {
    const double c0 = thread_cpu_ms();
    const auto t0 = Steady::now();
    report = store.retention().sweep(kDpo, {.dry_run = dry_run});
    seconds += seconds_since(t0);
    cpu_ms += thread_cpu_ms() - c0;
  }
  std::size_t values = 0;
  for (const auto& line : report.lines)
    values += line.values;
  if (report.customers_checked != store.size() && dry_run)
    throw std::runtime_error("sweep: not every customer was checked");
  if (expect_values != static_cast<std::size_t>(-1) && values != expect_values)
    throw std::runtime_error("sweep: " + std::to_string(values) + " values expired, expected " +
                             std::to_string(expect_values));
  const auto n = static_cast<double>(state.iterations());
  state.counters["customers"] = static_cast<double>(report.customers_checked);
  state.counters["values"] = static_cast<double>(values);
  state.counters["customers_per_s"] = static_cast<double>(report.customers_checked) * n / seconds;
  state.counters["cpu_ms"] = cpu_ms / n;
}

void BM_sweep_nothing_expired(benchmark::State& state) {
  sweep(state, kStart + 30 * kDay, true, 0);
}
void BM_sweep_dry_run_expired(benchmark::State& state) {
  // Every customer still holds last_viewed, except those erased with a held field.
  auto& f = fixtures();
  sweep(state, kStart + 366 * kDay, true, f.store().size() - f.erased_held());
}
void BM_sweep_erase_expired(benchmark::State& state) {
  auto& store = fixtures().store();
  const std::size_t customers = store.size();
  sweep(state, kStart + 366 * kDay, false, customers - fixtures().erased_held());
  // What is left: nothing more to sweep, and every customer is still there.
  const auto again = store.retention().sweep(kDpo, {.dry_run = true});
  if (!again.lines.empty() || store.size() != customers)
    throw std::runtime_error("sweep: the real sweep did not erase what expired");
}

// ---------------------------------------------------------------------------------------------
// Registration, in the order the store's state needs: erasures first, then the sweeps (the last
// one changes the store), each with the clock it sets.

const bool kRegistered = [] {
  using Named = std::pair<const char*, void (*)(benchmark::State&)>;
  for (int round = 1; round <= kRounds; ++round) {
    const bool amanah_first = round % 2 == 1;
    for (int k = 0; k < 2; ++k) {
      const bool amanah = amanah_first == (k == 0);
      benchmark::RegisterBenchmark(amanah ? "BM_erase_Amanah" : "BM_erase_Sqlcipher",
                                   amanah ? BM_erase_Amanah : BM_erase_Sqlcipher)
          ->Arg(round)
          ->ArgName("round")
          ->Unit(benchmark::kMillisecond)
          ->Iterations(kErasures)
          ->UseRealTime();
    }
    benchmark::RegisterBenchmark("BM_erase_disk_flush", BM_erase_disk_flush)
        ->Arg(round)
        ->ArgName("round")
        ->Unit(benchmark::kMillisecond)
        ->Iterations(kErasures)
        ->UseRealTime();
  }
  for (const auto& [name, fn] : {Named{"BM_erase_held_Amanah", BM_erase_held_Amanah},
                                 Named{"BM_erase_split_Amanah", BM_erase_split_Amanah},
                                 Named{"BM_erase_split_Sqlcipher", BM_erase_split_Sqlcipher}})
    benchmark::RegisterBenchmark(name, fn)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(kErasures)
        ->UseRealTime()
        ->Repetitions(kRepetitions)
        ->ReportAggregatesOnly(true);
  for (const auto& [name, fn] : {Named{"BM_sweep_nothing_expired", BM_sweep_nothing_expired},
                                 Named{"BM_sweep_dry_run_expired", BM_sweep_dry_run_expired}})
    benchmark::RegisterBenchmark(name, fn)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1)
        ->UseRealTime()
        ->Repetitions(kRepetitions)
        ->ReportAggregatesOnly(true);
  benchmark::RegisterBenchmark("BM_sweep_erase_expired", BM_sweep_erase_expired)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1)
      ->UseRealTime();
  return true;
}();

}  // namespace

// ---------------------------------------------------------------------------------------------
// The summary printed after the run (SummaryReporter, bench_summary.hpp).

namespace amanah::bench {

void SummaryReporter::print_erasure_summary(std::FILE* out) const {
  const auto rounds = [this](std::string_view function) {
    std::vector<const Run*> found;
    for (const Run& r : runs_)
      if (!r.error_occurred && r.run_name.function_name == function &&
          r.run_type == Run::RT_Iteration)
        found.push_back(&r);
    return found;
  };
  const auto percent = [](std::optional<double> v) {
    return v ? std::optional<double>(*v * 100) : std::nullopt;
  };
  const auto& samples = all_samples();
  const Run* split = median_run("BM_erase_split_Amanah");
  const Run* split_raw = median_run("BM_erase_split_Sqlcipher");
  const Run* nothing = median_run("BM_sweep_nothing_expired");
  const Run* dry = median_run("BM_sweep_dry_run_expired");
  const Run* real = median_run("BM_sweep_erase_expired");
  if (samples.empty() && split == nullptr && split_raw == nullptr && nothing == nullptr &&
      dry == nullptr && real == nullptr)
    return;

  std::fprintf(out, "\nErasure and retention sweep summary (bench_erasure.cpp; wall clock)\n");
  for (const auto& [label, name] : {std::pair{"erase, amanah", "BM_erase_Amanah"},
                                    std::pair{"erase, raw SQLCipher", "BM_erase_Sqlcipher"},
                                    std::pair{"erase, amanah, held", "BM_erase_held_Amanah"},
                                    std::pair{"disk: a WAL cycle", "BM_erase_disk_flush"}}) {
    const auto it = samples.find(name);
    if (it == samples.end() || it->second.wall_ms.empty()) continue;
    const auto& s = it->second;
    std::fprintf(out, "  %-22s n = %zu: p50 %s ms, p95 %s, p99 %s, max %s; CPU p50 %s ms%s\n",
                 label, s.wall_ms.size(), num(percentile(s.wall_ms, 0.5), "%.2f").c_str(),
                 num(percentile(s.wall_ms, 0.95), "%.2f").c_str(),
                 num(percentile(s.wall_ms, 0.99), "%.2f").c_str(),
                 num(percentile(s.wall_ms, 1.0), "%.2f").c_str(),
                 num(percentile(s.cpu_ms, 0.5), "%.2f").c_str(),
                 std::string_view(name) == "BM_erase_Sqlcipher" ||
                         std::string_view(name) == "BM_erase_disk_flush"
                     ? ""
                     : (percentile(s.wall_ms, 0.5) <= 10 ? "; target p50 <= 10 ms: met"
                                                         : "; target p50 <= 10 ms: NOT met"));
  }
  // Pair each round's runs: the ratio of their medians, beside the disk's flush in that round.
  std::vector<double> ratios;
  for (const Run* a : rounds("BM_erase_Amanah"))
    for (const Run* r : rounds("BM_erase_Sqlcipher"))
      if (a->run_name.args == r->run_name.args) {
        const auto pa = counter(a, "p50_ms"), pr = counter(r, "p50_ms");
        if (!pa || !pr || *pr <= 0) continue;
        ratios.push_back(*pa / *pr);
        std::optional<double> flush;
        for (const Run* d : rounds("BM_erase_disk_flush"))
          if (d->run_name.args == a->run_name.args) flush = counter(d, "p50_ms");
        std::fprintf(out, "  %-22s amanah %s ms, raw %s ms: %s; disk WAL cycle p50 %s ms\n",
                     ("  " + a->run_name.args).c_str(), num(pa, "%.2f").c_str(),
                     num(pr, "%.2f").c_str(), num(*pa / *pr, "%.2f").c_str(),
                     num(flush, "%.2f").c_str());
      }
  if (!ratios.empty()) {
    const auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
    std::fprintf(out, "  %-22s %s (median of %zu rounds' p50 ratios; rounds %s to %s)\n",
                 "amanah / raw SQLCipher", num(percentile(ratios, 0.5), "%.2f").c_str(),
                 ratios.size(), num(*lo, "%.2f").c_str(), num(*hi, "%.2f").c_str());
  }
  if (split != nullptr)
    std::fprintf(out,
                 "  %-22s median ms: before the commit %s, data.db commit %s, key destroyed %s, "
                 "scrub %s (vacuum %s, checkpoints %s); scrub share %s %%\n",
                 "where it goes (amanah)", num(counter(split, "work_ms"), "%.2f").c_str(),
                 num(counter(split, "commit_ms"), "%.2f").c_str(),
                 num(counter(split, "key_ms"), "%.2f").c_str(),
                 num(counter(split, "scrub_ms"), "%.2f").c_str(),
                 num(counter(split, "vacuum_ms"), "%.2f").c_str(),
                 num(counter(split, "checkpoint_ms"), "%.2f").c_str(),
                 num(percent(counter(split, "scrub_share")), "%.0f").c_str());
  if (split_raw != nullptr)
    std::fprintf(out,
                 "  %-22s median ms: delete %s, commit %s, key row %s, checkpoints %s; "
                 "checkpoint share %s %%\n",
                 "where it goes (raw)", num(counter(split_raw, "work_ms"), "%.2f").c_str(),
                 num(counter(split_raw, "commit_ms"), "%.2f").c_str(),
                 num(counter(split_raw, "key_ms"), "%.2f").c_str(),
                 num(counter(split_raw, "checkpoint_ms"), "%.2f").c_str(),
                 num(percent(counter(split_raw, "checkpoint_share")), "%.0f").c_str());
  for (const auto& [label, r] :
       {std::pair{"sweep, nothing expired", nothing}, std::pair{"sweep, dry run, expired", dry},
        std::pair{"sweep, erasing", real}}) {
    if (r == nullptr) continue;
    std::fprintf(out, "  %-22s %s customers, %s values: %s customers/s (CPU %s ms a sweep)\n",
                 label, num(counter(r, "customers"), "%.0f").c_str(),
                 num(counter(r, "values"), "%.0f").c_str(),
                 num(counter(r, "customers_per_s"), "%.0f").c_str(),
                 num(counter(r, "cpu_ms"), "%.0f").c_str());
  }
}

}  // namespace amanah::bench

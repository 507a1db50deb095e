// What the records API costs (insert, insert_many, get, find, scan), side by side with the same
// work done by hand-written prepared statements on raw SQLCipher (raw key) and on plain SQLite
// (SQLCipher's own sqlite3 API without any key), in the same run. Results and ratios:
// bench/README.md.
//
// The raw baselines hold the same data in the same shape: a customers table (id TEXT PRIMARY KEY,
// a random 32-hex id, then full_name, email, phone, nik as TEXT) with an index on email, opened
// with amanah's PRAGMAs. They get the values already normalized, amanah gets the same values.
// Only libsqlcipher is ever linked, never a libsqlite3 beside it.
//
// bench_open.cpp owns main(); the stores of this file live in their own fresh
// /tmp/amanah-bench-records-XXXXXX, built lazily (a filtered-out benchmark costs nothing) and
// removed when the program exits.
#include <benchmark/benchmark.h>

#include <amanah/key_provider.hpp>
#include <amanah/manifest.hpp>
#include <amanah/record.hpp>
#include <amanah/secret.hpp>
#include <amanah/store.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <sqlcipher/sqlite3.h>

#include "bench_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace amanah::bench;  // NOLINT: the shared raw-baseline helpers

constexpr int kRepetitions = 3;
constexpr std::size_t kBatch = 1'000;           // records per insert_many / raw transaction
constexpr std::size_t kLookupRecords = 10'000;  // the store get and find run on
constexpr std::size_t kScanRecords = 100'000;   // the store scan runs on
constexpr std::size_t kReopenEvery = 20'000;    // records loaded per amanah session
constexpr benchmark::IterationCount kSingleInserts = 300;  // per repetition
constexpr benchmark::IterationCount kBatchInserts = 5;     // batches of kBatch per repetition
constexpr benchmark::IterationCount kScans = 1;            // full scans per repetition
constexpr double kLookupMinTime = 0.5;                     // seconds per repetition

// ---------------------------------------------------------------------------------------------
// The data: one manifest, one access context, one value generator for every variant.

// ---------------------------------------------------------------------------------------------
// Raw SQLCipher / plain SQLite, by hand: prepared once, reused.

// A random 128-bit id as 32 lower-case hex digits (SQLite's own CSPRNG).
std::string random_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<unsigned char, 16> b{};
  sqlite3_randomness(static_cast<int>(b.size()), b.data());
  std::string out(32, '0');
  for (std::size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kHex[b[i] >> 4];
    out[2 * i + 1] = kHex[b[i] & 0xfu];
  }
  return out;
}

struct Row {
  std::string id, full_name, email, phone, nik;
};

class RawDb {
 public:
  // Creates `file`; keyed with `literal` (raw SQLCipher) or, when it is empty, not keyed at all.
  RawDb(fs::path file, amanah::SecretBytes literal)
      : file_(std::move(file)), literal_(std::move(literal)) {
    open(/*create=*/true);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() { close(); }

  // Closes and opens the file again: a cold page cache, as after CustomerStore::open.
  void reopen() {
    close();
    open(/*create=*/false);
  }

  // One row in its own transaction.
  std::string insert_one(const Customer& c) {
    step_done(begin_, "BEGIN IMMEDIATE");
    std::string id;
    try {
      id = insert_row(c);
    } catch (...) {
      (void)sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    step_done(commit_, "COMMIT");
    return id;
  }

  // All rows in one transaction.
  std::vector<std::string> insert_batch(std::span<const Customer> rows) {
    std::vector<std::string> ids;
    ids.reserve(rows.size());
    step_done(begin_, "BEGIN IMMEDIATE");
    try {
      for (const auto& c : rows)
        ids.push_back(insert_row(c));
    } catch (...) {
      (void)sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    step_done(commit_, "COMMIT");
    return ids;
  }

  std::optional<Row> get(const std::string& id) {
    bind_text(get_, 1, id);
    const int rc = sqlite3_step(get_);
    std::optional<Row> out;
    if (rc == SQLITE_ROW)
      out = Row{id, column(get_, 0), column(get_, 1), column(get_, 2), column(get_, 3)};
    sqlite3_reset(get_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("get", db_, rc);
    return out;
  }

  std::vector<std::string> find_email(const std::string& email) {
    bind_text(find_, 1, email);
    std::vector<std::string> ids;
    int rc = 0;
    while ((rc = sqlite3_step(find_)) == SQLITE_ROW)
      ids.push_back(column(find_, 0));
    sqlite3_reset(find_);
    if (rc != SQLITE_DONE) fail("find", db_, rc);
    return ids;
  }

  // Steps through every row, reading every column into a Row; returns the row count and adds
  // the bytes read to *bytes.
  std::size_t scan(std::size_t* bytes) {
    std::size_t n = 0;
    int rc = 0;
    while ((rc = sqlite3_step(scan_)) == SQLITE_ROW) {
      const Row r{column(scan_, 0), column(scan_, 1), column(scan_, 2), column(scan_, 3),
                  column(scan_, 4)};
      *bytes += r.id.size() + r.full_name.size() + r.email.size() + r.phone.size() + r.nik.size();
      ++n;
    }
    sqlite3_reset(scan_);
    if (rc != SQLITE_DONE) fail("scan", db_, rc);
    return n;
  }

 private:
  void open(bool create) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (create) flags |= SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(file_.c_str(), &db_, flags, nullptr);
    try {
      if (rc != SQLITE_OK) fail("opening " + file_.string(), db_, rc);
      if (!literal_.empty())
        check(sqlite3_key_v2(db_, "main", literal_.data(), static_cast<int>(literal_.size())), db_,
              "sqlite3_key_v2");
      // amanah's settings (db::Connection::open).
      exec(db_, "PRAGMA temp_store=MEMORY");
      exec(db_, "PRAGMA secure_delete=ON");
      if (create) exec(db_, "PRAGMA auto_vacuum=INCREMENTAL");  // as amanah does at creation
      exec(db_, "PRAGMA journal_mode=WAL");
      exec(db_, "PRAGMA synchronous=FULL");
      exec(db_, "PRAGMA foreign_keys=ON");
      exec(db_, "PRAGMA cache_size=-32768");
      if (create)
        exec(db_,
             "CREATE TABLE customers(id TEXT PRIMARY KEY, full_name TEXT, email TEXT, phone TEXT, "
             "nik TEXT);"
             "CREATE INDEX customers_email ON customers(email);");
      begin_ = prepare("BEGIN IMMEDIATE");
      commit_ = prepare("COMMIT");
      insert_ = prepare(
          "INSERT INTO customers(id, full_name, email, phone, nik) VALUES (?1, ?2, ?3, ?4, ?5)");
      get_ = prepare("SELECT full_name, email, phone, nik FROM customers WHERE id = ?1");
      find_ = prepare("SELECT id FROM customers WHERE email = ?1");
      scan_ = prepare("SELECT * FROM customers");
      // Fail closed: the keyed file must be encrypted, the unkeyed one plain.
      if (starts_with_sqlite_header(file_) != literal_.empty())
        throw std::runtime_error(file_.string() +
                                 (literal_.empty() ? " is encrypted" : " is not encrypted"));
    } catch (...) {
      close();
      throw;
    }
  }
  void close() noexcept {
    finalize_all();
    sqlite3_close_v2(db_);  // harmless on nullptr
    db_ = nullptr;
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr), db_, sql);
    return st;
  }
  void finalize_all() noexcept {
    for (sqlite3_stmt* st : {begin_, commit_, insert_, get_, find_, scan_})
      sqlite3_finalize(st);  // harmless on nullptr
    begin_ = commit_ = insert_ = get_ = find_ = scan_ = nullptr;
  }
  void step_done(sqlite3_stmt* st, const char* what) {
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) fail(what, db_, rc);
  }
  void bind_text(sqlite3_stmt* st, int i, const std::string& v) {
    check(sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC), db_,
          "bind");
  }
  static std::string column(sqlite3_stmt* st, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
    return p == nullptr ? std::string()
                        : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
  }
  std::string insert_row(const Customer& c) {
    std::string id = random_id();
    bind_text(insert_, 1, id);
    bind_text(insert_, 2, c.full_name);
    bind_text(insert_, 3, c.email);
    bind_text(insert_, 4, c.phone);
    bind_text(insert_, 5, c.nik);
    step_done(insert_, "INSERT");
    return id;
  }

  fs::path file_;
  amanah::SecretBytes literal_;  // empty: no key
  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* find_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Fixtures: one store (or raw database) per variant and purpose, built on first use and kept for
// the whole run, so each variant grows its own data the same way.

enum class Variant { amanah, sqlcipher, sqlite };

class Fixtures {
 public:
  // Starts SQLCipher and OpenSSL first: their exit handlers (OpenSSL's cleanup) are then
  // registered before this object's destructor, so they run after it, once the stores it closes
  // no longer need them.
  Fixtures() { amanah::bench::start_sqlcipher(); }
  Fixtures(const Fixtures&) = delete;
  Fixtures& operator=(const Fixtures&) = delete;
  ~Fixtures() {
    // Close every store and database before removing their directory.
    stores_.clear();
    raws_.clear();
    if (!root_.empty()) {
      std::error_code ec;
      fs::remove_all(root_, ec);
    }
  }

  // A fresh amanah store with the benchmark manifest, unlocked by a raw 32-byte key.
  amanah::CustomerStore& store(const std::string& name) {
    auto it = stores_.find(name);
    if (it == stores_.end()) {
      auto& key = keys_[name] = amanah::raw_key(amanah::SecretBytes::random(32));
      it = stores_.emplace(name, amanah::CustomerStore::create(dir(name), *key, manifest())).first;
    }
    return it->second;
  }

  // Closes the store and opens it again (with the same raw key).
  void reopen_store(const std::string& name) {
    amanah::CustomerStore& s = store(name);
    s.close();
    s = amanah::CustomerStore::open(dir(name), *keys_.at(name));
  }

  // A fresh raw database: keyed with a random raw key (sqlcipher) or not keyed (sqlite).
  RawDb& raw(const std::string& name, Variant v) {
    auto it = raws_.find(name);
    if (it == raws_.end()) {
      amanah::SecretBytes literal = v == Variant::sqlcipher
                                        ? key_literal(amanah::SecretBytes::random(32))
                                        : amanah::SecretBytes();
      it = raws_.emplace(name, std::make_unique<RawDb>(root() / (name + ".db"), std::move(literal)))
               .first;
    }
    return *it->second;
  }

  // The next `n` customers of `name`'s own sequence (each variant starts at customer 0).
  std::vector<Customer> next_customers(const std::string& name, std::size_t n) {
    std::uint64_t& next = counters_[name];
    std::vector<Customer> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(customer(next++));
    return out;
  }

  // A store or database of `n` customers (0 .. n-1), loaded in transactions of kBatch, then
  // closed and opened again (cold caches, as after an application restart); with the ids in
  // customer order.
  struct Loaded {
    std::vector<std::string> ids;
    std::vector<amanah::CustomerId> amanah_ids;
  };
  const Loaded& loaded(const std::string& name, Variant v, std::size_t n) {
    auto it = loaded_.find(name);
    if (it != loaded_.end()) return it->second;
    Loaded l;
    for (std::size_t first = 0; first < n; first += kBatch) {
      const auto batch = next_customers(name, std::min(kBatch, n - first));
      if (v == Variant::amanah) {
        std::vector<amanah::FieldValues> records;
        records.reserve(batch.size());
        for (const auto& c : batch)
          records.push_back(field_values(c));
        for (auto& id : store(name).insert_many(kCtx, records))
          l.amanah_ids.push_back(std::move(id));
        // amanah keeps every key it generates in its key cache, one mmap'd page each, for as
        // long as the store is open: past ~65,000 inserts in one session mmap fails
        // (vm.max_map_count). Reopening empties the cache. See README.md.
        if ((first + kBatch) % kReopenEvery == 0) reopen_store(name);
      } else {
        for (auto& id : raw(name, v).insert_batch(batch))
          l.ids.push_back(std::move(id));
      }
    }
    if (v == Variant::amanah)
      reopen_store(name);
    else
      raw(name, v).reopen();
    return loaded_.emplace(name, std::move(l)).first->second;
  }

 private:
  const fs::path& root() {
    if (root_.empty()) {
      root_ = amanah::bench::temp_dir("records");
    }
    return root_;
  }
  fs::path dir(const std::string& name) { return root() / (name + ".amanah"); }
  const amanah::Manifest& manifest() {
    if (!manifest_)
      manifest_ =
          amanah::Manifest::from_toml(amanah::bench::kRecordsManifestToml, "bench_records.toml");
    return *manifest_;
  }

  fs::path root_;
  std::optional<amanah::Manifest> manifest_;
  std::map<std::string, std::unique_ptr<amanah::KeyProvider>> keys_;
  std::map<std::string, amanah::CustomerStore> stores_;
  std::map<std::string, std::unique_ptr<RawDb>> raws_;
  std::map<std::string, std::uint64_t> counters_;
  std::map<std::string, Loaded> loaded_;
};

Fixtures& fixtures() {
  static Fixtures f;  // destroyed (stores closed, directory removed) when the program exits
  return f;
}

// ---------------------------------------------------------------------------------------------
// 1. Insert, one record per transaction.

void BM_Insert_Amanah(benchmark::State& state) {
  auto& store = fixtures().store("insert");
  std::vector<amanah::FieldValues> records;
  for (const auto& c :
       fixtures().next_customers("insert", static_cast<std::size_t>(state.max_iterations)))
    records.push_back(field_values(c));
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(store.insert(kCtx, records[i++]));
}

void raw_insert(benchmark::State& state, Variant v, const std::string& name) {
  auto& db = fixtures().raw(name, v);
  const auto rows = fixtures().next_customers(name, static_cast<std::size_t>(state.max_iterations));
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(db.insert_one(rows[i++]));
}
void BM_Insert_Sqlcipher(benchmark::State& state) {
  raw_insert(state, Variant::sqlcipher, "insert-sqlcipher");
}
void BM_Insert_Sqlite(benchmark::State& state) {
  raw_insert(state, Variant::sqlite, "insert-sqlite");
}

// ---------------------------------------------------------------------------------------------
// 2. Insert, kBatch records per transaction.

void BM_InsertBatch_Amanah(benchmark::State& state) {
  auto& store = fixtures().store("batch");
  std::vector<std::vector<amanah::FieldValues>> batches;
  for (benchmark::IterationCount b = 0; b < state.max_iterations; ++b) {
    auto& records = batches.emplace_back();
    for (const auto& c : fixtures().next_customers("batch", kBatch))
      records.push_back(field_values(c));
  }
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(store.insert_many(kCtx, batches[i++]));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}

void raw_insert_batch(benchmark::State& state, Variant v, const std::string& name) {
  auto& db = fixtures().raw(name, v);
  std::vector<std::vector<Customer>> batches;
  for (benchmark::IterationCount b = 0; b < state.max_iterations; ++b)
    batches.push_back(fixtures().next_customers(name, kBatch));
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(db.insert_batch(batches[i++]));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}
void BM_InsertBatch_Sqlcipher(benchmark::State& state) {
  raw_insert_batch(state, Variant::sqlcipher, "batch-sqlcipher");
}
void BM_InsertBatch_Sqlite(benchmark::State& state) {
  raw_insert_batch(state, Variant::sqlite, "batch-sqlite");
}

// ---------------------------------------------------------------------------------------------
// 3. Get by id, random existing ids of a kLookupRecords store.

void BM_Get_Amanah(benchmark::State& state) {
  const auto& l = fixtures().loaded("lookup", Variant::amanah, kLookupRecords);
  auto& store = fixtures().store("lookup");
  Picker pick(l.amanah_ids.size());
  for (auto _ : state)
    benchmark::DoNotOptimize(store.get(kCtx, l.amanah_ids[pick.next()]));
}

// Breakdown, not a comparison: the same get, but over 2,000 of the 10,000 subjects, whose keys
// all stay in amanah's 4,096-entry key cache after their first get. The difference from
// BM_Get_Amanah is the cost of a key-cache miss (read from keys.db, unwrap, mmap/mlock).
constexpr std::size_t kCachedSubjects = 2'000;

void BM_GetCachedKey_Amanah(benchmark::State& state) {
  const auto& l = fixtures().loaded("lookup", Variant::amanah, kLookupRecords);
  auto& store = fixtures().store("lookup");
  for (std::size_t i = 0; i < kCachedSubjects; ++i)  // loads their keys into the cache
    benchmark::DoNotOptimize(store.get(kCtx, l.amanah_ids[i]));
  Picker pick(kCachedSubjects);
  for (auto _ : state)
    benchmark::DoNotOptimize(store.get(kCtx, l.amanah_ids[pick.next()]));
}

void raw_get(benchmark::State& state, Variant v, const std::string& name) {
  const auto& l = fixtures().loaded(name, v, kLookupRecords);
  auto& db = fixtures().raw(name, v);
  Picker pick(l.ids.size());
  for (auto _ : state) {
    auto row = db.get(l.ids[pick.next()]);
    if (!row) throw std::runtime_error("get: a stored id is missing");
    benchmark::DoNotOptimize(row);
  }
}
void BM_Get_Sqlcipher(benchmark::State& state) {
  raw_get(state, Variant::sqlcipher, "lookup-sqlcipher");
}
void BM_Get_Sqlite(benchmark::State& state) {
  raw_get(state, Variant::sqlite, "lookup-sqlite");
}

// ---------------------------------------------------------------------------------------------
// 4. Find by email on the same stores: amanah is given the email as typed (domain in upper case)
// and normalizes it; the raw query is given the stored form.

void BM_FindEmail_Amanah(benchmark::State& state) {
  const auto& l = fixtures().loaded("lookup", Variant::amanah, kLookupRecords);
  auto& store = fixtures().store("lookup");
  std::vector<std::string> typed;
  for (std::size_t i = 0; i < kLookupRecords; ++i)
    typed.push_back(email_as_typed(i));
  {
    const auto found = store.find(kCtx, "email", typed[42]);
    if (found.size() != 1 || found[0] != l.amanah_ids[42])
      throw std::runtime_error("find: the typed email does not find its customer");
  }
  Picker pick(kLookupRecords);
  for (auto _ : state)
    benchmark::DoNotOptimize(store.find(kCtx, "email", typed[pick.next()]));
}

void raw_find(benchmark::State& state, Variant v, const std::string& name) {
  const auto& l = fixtures().loaded(name, v, kLookupRecords);
  auto& db = fixtures().raw(name, v);
  std::vector<std::string> stored;
  for (std::size_t i = 0; i < kLookupRecords; ++i)
    stored.push_back(customer(i).email);
  {
    const auto found = db.find_email(stored[42]);
    if (found.size() != 1 || found[0] != l.ids[42])
      throw std::runtime_error("find: the stored email does not find its customer");
  }
  Picker pick(kLookupRecords);
  for (auto _ : state)
    benchmark::DoNotOptimize(db.find_email(stored[pick.next()]));
}
void BM_FindEmail_Sqlcipher(benchmark::State& state) {
  raw_find(state, Variant::sqlcipher, "lookup-sqlcipher");
}
void BM_FindEmail_Sqlite(benchmark::State& state) {
  raw_find(state, Variant::sqlite, "lookup-sqlite");
}

// ---------------------------------------------------------------------------------------------
// 5. Scan of kScanRecords records, every field of every record read.

void BM_Scan_Amanah(benchmark::State& state) {
  (void)fixtures().loaded("scan", Variant::amanah, kScanRecords);
  auto& store = fixtures().store("scan");
  for (auto _ : state) {
    std::size_t n = 0, bytes = 0;
    for (const amanah::Record& r : store.scan(kCtx)) {
      bytes += r.id.str().size();
      for (const auto& [name, value] : r.fields)
        bytes += value.size();
      ++n;
    }
    if (n != kScanRecords) throw std::runtime_error("scan: wrong record count");
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kScanRecords));
}

void raw_scan(benchmark::State& state, Variant v, const std::string& name) {
  (void)fixtures().loaded(name, v, kScanRecords);
  auto& db = fixtures().raw(name, v);
  for (auto _ : state) {
    std::size_t bytes = 0;
    if (db.scan(&bytes) != kScanRecords) throw std::runtime_error("scan: wrong row count");
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kScanRecords));
}
void BM_Scan_Sqlcipher(benchmark::State& state) {
  raw_scan(state, Variant::sqlcipher, "scan-sqlcipher");
}
void BM_Scan_Sqlite(benchmark::State& state) {
  raw_scan(state, Variant::sqlite, "scan-sqlite");
}

// ---------------------------------------------------------------------------------------------
// Registration: the three variants of each item run one after the other. Times are wall time
// (fsync waits are part of the cost); the insert and scan counts are fixed so every variant does
// the same amount of work on stores of the same size.

void fixed(benchmark::internal::Benchmark* b, benchmark::IterationCount n,
           benchmark::TimeUnit unit) {
  b->Unit(unit)->Iterations(n)->UseRealTime()->Repetitions(kRepetitions);
  b->ReportAggregatesOnly(true);
}
void single_inserts(benchmark::internal::Benchmark* b) {
  fixed(b, kSingleInserts, benchmark::kMicrosecond);
}
void batch_inserts(benchmark::internal::Benchmark* b) {
  fixed(b, kBatchInserts, benchmark::kMillisecond);
}
void scans(benchmark::internal::Benchmark* b) {
  fixed(b, kScans, benchmark::kMillisecond);
}
void lookups(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMicrosecond)->MinTime(kLookupMinTime)->UseRealTime();
  b->Repetitions(kRepetitions)->ReportAggregatesOnly(true);
}

BENCHMARK(BM_Insert_Amanah)->Apply(single_inserts);
BENCHMARK(BM_Insert_Sqlcipher)->Apply(single_inserts);
BENCHMARK(BM_Insert_Sqlite)->Apply(single_inserts);
BENCHMARK(BM_InsertBatch_Amanah)->Apply(batch_inserts);
BENCHMARK(BM_InsertBatch_Sqlcipher)->Apply(batch_inserts);
BENCHMARK(BM_InsertBatch_Sqlite)->Apply(batch_inserts);
BENCHMARK(BM_Get_Amanah)->Apply(lookups);
BENCHMARK(BM_Get_Sqlcipher)->Apply(lookups);
BENCHMARK(BM_Get_Sqlite)->Apply(lookups);
BENCHMARK(BM_GetCachedKey_Amanah)->Apply(lookups);
BENCHMARK(BM_FindEmail_Amanah)->Apply(lookups);
BENCHMARK(BM_FindEmail_Sqlcipher)->Apply(lookups);
BENCHMARK(BM_FindEmail_Sqlite)->Apply(lookups);
BENCHMARK(BM_Scan_Amanah)->Apply(scans);
BENCHMARK(BM_Scan_Sqlcipher)->Apply(scans);
BENCHMARK(BM_Scan_Sqlite)->Apply(scans);

}  // namespace

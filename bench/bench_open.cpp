// What it costs to open (and rekey) a store, side by side with raw SQLCipher and plain SQLite
// doing the same database work in the same run. Results and ratios: bench/README.md.
//
// "Plain SQLite" is SQLCipher's own sqlite3 API used without any key (no sqlite3_key call, so the
// pages are unencrypted): only libsqlcipher is ever linked, never a libsqlite3 beside it.
#include <benchmark/benchmark.h>

#include <amanah/key_provider.hpp>
#include <amanah/secret.hpp>
#include <amanah/store.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <unistd.h>

#include <sqlcipher/sqlite3.h>

#include "bench_summary.hpp"
#include "bench_support.hpp"

#include "db/db.hpp"
#include "facade/access.hpp"
#include "store/layout.hpp"

namespace {

namespace fs = std::filesystem;
using namespace amanah::bench;  // NOLINT: the shared raw-baseline helpers

constexpr int kRekeyRows = 10'000;
constexpr const char* kPassphrase = "correct horse battery staple (benchmark only)";

// ---------------------------------------------------------------------------------------------
// Raw sqlite3 helpers (SQLCipher's API, keyed or not).

// Opens `file` and keys it with `literal` (nullptr: no key at all, i.e. plain SQLite).
sqlite3* open_db(const fs::path& file, const amanah::SecretBytes* literal, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw std::runtime_error("opening " + file.string() + ": " + msg);
  }
  if (literal != nullptr) {
    check(sqlite3_key_v2(db, "main", literal->data(), static_cast<int>(literal->size())), db,
          "sqlite3_key_v2");
  }
  return db;
}

// SELECT count(*) FROM sqlite_schema: the first read, which decrypts page 1 when keyed.
std::int64_t count_schema(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  check(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &st, nullptr), db,
        "prepare count(*)");
  const int rc = sqlite3_step(st);
  const std::int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) fail("SELECT count(*) FROM sqlite_schema", db, rc);
  return n;
}

// The timed unit of the raw benchmarks: open, key (if any), first read, close.
std::int64_t open_count_close(const fs::path& file, const amanah::SecretBytes* literal) {
  sqlite3* db = open_db(file, literal, /*create=*/false);
  std::int64_t n = 0;
  try {
    n = count_schema(db);
  } catch (...) {
    sqlite3_close_v2(db);
    throw;
  }
  check(sqlite3_close_v2(db), nullptr, "sqlite3_close_v2");
  return n;
}

// Same settings as amanah's db::Connection, so the raw files have the store's shape.
void apply_store_pragmas(sqlite3* db) {
  exec(db, "PRAGMA temp_store=MEMORY");
  exec(db, "PRAGMA secure_delete=ON");
  exec(db, "PRAGMA auto_vacuum=INCREMENTAL");  // only takes effect before the first table
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  exec(db, "PRAGMA foreign_keys=ON");
  exec(db, "PRAGMA cache_size=-32768");
}

// A database shaped like a fresh store's data.db / keys.db: WAL, schema version 1, amanah_meta.
void create_store_like_db(const fs::path& file, const amanah::SecretBytes* literal) {
  sqlite3* db = open_db(file, literal, /*create=*/true);
  try {
    apply_store_pragmas(db);
    exec(db,
         "BEGIN IMMEDIATE;"
         "CREATE TABLE amanah_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
         "INSERT INTO amanah_meta(key, value) VALUES ('store_id', 'bench'), ('created_by', 'b');"
         "PRAGMA user_version=1;"
         "COMMIT;");
    check(sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr), db,
          "wal_checkpoint(TRUNCATE)");
  } catch (...) {
    sqlite3_close_v2(db);
    throw;
  }
  check(sqlite3_close_v2(db), nullptr, "sqlite3_close_v2");
}

// The rows both rekey benchmarks re-encrypt.
constexpr const char* kRowsTable =
    "CREATE TABLE bench_rows(id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT NOT NULL)";
constexpr const char* kRowsInsert = "INSERT INTO bench_rows(id, name, note) VALUES (?1, ?2, ?3)";
std::string row_name(int i) {
  return "customer-" + std::to_string(100000 + i);
}
std::string row_note(int i) {
  return "note " + std::to_string(i) + " lorem ipsum dolor sit amet";
}

// ---------------------------------------------------------------------------------------------
// Fixtures, built lazily (a filtered-out benchmark costs nothing) under one temp dir in /tmp,
// and torn down by main() before the directory is removed.

class Fixtures {
 public:
  explicit Fixtures(fs::path root) : root_(std::move(root)) {}
  Fixtures(const Fixtures&) = delete;
  Fixtures& operator=(const Fixtures&) = delete;
  ~Fixtures() {
    if (rekey_raw_ != nullptr) sqlite3_close_v2(rekey_raw_);
    rekey_store_.reset();
  }

  // A store unlocked by a raw 32-byte key (closed).
  struct RawKeyStore {
    fs::path dir;
    std::unique_ptr<amanah::KeyProvider> key;
  };
  const RawKeyStore& raw_key_store() {
    if (!raw_key_store_) {
      RawKeyStore s{root_ / "rawkey.amanah", amanah::raw_key(amanah::SecretBytes::random(32))};
      amanah::CustomerStore::create(s.dir, *s.key).close();
      raw_key_store_ = std::move(s);
    }
    return *raw_key_store_;
  }

  // The SQLCipher keys of raw_key_store()'s data.db and keys.db (read once from the open store).
  struct StoreDbKeys {
    amanah::SecretBytes data;
    amanah::SecretBytes keys;
  };
  const StoreDbKeys& raw_key_store_db_keys() {
    if (!store_db_keys_) {
      const auto& s = raw_key_store();
      auto store = amanah::CustomerStore::open(s.dir, *s.key);
      store_db_keys_.emplace(StoreDbKeys{amanah::detail::StoreAccess::data_db_key(store),
                                         amanah::detail::StoreAccess::keys_db_key(store)});
    }
    return *store_db_keys_;
  }

  // A store unlocked by a passphrase at the default Argon2id cost (closed).
  const RawKeyStore& passphrase_store() {
    if (!passphrase_store_) {
      RawKeyStore s{root_ / "passphrase.amanah",
                    amanah::passphrase_key(amanah::SecretBytes::from_string(kPassphrase))};
      amanah::CustomerStore::create(s.dir, *s.key).close();
      passphrase_store_ = std::move(s);
    }
    return *passphrase_store_;
  }

  // Two SQLCipher databases (data.db, keys.db) keyed with raw keys, shaped like a store's.
  struct RawPair {
    std::array<fs::path, 2> files;
    std::array<amanah::SecretBytes, 2> literals;  // empty: no key (plain SQLite)
  };
  const RawPair& sqlcipher_pair() {
    if (!sqlcipher_pair_) {
      const fs::path dir = root_ / "sqlcipher";
      fs::create_directory(dir);
      RawPair p{{dir / "data.db", dir / "keys.db"},
                {key_literal(amanah::SecretBytes::random(32)),
                 key_literal(amanah::SecretBytes::random(32))}};
      for (std::size_t i = 0; i < 2; ++i) {
        create_store_like_db(p.files[i], &p.literals[i]);
        if (starts_with_sqlite_header(p.files[i]))
          throw std::runtime_error("a keyed SQLCipher file is not encrypted");
      }
      sqlcipher_pair_ = std::move(p);
    }
    return *sqlcipher_pair_;
  }

  // The same two databases without any key: SQLCipher's API as plain SQLite.
  const RawPair& sqlite_pair() {
    if (!sqlite_pair_) {
      const fs::path dir = root_ / "sqlite";
      fs::create_directory(dir);
      RawPair p{{dir / "data.db", dir / "keys.db"}, {}};
      for (std::size_t i = 0; i < 2; ++i) {
        create_store_like_db(p.files[i], nullptr);
        if (!starts_with_sqlite_header(p.files[i]))
          throw std::runtime_error("an unkeyed file is not a plain SQLite file");
      }
      sqlite_pair_ = std::move(p);
    }
    return *sqlite_pair_;
  }

  // An open store whose data.db holds kRekeyRows small rows.
  amanah::CustomerStore& rekey_store() {
    if (!rekey_store_) {
      const fs::path dir = root_ / "rekey.amanah";
      auto store =
          amanah::CustomerStore::create(dir, *amanah::raw_key(amanah::SecretBytes::random(32)));
      auto& db = amanah::detail::StoreAccess::data_db(store);
      db.exec(std::string(kRowsTable) + " STRICT");
      {
        amanah::detail::db::Transaction tx(db);
        auto st = db.prepare(kRowsInsert);
        for (int i = 0; i < kRekeyRows; ++i) {
          st.bind(1, std::int64_t{i}).bind(2, row_name(i)).bind(3, row_note(i)).run();
          st.reset();
        }
        tx.commit();
      }
      db.checkpoint_truncate();
      rekey_store_.emplace(std::move(store));
    }
    return *rekey_store_;
  }

  // An open raw SQLCipher database (WAL, the store's settings) with the same rows, and two raw
  // keys to alternate between; *current is the literal it is keyed with now.
  struct RawRekey {
    sqlite3* db;
    std::array<amanah::SecretBytes, 2> literals;
    std::size_t current;
  };
  RawRekey& rekey_raw() {
    if (rekey_raw_ == nullptr) {
      const fs::path file = root_ / "rekey-sqlcipher.db";
      raw_rekey_.literals = {key_literal(amanah::SecretBytes::random(32)),
                             key_literal(amanah::SecretBytes::random(32))};
      raw_rekey_.current = 0;
      sqlite3* db = open_db(file, &raw_rekey_.literals[0], /*create=*/true);
      rekey_raw_ = db;  // closed by the destructor from here on
      apply_store_pragmas(db);
      exec(db, "BEGIN IMMEDIATE");
      exec(db, (std::string(kRowsTable) + " STRICT").c_str());
      sqlite3_stmt* st = nullptr;
      check(sqlite3_prepare_v2(db, kRowsInsert, -1, &st, nullptr), db, "prepare insert");
      for (int i = 0; i < kRekeyRows; ++i) {
        const std::string name = row_name(i);
        const std::string note = row_note(i);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_text(st, 2, name.c_str(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, note.c_str(), static_cast<int>(note.size()), SQLITE_TRANSIENT);
        const int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
          sqlite3_finalize(st);
          fail("insert", db, rc);
        }
      }
      sqlite3_finalize(st);
      exec(db, "COMMIT");
      check(sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr), db,
            "wal_checkpoint(TRUNCATE)");
    }
    raw_rekey_.db = rekey_raw_;
    return raw_rekey_;
  }

 private:
  fs::path root_;
  std::optional<RawKeyStore> raw_key_store_;
  std::optional<StoreDbKeys> store_db_keys_;
  std::optional<RawKeyStore> passphrase_store_;
  std::optional<RawPair> sqlcipher_pair_;
  std::optional<RawPair> sqlite_pair_;
  std::optional<amanah::CustomerStore> rekey_store_;
  sqlite3* rekey_raw_ = nullptr;
  RawRekey raw_rekey_{};
};

Fixtures* g_fixtures = nullptr;

// Three runs of each benchmark; the output gives their mean, median, stddev and cv.
constexpr int kRepetitions = 3;

// ---------------------------------------------------------------------------------------------
// Opening.

void BM_OpenStore_RawKey(benchmark::State& state) {
  const auto& s = g_fixtures->raw_key_store();
  for (auto _ : state) {
    auto store = amanah::CustomerStore::open(s.dir, *s.key);
    store.close();
  }
}
BENCHMARK(BM_OpenStore_RawKey)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// Breakdown, not a comparison: the part of BM_OpenStore_RawKey spent in amanah's db layer
// (db::Connection::open with its checks and PRAGMAs, then the store's schema checks: user_version,
// the store id in amanah_meta, migrate) on both files, without keyslots, unlock, HKDF or the lock.
void open_store_db(const fs::path& file, const amanah::SecretBytes& key,
                   std::span<const amanah::detail::db::Migration> schema) {
  namespace db = amanah::detail::db;
  db::Connection c = db::Connection::open(file, key, /*create=*/false);
  benchmark::DoNotOptimize(c.user_version());
  {
    db::Statement st = c.prepare("SELECT value FROM amanah_meta WHERE key = 'store_id'");
    if (!st.step()) throw std::runtime_error("amanah_meta has no store_id");
  }
  db::migrate(c, schema);
}

void BM_OpenStoreDbLayer_RawKey(benchmark::State& state) {
  namespace layout = amanah::detail::store;
  const auto& s = g_fixtures->raw_key_store();
  const auto& k = g_fixtures->raw_key_store_db_keys();
  const fs::path data = s.dir / layout::kDataDbFile;
  const fs::path keys = s.dir / layout::kKeysDbFile;
  for (auto _ : state) {
    open_store_db(data, k.data, layout::kDataDbSchema);
    open_store_db(keys, k.keys, layout::kKeysDbSchema);
  }
}
BENCHMARK(BM_OpenStoreDbLayer_RawKey)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

void BM_OpenSqlcipher_RawKey(benchmark::State& state) {
  const auto& p = g_fixtures->sqlcipher_pair();
  for (auto _ : state) {
    for (std::size_t i = 0; i < 2; ++i)
      benchmark::DoNotOptimize(open_count_close(p.files[i], &p.literals[i]));
  }
}
BENCHMARK(BM_OpenSqlcipher_RawKey)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

void BM_OpenSqlite_NoKey(benchmark::State& state) {
  const auto& p = g_fixtures->sqlite_pair();
  for (auto _ : state) {
    for (std::size_t i = 0; i < 2; ++i)
      benchmark::DoNotOptimize(open_count_close(p.files[i], nullptr));
  }
}
BENCHMARK(BM_OpenSqlite_NoKey)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// Dominated by Argon2id (m = 64 MiB, t = 3, p = 4) on purpose: that is the passphrase's price.
void BM_OpenStore_Passphrase_Default(benchmark::State& state) {
  const auto& s = g_fixtures->passphrase_store();
  for (auto _ : state) {
    auto store = amanah::CustomerStore::open(s.dir, *s.key);
    store.close();
  }
}
BENCHMARK(BM_OpenStore_Passphrase_Default)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime()  // Argon2id's lanes run on their own threads
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// ---------------------------------------------------------------------------------------------
// Rekey: both databases of the store (data.db with the rows, keys.db) vs one raw SQLCipher
// database with the same rows.

void BM_Rekey(benchmark::State& state) {
  auto& store = g_fixtures->rekey_store();
  for (auto _ : state)
    store.rekey();
  state.counters["rows"] = kRekeyRows;
}
BENCHMARK(BM_Rekey)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

void BM_RekeySqlcipher(benchmark::State& state) {
  auto& r = g_fixtures->rekey_raw();
  for (auto _ : state) {
    const amanah::SecretBytes& next = r.literals[1 - r.current];
    check(sqlite3_rekey_v2(r.db, "main", next.data(), static_cast<int>(next.size())), r.db,
          "sqlite3_rekey_v2");
    // Until the WAL is checkpointed, the main file still opens with the old key.
    exec(r.db, "PRAGMA wal_checkpoint(TRUNCATE)");
    r.current = 1 - r.current;
  }
  state.counters["rows"] = kRekeyRows;
}
BENCHMARK(BM_RekeySqlcipher)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// The reporter Google Benchmark would pick for --benchmark_format (console unless told), wrapped
// so that the fair-baseline summary can be printed after the run; nullptr for csv (deprecated in
// Google Benchmark, left to its own reporter, without the summary).
std::unique_ptr<amanah::bench::SummaryReporter> make_reporter(int argc, char** argv,
                                                              bool* console) {
  std::string_view format = "console";
  bool tabular = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.rfind("--benchmark_format=", 0) == 0) format = arg.substr(19);
    if (arg == "--benchmark_counters_tabular=true" || arg == "--benchmark_counters_tabular")
      tabular = true;
  }
  *console = format == "console";
  if (format == "json")
    return std::make_unique<amanah::bench::SummaryReporter>(
        std::make_unique<benchmark::JSONReporter>());
  if (!*console) return nullptr;
  int options = ::isatty(::fileno(stdout)) != 0 ? benchmark::ConsoleReporter::OO_Color
                                                : benchmark::ConsoleReporter::OO_None;
  if (tabular) options |= benchmark::ConsoleReporter::OO_Tabular;
  return std::make_unique<amanah::bench::SummaryReporter>(
      std::make_unique<benchmark::ConsoleReporter>(
          static_cast<benchmark::ConsoleReporter::OutputOptions>(options)));
}

}  // namespace

int main(int argc, char** argv) {
  // Both sides alike: SQLite's memory statistics put every allocation behind one global mutex
  // (amanah turns them off at its first open, but the raw baselines may initialize SQLite first).
  (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  bool console = true;
  const auto reporter = make_reporter(argc, argv, &console);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  std::string tmpl = "/tmp/amanah-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path root = tmpl;
  int status = 0;
  try {
    Fixtures fixtures(root);
    g_fixtures = &fixtures;
    if (reporter) {
      benchmark::RunSpecifiedBenchmarks(reporter.get());
      // After the table on the console; on stderr when stdout carries JSON.
      reporter->print_fair_summary(console ? stdout : stderr);
      reporter->print_audit_summary(console ? stdout : stderr);
      reporter->print_erasure_summary(console ? stdout : stderr);
      reporter->print_backup_summary(console ? stdout : stderr);
    } else {
      benchmark::RunSpecifiedBenchmarks();
    }
    g_fixtures = nullptr;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amanah_bench: %s\n", e.what());
    status = 1;
  }
  g_fixtures = nullptr;
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(root, ec);
  return status;
}

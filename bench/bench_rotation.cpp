// What rotate_kek() costs on a store of 100,000 customers. Results: bench/README.md, "Key
// rotation".
//
// - BM_Rotate_kek_Amanah: store.rotate_kek() per iteration: keyslots written with the next KEK
//   (temp + fsync + rename), one keys.db transaction re-sealing every customer key (100,000 and the
//   pool's few dozen), wal_checkpoint(TRUNCATE), keyslots written again with the new KEK alone.
// - BM_Rotate_kek_Sqlcipher: the same re-wrap written by hand on raw SQLCipher with amanah's
//   PRAGMAs: a keys.db of 100,000 rows (key_id, kek_epoch, wrapped: nonce, AES-256-GCM of a 32-byte
//   key, tag; AAD naming the key and the epoch), read whole, each key opened under the old KEK and
//   sealed under the new one with OpenSSL (contexts keyed once), written back by rowid in one
//   transaction, then wal_checkpoint(TRUNCATE). No keyslots, no intent marker.
//
// Counter: keys_per_s (the customer keys re-sealed per second, wall clock). The stores live in a
// fresh /tmp/amanah-bench-rotation-XXXXXX, built lazily (a filtered-out benchmark costs nothing)
// and removed when the program exits. bench_open.cpp owns main().
#include <benchmark/benchmark.h>

#include <amanah/amanah.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlcipher/sqlite3.h>

#include "bench_support.hpp"

namespace {

namespace fs = std::filesystem;
using amanah::bench::check;
using amanah::bench::exec;
using amanah::bench::prepare;
using amanah::bench::step_done;
using Steady = std::chrono::steady_clock;

constexpr std::size_t kCustomers = 100'000;
constexpr std::size_t kBatch = 1'000;
constexpr benchmark::IterationCount kRotations = 3;  // per run
constexpr int kKeyBytes = 32, kNonceBytes = 12, kTagBytes = 16;

double seconds_since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// The raw side: AES-256-GCM with OpenSSL, and a keys.db of the store's shape.

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

void ossl(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL: ") + what);
}

// One KEK's contexts (keyed once), sealing and opening 32-byte keys with a string AAD.
class RawKek {
 public:
  RawKek() : key_(kKeyBytes), enc_(EVP_CIPHER_CTX_new()), dec_(EVP_CIPHER_CTX_new()) {
    ossl(RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), kKeyBytes), "RAND_bytes");
    const auto* k = reinterpret_cast<const unsigned char*>(key_.data());
    ossl(EVP_EncryptInit_ex2(enc_.get(), EVP_aes_256_gcm(), k, nullptr, nullptr), "init");
    ossl(EVP_DecryptInit_ex2(dec_.get(), EVP_aes_256_gcm(), k, nullptr, nullptr), "init");
  }
  // nonce || ciphertext || tag
  std::string seal(const unsigned char* plain, const std::string& aad) {
    std::string out(kNonceBytes + kKeyBytes + kTagBytes, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    ossl(RAND_bytes(o, kNonceBytes), "RAND_bytes");
    int n = 0, fin = 0;
    ossl(EVP_EncryptInit_ex2(enc_.get(), nullptr, nullptr, o, nullptr), "seal init");
    ossl(EVP_EncryptUpdate(enc_.get(), nullptr, &n,
                           reinterpret_cast<const unsigned char*>(aad.data()),
                           static_cast<int>(aad.size())),
         "aad");
    ossl(EVP_EncryptUpdate(enc_.get(), o + kNonceBytes, &n, plain, kKeyBytes), "seal");
    ossl(EVP_EncryptFinal_ex(enc_.get(), o + kNonceBytes + n, &fin), "seal final");
    ossl(EVP_CIPHER_CTX_ctrl(enc_.get(), EVP_CTRL_AEAD_GET_TAG, kTagBytes,
                             o + kNonceBytes + kKeyBytes),
         "tag");
    return out;
  }
  bool open(const unsigned char* sealed, std::size_t size, const std::string& aad,
            unsigned char* out) {
    if (size != static_cast<std::size_t>(kNonceBytes + kKeyBytes + kTagBytes)) return false;
    unsigned char tag[kTagBytes];
    std::memcpy(tag, sealed + kNonceBytes + kKeyBytes, kTagBytes);
    int n = 0, fin = 0;
    return EVP_DecryptInit_ex2(dec_.get(), nullptr, nullptr, sealed, nullptr) == 1 &&
           EVP_DecryptUpdate(dec_.get(), nullptr, &n,
                             reinterpret_cast<const unsigned char*>(aad.data()),
                             static_cast<int>(aad.size())) == 1 &&
           EVP_DecryptUpdate(dec_.get(), out, &n, sealed + kNonceBytes, kKeyBytes) == 1 &&
           EVP_CIPHER_CTX_ctrl(dec_.get(), EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag) == 1 &&
           EVP_DecryptFinal_ex(dec_.get(), out + n, &fin) == 1;
  }

 private:
  amanah::SecretBytes key_;
  Ctx enc_, dec_;
};

std::string aad_of(const std::string& key_id, std::int64_t epoch) {
  std::string s = "subject-key|";
  s.append(key_id).append("|").append(std::to_string(epoch));
  return s;
}

struct RawKeys {
  sqlite3* db = nullptr;
  std::unique_ptr<RawKek> kek = std::make_unique<RawKek>();
  std::int64_t epoch = 1;

  RawKeys() = default;
  RawKeys(const RawKeys&) = delete;
  RawKeys& operator=(const RawKeys&) = delete;
  ~RawKeys() { sqlite3_close_v2(db); }

  void build(const fs::path& file) {
    const auto literal = amanah::bench::key_literal(amanah::SecretBytes::random(32));
    check(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
          db, "sqlite3_open_v2");
    check(sqlite3_key_v2(db, "main", literal.data(), static_cast<int>(literal.size())), db,
          "sqlite3_key_v2");
    for (const char* pragma :
         {"PRAGMA temp_store=MEMORY", "PRAGMA secure_delete=ON", "PRAGMA page_size=4096",
          "PRAGMA auto_vacuum=INCREMENTAL", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
          "PRAGMA cache_size=-32768"})
      exec(db, pragma);
    exec(db,
         "CREATE TABLE subject_keys(key_id TEXT PRIMARY KEY, kek_epoch INTEGER NOT NULL, "
         "wrapped BLOB NOT NULL) STRICT");
    sqlite3_stmt* ins =
        prepare(db, "INSERT INTO subject_keys(key_id, kek_epoch, wrapped) VALUES (?1, ?2, ?3)");
    amanah::SecretBytes key(kKeyBytes);
    for (std::size_t first = 0; first < kCustomers; first += kBatch) {
      exec(db, "BEGIN IMMEDIATE");
      for (std::size_t i = first; i < first + kBatch && i < kCustomers; ++i) {
        const std::string id = amanah::bench::padded(i, 16) + "0123456789abcdef";
        ossl(RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeyBytes), "RAND_bytes");
        const std::string wrapped =
            kek->seal(reinterpret_cast<const unsigned char*>(key.data()), aad_of(id, epoch));
        sqlite3_bind_text(ins, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 2, epoch);
        sqlite3_bind_blob(ins, 3, wrapped.data(), static_cast<int>(wrapped.size()),
                          SQLITE_TRANSIENT);
        step_done(ins);
      }
      exec(db, "COMMIT");
    }
    sqlite3_finalize(ins);
    check(sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr), db,
          "checkpoint");
  }

  // The rotation by hand; returns the keys re-sealed.
  std::size_t rotate() {
    auto next = std::make_unique<RawKek>();
    const std::int64_t to = epoch + 1;
    struct Row {
      std::int64_t rowid;
      std::string id, wrapped;
    };
    std::vector<Row> rows;
    rows.reserve(kCustomers);
    exec(db, "BEGIN IMMEDIATE");
    sqlite3_stmt* read = prepare(db, "SELECT rowid, key_id, wrapped FROM subject_keys");
    while (sqlite3_step(read) == SQLITE_ROW)
      rows.push_back({sqlite3_column_int64(read, 0),
                      std::string(reinterpret_cast<const char*>(sqlite3_column_text(read, 1)),
                                  static_cast<std::size_t>(sqlite3_column_bytes(read, 1))),
                      std::string(static_cast<const char*>(sqlite3_column_blob(read, 2)),
                                  static_cast<std::size_t>(sqlite3_column_bytes(read, 2)))});
    sqlite3_finalize(read);
    sqlite3_stmt* put =
        prepare(db, "UPDATE subject_keys SET kek_epoch = ?1, wrapped = ?2 WHERE rowid = ?3");
    amanah::SecretBytes key(kKeyBytes);
    auto* k = reinterpret_cast<unsigned char*>(key.data());
    for (const auto& r : rows) {
      if (!kek->open(reinterpret_cast<const unsigned char*>(r.wrapped.data()), r.wrapped.size(),
                     aad_of(r.id, epoch), k))
        throw std::runtime_error("raw rotation: a key does not open");
      const std::string wrapped = next->seal(k, aad_of(r.id, to));
      sqlite3_bind_int64(put, 1, to);
      sqlite3_bind_blob(put, 2, wrapped.data(), static_cast<int>(wrapped.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(put, 3, r.rowid);
      step_done(put);
    }
    sqlite3_finalize(put);
    exec(db, "COMMIT");
    check(sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr), db,
          "checkpoint");
    kek = std::move(next);  // the old KEK's contexts and key are freed (the key wiped)
    epoch = to;
    return rows.size();
  }
};

// ---------------------------------------------------------------------------------------------

class Fixtures {
 public:
  Fixtures() {
    amanah::bench::start_sqlcipher();
    root_ = amanah::bench::temp_dir("rotation");
    manifest_.emplace(
        amanah::Manifest::from_toml(amanah::bench::kRecordsManifestToml, "bench_rotation.toml"));
  }
  Fixtures(const Fixtures&) = delete;
  Fixtures& operator=(const Fixtures&) = delete;
  ~Fixtures() {
    raw_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  amanah::CustomerStore& store() {
    if (store_) return *store_;
    const auto start = Steady::now();
    const fs::path dir = root_ / "store.amanah";
    key_ = amanah::raw_key(amanah::SecretBytes::random(32));
    store_ = std::make_unique<amanah::CustomerStore>(
        amanah::CustomerStore::create(dir, *key_, *manifest_));
    std::vector<amanah::FieldValues> batch;
    for (std::size_t i = 0; i < kCustomers; ++i) {
      batch.push_back(amanah::bench::field_values(amanah::bench::customer(i)));
      if (batch.size() == kBatch || i + 1 == kCustomers) {
        (void)store_->insert_many(amanah::bench::kCtx, batch);
        batch.clear();
      }
    }
    store_->close();
    *store_ = amanah::CustomerStore::open(dir, *key_);
    if (store_->size() != kCustomers) throw std::runtime_error("the store was not loaded");
    ::sync();
    std::fprintf(stderr, "bench_rotation: %zu-customer store built in %.1f s\n", kCustomers,
                 seconds_since(start));
    return *store_;
  }

  RawKeys& raw() {
    if (raw_) return *raw_;
    const auto start = Steady::now();
    fs::create_directories(root_ / "raw");
    raw_ = std::make_unique<RawKeys>();
    raw_->build(root_ / "raw" / "keys.db");
    ::sync();
    std::fprintf(stderr, "bench_rotation: raw keys.db of %zu keys built in %.1f s\n", kCustomers,
                 seconds_since(start));
    return *raw_;
  }

 private:
  fs::path root_;
  std::optional<amanah::Manifest> manifest_;
  std::unique_ptr<amanah::KeyProvider> key_;
  std::unique_ptr<amanah::CustomerStore> store_;
  std::unique_ptr<RawKeys> raw_;
};

Fixtures& fixtures() {
  static Fixtures f;  // destroyed (stores closed, directory removed) when the program exits
  return f;
}

void BM_Rotate_kek_Amanah(benchmark::State& state) {
  auto& store = fixtures().store();
  const std::uint64_t before = store.kek_epoch();
  for (auto _ : state)
    store.rotate_kek();
  if (store.kek_epoch() != before + static_cast<std::uint64_t>(state.iterations()))
    throw std::runtime_error("rotate_kek: the epoch did not move on");
  state.counters["keys_per_s"] =
      benchmark::Counter(static_cast<double>(kCustomers) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

void BM_Rotate_kek_Sqlcipher(benchmark::State& state) {
  auto& raw = fixtures().raw();
  std::size_t keys = 0;
  for (auto _ : state)
    keys += raw.rotate();
  if (keys != kCustomers * static_cast<std::size_t>(state.iterations()))
    throw std::runtime_error("raw rotation: not every key was re-sealed");
  state.counters["keys_per_s"] =
      benchmark::Counter(static_cast<double>(keys), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Rotate_kek_Amanah)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(kRotations)
    ->UseRealTime();
BENCHMARK(BM_Rotate_kek_Sqlcipher)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(kRotations)
    ->UseRealTime();

}  // namespace

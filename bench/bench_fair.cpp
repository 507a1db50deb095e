// The fair baseline: what a careful developer would write by hand instead of amanah, and amanah
// doing the same work on the same data in the same run. Results and ratios: bench/README.md.
//
// The baseline is raw SQLCipher (a raw key, WAL, synchronous=FULL, amanah's other PRAGMAs) with
// prepared statements reused, plus OpenSSL used directly:
//   - customers(id BLOB PRIMARY KEY: 16 random bytes, full_name, email, phone as TEXT inside the
//     encrypted pages, nik BLOB, wrapped_key BLOB, email_idx BLOB, phone_idx BLOB);
//   - nik sealed with AES-256-GCM under the customer's own random 256-bit key (AAD: id || "nik");
//   - that key sealed with AES-256-GCM under a key-encryption key (KEK, random, held in memory;
//     AAD: id || "customer-key") and kept in the same row;
//   - blind indexes: the first 16 bytes of HMAC-SHA256(index key, field || 0 || normalized value)
//     of the email and of the phone, with a UNIQUE index on email_idx and an index on phone_idx.
// OpenSSL's AES-256-GCM and HMAC are fetched once; each connection keeps its cipher contexts (the
// KEK's key schedule set up once) and an HMAC context whose pad state is set up once.
//
// amanah gets the same customers through its public API only, with a manifest of the same shape
// (email: lookup, unique; phone: lookup; nik: sensitive; full_name: text), records every access
// as it does by default, and is unlocked by a raw key.
//
// The stores live in a fresh /tmp/amanah-bench-fair-XXXXXX, built lazily (a filtered-out
// benchmark costs nothing) and removed when the program exits.
#include <benchmark/benchmark.h>

#include <amanah/key_provider.hpp>
#include <amanah/manifest.hpp>
#include <amanah/record.hpp>
#include <amanah/secret.hpp>
#include <amanah/store.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <malloc.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sqlcipher/sqlite3.h>

#include "bench_summary.hpp"
#include "bench_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace amanah::bench;  // NOLINT: the shared raw-baseline helpers

constexpr int kRepetitions = 3;
constexpr std::size_t kBatch = 1'000;          // records per insert_many / transaction
constexpr std::size_t kRecords = 100'000;      // the store every operation runs on
constexpr std::size_t kSmallRecords = 10'000;  // the second size of the scan's peak memory
constexpr double kLookupMinTime = 0.5;         // seconds per repetition

// ---------------------------------------------------------------------------------------------
// The data: the same customers as bench_records.cpp.

constexpr const char* kManifestToml = R"toml(
[store]
name = "Fair benchmark"

[purposes.service]
basis = "contract"

[roles.support]

[fields]
full_name = { type = "text",  category = "identity",  purposes = ["service"] }
email     = { type = "email", category = "contact",   purposes = ["service"], lookup = true, unique = true }
phone     = { type = "phone", category = "contact",   purposes = ["service"], lookup = true }
nik       = { type = "nik",   category = "sensitive", purposes = ["service"] }

[[permit]]
id = "support-serves-customers"
roles = ["support"]
actions = ["read", "update", "create"]
categories = ["identity", "contact", "sensitive"]
purposes = ["service"]
)toml";

// Customers first .. first + n - 1, in batches of kBatch.
std::vector<std::vector<Customer>> customer_batches(std::size_t n) {
  std::vector<std::vector<Customer>> out;
  for (std::size_t first = 0; first < n; first += kBatch) {
    auto& b = out.emplace_back();
    for (std::size_t i = first; i < std::min(n, first + kBatch); ++i)
      b.push_back(customer(i));
  }
  return out;
}

std::vector<std::vector<amanah::FieldValues>> field_value_batches(std::size_t n) {
  std::vector<std::vector<amanah::FieldValues>> out;
  for (const auto& batch : customer_batches(n)) {
    auto& b = out.emplace_back();
    for (const auto& c : batch)
      b.push_back(field_values(c));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Peak memory: the kernel's high-water mark of this process's RSS (VmHWM), reset to the current
// RSS by writing "5" to /proc/self/clear_refs.

std::optional<std::int64_t> status_kib(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0)
      return std::strtoll(line.c_str() + key.size(), nullptr, 10);  // "VmHWM:\t  1234 kB"
  }
  return std::nullopt;
}

bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return out.good();
}

// How far the RSS rose above its level before `f` ran, at its highest, in KiB (nullopt if the
// kernel does not let the high-water mark be reset). malloc_trim first hands the pages the
// allocator holds free back to the kernel, so that memory reused by `f` (say, the page cache of a
// connection closed just before) counts as growth rather than hiding in the resident set.
template <class F>
std::optional<std::int64_t> peak_rss_growth_kib(F&& f) {
  ::malloc_trim(0);
  const auto before = status_kib("VmRSS:");
  if (!before || !reset_peak_rss()) return std::nullopt;
  f();
  const auto peak = status_kib("VmHWM:");
  if (!peak) return std::nullopt;
  return *peak - *before;
}

// ---------------------------------------------------------------------------------------------
// The baseline, by hand.

constexpr std::size_t kIdBytes = 16;
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kSealOverhead = kNonceBytes + kTagBytes;
constexpr std::size_t kWrappedKeyBytes = kKeyBytes + kSealOverhead;
constexpr std::size_t kIndexBytes = 16;  // blind index: HMAC-SHA256 truncated to 128 bits
constexpr std::string_view kNikLabel = "nik";
constexpr std::string_view kKeyLabel = "customer-key";

using Id = std::array<unsigned char, kIdBytes>;
using IndexTag = std::array<unsigned char, kIndexBytes>;

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 0xfu];
  }
  return out;
}

const unsigned char* bytes_of(const amanah::SecretBytes& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes_of(amanah::SecretBytes& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

// Trimmed and lower-cased: the address is compared case-insensitively.
std::string normalize_email(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Digits only, with a leading '+'; a national "08..." number becomes "+628...".
std::string normalize_phone(std::string_view s) {
  std::string out;
  for (char c : s)
    if ((c >= '0' && c <= '9') || (c == '+' && out.empty())) out += c;
  if (out.size() > 1 && out[0] == '0') out = "+62" + out.substr(1);
  return out;
}

// The application's keys (in real life from its secret store): SQLCipher's raw key, the KEK
// that wraps every customer key, and the blind-index HMAC key. All random, all in SecretBytes.
struct BaselineKeys {
  amanah::SecretBytes db_literal;  // x'<64 hex>'
  amanah::SecretBytes kek;
  amanah::SecretBytes index_key;
  static BaselineKeys random() {
    return {key_literal(amanah::SecretBytes::random(kKeyBytes)),
            amanah::SecretBytes::random(kKeyBytes), amanah::SecretBytes::random(kKeyBytes)};
  }
};

// OpenSSL's algorithms, fetched once per process and shared by every connection.
class Algorithms {
 public:
  Algorithms()
      : aes_gcm_(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)),
        hmac_(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr)) {
    if (aes_gcm_ == nullptr || hmac_ == nullptr) {
      free();
      throw std::runtime_error("OpenSSL: AES-256-GCM or HMAC not available");
    }
  }
  Algorithms(const Algorithms&) = delete;
  Algorithms& operator=(const Algorithms&) = delete;
  ~Algorithms() { free(); }
  EVP_CIPHER* aes_gcm() const noexcept { return aes_gcm_; }
  EVP_MAC* hmac() const noexcept { return hmac_; }

 private:
  void free() noexcept {
    EVP_CIPHER_free(aes_gcm_);
    EVP_MAC_free(hmac_);
  }
  EVP_CIPHER* aes_gcm_;
  EVP_MAC* hmac_;
};

struct OpenSslFree {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
  void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, OpenSslFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, OpenSslFree>;

void ossl_check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

// A context for one direction of AES-256-GCM, keyed with `key` (or left without a key, to be
// given one per message).
CipherCtx gcm_context(const Algorithms& alg, bool encrypt, const unsigned char* key) {
  CipherCtx c(EVP_CIPHER_CTX_new());
  if (!c) throw std::runtime_error("OpenSSL: EVP_CIPHER_CTX_new failed");
  ossl_check(encrypt ? EVP_EncryptInit_ex2(c.get(), alg.aes_gcm(), key, nullptr, nullptr)
                     : EVP_DecryptInit_ex2(c.get(), alg.aes_gcm(), key, nullptr, nullptr),
             "cipher init");
  return c;
}

// nonce || AES-256-GCM(key, plaintext, AAD = id || label) || tag, written to `out`.
// `key` nullptr: the context keeps the key it was given (the KEK).
void seal(EVP_CIPHER_CTX* c, const unsigned char* key, const unsigned char* nonce, const Id& id,
          std::string_view label, const unsigned char* plaintext, std::size_t size,
          unsigned char* out) {
  int n = 0, fin = 0;
  ossl_check(EVP_EncryptInit_ex2(c, nullptr, key, nonce, nullptr), "seal init");
  ossl_check(EVP_EncryptUpdate(c, nullptr, &n, id.data(), static_cast<int>(id.size())), "aad");
  ossl_check(EVP_EncryptUpdate(c, nullptr, &n, reinterpret_cast<const unsigned char*>(label.data()),
                               static_cast<int>(label.size())),
             "aad");
  std::memcpy(out, nonce, kNonceBytes);
  ossl_check(EVP_EncryptUpdate(c, out + kNonceBytes, &n, plaintext, static_cast<int>(size)),
             "seal");
  ossl_check(EVP_EncryptFinal_ex(c, out + kNonceBytes + n, &fin), "seal final");
  ossl_check(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes),
                                 out + kNonceBytes + size),
             "get tag");
}

// The inverse: `sealed` (size bytes) opened into `out` (size - kSealOverhead bytes).
// False if it was not sealed under this key with this AAD.
bool open_sealed(EVP_CIPHER_CTX* c, const unsigned char* key, const unsigned char* sealed,
                 std::size_t size, const Id& id, std::string_view label, unsigned char* out) {
  if (size < kSealOverhead) return false;
  const std::size_t body = size - kSealOverhead;
  unsigned char tag[kTagBytes];
  std::memcpy(tag, sealed + kNonceBytes + body, kTagBytes);
  int n = 0, fin = 0;
  return EVP_DecryptInit_ex2(c, nullptr, key, sealed, nullptr) == 1 &&
         EVP_DecryptUpdate(c, nullptr, &n, id.data(), static_cast<int>(id.size())) == 1 &&
         EVP_DecryptUpdate(c, nullptr, &n, reinterpret_cast<const unsigned char*>(label.data()),
                           static_cast<int>(label.size())) == 1 &&
         EVP_DecryptUpdate(c, out, &n, sealed + kNonceBytes, static_cast<int>(body)) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), tag) == 1 &&
         EVP_DecryptFinal_ex(c, out + n, &fin) == 1;
}

struct Row {
  std::string id, full_name, email, phone, nik;
};

// One connection with its prepared statements and crypto contexts. Not shared between threads: a
// careful developer opens one per thread.
class BaselineConn {
 public:
  BaselineConn(fs::path file, const BaselineKeys& keys, const Algorithms& alg, bool create)
      : file_(std::move(file)),
        enc_(gcm_context(alg, /*encrypt=*/true, nullptr)),
        dec_(gcm_context(alg, /*encrypt=*/false, nullptr)),
        kek_enc_(gcm_context(alg, /*encrypt=*/true, bytes_of(keys.kek))),
        kek_dec_(gcm_context(alg, /*encrypt=*/false, bytes_of(keys.kek))),
        mac_(EVP_MAC_CTX_new(alg.hmac())),
        customer_key_(kKeyBytes) {
    if (!mac_) throw std::runtime_error("OpenSSL: EVP_MAC_CTX_new failed");
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    ossl_check(EVP_MAC_init(mac_.get(), bytes_of(keys.index_key), keys.index_key.size(), params),
               "HMAC init");
    open(keys.db_literal, create);
  }
  BaselineConn(const BaselineConn&) = delete;
  BaselineConn& operator=(const BaselineConn&) = delete;
  ~BaselineConn() { close(); }

  // All rows in one transaction; returns their new ids.
  std::vector<Id> insert_batch(std::span<const Customer> rows) {
    const std::size_t n = rows.size();
    // One call to the generator per batch for the ids and nonces, one for the customer keys.
    constexpr std::size_t kPublic = kIdBytes + 2 * kNonceBytes;
    std::vector<unsigned char> pub(n * kPublic);
    ossl_check(RAND_bytes(pub.data(), static_cast<int>(pub.size())), "RAND_bytes");
    if (new_keys_.size() < n * kKeyBytes) new_keys_ = amanah::SecretBytes(n * kKeyBytes);
    ossl_check(RAND_priv_bytes(bytes_of(new_keys_), static_cast<int>(n * kKeyBytes)),
               "RAND_priv_bytes");
    std::vector<Id> ids(n);
    std::vector<unsigned char> nik(64);
    std::array<unsigned char, kWrappedKeyBytes> wrapped{};
    step_done(begin_, "BEGIN IMMEDIATE");
    try {
      for (std::size_t i = 0; i < n; ++i) {
        const Customer& c = rows[i];
        const unsigned char* r = pub.data() + i * kPublic;
        const unsigned char* key = bytes_of(new_keys_) + i * kKeyBytes;
        Id& id = ids[i];
        std::memcpy(id.data(), r, kIdBytes);
        nik.resize(c.nik.size() + kSealOverhead);
        seal(enc_.get(), key, r + kIdBytes, id, kNikLabel,
             reinterpret_cast<const unsigned char*>(c.nik.data()), c.nik.size(), nik.data());
        seal(kek_enc_.get(), nullptr, r + kIdBytes + kNonceBytes, id, kKeyLabel, key, kKeyBytes,
             wrapped.data());
        const IndexTag email_idx = index_tag("email", normalize_email(c.email));
        const IndexTag phone_idx = index_tag("phone", normalize_phone(c.phone));
        bind_blob(insert_, 1, id.data(), id.size());
        bind_text(insert_, 2, c.full_name);
        bind_text(insert_, 3, c.email);
        bind_text(insert_, 4, c.phone);
        bind_blob(insert_, 5, nik.data(), nik.size());
        bind_blob(insert_, 6, wrapped.data(), wrapped.size());
        bind_blob(insert_, 7, email_idx.data(), email_idx.size());
        bind_blob(insert_, 8, phone_idx.data(), phone_idx.size());
        step_done(insert_, "INSERT");
      }
    } catch (...) {
      (void)sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      OPENSSL_cleanse(new_keys_.data(), new_keys_.size());
      throw;
    }
    OPENSSL_cleanse(new_keys_.data(), new_keys_.size());
    step_done(commit_, "COMMIT");
    return ids;
  }

  // Every field, the NIK opened.
  std::optional<Row> get(const Id& id) {
    bind_blob(get_, 1, id.data(), id.size());
    const int rc = sqlite3_step(get_);
    std::optional<Row> out;
    try {
      if (rc == SQLITE_ROW)
        out = Row{hex(id.data(), id.size()), text(get_, 0), text(get_, 1), text(get_, 2),
                  open_nik(id, get_, 3, 4)};
    } catch (...) {
      sqlite3_reset(get_);
      throw;
    }
    sqlite3_reset(get_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("get", db_, rc);
    return out;
  }

  // The ids (hex) of the customers with this email, as typed.
  std::vector<std::string> find_email(std::string_view typed) {
    const IndexTag tag = index_tag("email", normalize_email(typed));
    bind_blob(find_, 1, tag.data(), tag.size());
    std::vector<std::string> ids;
    int rc = 0;
    while ((rc = sqlite3_step(find_)) == SQLITE_ROW)
      ids.push_back(hex(static_cast<const unsigned char*>(sqlite3_column_blob(find_, 0)),
                        static_cast<std::size_t>(sqlite3_column_bytes(find_, 0))));
    sqlite3_reset(find_);
    if (rc != SQLITE_DONE) fail("find", db_, rc);
    return ids;
  }

  // Every row, every field read and every NIK opened; returns the row count and adds the bytes
  // read to *bytes.
  std::size_t scan(std::size_t* bytes) {
    std::size_t n = 0;
    int rc = 0;
    try {
      while ((rc = sqlite3_step(scan_)) == SQLITE_ROW) {
        Id id{};
        if (sqlite3_column_bytes(scan_, 0) != static_cast<int>(kIdBytes))
          throw std::runtime_error("scan: malformed id");
        std::memcpy(id.data(), sqlite3_column_blob(scan_, 0), kIdBytes);
        const Row r{hex(id.data(), id.size()), text(scan_, 1), text(scan_, 2), text(scan_, 3),
                    open_nik(id, scan_, 4, 5)};
        *bytes += r.id.size() + r.full_name.size() + r.email.size() + r.phone.size() + r.nik.size();
        ++n;
      }
    } catch (...) {
      sqlite3_reset(scan_);
      throw;
    }
    sqlite3_reset(scan_);
    if (rc != SQLITE_DONE) fail("scan", db_, rc);
    return n;
  }

 private:
  void open(const amanah::SecretBytes& literal, bool create) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (create) flags |= SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(file_.c_str(), &db_, flags, nullptr);
    try {
      if (rc != SQLITE_OK) fail("opening " + file_.string(), db_, rc);
      check(sqlite3_key_v2(db_, "main", literal.data(), static_cast<int>(literal.size())), db_,
            "sqlite3_key_v2");
      // The same PRAGMAs as the raw baselines of bench_records.cpp (amanah's own settings).
      exec(db_, "PRAGMA temp_store=MEMORY");
      exec(db_, "PRAGMA secure_delete=ON");
      if (create) exec(db_, "PRAGMA auto_vacuum=INCREMENTAL");
      exec(db_, "PRAGMA journal_mode=WAL");
      exec(db_, "PRAGMA synchronous=FULL");
      exec(db_, "PRAGMA foreign_keys=ON");
      exec(db_, "PRAGMA cache_size=-32768");
      if (create)
        exec(db_,
             "CREATE TABLE customers(id BLOB PRIMARY KEY NOT NULL, full_name TEXT, email TEXT, "
             "phone TEXT, nik BLOB, wrapped_key BLOB NOT NULL, email_idx BLOB, phone_idx BLOB);"
             "CREATE UNIQUE INDEX customers_email_idx ON customers(email_idx);"
             "CREATE INDEX customers_phone_idx ON customers(phone_idx);");
      begin_ = prepare("BEGIN IMMEDIATE");
      commit_ = prepare("COMMIT");
      insert_ = prepare(
          "INSERT INTO customers(id, full_name, email, phone, nik, wrapped_key, email_idx, "
          "phone_idx) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      get_ =
          prepare("SELECT full_name, email, phone, nik, wrapped_key FROM customers WHERE id = ?1");
      find_ = prepare("SELECT id FROM customers WHERE email_idx = ?1");
      scan_ = prepare("SELECT id, full_name, email, phone, nik, wrapped_key FROM customers");
      if (starts_with_sqlite_header(file_))
        throw std::runtime_error(file_.string() + " is not encrypted");
    } catch (...) {
      close();
      throw;
    }
  }
  void close() noexcept {
    for (sqlite3_stmt* st : {begin_, commit_, insert_, get_, find_, scan_})
      sqlite3_finalize(st);  // harmless on nullptr
    begin_ = commit_ = insert_ = get_ = find_ = scan_ = nullptr;
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr), db_, sql);
    return st;
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
  void bind_blob(sqlite3_stmt* st, int i, const unsigned char* p, std::size_t n) {
    check(sqlite3_bind_blob(st, i, p, static_cast<int>(n), SQLITE_STATIC), db_, "bind");
  }
  static std::string text(sqlite3_stmt* st, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
    return p == nullptr ? std::string()
                        : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
  }

  // Unseals the customer's key from column `key_col` with the KEK into a reused locked buffer,
  // opens the NIK of column `nik_col` with it, and wipes the buffer.
  std::string open_nik(const Id& id, sqlite3_stmt* st, int nik_col, int key_col) {
    const auto* sealed = static_cast<const unsigned char*>(sqlite3_column_blob(st, nik_col));
    const auto sealed_size = static_cast<std::size_t>(sqlite3_column_bytes(st, nik_col));
    if (sealed == nullptr) return {};
    const auto* wrapped = static_cast<const unsigned char*>(sqlite3_column_blob(st, key_col));
    const auto wrapped_size = static_cast<std::size_t>(sqlite3_column_bytes(st, key_col));
    if (wrapped_size != kWrappedKeyBytes || sealed_size < kSealOverhead)
      throw std::runtime_error("a sealed value is malformed");
    std::string nik(sealed_size - kSealOverhead, '\0');
    const bool ok = open_sealed(kek_dec_.get(), nullptr, wrapped, wrapped_size, id, kKeyLabel,
                                bytes_of(customer_key_)) &&
                    open_sealed(dec_.get(), bytes_of(customer_key_), sealed, sealed_size, id,
                                kNikLabel, reinterpret_cast<unsigned char*>(nik.data()));
    OPENSSL_cleanse(customer_key_.data(), customer_key_.size());
    if (!ok) throw std::runtime_error("a sealed value does not open");
    return nik;
  }

  // The blind index of a normalized value: HMAC-SHA256(index key, field || 0 || value), first 16
  // bytes. EVP_MAC_init without a key restarts from the pad state set up once.
  IndexTag index_tag(std::string_view field, std::string_view normalized) {
    static constexpr unsigned char kSeparator = 0;
    unsigned char full[32];
    std::size_t size = 0;
    ossl_check(EVP_MAC_init(mac_.get(), nullptr, 0, nullptr), "HMAC restart");
    ossl_check(EVP_MAC_update(mac_.get(), reinterpret_cast<const unsigned char*>(field.data()),
                              field.size()),
               "HMAC");
    ossl_check(EVP_MAC_update(mac_.get(), &kSeparator, 1), "HMAC");
    ossl_check(EVP_MAC_update(mac_.get(), reinterpret_cast<const unsigned char*>(normalized.data()),
                              normalized.size()),
               "HMAC");
    ossl_check(EVP_MAC_final(mac_.get(), full, &size, sizeof full), "HMAC final");
    IndexTag tag{};
    std::memcpy(tag.data(), full, tag.size());
    return tag;
  }

  fs::path file_;
  CipherCtx enc_, dec_;               // per-customer keys: keyed per message
  CipherCtx kek_enc_, kek_dec_;       // keyed with the KEK once
  MacCtx mac_;                        // keyed with the index key once
  amanah::SecretBytes customer_key_;  // the unsealed key of the row being read
  amanah::SecretBytes new_keys_;      // the fresh keys of the batch being inserted
  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* find_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Fixtures: stores of kRecords and kSmallRecords customers (0 .. n-1) on each side, built on
// first use (or adopted from the insert_many benchmark, which builds them timed), closed and
// opened again (cold caches, as after a restart), and kept for the whole run.

struct AmanahSet {
  fs::path dir;
  std::unique_ptr<amanah::KeyProvider> key;
  std::optional<amanah::CustomerStore> store;
  std::vector<amanah::CustomerId> ids;  // customer i's id at [i]

  void reopen() {
    store->close();
    store.reset();
    store.emplace(amanah::CustomerStore::open(dir, *key));
  }
};

struct BaselineSet {
  fs::path dir;
  BaselineKeys keys;
  std::vector<Id> ids;                               // customer i's id at [i]
  std::vector<std::unique_ptr<BaselineConn>> conns;  // one per benchmark thread, kept open
};

class FairFixtures {
 public:
  // Starts SQLCipher and OpenSSL first, so that their exit handlers run after this object's
  // destructor (which still needs them to close the stores).
  FairFixtures() {
    amanah::bench::start_sqlcipher();
    alg_.emplace();
    manifest_ = amanah::Manifest::from_toml(kManifestToml, "bench_fair.toml");
    root_ = amanah::bench::temp_dir("fair");
  }
  FairFixtures(const FairFixtures&) = delete;
  FairFixtures& operator=(const FairFixtures&) = delete;
  ~FairFixtures() {
    amanah_.clear();
    baseline_.clear();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // An empty amanah store / baseline database (with its first connection) in a new directory.
  AmanahSet new_amanah() {
    std::lock_guard lock(mu_);
    AmanahSet s;
    s.dir = next_dir("amanah");
    s.key = amanah::raw_key(amanah::SecretBytes::random(kKeyBytes));
    s.store.emplace(amanah::CustomerStore::create(s.dir, *s.key, manifest_));
    return s;
  }
  BaselineSet new_baseline() {
    std::lock_guard lock(mu_);
    BaselineSet s;
    s.dir = next_dir("baseline");
    fs::create_directory(s.dir);
    s.keys = BaselineKeys::random();
    s.conns.push_back(std::make_unique<BaselineConn>(s.dir / "customers.db", s.keys, *alg_,
                                                     /*create=*/true));
    return s;
  }

  // `s`, loaded with customers 0 .. n-1, checked, reopened and kept as the n-customer store
  // (replacing any previous one, whose files are deleted).
  AmanahSet& keep(std::size_t n, AmanahSet s) {
    if (s.ids.size() != n || s.store->size() != n)
      throw std::runtime_error("amanah: wrong record count");
    const auto i = std::min<std::size_t>(42, n - 1);
    const auto r = s.store->get(kCtx, s.ids[i]);
    const auto found = s.store->find(kCtx, "email", email_as_typed(i));
    if (r.fields.at("nik") != customer(i).nik || found.size() != 1 || found[0] != s.ids[i])
      throw std::runtime_error("amanah: a stored customer does not read back");
    s.reopen();
    std::lock_guard lock(mu_);
    if (auto old = amanah_.find(n); old != amanah_.end()) {
      const fs::path dir = old->second.dir;
      amanah_.erase(old);  // closes the store
      remove_dir(dir);
    }
    return amanah_.emplace(n, std::move(s)).first->second;
  }
  BaselineSet& keep(std::size_t n, BaselineSet s) {
    if (s.ids.size() != n) throw std::runtime_error("baseline: wrong record count");
    const auto i = std::min<std::size_t>(42, n - 1);
    const auto r = s.conns.at(0)->get(s.ids[i]);
    const auto found = s.conns.at(0)->find_email(email_as_typed(i));
    if (!r || r->nik != customer(i).nik || found.size() != 1 ||
        found[0] != hex(s.ids[i].data(), kIdBytes))
      throw std::runtime_error("baseline: a stored customer does not read back");
    s.conns.clear();  // reopened on demand by conn(): cold caches
    std::lock_guard lock(mu_);
    if (auto old = baseline_.find(n); old != baseline_.end()) {
      const fs::path dir = old->second.dir;
      baseline_.erase(old);  // closes its connections
      remove_dir(dir);
    }
    return baseline_.emplace(n, std::move(s)).first->second;
  }

  // The n-customer stores, built untimed on first use.
  AmanahSet& amanah(std::size_t n) {
    {
      std::lock_guard lock(mu_);
      if (auto it = amanah_.find(n); it != amanah_.end()) return it->second;
    }
    std::lock_guard build(build_mu_);
    {
      std::lock_guard lock(mu_);
      if (auto it = amanah_.find(n); it != amanah_.end()) return it->second;
    }
    AmanahSet s = new_amanah();
    for (const auto& batch : field_value_batches(n))
      for (auto& id : s.store->insert_many(kCtx, batch))
        s.ids.push_back(std::move(id));
    return keep(n, std::move(s));
  }
  BaselineSet& baseline(std::size_t n) {
    {
      std::lock_guard lock(mu_);
      if (auto it = baseline_.find(n); it != baseline_.end()) return it->second;
    }
    std::lock_guard build(build_mu_);
    {
      std::lock_guard lock(mu_);
      if (auto it = baseline_.find(n); it != baseline_.end()) return it->second;
    }
    BaselineSet s = new_baseline();
    for (const auto& batch : customer_batches(n))
      for (const Id& id : s.conns[0]->insert_batch(batch))
        s.ids.push_back(id);
    return keep(n, std::move(s));
  }

  // Connection number `i` of `s` (one per benchmark thread), opened on first use and kept.
  BaselineConn& conn(BaselineSet& s, int i) {
    std::lock_guard lock(mu_);
    const auto at = static_cast<std::size_t>(i);
    if (s.conns.size() <= at) s.conns.resize(at + 1);
    if (!s.conns[at])
      s.conns[at] = std::make_unique<BaselineConn>(s.dir / "customers.db", s.keys, *alg_,
                                                   /*create=*/false);
    return *s.conns[at];
  }
  // Closes every connection of `s` (the next conn() opens a fresh one: cold caches).
  void close_all(BaselineSet& s) {
    std::lock_guard lock(mu_);
    s.conns.clear();
  }

  // The emails of customers 0 .. kRecords-1 as typed to find().
  const std::vector<std::string>& typed_emails() {
    std::lock_guard lock(mu_);
    if (typed_.empty())
      for (std::size_t i = 0; i < kRecords; ++i)
        typed_.push_back(email_as_typed(i));
    return typed_;
  }

 private:
  fs::path next_dir(std::string_view kind) {
    return root_ / cat({kind, "-", std::to_string(++dirs_)});
  }
  static void remove_dir(const fs::path& dir) noexcept {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::mutex mu_;        // guards the maps, connections and the lists below
  std::mutex build_mu_;  // one lazy build at a time
  std::optional<Algorithms> alg_;
  amanah::Manifest manifest_;
  fs::path root_;
  std::size_t dirs_ = 0;
  std::map<std::size_t, AmanahSet> amanah_;
  std::map<std::size_t, BaselineSet> baseline_;
  std::vector<std::string> typed_;
};

FairFixtures& fx() {
  static FairFixtures f;  // destroyed (stores closed, directory removed) when the program exits
  return f;
}

// ---------------------------------------------------------------------------------------------
// 1. insert_many: kRecords customers into a new store, kBatch per transaction, once (one
// repetition of kRecords / kBatch batches: a second would cost as much again). The store built is
// then kept for the benchmarks below.

// Each batch's wall time: the counters give the median batch and the mean of the first and of
// the last 10 batches (how the cost grows with the store).
class BatchClock {
 public:
  void start() { t0_ = std::chrono::steady_clock::now(); }
  void stop() {
    ms_.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count());
  }
  void report(benchmark::State& state) const {
    constexpr std::size_t kEdge = 10;
    if (ms_.size() < kEdge) return;
    double first = 0, last = 0;
    for (std::size_t i = 0; i < kEdge; ++i) {
      first += ms_[i];
      last += ms_[ms_.size() - 1 - i];
    }
    std::vector<double> sorted = ms_;
    std::sort(sorted.begin(), sorted.end());
    state.counters["median_ms"] = sorted[sorted.size() / 2];
    state.counters["first10_ms"] = first / kEdge;
    state.counters["last10_ms"] = last / kEdge;
  }

 private:
  std::chrono::steady_clock::time_point t0_{};
  std::vector<double> ms_;
};

void BM_Fair_InsertMany_Amanah(benchmark::State& state) {
  const auto batches = field_value_batches(kRecords);
  if (state.max_iterations != static_cast<benchmark::IterationCount>(batches.size()))
    throw std::runtime_error("insert_many: one iteration per batch expected");
  AmanahSet s = fx().new_amanah();
  std::size_t b = 0;
  BatchClock clock;
  for (auto _ : state) {
    clock.start();
    for (auto& id : s.store->insert_many(kCtx, batches[b++]))
      s.ids.push_back(std::move(id));
    clock.stop();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  clock.report(state);
  fx().keep(kRecords, std::move(s));
}

void BM_Fair_InsertMany_Baseline(benchmark::State& state) {
  const auto batches = customer_batches(kRecords);
  if (state.max_iterations != static_cast<benchmark::IterationCount>(batches.size()))
    throw std::runtime_error("insert_many: one iteration per batch expected");
  BaselineSet s = fx().new_baseline();
  BaselineConn& c = *s.conns[0];
  std::size_t b = 0;
  BatchClock clock;
  for (auto _ : state) {
    clock.start();
    for (const Id& id : c.insert_batch(batches[b++]))
      s.ids.push_back(id);
    clock.stop();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  clock.report(state);
  fx().keep(kRecords, std::move(s));
}

// ---------------------------------------------------------------------------------------------
// 2. get by a random existing id, every field (so the NIK is opened). Threads share one amanah
// store; each baseline thread has its own connection.

void BM_Fair_Get_Amanah(benchmark::State& state) {
  AmanahSet& s = fx().amanah(kRecords);
  Picker pick(s.ids.size(), state.thread_index());
  for (auto _ : state)
    benchmark::DoNotOptimize(s.store->get(kCtx, s.ids[pick.next()]));
  state.SetItemsProcessed(state.iterations());
}

void BM_Fair_Get_Baseline(benchmark::State& state) {
  BaselineSet& s = fx().baseline(kRecords);
  BaselineConn& c = fx().conn(s, state.thread_index());
  Picker pick(s.ids.size(), state.thread_index());
  for (auto _ : state) {
    auto row = c.get(s.ids[pick.next()]);
    if (!row) throw std::runtime_error("get: a stored id is missing");
    benchmark::DoNotOptimize(row);
  }
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------------------------------------------
// 3. find by a random customer's email, as typed (domain in upper case): normalized, looked up
// through the blind index, ids returned.

void BM_Fair_FindEmail_Amanah(benchmark::State& state) {
  AmanahSet& s = fx().amanah(kRecords);
  const auto& typed = fx().typed_emails();
  Picker pick(typed.size(), state.thread_index());
  for (auto _ : state)
    benchmark::DoNotOptimize(s.store->find(kCtx, "email", typed[pick.next()]));
  state.SetItemsProcessed(state.iterations());
}

void BM_Fair_FindEmail_Baseline(benchmark::State& state) {
  BaselineSet& s = fx().baseline(kRecords);
  BaselineConn& c = fx().conn(s, state.thread_index());
  const auto& typed = fx().typed_emails();
  Picker pick(typed.size(), state.thread_index());
  for (auto _ : state)
    benchmark::DoNotOptimize(c.find_email(typed[pick.next()]));
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------------------------------------------
// 4. Full scan of an n-customer store, every field of every record read, every NIK opened. Each
// repetition starts from a freshly opened store (cold page cache, as after a restart) and reports
// how far the process's RSS rose during that first scan (peak_1st_KiB) and during a second,
// untimed scan right after it (peak_2nd_KiB, the page cache already filled).

void report_peaks(benchmark::State& state, std::optional<std::int64_t> first,
                  std::optional<std::int64_t> second) {
  if (!first || !second) {
    state.SkipWithError("cannot reset the RSS high-water mark (/proc/self/clear_refs)");
    return;
  }
  state.counters["peak_1st_KiB"] = static_cast<double>(*first);
  state.counters["peak_2nd_KiB"] = static_cast<double>(*second);
}

std::size_t scan_amanah(amanah::CustomerStore& store) {
  std::size_t n = 0, bytes = 0;
  for (const amanah::Record& r : store.scan(kCtx)) {
    bytes += r.id.str().size();
    for (const auto& [name, value] : r.fields)
      bytes += value.size();
    ++n;
  }
  benchmark::DoNotOptimize(bytes);
  return n;
}

void BM_Fair_Scan_Amanah(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  AmanahSet& s = fx().amanah(n);
  s.reopen();
  std::optional<std::int64_t> first, second;
  std::size_t count = 0;
  for (auto _ : state)
    first = peak_rss_growth_kib([&] { count = scan_amanah(*s.store); });
  if (count != n) throw std::runtime_error("scan: wrong record count");
  second = peak_rss_growth_kib([&] { count = scan_amanah(*s.store); });
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  report_peaks(state, first, second);
}

void BM_Fair_Scan_Baseline(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  BaselineSet& s = fx().baseline(n);
  fx().close_all(s);
  BaselineConn& c = fx().conn(s, 0);
  std::optional<std::int64_t> first, second;
  std::size_t count = 0, bytes = 0;
  for (auto _ : state)
    first = peak_rss_growth_kib([&] { count = c.scan(&bytes); });
  if (count != n) throw std::runtime_error("scan: wrong row count");
  second = peak_rss_growth_kib([&] { count = c.scan(&bytes); });
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  report_peaks(state, first, second);
}

// ---------------------------------------------------------------------------------------------
// Registration. Wall time throughout (fsync waits are part of the cost).

void inserts(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)
      ->Iterations(static_cast<benchmark::IterationCount>(kRecords / kBatch))
      ->UseRealTime()
      ->Repetitions(1);
}
void lookups(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMicrosecond)->MinTime(kLookupMinTime)->UseRealTime();
  b->Threads(1)->Threads(2)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);
}
void scans(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
  b->Arg(static_cast<std::int64_t>(kSmallRecords))->Arg(static_cast<std::int64_t>(kRecords));
  b->Repetitions(kRepetitions)->ReportAggregatesOnly(true);
}

BENCHMARK(BM_Fair_InsertMany_Amanah)->Apply(inserts);
BENCHMARK(BM_Fair_InsertMany_Baseline)->Apply(inserts);
BENCHMARK(BM_Fair_Get_Amanah)->Apply(lookups);
BENCHMARK(BM_Fair_Get_Baseline)->Apply(lookups);
BENCHMARK(BM_Fair_FindEmail_Amanah)->Apply(lookups);
BENCHMARK(BM_Fair_FindEmail_Baseline)->Apply(lookups);
BENCHMARK(BM_Fair_Scan_Amanah)->Apply(scans);
BENCHMARK(BM_Fair_Scan_Baseline)->Apply(scans);

}  // namespace

// ---------------------------------------------------------------------------------------------
// The summary printed after the run (SummaryReporter, bench_summary.hpp).

namespace amanah::bench {

void SummaryReporter::print_fair_summary(std::FILE* out) const {
  const auto rate = [&](std::string_view function, std::string_view args = {},
                        std::int64_t threads = 1) {
    return counter(median_run(function, args, threads), "items_per_second");
  };
  const auto ratio = [](std::optional<double> a, std::optional<double> b) -> std::optional<double> {
    if (!a || !b || *b == 0) return std::nullopt;
    return *a / *b;
  };
  const auto verdict = [](std::optional<double> r, double target) {
    return !r ? "-" : *r >= target ? "met" : "NOT met";
  };

  const std::string all = std::to_string(kRecords), small = std::to_string(kSmallRecords);
  struct Item {
    const char* label;
    const char* amanah;
    const char* baseline;
    std::string args;
    double target;
  };
  const Item items[] = {
      {"insert_many, 1,000 per tx", "BM_Fair_InsertMany_Amanah", "BM_Fair_InsertMany_Baseline", "",
       0.8},
      {"get by id, 1 thread", "BM_Fair_Get_Amanah", "BM_Fair_Get_Baseline", "", 0.6},
      {"find by email, 1 thread", "BM_Fair_FindEmail_Amanah", "BM_Fair_FindEmail_Baseline", "",
       0.6},
      {"scan of 100,000", "BM_Fair_Scan_Amanah", "BM_Fair_Scan_Baseline", all, 0.5},
  };
  bool any = false;
  for (const Item& i : items)
    any = any || rate(i.amanah, i.args) || rate(i.baseline, i.args);
  if (!any) return;

  std::fprintf(
      out,
      "\nFair baseline summary (bench_fair.cpp; %zu customers; items per second on the wall "
      "clock; medians of the repetitions, insert_many: one pass)\n",
      kRecords);
  std::fprintf(out, "  %-27s %12s %12s %10s %8s  %s\n", "operation", "amanah/s", "baseline/s",
               "ratio", "target", "");
  for (const Item& i : items) {
    const auto a = rate(i.amanah, i.args), b = rate(i.baseline, i.args);
    const auto r = ratio(a, b);
    std::fprintf(out, "  %-27s %12s %12s %10s %8s  %s\n", i.label, num(a, "%.0f").c_str(),
                 num(b, "%.0f").c_str(), num(r, "%.2f").c_str(),
                 (">= " + num(i.target, "%.1f")).c_str(), verdict(r, i.target));
  }

  std::fprintf(out, "  %-27s %12s %12s %10s %8s  %s\n", "2 threads / 1 thread", "amanah",
               "baseline", "", "target", "(amanah)");
  const std::pair<const char*, std::pair<const char*, const char*>> scaling[] = {
      {"get by id", {"BM_Fair_Get_Amanah", "BM_Fair_Get_Baseline"}},
      {"find by email", {"BM_Fair_FindEmail_Amanah", "BM_Fair_FindEmail_Baseline"}},
  };
  for (const auto& [label, names] : scaling) {
    const auto a = ratio(rate(names.first, {}, 2), rate(names.first, {}, 1));
    const auto b = ratio(rate(names.second, {}, 2), rate(names.second, {}, 1));
    std::fprintf(out, "  %-27s %12s %12s %10s %8s  %s\n", label, num(a, "%.2f").c_str(),
                 num(b, "%.2f").c_str(), "", ">= 1.5", verdict(a, 1.5));
  }

  std::fprintf(out, "  %-27s %12s %12s\n", "scan: peak RSS growth, KiB", small.c_str(),
               all.c_str());
  struct Peak {
    const char* label;
    const char* function;
    const char* counter;
  };
  const Peak peaks[] = {
      {"  amanah, 1st after open", "BM_Fair_Scan_Amanah", "peak_1st_KiB"},
      {"  amanah, 2nd scan", "BM_Fair_Scan_Amanah", "peak_2nd_KiB"},
      {"  baseline, 1st after open", "BM_Fair_Scan_Baseline", "peak_1st_KiB"},
      {"  baseline, 2nd scan", "BM_Fair_Scan_Baseline", "peak_2nd_KiB"},
  };
  for (const Peak& p : peaks)
    std::fprintf(out, "  %-27s %12s %12s\n", p.label,
                 num(counter(median_run(p.function, small, 1), p.counter), "%.0f").c_str(),
                 num(counter(median_run(p.function, all, 1), p.counter), "%.0f").c_str());
}

}  // namespace amanah::bench

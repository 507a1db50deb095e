// Helpers shared by the benchmarks' hand-written raw SQLCipher / plain SQLite baselines.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

#include <sqlcipher/sqlite3.h>

#include <amanah/record.hpp>
#include <amanah/secret.hpp>

namespace amanah::bench {

// The records benchmarks' manifest (bench_records.cpp, bench_audit.cpp): full_name and phone are
// kept under SQLCipher's page encryption only; email has a (non-unique) blind index, comparable to
// a plain index; nik is sensitive, so sealed under the subject's key.
inline constexpr const char* kRecordsManifestToml = R"toml(
[store]
name = "Benchmark"

[purposes.service]
basis = "contract"

[roles.support]

[fields]
full_name = { type = "text",  category = "identity",  purposes = ["service"] }
email     = { type = "email", category = "contact",   purposes = ["service"], lookup = true }
phone     = { type = "phone", category = "contact",   purposes = ["service"] }
nik       = { type = "nik",   category = "sensitive", purposes = ["service"] }

[[permit]]
id = "support-serves-customers"
roles = ["support"]
actions = ["read", "update", "create"]
categories = ["identity", "contact", "sensitive"]
purposes = ["service"]
)toml";

[[noreturn]] inline void fail(const std::string& what, sqlite3* db, int rc) {
  throw std::runtime_error(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

inline void check(int rc, sqlite3* db, const std::string& what) {
  if (rc != SQLITE_OK) fail(what, db, rc);
}

// A statement prepared to be reused (SQLITE_PREPARE_PERSISTENT); one stepped to its end, then
// reset.
inline sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  check(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr), db, sql);
  return st;
}
inline void step_done(sqlite3_stmt* st) {
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) fail("step", sqlite3_db_handle(st), rc);
}

inline void exec(sqlite3* db, const char* sql) {
  check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql);
}

// The SQLCipher raw-key literal x'<64 hex>' for a 32-byte key, kept in wiped memory like amanah's.
inline SecretBytes key_literal(const SecretBytes& key) {
  static constexpr char kHex[] = "0123456789abcdef";
  SecretBytes out(3 + 2 * key.size());
  auto* p = reinterpret_cast<char*>(out.data());
  *p++ = 'x';
  *p++ = '\'';
  for (std::byte b : key.view()) {
    const auto v = std::to_integer<unsigned>(b);
    *p++ = kHex[v >> 4];
    *p++ = kHex[v & 0xfu];
  }
  *p = '\'';
  return out;
}

// Starts SQLCipher and OpenSSL (a keyed write in memory). A fixture calls it first, so that their
// exit handlers run after its destructor, once the stores it closes no longer need them.
inline void start_sqlcipher() {
  sqlite3* db = nullptr;
  check(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        nullptr, "sqlite3_open_v2(:memory:)");
  const SecretBytes literal = key_literal(SecretBytes::random(32));
  const int rc = sqlite3_key_v2(db, "main", literal.data(), static_cast<int>(literal.size()));
  const int rc2 =
      sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr);
  sqlite3_close_v2(db);
  check(rc, nullptr, "sqlite3_key_v2");
  check(rc2, nullptr, "starting SQLCipher");
}

// A fresh directory /tmp/amanah-bench-<name>-XXXXXX (the caller removes it).
inline std::filesystem::path temp_dir(const std::string& name) {
  std::string tmpl = "/tmp/amanah-bench-" + name + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

inline bool starts_with_sqlite_header(const std::filesystem::path& file) {
  std::array<char, 16> head{};
  std::ifstream in(file, std::ios::binary);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return in.gcount() == 16 && std::string(head.data(), 15) == "SQLite format 3";
}

// --- The customers every records benchmark uses (bench_records.cpp, bench_fair.cpp).

inline const amanah::AccessContext kCtx{
    .actor = "bench", .roles = {"support"}, .purpose = "service"};

// A cheap deterministic index sequence, the same for every variant; each thread gets its own.
class Picker {
 public:
  explicit Picker(std::size_t n, int thread = 0)
      : n_(n), s_(0x9e3779b97f4a7c15u + 0x1000193u * static_cast<unsigned>(thread)) {}
  std::size_t next() noexcept {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return static_cast<std::size_t>(s_ % n_);
  }

 private:
  std::size_t n_;
  std::uint64_t s_;
};

inline std::string padded(std::uint64_t v, std::size_t width) {
  std::string digits = std::to_string(v);
  std::string s(digits.size() < width ? width - digits.size() : 0, '0');
  s += digits;
  return s;
}

// Joins the parts (by append: GCC 12 at -O3 warns a false -Wrestrict on "c" + std::string).
inline std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts)
    s += p;
  return s;
}

// Customer i, already in canonical form (what amanah would store): "Customer 123",
// "c123@example.com", "+62812345xxxxx", a plausible 16-digit NIK (Jawa Barat, a real birth date).
struct Customer {
  std::string full_name, email, phone, nik;
};

inline Customer customer(std::uint64_t i) {
  const std::string n = std::to_string(i);
  const std::uint64_t day = 1 + i % 28 + (i % 2 == 1 ? 40 : 0);  // +40: women
  Customer c;
  c.full_name = cat({"Customer ", n});
  c.email = cat({"c", n, "@example.com"});
  c.phone = cat({"+62812345", padded(i % 100'000, 5)});
  c.nik =
      cat({"32", padded(1 + i % 27, 2), padded(1 + (i / 27) % 40, 2), padded(day, 2),
           padded(1 + (i / 28) % 12, 2), padded(60 + (i / 336) % 40, 2), padded(1 + i % 9999, 4)});
  return c;
}

inline amanah::FieldValues field_values(const Customer& c) {
  return {{"full_name", c.full_name}, {"email", c.email}, {"phone", c.phone}, {"nik", c.nik}};
}

// The same email as find() is given it: the domain typed in upper case.
inline std::string email_as_typed(std::uint64_t i) {
  return cat({"c", std::to_string(i), "@EXAMPLE.COM"});
}

}  // namespace amanah::bench

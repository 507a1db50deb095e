// Helpers shared by the benchmarks' hand-written raw SQLCipher / plain SQLite baselines.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <sqlcipher/sqlite3.h>

#include <amanah/secret.hpp>

namespace amanah::bench {

[[noreturn]] inline void fail(const std::string& what, sqlite3* db, int rc) {
  throw std::runtime_error(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

inline void check(int rc, sqlite3* db, const std::string& what) {
  if (rc != SQLITE_OK) fail(what, db, rc);
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

inline bool starts_with_sqlite_header(const std::filesystem::path& file) {
  std::array<char, 16> head{};
  std::ifstream in(file, std::ios::binary);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return in.gcount() == 16 && std::string(head.data(), 15) == "SQLite format 3";
}

}  // namespace amanah::bench

// SQLite result codes -> amanah::Error. Messages come from SQLite itself, which names tables,
// columns and constraints but never bound values.
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "db/db.hpp"
#include "db/sqlite_internal.hpp"

namespace amanah::detail::db {
namespace {

ErrorCode code_for(int rc) noexcept {
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    return ErrorCode::Duplicate;
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return ErrorCode::Corrupt;
    // Another connection holds the file. (SQLITE_LOCKED is a conflict inside this connection,
    // never "open elsewhere": it stays Database.)
    case SQLITE_BUSY:
      return ErrorCode::StoreLocked;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return ErrorCode::Io;
    default:
      return ErrorCode::Database;
  }
}

}  // namespace

std::optional<std::string> damaged_page(sqlite3* db) noexcept {
  if (db == nullptr) return std::nullopt;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA cipher_integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::nullopt;
  }
  std::optional<std::string> found;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    // "HMAC verification failed for page N" and the like: page numbers and sizes only.
    const auto* text = sqlite3_column_text(stmt, 0);
    try {
      found = text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
    } catch (...) {
      found = std::string();
    }
  }
  sqlite3_finalize(stmt);
  return found;
}

bool is_read_failure(sqlite3* db, const std::string& problem) noexcept {
  // SQLCipher's words for a read that failed: "error reading %d bytes from file page %d at
  // offset %d". A short read (the file ends before the page) is damage; any other is I/O.
  long long bytes = 0, page = 0, offset = 0;
  if (std::sscanf(problem.c_str(), "error reading %lld bytes from file page %lld at offset %lld",
                  &bytes, &page, &offset) != 3)
    return false;
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  if (file == nullptr || *file == '\0') return false;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return !ec && static_cast<long long>(size) >= offset + bytes;
}

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  const char* general = sqlite3_errstr(rc);
  message += ": ";
  message += general ? general : "unknown error";
  bool bare = true;  // no message beyond the general one for rc
  // The connection's message only describes rc if it was the connection's latest error.
  if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
    const char* detail = sqlite3_errmsg(db);
    if (detail != nullptr && (general == nullptr || std::string_view(detail) != general)) {
      message += ": ";
      message += detail;
      bare = false;
    }
  }
  // SQLCipher reports a page that fails its HMAC check by putting the pager into an error state
  // whose code is a bare SQLITE_ERROR ("SQL logic error", no detail), met by whichever statement
  // next needs a page (e.g. a write reading the pointer-map page). Real SQL errors always carry a
  // detail message. So a bare SQLITE_ERROR is checked against the file's page HMACs: damage found
  // there is Corrupt, anything else stays Database.
  if ((rc & 0xff) == SQLITE_ERROR && bare) {
    if (const auto page = damaged_page(db); page && !is_read_failure(db, *page)) {
      message += " (the file is damaged";
      if (!page->empty()) message += ": " + *page;
      message += ")";
      return Error(ErrorCode::Corrupt, message);
    }
  }
  return Error(code_for(rc), message);
}

void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
  throw sqlite_error(db, rc, what);
}

}  // namespace amanah::detail::db

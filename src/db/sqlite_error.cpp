// SQLite result codes -> amanah::Error. Messages come from SQLite itself, which names tables,
// columns and constraints but never bound values.
#include <string>

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
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
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

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  const char* general = sqlite3_errstr(rc);
  message += ": ";
  message += general ? general : "unknown error";
  // The connection's message only describes rc if it was the connection's latest error.
  if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
    const char* detail = sqlite3_errmsg(db);
    if (detail != nullptr && (general == nullptr || std::string_view(detail) != general)) {
      message += ": ";
      message += detail;
    }
  }
  return Error(code_for(rc), message);
}

void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
  throw sqlite_error(db, rc, what);
}

}  // namespace amanah::detail::db

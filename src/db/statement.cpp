// Statement: a thin owner of sqlite3_stmt. Bound values never reach an error message.
#include <cstddef>
#include <string>
#include <utility>

#include <amanah/error.hpp>

#include "db/db.hpp"
#include "db/sqlite_internal.hpp"

namespace amanah::detail::db {
namespace {

void require_stmt(sqlite3_stmt* stmt) {
  if (stmt == nullptr) throw Error(ErrorCode::InvalidOperation, "the statement is not prepared");
}

void require_column(sqlite3_stmt* stmt, int col) {
  require_stmt(stmt);
  if (col < 0 || col >= sqlite3_column_count(stmt))
    throw Error(ErrorCode::InvalidArgument, "column index out of range");
}

}  // namespace

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}  // harmless on nullptr

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  require_stmt(stmt_);
  const int rc = sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "binding a parameter");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  require_stmt(stmt_);
  // A null pointer would bind SQL NULL instead of an empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc = sqlite3_bind_text64(stmt_, index, data, static_cast<sqlite3_uint64>(text.size()),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "binding a parameter");
  return *this;
}

Statement& Statement::bind_unowned(int index, std::string_view text) {
  require_stmt(stmt_);
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc = sqlite3_bind_text64(stmt_, index, data, static_cast<sqlite3_uint64>(text.size()),
                                     SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "binding a parameter");
  return *this;
}

Statement& Statement::bind(int index, std::span<const std::byte> blob) {
  require_stmt(stmt_);
  static constexpr std::byte kEmpty{};
  // A null pointer would bind SQL NULL instead of an empty blob.
  const void* data = blob.data() != nullptr ? static_cast<const void*>(blob.data()) : &kEmpty;
  const int rc = sqlite3_bind_blob64(stmt_, index, data, static_cast<sqlite3_uint64>(blob.size()),
                                     SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "binding a parameter");
  return *this;
}

Statement& Statement::bind_null(int index) {
  require_stmt(stmt_);
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "binding a parameter");
  return *this;
}

bool Statement::step() {
  require_stmt(stmt_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Build the error before resetting, so the message still describes rc.
  Error error = sqlite_error(db_, rc, "executing a statement");
  sqlite3_reset(stmt_);
  throw error;
}

void Statement::run() {
  if (step()) {
    sqlite3_reset(stmt_);
    throw Error(ErrorCode::Internal, "a statement run for effect returned rows");
  }
  sqlite3_reset(stmt_);  // ends the statement; bindings stay for a rerun
}

void Statement::reset() noexcept {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int col) const {
  require_column(stmt_, col);
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int col) const {
  require_column(stmt_, col);
  return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, col));
}

std::string Statement::column_text(int col) const {
  require_column(stmt_, col);
  const auto* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};  // NULL
  return {reinterpret_cast<const char*>(text),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::span<const std::byte> Statement::column_blob(int col) const {
  require_column(stmt_, col);
  const void* blob = sqlite3_column_blob(stmt_, col);
  if (blob == nullptr) return {};  // NULL or empty
  return {static_cast<const std::byte*>(blob),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

}  // namespace amanah::detail::db

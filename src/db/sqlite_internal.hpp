// Helpers shared by the src/db translation units (SQLite stays inside src/db).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <amanah/error.hpp>

#include <sqlcipher/sqlite3.h>

namespace amanah::detail::db {

// The amanah::Error that throw_sqlite would throw, for callers that must clean up first.
[[nodiscard]] Error sqlite_error(sqlite3* db, int rc, std::string_view what);

// PRAGMA cipher_integrity_check over the main file (it reads the pages directly, checking each
// page's HMAC under the connection's key, so it works even while the pager is in an error state):
// the first problem it reports ("HMAC verification failed for page 2"), or nullopt if every page
// verifies or the check cannot run. Pages still only in the WAL are not checked.
[[nodiscard]] std::optional<std::string> damaged_page(sqlite3* db) noexcept;
// Whether a problem damaged_page() reported is a read that failed within the file (an I/O error:
// the disk, not the file) rather than a page that fails its check or a file cut short.
[[nodiscard]] bool is_read_failure(sqlite3* db, const std::string& problem) noexcept;

}  // namespace amanah::detail::db

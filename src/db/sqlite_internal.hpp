// Helpers shared by the src/db translation units (SQLite stays inside src/db).
#pragma once

#include <string>
#include <string_view>

#include <amanah/error.hpp>

#include <sqlcipher/sqlite3.h>

namespace amanah::detail::db {

// The amanah::Error that throw_sqlite would throw, for callers that must clean up first.
[[nodiscard]] Error sqlite_error(sqlite3* db, int rc, std::string_view what);

}  // namespace amanah::detail::db

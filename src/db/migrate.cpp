// Schema migrations: one transaction per step, user_version bumped inside it.
#include <cstddef>
#include <string>

#include <amanah/error.hpp>

#include "db/db.hpp"
#include "db/sqlite_internal.hpp"

namespace amanah::detail::db {

void migrate(Connection& conn, std::span<const Migration> steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int>(i) + 1)
      throw Error(ErrorCode::Internal, "schema migrations must be numbered 1, 2, 3, ... in order");
  }
  const int newest = static_cast<int>(steps.size());
  const auto too_new = [newest](int found) {
    return Error(ErrorCode::Unsupported,
                 "the database was written by a newer amanah (schema version " +
                     std::to_string(found) + "; this build knows up to " + std::to_string(newest) +
                     ")");
  };
  int current = conn.user_version();
  if (current > newest) throw too_new(current);
  while (current < newest) {
    Transaction tx(conn);
    // Re-read under the write lock: another connection may have migrated meanwhile.
    current = conn.user_version();
    if (current > newest) throw too_new(current);
    if (current == newest) break;
    const Migration& step = steps[static_cast<std::size_t>(current)];
    const std::string sql(step.sql);
    const int rc = sqlite3_exec(conn.handle(), sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
      throw_sqlite(conn.handle(), rc,
                   "migrating the schema to version " + std::to_string(step.version));
    conn.set_user_version(step.version);
    tx.commit();
    current = step.version;
  }
}

}  // namespace amanah::detail::db

// Unit-test helpers that reach a store's internals (StoreAccess): row counts of its databases.
#pragma once

#include <amanah/amanah.hpp>

#include <cstdint>
#include <string>

#include "db/db.hpp"
#include "facade/access.hpp"
#include "support.hpp"

// The audit log's entries with their names resolved, in the columns tests select: a subquery
// ("SELECT action FROM " AMANAH_AUDIT_ROWS " WHERE ...").
#define AMANAH_AUDIT_ROWS                                                                       \
  "(SELECT l.seq AS seq, l.at AS at, an.name AS action, ac.name AS actor, ro.name AS roles,  "  \
  "pu.name AS purpose, coalesce(lower(hex(l.subject)), '') AS subject, fi.name AS fields, "     \
  "CASE l.allowed WHEN 1 THEN 'allow' ELSE 'deny' END AS decision, ru.name AS rules "           \
  "FROM audit_log l JOIN audit_names an ON an.id = l.action "                                   \
  "LEFT JOIN audit_names ac ON ac.id = l.actor LEFT JOIN audit_names ro ON ro.id = l.roles "    \
  "LEFT JOIN audit_names pu ON pu.id = l.purpose LEFT JOIN audit_names fi ON fi.id = l.fields " \
  "LEFT JOIN audit_names ru ON ru.id = l.rules)"

namespace amanah::test {

// Counts rows of a table in one of the store's databases.
inline std::int64_t count_rows(detail::db::Connection& c, const char* table) {
  auto st = c.prepare(std::string("SELECT count(*) FROM ") + table);
  REQUIRE(st.step());
  return st.column_int64(0);
}

struct Counts {
  std::int64_t subjects, index, keys, log, consents;
  bool operator==(const Counts&) const = default;
};

inline Counts counts(CustomerStore& s) {
  auto& d = detail::StoreAccess::data_db(s);
  return {count_rows(d, "subjects"), count_rows(d, "blind_index"),
          count_rows(detail::StoreAccess::keys_db(s), "subject_keys"), count_rows(d, "audit_log"),
          count_rows(d, "consents")};
}

}  // namespace amanah::test

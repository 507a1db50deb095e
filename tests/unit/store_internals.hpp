// Unit-test helpers that reach a store's internals (StoreAccess): row counts of its databases.
#pragma once

#include <amanah/amanah.hpp>

#include <cstdint>
#include <string>

#include "db/db.hpp"
#include "facade/access.hpp"
#include "support.hpp"

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
          count_rows(detail::StoreAccess::keys_db(s), "subject_keys"), count_rows(d, "access_log"),
          count_rows(d, "consents")};
}

}  // namespace amanah::test

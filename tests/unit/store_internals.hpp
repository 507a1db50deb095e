// Unit-test helpers that reach a store's internals (StoreAccess): row counts of its databases.
#pragma once

#include <amanah/amanah.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "audit/batch.hpp"
#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"
#include "support.hpp"

// The audit log's entries with their names resolved, in the columns tests select, as a TEMP
// table that load_audit_rows(c) fills from the batch rows (audit/batch.hpp); load again to see
// later entries: "SELECT action FROM " AMANAH_AUDIT_ROWS " WHERE ...".
#define AMANAH_AUDIT_ROWS "temp.audit_rows"

namespace amanah::test {

// Takes data.db back from schema 7 (retention and rights) to 6, for tests that rebuild an older
// store by hand: its tables go, and the subjects columns it added if they are there.
inline void undo_schema_7(detail::db::Connection& c) {
  c.exec(
      "DROP TABLE IF EXISTS holds; DROP TABLE IF EXISTS tombstones; "
      "DROP TABLE IF EXISTS objections;");
  for (const char* column : {"state", "ended_at", "set_at", "held_until"}) {
    auto st = c.prepare("SELECT count(*) FROM pragma_table_info('subjects') WHERE name = ?1");
    st.bind(1, column);
    (void)st.step();
    if (st.column_int64(0) > 0) c.exec(std::string("ALTER TABLE subjects DROP COLUMN ") + column);
  }
}

inline void load_audit_rows(detail::db::Connection& c) {
  c.exec("DROP TABLE IF EXISTS temp.audit_rows");
  c.exec(
      "CREATE TEMP TABLE audit_rows(seq INTEGER PRIMARY KEY, at INTEGER, action TEXT, actor TEXT, "
      "roles TEXT, purpose TEXT, subject TEXT, fields TEXT, decision TEXT, rules TEXT)");
  std::unordered_map<std::int64_t, std::string> names;
  {
    auto st = c.prepare("SELECT id, name FROM audit_names");
    while (st.step())
      names.emplace(st.column_int64(0), st.column_text(1));
  }
  auto ins =
      c.prepare("INSERT INTO temp.audit_rows VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  auto st = c.prepare("SELECT entries FROM audit_log ORDER BY first");
  while (st.step()) {
    detail::audit::Unpacker u(st.column_blob(0));
    detail::audit::Stored e;
    while (u.next(e)) {
      ins.reset();
      ins.bind(1, static_cast<std::int64_t>(e.seq)).bind(2, e.at).bind(3, names[e.action]);
      constexpr int kColumn[5] = {4, 5, 6, 8, 10};  // actor, roles, purpose, fields, rules
      for (std::size_t i = 0; i < 5; ++i)
        ins.bind(kColumn[i], names[e.ids[i]]);
      ins.bind(7, detail::crypto::to_hex(detail::crypto::as_bytes(e.subject_bytes())))
          .bind(9, std::string_view(e.allowed ? "allow" : "deny"));
      ins.run();
    }
    REQUIRE_FALSE(u.damaged());
  }
}

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

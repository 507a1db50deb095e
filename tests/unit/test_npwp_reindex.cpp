// Schema 8: the blind-index tags of NPWP lookup fields written before a legacy 15-digit NPWP and
// its 16-digit form were indexed alike are recomputed once, when the store opens.
#include <amanah/amanah.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "db/db.hpp"
#include "faults.hpp"
#include "records_fixture.hpp"
#include "store_internals.hpp"

using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;
namespace db = amanah::detail::db;

namespace {

const amanah::AccessContext kAgent{.actor = "agent-1", .roles = {"support"}, .purpose = "service"};

amanah::Manifest npwp_manifest() {
  return amanah::Manifest::from_toml(std::string(R"toml(
[purposes.service]
basis = "contract"
[roles.support]
[roles.dpo]
[fields]
npwp    = { type = "npwp", category = "account", purposes = ["service"], lookup = true, unique = true }
tax_old = { type = "npwp", category = "account", purposes = ["service"], lookup = true, encrypt = true }
note    = { type = "text", category = "account", purposes = ["service"], lookup = true }
)toml") + amanah::test::kPermitAllToml,
                                     "npwp.toml");
}

std::int64_t int_of(db::Connection& c, const std::string& sql) {
  auto st = c.prepare(sql);
  REQUIRE(st.step());
  return st.column_int64(0);
}

bool has_mark(db::Connection& c) {
  return int_of(c, "SELECT count(*) FROM amanah_meta WHERE key = 'reindex_types'") > 0;
}

struct OldStore {
  TempDir tmp;
  std::filesystem::path dir = tmp / "s";
  SecretBytes raw = SecretBytes::random(32);
  SecretBytes data_key;
  CustomerId legacy, person, org;
  std::int64_t legacy_row = 0;
  std::int64_t old_tag = 0, old_tax_tag = 0;

  // A store as schema 7 left it: the legacy NPWPs tagged on their 15 digits, no mark.
  OldStore() {
    {
      auto store = CustomerStore::create(dir, *amanah::raw_key(raw.clone()), npwp_manifest());
      legacy = store.insert(kAgent, {{"npwp", "01.234.567.8-901.234"},
                                     {"tax_old", "02.345.678.9-012.345"},
                                     {"note", "kept"}});
      person = store.insert(kAgent, {{"npwp", "3174015505900002"}});  // a NIK: sealed
      org = store.insert(kAgent, {{"npwp", "0012345678909999"}});
      old_tag = Access::index_tag(store, "npwp", "012345678901234");
      old_tax_tag = Access::index_tag(store, "tax_old", "023456789012345");
      data_key = Access::data_db_key(store);
    }
    auto c = db::Connection::open(dir / "data.db", data_key, false);
    CHECK_FALSE(has_mark(c));  // a store created at schema 8 has nothing to recompute
    legacy_row = int_of(c, "SELECT row FROM subjects WHERE id = '" + legacy.str() + "'");
    const std::string row = std::to_string(legacy_row);
    c.exec("DELETE FROM blind_index WHERE field IN ('npwp', 'tax_old') AND subject_row = " + row);
    c.exec("INSERT INTO blind_index VALUES ('npwp', " + std::to_string(old_tag) + ", " + row +
           "), ('tax_old', " + std::to_string(old_tax_tag) + ", " + row + ")");
    c.set_user_version(7);
  }

  CustomerStore open() { return CustomerStore::open(dir, *amanah::raw_key(raw.clone())); }

  std::int64_t old_tags_left() {
    auto c = db::Connection::open(dir / "data.db", data_key, false);
    return int_of(
        c, "SELECT count(*) FROM blind_index WHERE subject_row = " + std::to_string(legacy_row) +
               " AND ((field = 'npwp' AND tag = " + std::to_string(old_tag) +
               ") OR (field = 'tax_old' AND tag = " + std::to_string(old_tax_tag) + "))");
  }
};

}  // namespace

TEST_CASE("opening a schema 7 store recomputes its NPWP tags once", "[npwp][migration]") {
  OldStore old;
  REQUIRE(old.old_tags_left() == 2);
  auto store = old.open();
  db::Connection& c = Access::data_db(store);
  CHECK(c.user_version() == 8);
  CHECK_FALSE(has_mark(c));
  // Found in either form, plain or sealed (the values are opened to recompute their tags).
  CHECK(store.find(kAgent, "npwp", "0012345678901234") == std::vector{old.legacy});
  CHECK(store.find(kAgent, "npwp", "01.234.567.8-901.234") == std::vector{old.legacy});
  CHECK(store.find(kAgent, "tax_old", "0023456789012345") == std::vector{old.legacy});
  CHECK(store.find(kAgent, "npwp", "3174015505900002") == std::vector{old.person});
  CHECK(store.find(kAgent, "npwp", "0012345678909999") == std::vector{old.org});
  CHECK(store.find(kAgent, "note", "kept") == std::vector{old.legacy});  // other fields untouched
  // One entry per value: the old tags are gone, nothing doubled.
  CHECK(int_of(c, "SELECT count(*) FROM blind_index WHERE field = 'npwp'") == 3);
  CHECK(int_of(c, "SELECT count(*) FROM blind_index WHERE field = 'tax_old'") == 1);
  CHECK(int_of(c, "SELECT count(*) FROM blind_index WHERE field = 'note'") == 1);
  // Unique holds across the forms.
  REQUIRE_AMANAH_ERROR(store.insert(kAgent, {{"npwp", "0012345678901234"}}), ErrorCode::Duplicate);
  store.close();
  CHECK(old.old_tags_left() == 0);
}

TEST_CASE("a crash while recomputing NPWP tags leaves the mark and the next open finishes",
          "[npwp][migration]") {
  OldStore old;
  {
    const amanah::test::FaultAt crash("finish_reindex:commit");
    REQUIRE_THROWS(old.open());
  }
  {
    // Rolled back whole: schema 8 and its mark are committed, the old tags still in place.
    auto c = db::Connection::open(old.dir / "data.db", old.data_key, false);
    CHECK(c.user_version() == 8);
    CHECK(has_mark(c));
  }
  CHECK(old.old_tags_left() == 2);
  auto store = old.open();
  CHECK_FALSE(has_mark(Access::data_db(store)));
  CHECK(store.find(kAgent, "npwp", "0012345678901234") == std::vector{old.legacy});
  CHECK(store.find(kAgent, "tax_old", "02.345.678.9-012.345") == std::vector{old.legacy});
}

// Backups and restores killed at each step (a real process exit at the fault points): the store
// and every finished backup still open, and no half-made backup or restored store is left where
// it would be taken for a whole one.
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <functional>
#include <string>

#include "db/db.hpp"
#include "facade/access.hpp"
#include "faults.hpp"
#include "records_fixture.hpp"
#include "store/layout.hpp"
#include "support.hpp"

using amanah::CustomerStore;
using amanah::SecretBytes;
using amanah::test::killed_at;
using amanah::test::TempDir;

namespace {

namespace fsys = std::filesystem;

bool hidden_left(const fsys::path& dir) {
  for (const auto& e : fsys::directory_iterator(dir))
    if (e.path().filename().string().starts_with(".")) return true;
  return false;
}

struct Setup {
  TempDir tmp;
  SecretBytes raw = SecretBytes::random(32);
  fsys::path ledger = tmp / "erasures.log";
  std::vector<amanah::CustomerId> ids;
  Setup() {
    auto store = CustomerStore::create(
        tmp / "s", *amanah::raw_key(raw.clone()),
        amanah::Manifest::from_toml(std::string(amanah::test::kManifestToml) +
                                    amanah::test::kPermitAllToml),
        {.erasure_ledger = std::make_shared<amanah::FileErasureLedger>(ledger)});
    for (int i = 0; i < 12; ++i)
      ids.push_back(store.insert(amanah::test::kSupport, amanah::test::customer(i)));
    (void)store.backup(amanah::test::kDpo, tmp / "first");
    (void)store.erase(amanah::test::kDpo, ids[0]);
  }
  CustomerStore open() {
    return CustomerStore::open(
        tmp / "s", *amanah::raw_key(raw.clone()),
        {.erasure_ledger = std::make_shared<amanah::FileErasureLedger>(ledger)});
  }
};

}  // namespace

TEST_CASE("a backup killed at any step leaves the store and earlier backups whole", "[backup]") {
  const std::string point =
      GENERATE("backup:snapshot", "backup:data-copied", "backup:before-rename");
  CAPTURE(point);
  Setup s;
  REQUIRE(killed_at(point, [&] { (void)s.open().backup(amanah::test::kDpo, s.tmp / "second"); }));
  CHECK_FALSE(fsys::exists(s.tmp / "second"));  // never half a backup under its name
  auto store = s.open();
  CHECK(store.size() == 11);
  CHECK(store.check().customers == 11);
  CHECK(store.audit().verify().ok());
  CHECK(amanah::verify_backup(s.tmp / "first", *amanah::raw_key(s.raw.clone())).customers == 12);
  // The next backup works; the staging directory the killed one left is the only trace.
  CHECK(store.backup(amanah::test::kDpo, s.tmp / "second").customers == 11);
}

TEST_CASE("a restore killed at any step leaves no store at its target and the backup whole",
          "[backup]") {
  const std::string point = GENERATE("restore:replayed", "restore:before-rename");
  CAPTURE(point);
  Setup s;
  const auto key = amanah::raw_key(s.raw.clone());
  REQUIRE(killed_at(point, [&] {
    (void)amanah::restore(s.tmp / "first", s.tmp / "r", *key, {.ledger_file = s.ledger});
  }));
  CHECK_FALSE(fsys::exists(s.tmp / "r"));
  CHECK(hidden_left(s.tmp.path()));  // the staging directory, never served
  CHECK(amanah::verify_backup(s.tmp / "first", *key).customers == 12);
  const auto r = amanah::restore(s.tmp / "first", s.tmp / "r", *key, {.ledger_file = s.ledger});
  CHECK(r.replayed == 1);
  auto back = CustomerStore::open(s.tmp / "r", *key);
  CHECK(back.size() == 11);
  auto store = s.open();
  CHECK(store.size() == 11);
}

TEST_CASE("a backup's databases are single files in rollback-journal mode", "[backup]") {
  Setup s;
  auto store = s.open();
  (void)store.backup(amanah::test::kDpo, s.tmp / "b");
  const SecretBytes data_key = amanah::detail::StoreAccess::data_db_key(store);
  const SecretBytes keys_key = amanah::detail::StoreAccess::keys_db_key(store);
  for (const auto& [file, key] : {std::pair{s.tmp / "b" / "data.db", &data_key},
                                  std::pair{s.tmp / "b" / "keys.db", &keys_key}}) {
    CAPTURE(file.filename().string());
    {
      auto c = amanah::detail::db::Connection::open_read_only(file, *key);
      auto st = c.prepare("PRAGMA journal_mode");
      REQUIRE(st.step());
      CHECK(st.column_text(0) == "delete");
    }
    CHECK_FALSE(fsys::exists(file.string() + "-wal"));
    CHECK_FALSE(fsys::exists(file.string() + "-shm"));
  }
}

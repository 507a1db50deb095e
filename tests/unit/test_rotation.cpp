// rotate_kek() seen through the internals: what a copy of keys.db taken before the rotation still
// opens under the current keyslots (nothing), what the files keep of the old KEK and the old
// wrapped keys (nothing), and rotations interrupted at each step (thrown, and a killed process).
#include <amanah/amanah.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/generators/catch_generators.hpp>

#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"
#include "faults.hpp"
#include "forensic.hpp"
#include "keys/keyslots.hpp"
#include "keys/subject_keys.hpp"
#include "keys/typed.hpp"
#include "records_fixture.hpp"
#include "store/layout.hpp"
#include "store_internals.hpp"
#include "support.hpp"

using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::test::kDpo;
using amanah::test::kSupport;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;
namespace db = amanah::detail::db;
namespace keys = amanah::detail::keys;
namespace fsys = std::filesystem;

using amanah::test::FaultAt;
using amanah::test::killed_at;

namespace {

amanah::Manifest permit_all() {
  return amanah::Manifest::from_toml(std::string(amanah::test::kManifestToml) +
                                     amanah::test::kPermitAllToml);
}

// Customer `i` with the sealed NIK and a sealed note.
amanah::FieldValues sealed_customer(int i) {
  auto v = amanah::test::customer(i);
  v.emplace("notes", "rotation note " + std::to_string(i));
  return v;
}

// The KEK a keyslots file holds: what whoever has the file and an unlock key gets.
keys::Kek kek_in(const fsys::path& keyslots, const amanah::KeyProvider& key) {
  const keys::Keyslots slots = keys::read_keyslots(keyslots);
  const SecretBytes root = keys::unlock(slots, key);
  return keys::Kek(keys::open_kek(slots, root), slots.kek_epoch);
}

// The same KEK under another epoch number (the AAD then names that epoch).
keys::Kek renumbered(const fsys::path& keyslots, const amanah::KeyProvider& key,
                     std::uint64_t epoch) {
  const keys::Keyslots slots = keys::read_keyslots(keyslots);
  const SecretBytes root = keys::unlock(slots, key);
  return keys::Kek(keys::open_kek(slots, root), epoch);
}

// How many of the subject keys in the keys.db file `copy` (opened with `db_key`) the store's own
// code opens under `kek`, out of `total`. Works on a scratch copy whose rows are first marked as
// sealed under `kek`'s epoch (as whoever holds the keys.db key could do), so the cryptography
// alone decides, not the epoch check.
std::int64_t keys_opening(const fsys::path& copy, const SecretBytes& db_key, const keys::Kek& kek,
                          const std::string& store_id, std::int64_t& total) {
  const fsys::path scratch = copy.parent_path() / "scratch-keys.db";
  fsys::remove(scratch);
  fsys::remove(fsys::path(scratch) += "-wal");
  fsys::copy_file(copy, scratch);
  auto c = db::Connection::open(scratch, db_key, false);
  c.prepare("UPDATE subject_keys SET kek_epoch = ?1")
      .bind(1, static_cast<std::int64_t>(kek.epoch()))
      .run();
  std::vector<std::string> ids;
  {
    auto st = c.prepare("SELECT key_id FROM subject_keys ORDER BY key_id");
    while (st.step())
      ids.push_back(st.column_text(0));
  }
  total = static_cast<std::int64_t>(ids.size());
  db::ReaderPool readers;
  readers.open(scratch, db_key.clone());
  keys::SubjectKeys service(c, readers, kek, store_id);
  std::int64_t opened = 0;
  for (const auto& id : ids) {
    try {
      (void)service.get(id);
      ++opened;
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::Corrupt);
    }
  }
  service.clear_cache();
  readers.clear();
  return opened;
}

// A store directory put together from a data.db, a keys.db and a keyslots file.
void assemble(const fsys::path& dir, const fsys::path& data_db, const fsys::path& keys_db,
              const fsys::path& keyslots) {
  fsys::remove_all(dir);
  fsys::create_directory(dir);
  fsys::permissions(dir, fsys::perms::owner_all);
  fsys::copy_file(data_db, dir / "data.db");
  fsys::copy_file(keys_db, dir / "keys.db");
  fsys::copy_file(keyslots, dir / "keyslots");
}

// A store of 30 customers with sealed fields; the others' ids in `ids`.
struct Fixture {
  TempDir tmp;
  fsys::path dir = tmp / "s";
  SecretBytes raw = SecretBytes::random(32);
  std::unique_ptr<amanah::KeyProvider> key = amanah::raw_key(raw.clone());
  std::optional<CustomerStore> store;
  std::vector<amanah::CustomerId> ids;

  Fixture() {
    store.emplace(CustomerStore::create(dir, *key, permit_all()));
    std::vector<amanah::FieldValues> batch;
    for (int i = 0; i < 30; ++i)
      batch.push_back(sealed_customer(i));
    ids = store->insert_many(kSupport, batch);
  }
  void checkpoint() {
    Access::data_db(*store).checkpoint_truncate();
    Access::keys_db(*store).checkpoint_truncate();
  }
  // Every customer reads with all five fields, the sealed ones included.
  void all_read(CustomerStore& s) const {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto r = s.get(kDpo, ids[i]);
      CHECK(r.fields.size() == 5);
      CHECK((r.fields.at("notes") == "rotation note " + std::to_string(i)));
      CHECK((r.fields.at("nik") == "3171" + std::to_string(234567890000 + i)));
    }
  }
};

}  // namespace

TEST_CASE("a copy of keys.db taken before rotate_kek opens no key under the current keyslots",
          "[keys][rotation]") {
  Fixture f;
  CustomerStore& store = *f.store;
  const auto erased = f.ids[4];
  const std::string store_id = store.store_id();
  const SecretBytes keys_db_key = Access::keys_db_key(store);
  f.checkpoint();
  const auto backup = f.tmp / "backup";
  fsys::create_directory(backup);
  for (const char* name : {"data.db", "keys.db", "keyslots"})
    fsys::copy_file(f.dir / name, backup / name);

  // Control: before the rotation, the copy's keys all open under the keyslots in force, and a
  // store restored from the copies reads the customer about to be erased.
  std::int64_t total = 0;
  const std::int64_t opened_before = keys_opening(
      backup / "keys.db", keys_db_key, kek_in(f.dir / "keyslots", *f.key), store_id, total);
  CHECK(opened_before == total);
  CHECK(total >= 30);  // the customers' keys and the pool's
  {
    assemble(f.tmp / "restored", backup / "data.db", backup / "keys.db", f.dir / "keyslots");
    auto restored = CustomerStore::open(f.tmp / "restored", *f.key);
    CHECK(restored.get(kDpo, erased, {"nik"}).fields.size() == 1);
  }

  (void)store.erase(kDpo, erased);
  store.rotate_kek();
  REQUIRE(store.kek_epoch() == 2);

  // Under the current keyslots' KEK, numbered as now or as the copy's epoch: not one key opens.
  const keys::Kek now = kek_in(f.dir / "keyslots", *f.key);
  REQUIRE(now.epoch() == 2);
  CHECK(keys_opening(backup / "keys.db", keys_db_key, now, store_id, total) == 0);
  CHECK(total >= 30);
  CHECK(keys_opening(backup / "keys.db", keys_db_key, renumbered(f.dir / "keyslots", *f.key, 1),
                     store_id, total) == 0);
  // While the live keys.db's keys all open under it (the check is not blind).
  Access::keys_db(store).checkpoint_truncate();
  fsys::copy_file(f.dir / "keys.db", f.tmp / "live-keys.db");
  std::int64_t live = 0;
  const std::int64_t opened_live =
      keys_opening(f.tmp / "live-keys.db", keys_db_key, now, store_id, live);
  CHECK(opened_live == live);
  CHECK(live == total - 1);  // the erased customer's key is gone

  // End to end: the old data.db and keys.db with the current keyslots. The erased customer's
  // sealed fields do not open, nor do anyone else's (the copy's keys are all lost).
  assemble(f.tmp / "restored", backup / "data.db", backup / "keys.db", f.dir / "keyslots");
  {
    auto restored = CustomerStore::open(f.tmp / "restored", *f.key);
    REQUIRE_AMANAH_ERROR(restored.get(kDpo, erased, {"nik"}), ErrorCode::Corrupt);
    REQUIRE_AMANAH_ERROR(restored.get(kDpo, f.ids[0], {"notes"}), ErrorCode::Corrupt);
  }
  // Even with the copy's rows relabelled to the current epoch.
  {
    auto c = db::Connection::open(f.tmp / "restored" / "keys.db", keys_db_key, false);
    c.exec("UPDATE subject_keys SET kek_epoch = 2");
    c.checkpoint_truncate();
  }
  {
    auto restored = CustomerStore::open(f.tmp / "restored", *f.key);
    REQUIRE_AMANAH_ERROR(restored.get(kDpo, erased, {"nik"}), ErrorCode::Corrupt);
  }
  // The old keyslots file is what would still open it: it holds the old KEK (the caveat).
  assemble(f.tmp / "restored", backup / "data.db", backup / "keys.db", backup / "keyslots");
  {
    auto restored = CustomerStore::open(f.tmp / "restored", *f.key);
    CHECK(restored.get(kDpo, erased, {"nik"}).fields.size() == 1);
  }
}

TEST_CASE("forensic: after rotate_kek no file holds the old KEK or an old wrapped key",
          "[forensic][keys][rotation]") {
  Fixture f;
  CustomerStore& store = *f.store;
  const SecretBytes keys_db_key = Access::keys_db_key(store);
  using amanah::test::as_text;
  amanah::test::Traces old;
  const auto add_wrapped = [&](amanah::test::Traces& t) {
    auto st = Access::keys_db(store).prepare("SELECT wrapped FROM subject_keys ORDER BY key_id");
    int n = 0;
    while (st.step())
      t.add(as_text(st.column_blob(0)), "wrapped key #" + std::to_string(n++));
    return n;
  };
  const keys::Keyslots before = keys::read_keyslots(f.dir / "keyslots");
  old.add(as_text(before.kek_wrapped), "old sealed KEK");
  old.add(amanah::detail::crypto::to_base64(before.kek_wrapped), "old sealed KEK (base64)");

  // Control: the traces are found where they live (checkpointed, so in keys.db's pages).
  f.checkpoint();
  {
    amanah::test::Traces wrapped;
    const int n = add_wrapped(wrapped);
    CHECK(n >= 30);
    std::vector<std::string> hits;
    wrapped.find_in(amanah::test::decrypted_pages(f.dir / "keys.db", keys_db_key), "keys.db pages",
                    hits);
    CHECK(hits.size() == static_cast<std::size_t>(n));
    hits.clear();
    old.find_in(amanah::test::read_file(f.dir / "keyslots"), "keyslots", hits);
    CHECK(hits == std::vector<std::string>{"keyslots: old sealed KEK (base64)"});
  }
  // More keys, left in keys.db's log, so the rotation starts with frames there.
  std::vector<amanah::FieldValues> more;
  for (int i = 30; i < 200; ++i)
    more.push_back(sealed_customer(i));
  (void)store.insert_many(kSupport, more);
  REQUIRE(fsys::file_size(f.dir / "keys.db-wal") > 0);
  const int n = add_wrapped(old);
  CHECK(n >= 200);

  store.rotate_kek();
  CHECK(fsys::file_size(f.dir / "keys.db-wal") == 0);
  const auto hits_now = [&] {
    std::vector<std::string> hits;
    // The main file alone first (the shell below may checkpoint the live file when it closes):
    // pages read through the log show each page's newest version, whereas a page the log
    // supersedes keeps its old bytes in the main file until a checkpoint.
    const auto main_only = f.tmp / "main-only";
    fsys::remove_all(main_only);
    fsys::create_directory(main_only);
    fsys::copy_file(f.dir / "keys.db", main_only / "keys.db");
    old.find_in(amanah::test::decrypted_pages(main_only / "keys.db", keys_db_key),
                "keys.db main file pages", hits);
    for (const auto& file : amanah::test::files_below(f.dir))
      old.find_in(amanah::test::read_file(file), file.filename().string() + " (raw)", hits);
    old.find_in(amanah::test::decrypted_pages(f.dir / "keys.db", keys_db_key), "keys.db pages",
                hits);
    return hits;
  };
  auto hits = hits_now();
  for (const auto& h : hits)
    UNSCOPED_INFO(h);  // names, never bytes
  CHECK(hits.empty());
  const std::string slots_text = amanah::test::read_file(f.dir / "keyslots");
  CHECK(slots_text.find("kek_next") == std::string::npos);
  // The new wrapped keys are there (the pages searched are the live ones).
  {
    amanah::test::Traces fresh;
    CHECK(add_wrapped(fresh) == n);
    std::vector<std::string> found;
    fresh.find_in(amanah::test::decrypted_pages(f.dir / "keys.db", keys_db_key), "keys.db pages",
                  found);
    CHECK(found.size() == static_cast<std::size_t>(n));
  }
  f.all_read(store);
  // And after close.
  store.close();
  hits = hits_now();
  for (const auto& h : hits)
    UNSCOPED_INFO(h);
  CHECK(hits.empty());
}

namespace {

void rotation_completed(const Fixture& f) {
  auto store = CustomerStore::open(f.dir, *f.key);
  CHECK(store.kek_epoch() == 2);
  CHECK_FALSE(keys::read_keyslots(f.dir / "keyslots").kek_next_epoch.has_value());
  CHECK(amanah::test::count_rows(Access::keys_db(store), "subject_keys") == [&] {
    auto st =
        Access::keys_db(store).prepare("SELECT count(*) FROM subject_keys WHERE kek_epoch = 2");
    REQUIRE(st.step());
    return st.column_int64(0);
  }());
  f.all_read(store);
  (void)store.insert(kSupport, sealed_customer(99));
  store.close();
  auto again = CustomerStore::open(f.dir, *f.key);
  CHECK(again.kek_epoch() == 2);
  f.all_read(again);
}
}  // namespace

TEST_CASE("a rotation that fails before re-wrapping anything is undone and the store stays open",
          "[keys][rotation]") {
  Fixture f;
  {
    FaultAt crash("rotate:marked");
    REQUIRE_THROWS_AS(f.store->rotate_kek(), std::runtime_error);
  }
  REQUIRE(f.store->is_open());  // as it was: no key had been re-wrapped
  CHECK(f.store->kek_epoch() == 1);
  CHECK_FALSE(keys::read_keyslots(f.dir / "keyslots").kek_next_epoch.has_value());
  f.all_read(*f.store);
  f.store->rotate_kek();
  f.store.reset();
  rotation_completed(f);
}

TEST_CASE("a rotation interrupted at any step is completed by the next open", "[keys][rotation]") {
  const char* point = GENERATE("rotate:rewrapped", "rotate:checkpointed");
  CAPTURE(point);
  Fixture f;
  {
    FaultAt crash(point);
    REQUIRE_THROWS_AS(f.store->rotate_kek(), std::runtime_error);
    CHECK_FALSE(f.store->is_open());  // closed: keys.db may be ahead of the keyslots
  }
  CHECK(keys::read_keyslots(f.dir / "keyslots").kek_next_epoch == std::uint64_t{2});
  f.store.reset();
  rotation_completed(f);
}

TEST_CASE("a process killed during rotate_kek leaves a store the next open completes",
          "[keys][rotation]") {
  const char* point = GENERATE("rotate:marked", "rotate:rewrapped", "rotate:checkpointed");
  CAPTURE(point);
  Fixture f;
  f.store.reset();
  REQUIRE(killed_at(point, [&] {  // killed: no destructor, no close
    auto store = CustomerStore::open(f.dir, *amanah::raw_key(f.raw.clone()));
    store.rotate_kek();
  }));
  CHECK(keys::read_keyslots(f.dir / "keyslots").kek_next_epoch == std::uint64_t{2});
  rotation_completed(f);
}

TEST_CASE("a rotation that cannot be completed is dropped only if no key is under the new KEK",
          "[keys][rotation]") {
  const char* point = GENERATE("rotate:marked", "rotate:rewrapped");
  CAPTURE(point);
  Fixture f;
  const SecretBytes keys_db_key = Access::keys_db_key(*f.store);
  {
    FaultAt crash(point);
    REQUIRE_THROWS_AS(f.store->rotate_kek(), std::runtime_error);
  }
  f.store.reset();
  // A damaged row: sealed under an epoch the keyslots never had.
  const auto plant = [&](bool on) {
    auto c = db::Connection::open(f.dir / "keys.db", keys_db_key, false);
    if (on)
      c.exec(
          "INSERT INTO subject_keys(key_id, kek_epoch, wrapped) "
          "VALUES ('ffffffffffffffffffffffffffffffff', 99, x'00')");
    else
      c.exec("DELETE FROM subject_keys WHERE kek_epoch = 99");
    c.checkpoint_truncate();
  };
  plant(true);
  if (std::string_view(point) == "rotate:marked") {
    // Nothing was re-wrapped: the next KEK is dropped, the store opens at the old epoch.
    auto store = CustomerStore::open(f.dir, *f.key);
    CHECK(store.kek_epoch() == 1);
    CHECK_FALSE(keys::read_keyslots(f.dir / "keyslots").kek_next_epoch.has_value());
    f.all_read(store);
  } else {
    // Every key is under the new KEK: dropping it would destroy them all. Corrupt, both kept.
    REQUIRE_AMANAH_ERROR(CustomerStore::open(f.dir, *f.key), ErrorCode::Corrupt);
    CHECK(keys::read_keyslots(f.dir / "keyslots").kek_next_epoch == std::uint64_t{2});
    // Once keys.db is repaired, the next open completes the rotation.
    plant(false);
    rotation_completed(f);
  }
}

// rotate_kek() through the public API: every customer still reads, the epoch moves on, the
// keyslots file keeps no rotation in progress. What a copy of keys.db taken before a rotation can
// still open, the forensic checks and interrupted rotations are in unit/test_rotation.cpp.
#include <amanah/amanah.hpp>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "records_fixture.hpp"
#include "support.hpp"

using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::test::kDpo;
using amanah::test::kSupport;
using amanah::test::TempDir;

namespace {

// The keyslots file as JSON (a plaintext envelope an application could read).
nlohmann::json keyslots_of(const std::filesystem::path& dir) {
  return nlohmann::json::parse(amanah::test::read_file(dir / "keyslots"));
}

// Customer `i` with an `encrypt` field as well as the sealed NIK.
amanah::FieldValues with_notes(int i) {
  auto v = amanah::test::customer(i);
  v.emplace("notes", "rotation note " + std::to_string(i));
  return v;
}

}  // namespace

TEST_CASE("rotate_kek: every customer reads as before, the epoch moves on, nothing in progress",
          "[keys][rotation]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto key = amanah::raw_key(amanah::SecretBytes::random(32));
  auto store = CustomerStore::create(dir, *key, amanah::test::example_manifest());
  std::vector<amanah::FieldValues> batch;
  for (int i = 0; i < 40; ++i)
    batch.push_back(with_notes(i));
  const auto ids = store.insert_many(kSupport, batch);
  std::map<std::string, amanah::FieldValues> before;
  for (const auto& id : ids)
    before[id.str()] = store.get(kDpo, id).fields;
  const auto erased = ids[5];
  (void)store.erase(kDpo, erased);

  CHECK(store.kek_epoch() == 1);
  CHECK(keyslots_of(dir).at("kek").at("epoch") == 1);
  store.rotate_kek();
  CHECK(store.kek_epoch() == 2);
  CHECK(store.key_generation() == 1);  // the databases' own keys are rekey()'s business
  {
    const auto j = keyslots_of(dir);
    CHECK(j.at("kek").at("epoch") == 2);
    CHECK_FALSE(j.contains("kek_next"));
  }

  const auto reads_as_before = [&](CustomerStore& s) {
    for (const auto& id : ids) {
      if (id == erased) {
        REQUIRE_AMANAH_ERROR(s.get(kDpo, id), ErrorCode::NotFound);
        continue;
      }
      const auto r = s.get(kDpo, id);
      CHECK(r.fields.size() == 5);
      CHECK(r.fields.count("notes") == 1);
      CHECK(r.fields.count("nik") == 1);
      CHECK((r.fields == before[id.str()]));  // a failure would print values: compared whole
    }
  };
  reads_as_before(store);
  CHECK(store.size() == ids.size() - 1);
  // Keys drawn before the rotation (the pool) and after it both serve new customers.
  const auto late = store.insert(kSupport, with_notes(100));
  before[late.str()] = store.get(kDpo, late).fields;
  store.rotate_kek();
  CHECK(store.kek_epoch() == 3);
  const auto later = store.insert(kSupport, with_notes(101));
  CHECK(store.get(kDpo, later).fields.size() == 5);
  store.close();
  REQUIRE_AMANAH_ERROR(store.rotate_kek(), ErrorCode::InvalidOperation);

  auto again = CustomerStore::open(dir, *key);
  CHECK(again.kek_epoch() == 3);
  reads_as_before(again);
  CHECK((again.get(kDpo, late).fields == before[late.str()]));
  CHECK(again.get(kDpo, later).fields.size() == 5);
  CHECK(again.find(kSupport, "email", "r7@example.com") ==
        std::vector{ids[7]});  // the blind index does not depend on the KEK
  CHECK(again.audit().verify().ok());
}

TEST_CASE("rotate_kek on an empty store and after rekey", "[keys][rotation]") {
  TempDir tmp;
  auto key = amanah::raw_key(amanah::SecretBytes::random(32));
  auto store = CustomerStore::create(tmp / "s", *key, amanah::test::example_manifest());
  store.rotate_kek();
  CHECK(store.kek_epoch() == 2);
  store.rekey();
  const auto id = store.insert(kSupport, with_notes(1));
  store.rotate_kek();
  store.rekey();
  CHECK(store.kek_epoch() == 3);
  CHECK(store.key_generation() == 3);
  CHECK(store.get(kDpo, id).fields.size() == 5);
  store.close();
  auto again = CustomerStore::open(tmp / "s", *key);
  CHECK(again.kek_epoch() == 3);
  CHECK(again.get(kDpo, id).fields.size() == 5);
}

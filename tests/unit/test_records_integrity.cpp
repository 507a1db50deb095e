// Records engine internals checked from the files: sealed values bound to subject and field,
// blind-index width and confirmation, and insert_many's rollback. Uses internals (StoreAccess,
// the raw db layer, the doc codec, the fault point), so it is a unit test.
//
// data.db is edited with the store CLOSED, through a raw connection keyed with the store's
// SQLCipher key, so these tests do not depend on how the store is organized inside.
#include <amanah/amanah.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/db.hpp"
#include "facade/access.hpp"
#include "records/doc.hpp"
#include "records_fixture.hpp"
#include "store/layout.hpp"
#include "store_internals.hpp"
#include "support.hpp"

using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::FieldValues;
using amanah::SecretBytes;
using amanah::test::kDpo;
using amanah::test::kSupport;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;
namespace db = amanah::detail::db;
namespace rec = amanah::detail::records;

namespace {

const SecretBytes& app_secret() {
  static const SecretBytes key = SecretBytes::random(32);
  return key;
}

std::unique_ptr<amanah::KeyProvider> app_key() {
  return amanah::raw_key(app_secret().clone());
}

// Closes `store`, runs `edit` on its data.db through a raw connection, and reopens the store.
template <class Edit>
void with_data_db_closed(CustomerStore& store, Edit&& edit) {
  const std::filesystem::path dir = store.path();
  const SecretBytes key = Access::data_db_key(store);
  store.close();
  {
    db::Connection c = db::Connection::open(dir / "data.db", key, false);
    edit(c);
  }
  store = CustomerStore::open(dir, *app_key());
}

struct Row {
  std::string key_id;
  rec::Doc doc;
};

Row read_row(db::Connection& c, const CustomerId& id) {
  db::Statement st = c.prepare("SELECT key_id, doc FROM subjects WHERE id = ?1");
  st.bind(1, id.str());
  REQUIRE(st.step());
  return {st.column_text(0), rec::decode(st.column_blob(1))};
}

void write_doc(db::Connection& c, const CustomerId& id, const rec::Doc& doc) {
  c.prepare("UPDATE subjects SET doc = ?1 WHERE id = ?2")
      .bind(1, rec::encode(doc))
      .bind(2, id.str())
      .run();
}

void write_key_id(db::Connection& c, const CustomerId& id, std::string_view key_id) {
  c.prepare("UPDATE subjects SET key_id = ?1 WHERE id = ?2")
      .bind(1, key_id)
      .bind(2, id.str())
      .run();
}

// The blind-index tags of one field.
std::vector<std::int64_t> tags_of(db::Connection& c, std::string_view field) {
  std::vector<std::int64_t> out;
  db::Statement st = c.prepare("SELECT tag FROM blind_index WHERE field = ?1");
  st.bind(1, field);
  while (st.step())
    out.push_back(st.column_int64(0));
  return out;
}

std::set<std::string> column_set(db::Connection& c, std::string_view sql) {
  std::set<std::string> out;
  db::Statement st = c.prepare(sql);
  while (st.step())
    out.insert(st.column_text(0));
  return out;
}

amanah::Field field(std::string name, amanah::FieldType type, amanah::Category category) {
  return {.name = std::move(name), .type = type, .category = category, .purposes = {"service"}};
}

// Throws at the n-th (1-based) call of fault point `point`; cleared on destruction.
struct FailOnCall {
  FailOnCall(std::string point, int n) {
    amanah::detail::store::g_fault_point = [point = std::move(point), n,
                                            calls = 0](std::string_view at) mutable {
      if (at == point && ++calls == n) throw std::runtime_error("injected failure");
    };
  }
  ~FailOnCall() { amanah::detail::store::g_fault_point = nullptr; }
  FailOnCall(const FailOnCall&) = delete;
  FailOnCall& operator=(const FailOnCall&) = delete;
};

}  // namespace

TEST_CASE("a sealed value and its key id moved to another customer are Corrupt, never the other's",
          "[records][tamper]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId a =
      store.insert(kSupport, {{"full_name", "Synthetic A"}, {"nik", "3171234567890111"}});
  const CustomerId b =
      store.insert(kSupport, {{"full_name", "Synthetic B"}, {"nik", "3171234567890122"}});

  // Swap both the key ids and the sealed NIKs: each box now sits with the key that sealed it,
  // so only the subject id bound in the associated data can tell.
  with_data_db_closed(store, [&](db::Connection& c) {
    Row ra = read_row(c, a);
    Row rb = read_row(c, b);
    REQUIRE(ra.doc.at("nik").sealed);
    REQUIRE(rb.doc.at("nik").sealed);
    db::Transaction tx(c);
    write_key_id(c, a, "swap-in-progress");  // key_id is UNIQUE
    write_key_id(c, b, ra.key_id);
    write_key_id(c, a, rb.key_id);
    std::swap(ra.doc.at("nik"), rb.doc.at("nik"));
    write_doc(c, a, ra.doc);
    write_doc(c, b, rb.doc);
    tx.commit();
  });

  REQUIRE_AMANAH_ERROR(store.get(kDpo, a), ErrorCode::Corrupt);
  REQUIRE_AMANAH_ERROR(store.get(kDpo, b), ErrorCode::Corrupt);
  REQUIRE_AMANAH_ERROR(store.get(kDpo, a, {"nik"}), ErrorCode::Corrupt);
  // The fields that were not moved still read.
  CHECK(store.get(kDpo, a, {"full_name"}).fields.at("full_name") == "Synthetic A");
  CHECK(store.get(kDpo, b, {"full_name"}).fields.at("full_name") == "Synthetic B");
}

TEST_CASE("a sealed value moved to another sealed field of the same customer is Corrupt",
          "[records][tamper]") {
  TempDir tmp;
  using amanah::Category;
  using amanah::FieldType;
  const auto m = amanah::Manifest::builder()
                     .purpose("service", amanah::LegalBasis::contract)
                     .role("support")
                     .role("dpo")
                     .permit(amanah::test::permit_all())
                     .field(field("full_name", FieldType::text, Category::identity))
                     .field(field("nik", FieldType::nik, Category::sensitive))
                     .field(field("religion", FieldType::text, Category::sensitive))
                     .build();
  auto store = CustomerStore::create(tmp / "s", *app_key(), m);
  const CustomerId id = store.insert(
      kSupport,
      {{"full_name", "Synthetic C"}, {"nik", "3171234567890133"}, {"religion", "synthetic-r"}});

  // Same subject, same key, same key id: only the field name in the associated data differs.
  with_data_db_closed(store, [&](db::Connection& c) {
    Row r = read_row(c, id);
    REQUIRE(r.doc.at("nik").sealed);
    REQUIRE(r.doc.at("religion").sealed);
    r.doc.at("religion") = r.doc.at("nik");
    write_doc(c, id, r.doc);
  });

  REQUIRE_AMANAH_ERROR(store.get(kDpo, id), ErrorCode::Corrupt);
  REQUIRE_AMANAH_ERROR(store.get(kDpo, id, {"religion"}), ErrorCode::Corrupt);
  // The box left in place still opens where it belongs.
  CHECK((store.get(kDpo, id, {"nik"}).fields.at("nik") == "3171234567890133"));
}

TEST_CASE("blind-index tags are truncated to the field's index_bits", "[records][index]") {
  TempDir tmp;
  const auto m = amanah::Manifest::from_toml(R"(
[purposes.service]
basis = "contract"
[roles.support]
[roles.dpo]
[fields]
email = { type = "email", category = "contact", purposes = ["service"], lookup = true, index_bits = 8 }
phone = { type = "phone", category = "contact", purposes = ["service"], lookup = true }
)" + std::string(amanah::test::kPermitAllToml));
  REQUIRE(m.field("email")->index_bits == 8);
  REQUIRE(m.field("phone")->index_bits == 16);
  auto store = CustomerStore::create(tmp / "s", *app_key(), m);
  constexpr int kCustomers = 200;
  std::vector<FieldValues> batch;
  for (int i = 0; i < kCustomers; ++i)
    batch.push_back({{"email", "bits" + std::to_string(i) + "@example.com"},
                     {"phone", "+62812" + std::to_string(2000000 + i)}});
  (void)store.insert_many(kSupport, batch);

  std::vector<std::int64_t> email_tags, phone_tags;
  with_data_db_closed(store, [&](db::Connection& c) {
    email_tags = tags_of(c, "email");
    phone_tags = tags_of(c, "phone");
  });
  REQUIRE(email_tags.size() == kCustomers);
  REQUIRE(phone_tags.size() == kCustomers);
  // Tags outside [0, 2^bits), counted (one failure line, not one per tag).
  auto outside = [](const std::vector<std::int64_t>& tags, int bits) {
    return std::count_if(tags.begin(), tags.end(),
                         [&](std::int64_t t) { return t < 0 || t >= (std::int64_t{1} << bits); });
  };
  CHECK(outside(email_tags, 8) == 0);
  CHECK(outside(phone_tags, 16) == 0);
  const std::int64_t email_max = *std::max_element(email_tags.begin(), email_tags.end());
  const std::int64_t phone_max = *std::max_element(phone_tags.begin(), phone_tags.end());
  // And not narrower than asked: 200 uniform tags all below half the range would be a defect.
  CHECK(email_max >= (std::int64_t{1} << 7));
  CHECK(phone_max >= (std::int64_t{1} << 15));
}

TEST_CASE("find confirms blind-index holders: colliding tags return only the matching customer",
          "[records][index]") {
  TempDir tmp;
  const auto m = amanah::Manifest::from_toml(R"(
[purposes.service]
basis = "contract"
[roles.support]
[roles.dpo]
[fields]
email = { type = "email", category = "contact", purposes = ["service"], lookup = true, index_bits = 8 }
)" + std::string(amanah::test::kPermitAllToml));
  auto store = CustomerStore::create(tmp / "s", *app_key(), m);
  // 600 values in 256 tags: collisions are certain.
  constexpr int kCustomers = 600;
  std::vector<FieldValues> batch;
  for (int i = 0; i < kCustomers; ++i)
    batch.push_back({{"email", "holder" + std::to_string(i) + "@example.com"}});
  const std::vector<CustomerId> ids = store.insert_many(kSupport, batch);
  REQUIRE(ids.size() == kCustomers);

  std::int64_t most_holders = 0;
  with_data_db_closed(store, [&](db::Connection& c) {
    db::Statement st = c.prepare(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM blind_index WHERE field = 'email' "
        "GROUP BY tag)");
    REQUIRE(st.step());
    most_holders = st.column_int64(0);
  });
  REQUIRE(most_holders >= 2);

  // Counted, so a defect gives one failure line rather than hundreds.
  int wrong = 0;
  for (int i = 0; i < kCustomers; ++i)
    if (store.find(kSupport, "email", "Holder" + std::to_string(i) + "@EXAMPLE.com") !=
        std::vector{ids[static_cast<std::size_t>(i)]})
      ++wrong;
  CHECK(wrong == 0);
  // Values nobody holds find nobody, whichever tags they share.
  int found_absent = 0;
  for (int i = 0; i < 50; ++i)
    if (!store.find(kSupport, "email", "absent" + std::to_string(i) + "@example.com").empty())
      ++found_absent;
  CHECK(found_absent == 0);
}

TEST_CASE("insert_many failing on its 3rd row changes nothing and leaves the key pool usable",
          "[records][rollback]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto store = CustomerStore::create(dir, *app_key(), amanah::test::example_manifest());
  (void)store.insert(kSupport, {{"full_name", "Synthetic Before"}, {"nik", "3171234567890100"}});
  std::vector<FieldValues> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back({{"full_name", "Synthetic " + std::to_string(i)},
                     {"email", "row" + std::to_string(i) + "@example.com"},
                     {"phone", "+62812" + std::to_string(3000000 + i)},
                     {"nik", "317123456789014" + std::to_string(i)}});
  const auto before = amanah::test::counts(store);
  const std::size_t size_before = store.size();

  {
    FailOnCall fail("insert_many:row", 3);
    REQUIRE_THROWS_AS(store.insert_many(kSupport, batch), std::runtime_error);
  }
  const auto after = amanah::test::counts(store);
  CHECK(store.size() == size_before);
  CHECK(after.subjects == before.subjects);
  CHECK(after.index == before.index);
  CHECK(after.log == before.log);
  for (int i = 0; i < 5; ++i)
    CHECK(store.find(kSupport, "email", "row" + std::to_string(i) + "@example.com").empty());

  // The same batch then goes in whole, with the keys the failed attempt had taken.
  const std::vector<CustomerId> ids = store.insert_many(kSupport, batch);
  REQUIRE(ids.size() == 5);
  CHECK(store.size() == size_before + 5);
  CHECK(amanah::test::counts(store).index == before.index + 5 * 3);  // email, phone, nik
  for (std::size_t i = 0; i < 5; ++i) {
    const auto r = store.get(kDpo, ids[i]);
    CHECK((r.fields.at("nik") == "317123456789014" + std::to_string(i)));  // value not printed
    CHECK(store.find(kSupport, "email", "row" + std::to_string(i) + "@example.com") ==
          std::vector{ids[i]});
  }

  // After a clean close every key left in keys.db belongs to exactly one customer: none was
  // lost by the failed attempt, none given to two customers.
  const SecretBytes data_key = Access::data_db_key(store);
  const SecretBytes keys_key = Access::keys_db_key(store);
  store.close();
  db::Connection data = db::Connection::open(dir / "data.db", data_key, false);
  db::Connection keys = db::Connection::open(dir / "keys.db", keys_key, false);
  const auto subject_keys = column_set(data, "SELECT key_id FROM subjects");
  CHECK(subject_keys.size() == size_before + 5);
  CHECK(column_set(keys, "SELECT key_id FROM subject_keys") == subject_keys);
}

// Customer records through the public API: validation, normalization, lookups, scans, masks,
// warnings and manifest changes. The cases that look at the stored rows through internals are in
// unit/test_records.cpp.
#include <amanah/amanah.hpp>

#include <set>
#include <string>
#include <vector>

#include "records_fixture.hpp"
#include "support.hpp"

using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::FieldValues;
using amanah::SecretBytes;
using amanah::test::app_key;
using amanah::test::kDpo;
using amanah::test::kSiti;
using amanah::test::kSupport;
using amanah::test::TempDir;

TEST_CASE("insert validates and normalizes; get returns canonical values", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);
  CHECK(id.str().size() == 32);
  const amanah::Record r = store.get(kDpo, id);
  CHECK(r.id == id);
  CHECK(r.fields.at("full_name") == "Siti Rahma");
  CHECK(r.fields.at("email") == "siti@example.co.id");
  CHECK(r.fields.at("phone") == "+6281234567890");
  CHECK(r.fields.at("nik") == "3171234567890123");
  CHECK(r.fields.size() == 5);

  const amanah::Record only = store.get(kDpo, id, {"phone", "npwp"});
  CHECK(only.fields.size() == 1);
  CHECK(only.fields.at("phone") == "+6281234567890");

  REQUIRE_AMANAH_ERROR(store.get(kDpo, CustomerId::parse(std::string(32, 'a'))),
                       ErrorCode::NotFound);
  REQUIRE_AMANAH_ERROR(store.get(kDpo, id, {"shoe_size"}), ErrorCode::UndeclaredField);
  REQUIRE_AMANAH_ERROR(CustomerId::parse("not-an-id"), ErrorCode::InvalidArgument);
  CHECK(store.size() == 1);
}

TEST_CASE("find uses the blind index over normalized values", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId siti = store.insert(kSupport, kSiti);
  const CustomerId budi = store.insert(
      kSupport,
      {{"full_name", "Budi"}, {"email", "budi@example.com"}, {"phone", "+62 811 222 333"}});
  CHECK(store.find(kSupport, "phone", "+62 (812) 3456.7890") == std::vector{siti});
  CHECK(store.find(kSupport, "phone", "62-812-3456-7890") == std::vector{siti});
  CHECK(store.find(kSupport, "email", "SITI@example.co.id") == std::vector{siti});
  CHECK(store.find(kSupport, "email", "budi@EXAMPLE.com") == std::vector{budi});
  CHECK(store.find(kSupport, "nik", "3171-2345-6789-0123") == std::vector{siti});
  CHECK(store.find(kSupport, "email", "nobody@example.com").empty());
  REQUIRE_AMANAH_ERROR(store.find(kSupport, "full_name", "Budi"), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(store.find(kSupport, "shoe_size", "42"), ErrorCode::UndeclaredField);
  REQUIRE_AMANAH_ERROR(store.find(kSupport, "email", "not an email"), ErrorCode::Validation);
}

TEST_CASE("update changes only the given fields and keeps indexes right", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);
  store.update(kSupport, id, {{"phone", "0813 1111 2222"}, {"birth_date", std::nullopt}});
  const auto r = store.get(kDpo, id);
  CHECK(r.fields.at("phone") == "+6281311112222");
  CHECK_FALSE(r.fields.contains("birth_date"));
  CHECK(r.fields.at("email") == "siti@example.co.id");
  CHECK(store.find(kSupport, "phone", "0812-3456-7890").empty());
  CHECK(store.find(kSupport, "phone", "+6281311112222") == std::vector{id});
  // A subject may keep its own unique value.
  store.update(kSupport, id, {{"email", "SITI@example.co.id"}});
  REQUIRE_AMANAH_ERROR(store.update(kSupport, CustomerId::parse(std::string(32, 'b')),
                                    {{"phone", "0813 1111 2222"}}),
                       ErrorCode::NotFound);
}

TEST_CASE("scan streams every record once, in batches, with projection", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  std::vector<FieldValues> batch;
  for (int i = 0; i < 600; ++i)
    batch.push_back({{"full_name", "Customer " + std::to_string(i)},
                     {"email", "c" + std::to_string(i) + "@example.com"},
                     {"nik", "31712345678901" + std::to_string(10 + i % 90)}});
  // NIK is unique: keep the batch unique by using only the first 90.
  batch.resize(90);
  const auto ids = store.insert_many(kSupport, batch);
  for (int i = 90; i < 600; ++i)
    (void)store.insert(kSupport, {{"full_name", "Customer " + std::to_string(i)}});
  std::set<std::string> seen;
  std::size_t with_email = 0;
  for (const amanah::Record& r : store.scan(kDpo, {"email"})) {
    CHECK(seen.insert(r.id.str()).second);  // each record once, across batch boundaries
    CHECK_FALSE(r.fields.contains("full_name"));
    with_email += r.fields.count("email");
  }
  CHECK(seen.size() == 600);
  CHECK(with_email == 90);
  for (const auto& id : ids)
    CHECK(seen.contains(id.str()));
  // An empty store scans to nothing.
  TempDir tmp2;
  auto empty = CustomerStore::create(tmp2 / "s", *app_key(), amanah::test::example_manifest());
  auto sc = empty.scan(kDpo);
  CHECK(sc.begin() == sc.end());
}

TEST_CASE("odd but possible values are accepted with a warning", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  std::vector<amanah::Warning> warnings;
  // Birth date 31-02 is not a calendar date: accepted, with a warning naming the field.
  (void)store.insert(kSupport, {{"nik", "3171233102900001"}}, &warnings);
  REQUIRE_FALSE(warnings.empty());
  CHECK(warnings[0].field == "nik");
  CHECK(warnings[0].message.find("3171233102900001") == std::string::npos);
}

TEST_CASE("the manifest is kept in the store; changes that would lose data are refused",
          "[records]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const auto manifest = amanah::test::example_manifest();
  CustomerId id;
  {
    auto store = CustomerStore::create(dir, *app_key(), manifest);
    id = store.insert(kSupport, kSiti);
  }
  {
    auto store = CustomerStore::open(dir, *app_key());
    CHECK(store.manifest() == manifest);
  }
  // Removing a field that holds data needs the explicit flag, and then erases it.
  std::string toml = amanah::test::kManifestToml;
  const auto without_birth = [&] {
    std::string t = toml;
    const auto pos = t.find("birth_date =");
    t.erase(pos, t.find('\n', pos) - pos + 1);
    return amanah::Manifest::from_toml(t);
  }();
  REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *app_key(), without_birth),
                       ErrorCode::InvalidManifest);
  {
    auto store = CustomerStore::open(dir, *app_key());
    CHECK(store.get(kDpo, id).fields.at("birth_date") == "1990-05-17");
  }
  {
    auto store =
        CustomerStore::open(dir, *app_key(), without_birth, {.erase_removed_fields = true});
    CHECK_FALSE(store.get(kDpo, id).fields.contains("birth_date"));
    CHECK(store.manifest() == without_birth);
  }
  for (const auto& f : amanah::test::files_below(dir))
    CHECK(amanah::test::read_file(f).find("1990-05-17") == std::string::npos);

  // Changing the type of a field that holds data is refused.
  std::string retyped = toml;
  retyped.replace(retyped.find("full_name  = { type = \"text\""),
                  std::string("full_name  = { type = \"text\"").size(),
                  "full_name  = { type = \"email\"");
  REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *app_key(), amanah::Manifest::from_toml(retyped)),
                       ErrorCode::InvalidManifest);

  // Adding a field, and adding lookup to an existing one, are fine: the index is built.
  std::string grown = toml;
  grown.replace(
      grown.find("full_name  = { type = \"text\",  category = \"identity\",    purposes = "
                 "[\"service\"] }"),
      std::string(
          "full_name  = { type = \"text\",  category = \"identity\",    purposes = [\"service\"] }")
          .size(),
      "full_name  = { type = \"text\",  category = \"identity\",    purposes = [\"service\"], "
      "lookup = true }\n"
      "city = { type = \"text\", category = \"contact\", purposes = [\"service\"] }");
  const auto grown_m = amanah::Manifest::from_toml(grown);
  auto store = CustomerStore::open(dir, *app_key(), grown_m, {.erase_removed_fields = true});
  CHECK(store.find(kSupport, "full_name", "  siti   RAHMA ") == std::vector{id});
  store.update(kSupport, id, {{"city", "Jakarta"}});
  CHECK(store.get(kDpo, id, {"city"}).fields.at("city") == "Jakarta");
}

TEST_CASE("forensic: real customer values appear in no file of the store", "[records][forensic]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const std::vector<std::string> planted = {
      "Siti Rahma",     "siti@example.co.id", "Example.CO.ID", "+6281234567890",
      "0812-3456-7890", "3171234567890123",   "81234567890"};
  {
    auto store = CustomerStore::create(dir, *app_key(), amanah::test::example_manifest());
    for (int i = 0; i < 50; ++i)
      (void)store.insert(kSupport, {{"full_name", "Filler " + std::to_string(i)}});
    const auto id = store.insert(kSupport, kSiti);
    (void)store.get(kDpo, id);
    (void)store.find(kSupport, "phone", "0812-3456-7890");
    for (const auto& f : amanah::test::files_below(dir))
      for (const auto& p : planted)
        CHECK(amanah::test::read_file(f).find(p) == std::string::npos);
  }
  for (const auto& f : amanah::test::files_below(dir))
    for (const auto& p : planted)
      CHECK(amanah::test::read_file(f).find(p) == std::string::npos);
}

TEST_CASE("a field cannot become unique while customers share a value", "[records]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto build = [](bool unique) {
    return amanah::Manifest::builder()
        .purpose("service", amanah::LegalBasis::contract)
        .role("support")
        .role("dpo")
        .permit(amanah::test::permit_all())
        .field({.name = "email",
                .type = amanah::FieldType::email,
                .category = amanah::Category::contact,
                .purposes = {"service"},
                .lookup = true,
                .unique = unique})
        .build();
  };
  {
    auto store = CustomerStore::create(dir, *app_key(), build(false));
    (void)store.insert(kSupport, {{"email", "shared@example.com"}});
    (void)store.insert(kSupport, {{"email", "SHARED@example.com"}});
    (void)store.insert(kSupport, {{"email", "other@example.com"}});
  }
  REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *app_key(), build(true)),
                       ErrorCode::InvalidManifest);
  {
    auto store = CustomerStore::open(dir, *app_key());
    CHECK_FALSE(store.manifest().field("email")->unique);  // the old manifest stays
    const auto shared = store.find(kSupport, "email", "shared@example.com");
    REQUIRE(shared.size() == 2);
    store.merge(kDpo, shared[0], shared[1]);
  }
  auto store = CustomerStore::open(dir, *app_key(), build(true));
  CHECK(store.manifest().field("email")->unique);
  REQUIRE_AMANAH_ERROR(store.insert(kSupport, {{"email", "Other@example.com"}}),
                       ErrorCode::Duplicate);
}

TEST_CASE("without a [roles] section, the roles named by rules are the declared ones",
          "[records]") {
  TempDir tmp;
  const auto m = amanah::Manifest::from_toml(R"(
[purposes.service]
basis = "contract"
[fields]
full_name = { type = "text", category = "identity", purposes = ["service"] }
[[permit]]
id = "support-reads"
roles = ["support"]
actions = ["read", "create"]
)");
  auto store = CustomerStore::create(tmp / "s", *app_key(), m);
  const auto id = store.insert(kSupport, {{"full_name", "Siti"}});
  CHECK(store.get(kSupport, id).fields.at("full_name") == "Siti");
  REQUIRE_AMANAH_ERROR(store.get({.actor = "a", .roles = {"marketing"}, .purpose = "service"}, id),
                       ErrorCode::AccessDenied);
}

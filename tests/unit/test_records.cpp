// Customer records: validation, storage, lookups, encryption, duplicates and manifest changes.
#include <amanah/amanah.hpp>

#include <algorithm>
#include <set>

#include "records/doc.hpp"
#include "records_fixture.hpp"
#include "store_internals.hpp"

using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::FieldValues;
using amanah::SecretBytes;
using amanah::test::kSupport;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;

namespace {

std::unique_ptr<amanah::KeyProvider> app_key() {
  static const SecretBytes key = SecretBytes::random(32);
  return amanah::raw_key(key.clone());
}

const FieldValues kSiti = {{"full_name", "Siti Rahma"},
                           {"email", "siti@Example.CO.ID"},
                           {"phone", "0812-3456-7890"},
                           {"nik", "3171234567890123"},
                           {"birth_date", "1990-05-17"}};

}  // namespace

TEST_CASE("insert validates and normalizes; get returns canonical values", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);
  CHECK(id.str().size() == 32);
  const amanah::Record r = store.get(kSupport, id);
  CHECK(r.id == id);
  CHECK(r.fields.at("full_name") == "Siti Rahma");
  CHECK(r.fields.at("email") == "siti@example.co.id");
  CHECK(r.fields.at("phone") == "+6281234567890");
  CHECK(r.fields.at("nik") == "3171234567890123");
  CHECK(r.fields.size() == 5);

  const amanah::Record only = store.get(kSupport, id, {"phone", "npwp"});
  CHECK(only.fields.size() == 1);
  CHECK(only.fields.at("phone") == "+6281234567890");

  REQUIRE_AMANAH_ERROR(store.get(kSupport, CustomerId::parse(std::string(32, 'a'))),
                       ErrorCode::NotFound);
  REQUIRE_AMANAH_ERROR(store.get(kSupport, id, {"shoe_size"}), ErrorCode::UndeclaredField);
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

TEST_CASE("bad input changes nothing: no row, index entry, key or log entry", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  (void)store.insert(kSupport, kSiti);
  const auto before = amanah::test::counts(store);

  SECTION("invalid value") {
    FieldValues bad = {{"full_name", "X"}, {"email", "planted-bad-7731@@example"}};
    try {
      (void)store.insert(kSupport, bad);
      FAIL("expected Validation");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::Validation);
      CHECK(std::string(e.what()).find("'email'") != std::string::npos);
      CHECK(std::string(e.what()).find("planted-bad") == std::string::npos);
    }
  }
  SECTION("undeclared field") {
    REQUIRE_AMANAH_ERROR(store.insert(kSupport, {{"full_name", "X"}, {"shoe_size", "42"}}),
                         ErrorCode::UndeclaredField);
  }
  SECTION("duplicate on a unique field, differently formatted") {
    try {
      (void)store.insert(kSupport, {{"full_name", "Other"}, {"email", "SITI@example.co.id"}});
      FAIL("expected Duplicate");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::Duplicate);
      CHECK(std::string(e.what()).find("siti") == std::string::npos);
    }
    REQUIRE_AMANAH_ERROR(store.insert(kSupport, {{"nik", "3171 2345 6789 0123"}}),
                         ErrorCode::Duplicate);
  }
  SECTION("one bad record in a batch rejects the whole batch") {
    std::vector<FieldValues> batch(10, FieldValues{{"full_name", "Ok"}});
    batch[7]["phone"] = "not a phone";
    REQUIRE_AMANAH_ERROR(store.insert_many(kSupport, batch), ErrorCode::Validation);
    std::vector<FieldValues> clash = {{{"email", "a@example.com"}}, {{"email", "A@example.com"}}};
    REQUIRE_AMANAH_ERROR(store.insert_many(kSupport, clash), ErrorCode::Duplicate);
  }
  SECTION("unknown role or purpose, or no actor") {
    REQUIRE_AMANAH_ERROR(store.insert({.actor = "a", .roles = {"intern"}, .purpose = "service"},
                                      {{"full_name", "X"}}),
                         ErrorCode::AccessDenied);
    REQUIRE_AMANAH_ERROR(store.insert({.actor = "a", .roles = {"support"}, .purpose = "profiling"},
                                      {{"full_name", "X"}}),
                         ErrorCode::AccessDenied);
    REQUIRE_AMANAH_ERROR(store.insert({.actor = "", .roles = {"support"}, .purpose = "service"},
                                      {{"full_name", "X"}}),
                         ErrorCode::InvalidArgument);
  }
  SECTION("a rejected update") {
    const CustomerId other = store.insert(kSupport, {{"email", "other@example.com"}});
    const auto mid = amanah::test::counts(store);
    const std::string doc_before = [&] {
      auto st = Access::data_db(store).prepare("SELECT hex(doc) FROM subjects WHERE id = ?1");
      st.bind(1, other.str());
      REQUIRE(st.step());
      return st.column_text(0);
    }();
    REQUIRE_AMANAH_ERROR(store.update(kSupport, other, {{"email", "siti@example.co.id"}}),
                         ErrorCode::Duplicate);
    REQUIRE_AMANAH_ERROR(store.update(kSupport, other, {{"phone", "123"}}), ErrorCode::Validation);
    CHECK(amanah::test::counts(store) == mid);
    auto st = Access::data_db(store).prepare("SELECT hex(doc) FROM subjects WHERE id = ?1");
    st.bind(1, other.str());
    REQUIRE(st.step());
    CHECK(st.column_text(0) == doc_before);
    return;
  }
  CHECK(amanah::test::counts(store) == before);
}

TEST_CASE("update changes only the given fields and keeps indexes right", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);
  store.update(kSupport, id, {{"phone", "0813 1111 2222"}, {"birth_date", std::nullopt}});
  const auto r = store.get(kSupport, id);
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
  std::string last;
  std::size_t with_email = 0;
  for (const amanah::Record& r : store.scan(kSupport, {"email"})) {
    CHECK(r.id.str() > last);
    last = r.id.str();
    seen.insert(r.id.str());
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
  auto sc = empty.scan(kSupport);
  CHECK(sc.begin() == sc.end());
}

TEST_CASE("sensitive and encrypt fields are sealed under the subject's key", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId a = store.insert(kSupport, kSiti);
  const CustomerId b = store.insert(kSupport, {{"full_name", "Budi"}, {"notes", "likes tea"}});
  auto doc_of = [&](const CustomerId& id) {
    auto st = Access::data_db(store).prepare("SELECT doc FROM subjects WHERE id = ?1");
    st.bind(1, id.str());
    REQUIRE(st.step());
    return amanah::detail::records::decode(st.column_blob(0));
  };
  auto da = doc_of(a);
  CHECK(da.at("nik").sealed);
  CHECK_FALSE(da.at("full_name").sealed);
  CHECK(doc_of(b).at("notes").sealed);

  // A sealed value moved to another subject does not open there.
  auto db_ = doc_of(b);
  db_["nik"] = da.at("nik");
  Access::data_db(store)
      .prepare("UPDATE subjects SET doc = ?1 WHERE id = ?2")
      .bind(1, amanah::detail::records::encode(db_))
      .bind(2, b.str())
      .run();
  REQUIRE_AMANAH_ERROR(store.get(kSupport, b), ErrorCode::Corrupt);
  CHECK(store.get(kSupport, a).fields.at("nik") == "3171234567890123");
}

TEST_CASE("an NPWP equal to a NIK is protected like one; cards keep only brand and last 4",
          "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id =
      store.insert(kSupport, {{"npwp", "3171234105900001"}, {"card", "4111 1111 1111 1111"}});
  auto st = Access::data_db(store).prepare("SELECT doc FROM subjects WHERE id = ?1");
  st.bind(1, id.str());
  REQUIRE(st.step());
  const auto doc = amanah::detail::records::decode(st.column_blob(0));
  CHECK(doc.at("npwp").sealed);
  const auto r = store.get(kSupport, id);
  CHECK(r.fields.at("card") == "VISA ****1111");
  CHECK(r.fields.at("npwp") == "3171234105900001");
  REQUIRE_AMANAH_ERROR(store.insert(kSupport, {{"card", "4111 1111 1111 1112"}}),
                       ErrorCode::Validation);
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

TEST_CASE("find_duplicates groups subjects sharing an email, phone or NIK; merge folds them",
          "[records]") {
  TempDir tmp;
  // email is unique in the example manifest; duplicates need a manifest where it is not.
  auto m = amanah::Manifest::builder()
               .purpose("service", amanah::LegalBasis::contract)
               .role("support")
               .field({.name = "full_name",
                       .type = amanah::FieldType::text,
                       .category = amanah::Category::identity,
                       .purposes = {"service"}})
               .field({.name = "email",
                       .type = amanah::FieldType::email,
                       .category = amanah::Category::contact,
                       .purposes = {"service"},
                       .lookup = true})
               .field({.name = "phone",
                       .type = amanah::FieldType::phone,
                       .category = amanah::Category::contact,
                       .purposes = {"service"},
                       .lookup = true})
               .build();
  auto store = CustomerStore::create(tmp / "s", *app_key(), m);
  const auto a = store.insert(kSupport, {{"full_name", "Siti"}, {"email", "siti@example.co.id"}});
  const auto b =
      store.insert(kSupport, {{"email", "SITI@example.co.id"}, {"phone", "0812-3456-7890"}});
  const auto c = store.insert(kSupport, {{"full_name", "S. Rahma"}, {"phone", "+6281234567890"}});
  const auto d = store.insert(kSupport, {{"full_name", "Budi"}, {"email", "budi@example.com"}});
  const auto groups = store.find_duplicates(kSupport);
  REQUIRE(groups.size() == 1);
  std::vector<CustomerId> expect{a, b, c};
  std::sort(expect.begin(), expect.end());
  CHECK(groups[0] == expect);
  (void)d;

  const auto keys_before = amanah::test::counts(store).keys;
  store.merge(kSupport, a, b);
  REQUIRE_AMANAH_ERROR(store.get(kSupport, b), ErrorCode::NotFound);
  const auto r = store.get(kSupport, a);
  CHECK(r.fields.at("full_name") == "Siti");
  CHECK(r.fields.at("phone") == "+6281234567890");
  CHECK(store.find(kSupport, "phone", "0812 3456 7890").size() == 2);  // a and c
  CHECK(amanah::test::counts(store).keys == keys_before - 1);
  store.merge(kSupport, a, c);
  CHECK(store.find_duplicates(kSupport).empty());
  CHECK(store.size() == 2);
  REQUIRE_AMANAH_ERROR(store.merge(kSupport, a, a), ErrorCode::InvalidArgument);
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
    CHECK(store.get(kSupport, id).fields.at("birth_date") == "1990-05-17");
  }
  {
    auto store =
        CustomerStore::open(dir, *app_key(), without_birth, {.erase_removed_fields = true});
    CHECK_FALSE(store.get(kSupport, id).fields.contains("birth_date"));
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
  CHECK(store.get(kSupport, id, {"city"}).fields.at("city") == "Jakarta");
}

TEST_CASE("every access is recorded with field names, never values", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const auto id = store.insert(kSupport, kSiti);
  (void)store.get(kSupport, id);
  (void)store.find(kSupport, "email", "siti@example.co.id");
  store.update(kSupport, id, {{"phone", "0813 1111 2222"}});  // flushes the queued reads
  auto& d = Access::data_db(store);
  auto st =
      d.prepare("SELECT action, actor, purpose, subject, fields FROM access_log ORDER BY seq");
  std::vector<std::string> actions;
  std::string everything;
  while (st.step()) {
    actions.push_back(st.column_text(0));
    CHECK(st.column_text(1) == "agent-17");
    CHECK(st.column_text(2) == "service");
    CHECK(st.column_text(3).size() == 32);
    CHECK(st.column_text(3) != id.str());  // a keyed pseudonym, not the id
    everything += st.column_text(4) + ";";
  }
  CHECK(actions == std::vector<std::string>{"create", "read", "read", "update"});
  CHECK(everything.find("email") != std::string::npos);
  CHECK(everything.find("siti") == std::string::npos);
  CHECK(everything.find("+62") == std::string::npos);
}

TEST_CASE("reads are recorded in batches: every 256, at close, and writes stay fully synced",
          "[records]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto read_records = [](amanah::detail::db::Connection& d) {
    auto st = d.prepare("SELECT count(*) FROM access_log WHERE action = 'read'");
    REQUIRE(st.step());
    return st.column_int64(0);
  };
  {
    auto store = CustomerStore::create(dir, *app_key(), amanah::test::example_manifest());
    const auto id = store.insert(kSupport, kSiti);
    auto& d = Access::data_db(store);
    for (int i = 0; i < 255; ++i)
      (void)store.get(kSupport, id, {"full_name"});
    CHECK(read_records(d) == 0);  // still queued
    (void)store.get(kSupport, id, {"full_name"});
    CHECK(read_records(d) == 256);  // the 256th read wrote the batch, with no write around it
    // That batch was committed without a sync of its own; the setting must be back to FULL so
    // the next change is durable when insert() returns.
    {
      auto st = d.prepare("PRAGMA synchronous");
      REQUIRE(st.step());
      CHECK(st.column_int64(0) == 2);
    }
    for (int i = 0; i < 10; ++i)
      (void)store.find(kSupport, "email", "siti@example.co.id");
    CHECK(read_records(d) == 256);
  }
  auto store = CustomerStore::open(dir, *app_key());
  CHECK(read_records(Access::data_db(store)) == 266);  // the queued ten were written at close
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
    (void)store.get(kSupport, id);
    (void)store.find(kSupport, "phone", "0812-3456-7890");
    for (const auto& f : amanah::test::files_below(dir))
      for (const auto& p : planted)
        CHECK(amanah::test::read_file(f).find(p) == std::string::npos);
  }
  for (const auto& f : amanah::test::files_below(dir))
    for (const auto& p : planted)
      CHECK(amanah::test::read_file(f).find(p) == std::string::npos);
}

TEST_CASE("masked() applies each field's default mask", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const auto id = store.insert(kSupport, kSiti);
  const auto m = store.masked(store.get(kSupport, id));
  CHECK(m.id == id);
  CHECK(m.fields.at("phone") == "+*********7890");
  CHECK(m.fields.at("nik") == "************0123");
  CHECK(m.fields.at("birth_date") == "1990");
  CHECK(m.fields.at("full_name") == "Siti Rahma");  // mask none
}

TEST_CASE("a damaged stored record is Corrupt, never a crash or a silently shorter record",
          "[records]") {
  namespace rec = amanah::detail::records;
  rec::Doc doc;
  doc["email"].text = "a@example.com";
  doc["nik"].sealed = true;
  doc["nik"].sealed_box = std::vector<std::byte>(45, std::byte{7});
  const auto bytes = rec::encode(doc);
  const auto back = rec::decode(bytes);
  CHECK(back.size() == 2);
  CHECK(back.at("email").text == "a@example.com");
  CHECK(back.at("nik").sealed_box == doc["nik"].sealed_box);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    REQUIRE_AMANAH_ERROR(rec::decode(std::span(bytes).first(n)), ErrorCode::Corrupt);
  auto longer = bytes;
  longer.push_back(std::byte{0});
  REQUIRE_AMANAH_ERROR(rec::decode(longer), ErrorCode::Corrupt);
  auto bad_kind = bytes;
  bad_kind[1 + 1 + 1 + 5] = std::byte{9};  // count, name length, "email", kind
  REQUIRE_AMANAH_ERROR(rec::decode(bad_kind), ErrorCode::Corrupt);
}

TEST_CASE("a field cannot become unique while customers share a value", "[records]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto build = [](bool unique) {
    return amanah::Manifest::builder()
        .purpose("service", amanah::LegalBasis::contract)
        .role("support")
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
    store.merge(kSupport, shared[0], shared[1]);
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
actions = ["read"]
)");
  auto store = CustomerStore::create(tmp / "s", *app_key(), m);
  const auto id = store.insert(kSupport, {{"full_name", "Siti"}});
  CHECK(store.get(kSupport, id).fields.at("full_name") == "Siti");
  REQUIRE_AMANAH_ERROR(store.get({.actor = "a", .roles = {"marketing"}, .purpose = "service"}, id),
                       ErrorCode::AccessDenied);
}

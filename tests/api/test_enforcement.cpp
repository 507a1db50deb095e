// Every CustomerStore call is decided by the access policy before any data is touched: fields per
// role, masks per role, purpose limitation, consent gating, denials that explain themselves.
#include <amanah/amanah.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "records_fixture.hpp"
#include "support.hpp"

using amanah::AccessContext;
using amanah::AccessDenied;
using amanah::Action;
using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::Mask;
using amanah::test::app_key;
using amanah::test::kDpo;
using amanah::test::kMarketing;
using amanah::test::kSiti;
using amanah::test::kSupport;
using amanah::test::ManualClock;
using amanah::test::TempDir;

namespace {

const amanah::ConsentEvidence kSignup{.source = "signup-form", .notice_version = "2026-01"};

// The decision an AccessDenied carries; fails the test if `f` does not throw one.
template <class F>
amanah::Decision denial(F&& f) {
  try {
    f();
  } catch (const AccessDenied& e) {
    CHECK(e.code() == ErrorCode::AccessDenied);
    CHECK_FALSE(e.decision().allowed());
    return e.decision();
  }
  FAIL("no AccessDenied");
  return {};
}

std::set<std::string> names(const amanah::Record& r) {
  std::set<std::string> out;
  for (const auto& [k, v] : r.fields)
    out.insert(k);
  return out;
}

}  // namespace

TEST_CASE("get returns exactly the fields a role may read, each through its mask",
          "[enforcement]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);

  // Support: every field, through the fields' default masks.
  const auto support = store.get(kSupport, id);
  CHECK((names(support) ==
         std::set<std::string>{"birth_date", "email", "full_name", "nik", "phone"}));
  CHECK(support.fields.at("nik") == "************0123");
  CHECK(support.fields.at("phone") == "+*********7890");
  CHECK(support.fields.at("birth_date") == "1990");
  CHECK(support.fields.at("email") == "siti@example.co.id");  // mask none

  // The DPO's permit sets mask none: the stored values.
  const auto dpo = store.get(kDpo, id);
  CHECK(dpo.fields.at("nik") == "3171234567890123");
  CHECK(dpo.fields.at("phone") == "+6281234567890");

  // A projection is decided field by field.
  const auto projected = store.get(kSupport, id, {"nik"});
  CHECK(projected.fields.at("nik") == "************0123");

  // Marketing without the customer's consent: invisible.
  REQUIRE_AMANAH_ERROR(store.get(kMarketing, id), ErrorCode::ConsentRequired);
  store.consents().grant(kSupport, id, "marketing", kSignup);
  const auto marketing = store.get(kMarketing, id);
  CHECK((names(marketing) == std::set<std::string>{"email"}));
}

TEST_CASE("a denied projection throws AccessDenied with an explaining decision, and no value",
          "[enforcement]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);
  store.consents().grant(kSupport, id, "marketing", kSignup);

  const auto d = denial([&] { (void)store.get(kMarketing, id, {"email", "nik"}); });
  CHECK(d.rules() == std::vector<std::string>{"marketing-never-sees-sensitive"});
  CHECK(d.allows("email"));
  CHECK_FALSE(d.allows("nik"));
  const std::string why = d.explain();
  CHECK(why.find("marketing-never-sees-sensitive") != std::string::npos);
  CHECK(why.find("'nik'") != std::string::npos);
  CHECK(why.find("purpose limitation") != std::string::npos);  // nik is declared for service only
  for (const auto& [field, value] : kSiti)
    CHECK(why.find(value) == std::string::npos);

  // Marketing's email permit names the marketing purpose only.
  const AccessContext marketing_for_service{
      .actor = "campaign-svc", .roles = {"marketing"}, .purpose = "service"};
  const auto d2 = denial([&] { (void)store.get(marketing_for_service, id, {"email"}); });
  CHECK(d2.fields().at(0).reasons == std::vector{amanah::Reason::no_permit});
  // Without a projection: nothing this context may read is still a denial.
  (void)denial([&] { (void)store.get(marketing_for_service, id); });
  (void)denial([&] { (void)store.scan(marketing_for_service); });
}

TEST_CASE("writes need create and update on every field given; a denial writes nothing",
          "[enforcement]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);
  const auto before = store.get(kDpo, id);

  (void)denial([&] { (void)store.insert(kMarketing, {{"email", "x@example.com"}}); });
  (void)denial([&] { store.update(kMarketing, id, {{"email", "x@example.com"}}); });
  // One field the role may not write denies the whole call.
  const AccessContext breakglass{.actor = "ops-1", .roles = {"break_glass"}, .purpose = "service"};
  (void)denial([&] { store.update(breakglass, id, {{"full_name", "Someone Else"}}); });
  CHECK(store.size() == 1);
  CHECK((store.get(kDpo, id).fields == before.fields));

  // Merge needs erase on the absorbed record's fields: support may not erase.
  const CustomerId other = store.insert(kSupport, {{"full_name", "Budi"}});
  (void)denial([&] { store.merge(kSupport, id, other); });
  CHECK(store.size() == 2);
  store.merge(kDpo, id, other);
  CHECK(store.size() == 1);

  REQUIRE_AMANAH_ERROR(store.insert(kSupport, {}), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(store.update(kSupport, id, {}), ErrorCode::InvalidArgument);
}

TEST_CASE("find needs read on the lookup field and skips customers without consent",
          "[enforcement]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId siti = store.insert(kSupport, kSiti);
  CHECK(store.find(kSupport, "nik", "3171234567890123") == std::vector{siti});
  (void)denial([&] { (void)store.find(kMarketing, "nik", "3171234567890123"); });
  CHECK(store.find(kMarketing, "email", "siti@example.co.id").empty());
  store.consents().grant(kSupport, siti, "marketing", kSignup);
  CHECK(store.find(kMarketing, "email", "siti@example.co.id") == std::vector{siti});
  // find_duplicates reads every email, phone and NIK.
  (void)denial([&] { (void)store.find_duplicates(kMarketing); });
  CHECK(store.find_duplicates(kSupport).empty());
}

TEST_CASE("consent gating follows grant, expiry, withdrawal and re-grant on the store's clock",
          "[enforcement][consent]") {
  TempDir tmp;
  auto clock = std::make_shared<ManualClock>();
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest(),
                                     {.clock = clock});
  std::vector<CustomerId> ids;
  for (int i = 0; i < 600; ++i)
    ids.push_back(store.insert(kSupport, amanah::test::customer(i)));
  auto reached = [&] {
    std::set<CustomerId> out;
    for (const auto& r : store.scan(kMarketing)) {
      CHECK((names(r) == std::set<std::string>{"email"}));
      out.insert(r.id);
    }
    return out;
  };
  CHECK(reached().empty());

  // Customers 0, 300 and 599 consent (different scan batches); 300's consent expires in a day.
  store.consents().grant(kSupport, ids[0], "marketing", kSignup);
  auto expiring = kSignup;
  expiring.expires = clock->now() + std::chrono::hours(24);
  store.consents().grant(kSupport, ids[300], "marketing", expiring);
  store.consents().grant(kSupport, ids[599], "marketing", kSignup);
  CHECK((reached() == std::set{ids[0], ids[300], ids[599]}));

  clock->advance(24 * 3600);
  CHECK((reached() == std::set{ids[0], ids[599]}));
  REQUIRE_AMANAH_ERROR(store.get(kMarketing, ids[300]), ErrorCode::ConsentRequired);

  // A withdrawal takes effect at once.
  store.consents().withdraw(kSupport, ids[0], "marketing", "unsubscribe-link");
  CHECK((reached() == std::set{ids[599]}));
  REQUIRE_AMANAH_ERROR(store.get(kMarketing, ids[0]), ErrorCode::ConsentRequired);
  REQUIRE_AMANAH_ERROR(store.update(kMarketing, ids[0], {{"email", "new@example.com"}}),
                       ErrorCode::AccessDenied);  // marketing may not write at all

  clock->advance(60);
  store.consents().grant(kSupport, ids[0], "marketing", kSignup);
  CHECK((reached() == std::set{ids[0], ids[599]}));
  // Service purposes do not need consent.
  std::size_t all = 0;
  for (const auto& r : store.scan(kSupport, {"email"})) {
    (void)r;
    ++all;
  }
  CHECK(all == 600);
}

TEST_CASE("hash masks are keyed per store and field; nullify leaves the field out",
          "[enforcement]") {
  auto manifest = [] {
    return amanah::Manifest::from_toml(R"toml(
[purposes.service]
basis = "contract"
[roles.analyst]
[fields]
email = { type = "email", category = "contact", purposes = ["service"] }
alt_email = { type = "email", category = "contact", purposes = ["service"] }
phone = { type = "phone", category = "contact", purposes = ["service"] }
[[permit]]
id = "analyst-pseudonyms"
roles = ["analyst"]
fields = ["email", "alt_email"]
mask = "hash"
[[permit]]
id = "analyst-no-phone"
roles = ["analyst"]
fields = ["phone"]
mask = "nullify"
[[permit]]
id = "analyst-writes"
roles = ["analyst"]
actions = ["create"]
)toml");
  };
  const AccessContext analyst{.actor = "a-1", .roles = {"analyst"}, .purpose = "service"};
  const amanah::FieldValues values{{"email", "siti@example.co.id"},
                                   {"alt_email", "siti@example.co.id"},
                                   {"phone", "0812-3456-7890"}};
  TempDir tmp;
  auto one = CustomerStore::create(tmp / "one", *app_key(), manifest());
  auto two = CustomerStore::create(tmp / "two", *app_key(), manifest());
  const auto a = one.get(analyst, one.insert(analyst, values));
  const auto a2 = one.get(analyst, one.insert(analyst, {{"email", "siti@example.co.id"}}));
  const auto b = two.get(analyst, two.insert(analyst, values));
  CHECK_FALSE(a.fields.contains("phone"));
  const std::string pseudonym = a.fields.at("email");
  CHECK(pseudonym.find("siti") == std::string::npos);
  CHECK((a2.fields.at("email") == pseudonym));           // stable within a store and field
  CHECK_FALSE((a.fields.at("alt_email") == pseudonym));  // keyed per field
  CHECK_FALSE((b.fields.at("email") == pseudonym));      // keyed per store
}

TEST_CASE("store.policy() follows the manifest, and change_manifest is decided", "[enforcement]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const auto d = store.policy().decide(kMarketing, Action::read, "nik");
  CHECK_FALSE(d.allowed());
  CHECK(d.rules() == std::vector<std::string>{"marketing-never-sees-sensitive"});
  CHECK(store.policy().decide(kSupport, Action::manage_consent).allowed());
  CHECK_FALSE(store.policy().decide(kMarketing, Action::manage_consent).allowed());

  // A new manifest that lets marketing read the phone too.
  std::string toml = amanah::test::kManifestToml;
  toml += R"toml(
[[permit]]
id = "marketing-reads-phone"
roles = ["marketing"]
actions = ["read"]
fields = ["phone"]
)toml";
  const auto next = amanah::Manifest::from_toml(toml);
  (void)denial([&] { store.change_manifest(kSupport, next); });
  CHECK_FALSE(store.policy().decide(kMarketing, Action::read, "phone").allowed());
  store.change_manifest(kDpo, next);
  // The permit matches, but purpose limitation still holds: phone serves only "service".
  const auto after = store.policy().decide(kMarketing, Action::read, "phone");
  CHECK_FALSE(after.allowed());
  CHECK(after.fields().at(0).reasons == std::vector{amanah::Reason::purpose_not_declared});
  const AccessContext marketing_service{
      .actor = "campaign-svc", .roles = {"marketing"}, .purpose = "service"};
  CHECK(store.policy().decide(marketing_service, Action::read, "phone").allowed());
  CHECK(store.manifest().rules().size() == next.rules().size());
}

TEST_CASE("break-glass access is a rule like any other", "[enforcement]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);
  const AccessContext breakglass{.actor = "ops-1", .roles = {"break_glass"}, .purpose = "service"};
  const auto r = store.get(breakglass, id);
  CHECK(r.fields.at("nik") == "3171234567890123");
  CHECK(store.policy().decide(breakglass, Action::read, "nik").rules() ==
        std::vector<std::string>{"break-glass"});
}

TEST_CASE("an update for a consent-based purpose needs the customer's live consent",
          "[enforcement][consent]") {
  std::string toml = amanah::test::kManifestToml;
  toml += R"toml(
[[permit]]
id = "marketing-keeps-email-current"
roles = ["marketing"]
actions = ["update"]
fields = ["email"]
purposes = ["marketing"]
)toml";
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::Manifest::from_toml(toml));
  const CustomerId id = store.insert(kSupport, kSiti);
  REQUIRE_AMANAH_ERROR(store.update(kMarketing, id, {{"email", "new@example.com"}}),
                       ErrorCode::ConsentRequired);
  CHECK(store.get(kDpo, id).fields.at("email") == "siti@example.co.id");  // unchanged
  store.consents().grant(kSupport, id, "marketing", kSignup);
  store.update(kMarketing, id, {{"email", "new@example.com"}});
  CHECK(store.get(kDpo, id).fields.at("email") == "new@example.com");
  store.consents().withdraw(kSupport, id, "marketing", "unsubscribe-link");
  REQUIRE_AMANAH_ERROR(store.update(kMarketing, id, {{"email", "other@example.com"}}),
                       ErrorCode::ConsentRequired);
}

TEST_CASE("a changed manifest changes the next decision on the same thread", "[enforcement]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id = store.insert(kSupport, kSiti);
  CHECK(store.get(kSupport, id).fields.contains("phone"));
  CHECK(store.get(kSupport, id).fields.contains("phone"));  // asked twice: the same answer
  std::string toml = amanah::test::kManifestToml;
  toml += R"toml(
[[forbid]]
id = "support-no-phone"
roles = ["support"]
fields = ["phone"]
)toml";
  store.change_manifest(kDpo, amanah::Manifest::from_toml(toml));
  const auto after = store.get(kSupport, id);
  CHECK_FALSE(after.fields.contains("phone"));
  CHECK(after.fields.contains("email"));
  (void)denial([&] { (void)store.find(kSupport, "phone", "0812-3456-7890"); });
}

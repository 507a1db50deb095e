// Retention, legal holds, erasure and the customer's rights, through the public API with a moving
// clock.
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include "support.hpp"

using namespace amanah;
using amanah::test::ManualClock;
using amanah::test::TempDir;

namespace {

constexpr std::int64_t kDay = 86400;
// 2026-01-01T00:00:00Z, ManualClock's default.
constexpr std::int64_t kStart = 1'767'225'600;
// 2036-01-01T00:00:00Z: ten calendar years later (3,652 days, two of them leap days).
constexpr std::int64_t kTenYears = 1'767'225'600 + 3652 * kDay;

constexpr const char* kToml = R"toml(
[store]
name = "Retention test"

[purposes.service]
basis = "contract"
[purposes.marketing]
basis = "consent"
[purposes.analytics]
basis = "legitimate_interest"

[roles.support]
[roles.analyst]
[roles.dpo]
[roles.ops]

[fields]
full_name   = { type = "text",  category = "identity",    purposes = ["service"] }
email       = { type = "email", category = "contact",     purposes = ["service", "marketing", "analytics"], lookup = true }
last_viewed = { type = "text",  category = "behavioral",  purposes = ["service", "analytics"] }
last_order  = { type = "money", category = "transaction", purposes = ["service"] }
invoice_no  = { type = "text",  category = "transaction", purposes = ["service"], encrypt = true }
promo_code  = { type = "text",  category = "account",     purposes = ["marketing"], retention = "30d", retention_from = "consent_withdrawal" }

[retention]
behavioral = { keep = "365d", from = "last_activity" }
transaction = { keep = "10y", basis = "legal_obligation" }

[[permit]]
id = "support-works"
roles = ["support"]
actions = ["read", "update", "create", "manage_consent"]
purposes = ["service", "marketing"]

[[permit]]
id = "support-consents"
roles = ["support"]
actions = ["manage_consent"]

[[permit]]
id = "analyst-reads"
roles = ["analyst"]
actions = ["read"]
fields = ["email", "last_viewed"]
purposes = ["analytics"]

[[permit]]
id = "dpo-all"
roles = ["dpo"]
mask = "none"
restricted = true

[[permit]]
id = "ops-retention"
roles = ["ops"]
actions = ["manage_retention"]
)toml";

const AccessContext kSupport{.actor = "agent-1", .roles = {"support"}, .purpose = "service"};
const AccessContext kAnalyst{.actor = "bi-1", .roles = {"analyst"}, .purpose = "analytics"};
const AccessContext kDpo{.actor = "dpo-1", .roles = {"dpo"}, .purpose = "service"};
const AccessContext kOps{.actor = "cron", .roles = {"ops"}, .purpose = "service"};

struct Fixture {
  TempDir tmp;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kStart);
  std::unique_ptr<KeyProvider> key = raw_key(SecretBytes::random(32));
  CustomerStore store = CustomerStore::create(tmp / "s", *key, Manifest::from_toml(kToml),
                                              CreateOptions{.clock = clock});
  TimePoint at(std::int64_t s) const { return TimePoint(std::chrono::seconds(s)); }
};

FieldValues shopper(int i) {
  return {{"full_name", "Shopper " + std::to_string(i)},
          {"email", "shopper" + std::to_string(i) + "@example.com"},
          {"last_viewed", "/product/" + std::to_string(i)},
          {"last_order", "IDR 150000"},
          {"invoice_no", "INV-" + std::to_string(1000 + i)}};
}

}  // namespace

TEST_CASE(
    "retention: behavioral data goes a year after the last activity, transactions after 10 "
    "years",
    "[retention]") {
  Fixture f;
  const CustomerId idle = f.store.insert(kSupport, shopper(1));
  const CustomerId active = f.store.insert(kSupport, shopper(2));

  f.clock->set(kStart + 300 * kDay);
  f.store.update(kSupport, active, {{"last_viewed", "/product/77"}});  // activity on day 300

  f.clock->set(kStart + 364 * kDay);
  auto r = f.store.retention().sweep(kOps);
  CHECK(r.customers_checked == 2);
  CHECK(r.lines.empty());

  f.clock->set(kStart + 366 * kDay);
  r = f.store.retention().sweep(kOps);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0].rule == "retention.behavioral");
  CHECK(r.lines[0].field == "last_viewed");
  CHECK(r.lines[0].values == 1);
  CHECK(r.customers_erased == 0);
  CHECK(r.subjects.size() == 1);
  CHECK_FALSE(f.store.get(kDpo, idle).fields.contains("last_viewed"));
  CHECK(f.store.get(kDpo, idle).fields.at("last_order") == "IDR 150000.00");
  CHECK(f.store.get(kDpo, active).fields.contains("last_viewed"));

  // The transaction fields stay ten calendar years from collection, to the second.
  f.clock->set(kTenYears - 1);
  r = f.store.retention().sweep(kOps);
  CHECK(f.store.get(kDpo, idle).fields.contains("last_order"));
  f.clock->set(kTenYears);
  r = f.store.retention().sweep(kOps);
  CHECK_FALSE(f.store.get(kDpo, idle).fields.contains("last_order"));
  CHECK_FALSE(f.store.get(kDpo, idle).fields.contains("invoice_no"));
  CHECK(f.store.get(kDpo, idle).fields.at("full_name") == "Shopper 1");  // identity: no rule
  CHECK(f.store.size() == 2);
  CHECK(f.store.audit().verify().ok());
}

TEST_CASE("retention: a customer with nothing left is erased whole and tombstoned", "[retention]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, {{"last_viewed", "/home"}});
  f.clock->advance(366 * kDay);
  const auto r = f.store.retention().sweep(kOps);
  CHECK(r.customers_erased == 1);
  REQUIRE_AMANAH_ERROR(f.store.get(kDpo, id), ErrorCode::NotFound);
  const auto t = f.store.retention().tombstones();
  REQUIRE(t.size() == 1);
  CHECK(t[0].reason == ErasureReason::retention_expired);
  CHECK(t[0].subject == r.subjects.at(0));
  CHECK_FALSE(t[0].held_until.has_value());
}

TEST_CASE("retention: a sweep's dry run reports exactly what the sweep then does", "[retention]") {
  Fixture f;
  for (int i = 0; i < 40; ++i) {
    auto v = shopper(i);
    if (i % 3 == 0) v = {{"last_viewed", "/p"}};  // nothing else: erased whole
    (void)f.store.insert(kSupport, v);
  }
  f.clock->advance(400 * kDay);
  const std::size_t before = f.store.size();
  const auto dry = f.store.retention().sweep(kOps, {.dry_run = true});
  CHECK(f.store.size() == before);  // nothing changed
  CHECK(f.store.retention().tombstones().empty());
  const auto real = f.store.retention().sweep(kOps);
  CHECK(dry.dry_run);
  CHECK_FALSE(real.dry_run);
  CHECK(dry.lines == real.lines);
  CHECK(dry.subjects == real.subjects);
  CHECK(dry.customers_checked == real.customers_checked);
  CHECK(dry.customers_erased == real.customers_erased);
  CHECK(real.customers_erased == 14);
  CHECK(f.store.size() == before - 14);
  REQUIRE(real.lines.size() == 1);
  CHECK(real.lines[0].values == 40);
  // A second sweep finds nothing more.
  CHECK(f.store.retention().sweep(kOps).lines.empty());
}

TEST_CASE("erasure: a legal hold keeps the transaction fields, restricted, until it ends",
          "[retention][erasure]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, shopper(1));
  const CustomerId other = f.store.insert(kSupport, shopper(2));
  f.clock->advance(10 * kDay);
  const ErasureReceipt receipt = f.store.erase(kDpo, id);
  CHECK(receipt.reason == ErasureReason::subject_request);
  CHECK(receipt.subject.size() == 32);
  CHECK(receipt.at == f.at(kStart + 10 * kDay));
  CHECK(receipt.erased_fields == std::vector<std::string>{"email", "full_name", "last_viewed"});
  REQUIRE(receipt.held.size() == 2);
  for (const auto& h : receipt.held) {
    CHECK((h.field == "invoice_no" || h.field == "last_order"));
    CHECK(h.hold == "retention.transaction");
    CHECK(h.basis == LegalBasis::legal_obligation);
    CHECK(h.until == f.at(kTenYears));
  }
  CHECK_FALSE(receipt.complete());
  CHECK_FALSE(receipt.key_destroyed);  // invoice_no is still sealed under it
  CHECK(receipt.scrubbed);

  // Kept, but not processed: only a permit naming the restricted state reaches it.
  REQUIRE_AMANAH_ERROR(f.store.get(kSupport, id), ErrorCode::Restricted);
  const Record held = f.store.get(kDpo, id);
  CHECK(held.fields == FieldValues{{"invoice_no", "INV-1001"}, {"last_order", "IDR 150000.00"}});
  CHECK(f.store.find(kDpo, "email", "shopper1@example.com").empty());
  REQUIRE_AMANAH_ERROR(f.store.update(kDpo, id, {{"last_order", "IDR 1"}}),
                       ErrorCode::InvalidOperation);
  std::size_t seen = 0;
  for (const auto& r : f.store.scan(kSupport)) {
    CHECK(r.id == other);
    ++seen;
  }
  CHECK(seen == 1);
  const auto t = f.store.retention().tombstones();
  REQUIRE(t.size() == 1);
  CHECK(t[0].subject == receipt.subject);
  CHECK(t[0].held_until == f.at(kTenYears));

  // Until the hold ends, a sweep leaves them; then it erases them and the customer is gone.
  f.clock->set(kTenYears - 1);
  (void)f.store.retention().sweep(kOps);  // `other`'s behavioral data goes; the held stays
  CHECK(f.store.get(kDpo, id).fields.size() == 2);
  f.clock->set(kTenYears);
  const auto r = f.store.retention().sweep(kOps);
  CHECK(r.customers_erased == 1);
  CHECK(f.store.get(kDpo, other).fields.size() == 2);  // identity and contact: no rule
  REQUIRE_AMANAH_ERROR(f.store.get(kDpo, id), ErrorCode::NotFound);
  CHECK(f.store.retention().tombstones().size() == 1);  // the erasure's, not a second one
  CHECK(f.store.audit().verify().ok());
}

TEST_CASE("erasure: without a hold, everything goes at once and the key is destroyed",
          "[retention][erasure]") {
  Fixture f;
  const CustomerId id =
      f.store.insert(kSupport, {{"full_name", "Siti"}, {"email", "s@example.com"}});
  (void)f.store.consents().grant(kSupport, id, "marketing",
                                 {.source = "signup-form", .notice_version = "2026-01"});
  const ErasureReceipt r = f.store.erase(kDpo, id, ErasureReason::consent_withdrawn);
  CHECK(r.complete());
  CHECK(r.key_destroyed);
  CHECK(r.consents_erased == 1);
  CHECK(r.erased_fields == std::vector<std::string>{"email", "full_name"});
  REQUIRE_AMANAH_ERROR(f.store.get(kDpo, id), ErrorCode::NotFound);
  REQUIRE_AMANAH_ERROR(f.store.erase(kDpo, id), ErrorCode::NotFound);
  CHECK(f.store.find(kDpo, "email", "s@example.com").empty());
  REQUIRE_AMANAH_ERROR((void)f.store.consents().history(id), ErrorCode::NotFound);
  // The audit chain keeps the customer's entries (pseudonyms, names) and still verifies.
  CHECK(f.store.audit().verify().ok());
  std::size_t entries = 0;
  for (const auto& e : f.store.audit().trail(kDpo, id, TimePoint{}, f.at(kStart + kDay))) {
    (void)e;
    ++entries;
  }
  CHECK(entries >= 3);  // create, consent, erase
  CHECK(f.store.retention().tombstones().at(0).reason == ErasureReason::consent_withdrawn);
}

TEST_CASE("erasure and retention are decided by the policy and recorded", "[retention]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, shopper(1));
  REQUIRE_THROWS_AS(f.store.erase(kSupport, id), AccessDenied);
  REQUIRE_THROWS_AS(f.store.retention().sweep(kSupport), AccessDenied);
  REQUIRE_THROWS_AS(f.store.retention().place_hold(kSupport, id, LegalBasis::legal_obligation,
                                                   f.at(kStart + kDay)),
                    AccessDenied);
  CHECK(f.store.get(kDpo, id).fields.size() == 5);
  std::size_t denied = 0;
  for (const auto& e : f.store.audit().accesses(kDpo, "agent-1", TimePoint{}, f.at(kStart + 1)))
    if (!e.allowed) ++denied;
  CHECK(denied == 3);
  REQUIRE_AMANAH_ERROR(f.store.erase(kDpo, id, ErasureReason::retention_expired),
                       ErrorCode::InvalidArgument);
}

TEST_CASE("a hold on a customer keeps everything of theirs until released", "[retention]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, shopper(1));
  f.store.retention().place_hold(kOps, id, LegalBasis::legal_obligation, f.at(kStart + 30 * kDay));
  const auto hold = f.store.retention().hold(id);
  REQUIRE(hold);
  CHECK(hold->until == f.at(kStart + 30 * kDay));
  REQUIRE_AMANAH_ERROR(
      f.store.retention().place_hold(kOps, id, LegalBasis::legal_obligation, f.at(kStart - 1)),
      ErrorCode::InvalidArgument);

  f.clock->advance(10 * kDay);
  const auto r = f.store.erase(kDpo, id);
  CHECK(r.erased_fields.empty());
  CHECK(r.held.size() == 5);
  // Each until the later of the two holds: the customer's, or the transaction rule's 10 years.
  for (const auto& h : r.held) {
    const bool transaction = h.field == "last_order" || h.field == "invoice_no";
    CHECK(h.hold == (transaction ? "retention.transaction" : "customer"));
    CHECK(h.until == f.at(transaction ? kTenYears : kStart + 30 * kDay));
  }
  REQUIRE_AMANAH_ERROR(f.store.get(kSupport, id), ErrorCode::Restricted);

  f.store.retention().release_hold(kOps, id);
  CHECK_FALSE(f.store.retention().hold(id));
  REQUIRE_AMANAH_ERROR(f.store.retention().release_hold(kOps, id), ErrorCode::NotFound);
  // Erased again once released: the transaction rule still keeps its two fields.
  const auto again = f.store.erase(kDpo, id);
  CHECK(again.erased_fields == std::vector<std::string>{"email", "full_name", "last_viewed"});
  CHECK(again.held.size() == 2);
}

TEST_CASE("a hold on a customer holds back what a sweep would erase", "[retention]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, shopper(1));
  f.store.retention().place_hold(kOps, id, LegalBasis::legal_obligation, f.at(kStart + 500 * kDay));
  f.clock->advance(400 * kDay);
  auto r = f.store.retention().sweep(kOps);
  CHECK(r.values_held_back == 1);
  CHECK(r.lines.empty());
  CHECK(f.store.get(kDpo, id).fields.contains("last_viewed"));
  f.clock->advance(101 * kDay);  // the hold has ended
  r = f.store.retention().sweep(kOps);
  CHECK(r.lines.size() == 1);
  CHECK_FALSE(f.store.get(kDpo, id).fields.contains("last_viewed"));
}

TEST_CASE("retention counting from a consent's withdrawal", "[retention]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, {{"full_name", "A"}});
  const AccessContext mk{.actor = "agent-1", .roles = {"support"}, .purpose = "marketing"};
  (void)f.store.consents().grant(mk, id, "marketing",
                                 {.source = "signup-form", .notice_version = "2026-01"});
  f.store.update(mk, id, {{"promo_code", "WELCOME10"}});
  f.clock->advance(100 * kDay);
  CHECK(f.store.retention().sweep(kOps).lines.empty());  // live consent: nothing counts yet
  (void)f.store.consents().withdraw(mk, id, "marketing", "app-settings");
  f.clock->advance(30 * kDay - 1);
  CHECK(f.store.retention().sweep(kOps).lines.empty());
  f.clock->advance(1);
  const auto r = f.store.retention().sweep(kOps);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0].rule == "fields.promo_code.retention");
  CHECK(f.store.get(kDpo, id).fields == FieldValues{{"full_name", "A"}});
}

TEST_CASE("end of relationship starts periods that count from it", "[retention]") {
  // identity has no rule in kToml: use a store whose identity data is kept 2 years after the
  // relationship ends.
  auto m = Manifest::from_toml(std::string(kToml).replace(
      std::string(kToml).find("[retention]"), 11,
      "[retention]\nidentity = { keep = \"2y\", from = \"relationship_end\" }"));
  TempDir tmp;
  auto clock = std::make_shared<ManualClock>(kStart);
  auto key = raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(tmp / "s", *key, m, CreateOptions{.clock = clock});
  const CustomerId id = store.insert(kSupport, {{"full_name", "B"}});
  clock->advance(5 * 365 * kDay);
  CHECK(store.retention().sweep(kOps).lines.empty());  // not ended: kept
  store.retention().end_relationship(kOps, id);
  clock->advance(2 * 366 * kDay);
  CHECK(store.retention().sweep(kOps).customers_erased == 1);
  REQUIRE_THROWS_AS(store.retention().end_relationship(kSupport, id), AccessDenied);
}

TEST_CASE("restriction: kept, but reached only by permits naming the restricted state",
          "[rights]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, shopper(1));
  REQUIRE_THROWS_AS(f.store.restrict(kSupport, id, "accuracy_contested"), AccessDenied);
  REQUIRE_AMANAH_ERROR(f.store.restrict(kDpo, id, "Not a name!"), ErrorCode::InvalidArgument);
  f.store.restrict(kDpo, id, "accuracy_contested");
  REQUIRE_AMANAH_ERROR(f.store.get(kSupport, id), ErrorCode::Restricted);
  REQUIRE_AMANAH_ERROR(f.store.update(kSupport, id, {{"full_name", "X"}}), ErrorCode::Restricted);
  CHECK(f.store.find(kSupport, "email", "shopper1@example.com").empty());
  CHECK(f.store.scan(kSupport).begin() == std::default_sentinel);
  CHECK(f.store.get(kDpo, id).fields.size() == 5);  // dpo-all has restricted = true
  // The customer's rights still reach them.
  f.store.rectify(kDpo, id, {{"full_name", "Shopper Satu"}}, "customer_request");
  CHECK(f.store.get(kDpo, id).fields.at("full_name") == "Shopper Satu");
  f.store.lift_restriction(kDpo, id);
  CHECK(f.store.get(kSupport, id).fields.at("full_name") == "Shopper Satu");
  CHECK(f.store.find(kSupport, "email", "shopper1@example.com").size() == 1);
}

TEST_CASE("rectification is its own action and is recorded with its reason", "[rights]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, shopper(1));
  // support may update, but rectify is not among its actions
  REQUIRE_THROWS_AS(f.store.rectify(kSupport, id, {{"full_name", "X"}}, "customer_request"),
                    AccessDenied);
  REQUIRE_AMANAH_ERROR(f.store.rectify(kDpo, id, {{"email", "not an email"}}, "customer_request"),
                       ErrorCode::Validation);
  f.store.rectify(kDpo, id, {{"email", "new@example.com"}}, "customer_request");
  CHECK(f.store.find(kDpo, "email", "new@example.com") == std::vector<CustomerId>{id});
  CHECK(f.store.find(kDpo, "email", "shopper1@example.com").empty());
  bool recorded = false;
  for (const auto& e : f.store.audit().trail(kDpo, id, TimePoint{}, f.at(kStart + 1)))
    if (e.action == "rectify:customer_request" && e.fields == std::vector<std::string>{"email"})
      recorded = true;
  CHECK(recorded);
}

TEST_CASE("objection: a legitimate-interest purpose stops reaching the customer", "[rights]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, shopper(1));
  const CustomerId other = f.store.insert(kSupport, shopper(2));
  CHECK(f.store.get(kAnalyst, id).fields.size() == 2);
  REQUIRE_AMANAH_ERROR(f.store.object(kDpo, id, "service"), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(f.store.object(kDpo, id, "nope"), ErrorCode::InvalidArgument);
  REQUIRE_THROWS_AS(f.store.object(kAnalyst, id, "analytics"), AccessDenied);
  f.store.object(kDpo, id, "analytics");
  REQUIRE_AMANAH_ERROR(f.store.get(kAnalyst, id), ErrorCode::Objected);
  CHECK(f.store.find(kAnalyst, "email", "shopper1@example.com").empty());
  std::vector<CustomerId> seen;
  for (const auto& r : f.store.scan(kAnalyst))
    seen.push_back(r.id);
  CHECK(seen == std::vector<CustomerId>{other});
  // Other purposes go on; and the objection survives a reopen.
  CHECK(f.store.get(kSupport, id).fields.size() == 5);
  f.store.close();
  auto reopened = CustomerStore::open(f.tmp / "s", *f.key, OpenOptions{.clock = f.clock});
  REQUIRE_AMANAH_ERROR(reopened.get(kAnalyst, id), ErrorCode::Objected);
}

TEST_CASE("export: one JSON document with the data, its purposes, retention, consents and trail",
          "[rights]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, shopper(1));
  const AccessContext mk{.actor = "agent-1", .roles = {"support"}, .purpose = "marketing"};
  (void)f.store.consents().grant(mk, id, "marketing",
                                 {.source = "signup-form", .notice_version = "2026-01"});
  (void)f.store.get(kSupport, id);
  f.store.retention().place_hold(kOps, id, LegalBasis::legal_obligation, f.at(kStart + kDay));
  REQUIRE_THROWS_AS((void)f.store.export_subject(kSupport, id), AccessDenied);
  const auto doc = nlohmann::json::parse(f.store.export_subject(kDpo, id));
  CHECK(doc["format"] == "amanah/subject-export/1");
  CHECK(doc["customer"] == id.str());
  CHECK(doc["state"] == "active");
  REQUIRE(doc["fields"].size() == 5);
  for (const auto& field : doc["fields"]) {
    if (field["name"] == "last_order") {
      CHECK(field["value"] == "IDR 150000.00");
      CHECK(field["category"] == "transaction");
      CHECK(field["purposes"][0]["basis"] == "contract");
      CHECK(field["retention"]["legal_hold_basis"] == "legal_obligation");
      CHECK(field["retention"]["erased_after"] == "2036-01-01T00:00:00Z");
    }
    if (field["name"] == "last_viewed")
      CHECK(field["retention"]["erased_after"] == "2027-01-01T00:00:00Z");
    if (field["name"] == "full_name") CHECK(field["retention"].is_null());
  }
  REQUIRE(doc["consents"].size() == 1);
  CHECK(doc["consents"][0]["purpose"] == "marketing");
  CHECK(doc["consents"][0]["source"] == "signup-form");
  CHECK(doc["legal_hold"]["until"] == "2026-01-02T00:00:00Z");
  bool read_seen = false;
  for (const auto& e : doc["access_trail"])
    if (e["action"] == "read" && e["actor"] == "agent-1") read_seen = true;
  CHECK(read_seen);
  // A restricted customer can still get their copy.
  f.store.restrict(kDpo, id, "accuracy_contested");
  CHECK(nlohmann::json::parse(f.store.export_subject(kDpo, id))["state"] == "restricted");
}

TEST_CASE("a customer under a legal hold is not merged away", "[retention]") {
  Fixture f;
  const CustomerId keep = f.store.insert(kSupport, {{"full_name", "A"}});
  const CustomerId absorb = f.store.insert(kSupport, shopper(1));
  f.store.retention().place_hold(kOps, absorb, LegalBasis::legal_obligation, f.at(kStart + kDay));
  REQUIRE_AMANAH_ERROR(f.store.merge(kDpo, keep, absorb), ErrorCode::LegalHold);
  CHECK(f.store.get(kDpo, absorb).fields.size() == 5);
  f.clock->advance(kDay);  // the hold has ended
  f.store.merge(kDpo, keep, absorb);
  REQUIRE_AMANAH_ERROR(f.store.get(kDpo, absorb), ErrorCode::NotFound);
}

TEST_CASE("the example shop's retention rules from end to end", "[retention]") {
  TempDir tmp;
  auto clock = std::make_shared<ManualClock>(kStart);
  auto key = raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(tmp / "s", *key, Manifest::from_file(AMANAH_EXAMPLE_MANIFEST),
                                     CreateOptions{.clock = clock});
  const AccessContext support{.actor = "agent-17", .roles = {"support"}, .purpose = "service"};
  const AccessContext dpo{.actor = "dpo-ani", .roles = {"dpo"}, .purpose = "service"};
  const FieldValues budi = {{"full_name", "Budi Santoso"},
                            {"card", "4111 1111 1111 1111"},
                            {"last_viewed", "/promo/lebaran"}};
  const CustomerId browsing = store.insert(support, budi);
  const CustomerId leaving =
      store.insert(support, {{"full_name", "Dewi"}, {"card", "5500 0000 0000 0004"}});
  // Dewi asks to be erased on day 30: her card is transaction data, kept 10 years.
  clock->advance(30 * kDay);
  const auto r = store.erase(dpo, leaving);
  REQUIRE(r.held.size() == 1);
  CHECK(r.held[0].field == "card");
  CHECK(r.held[0].until == TimePoint(std::chrono::seconds(kTenYears)));
  // A year after Budi's last activity his browsing data goes; his card and name stay.
  clock->set(kStart + 365 * kDay);
  const auto swept = store.retention().sweep(dpo);
  REQUIRE(swept.lines.size() == 1);
  CHECK(swept.lines[0].field == "last_viewed");
  CHECK(store.get(dpo, browsing).fields.size() == 2);
  // Ten years on, Dewi's card goes with her last trace, and Budi's card (collected the same day).
  clock->set(kTenYears);
  const auto later = store.retention().sweep(dpo);
  CHECK(later.customers_erased == 1);
  REQUIRE_AMANAH_ERROR(store.get(dpo, leaving), ErrorCode::NotFound);
  CHECK(store.get(dpo, browsing).fields == FieldValues{{"full_name", "Budi Santoso"}});
  CHECK(store.audit().verify().ok());
}

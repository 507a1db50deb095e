// The access policy through the public API: every rule feature (roles, actions, categories,
// fields, purposes, masks, store-level actions), Cedar's semantics (default deny, forbid wins,
// order never matters, the most restrictive mask), purpose limitation, undeclared names,
// explain() without values, and property tests over random rule sets against a reference model
// written here from the semantics alone.
#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <amanah/error.hpp>
#include <amanah/manifest.hpp>
#include <amanah/policy.hpp>
#include <amanah/record.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "support.hpp"

using amanah::AccessContext;
using amanah::AccessDenied;
using amanah::AccessPolicy;
using amanah::Action;
using amanah::Category;
using amanah::Decision;
using amanah::Effect;
using amanah::ErrorCode;
using amanah::Field;
using amanah::FieldDecision;
using amanah::FieldType;
using amanah::LegalBasis;
using amanah::Manifest;
using amanah::Mask;
using amanah::Reason;
using amanah::Rule;
using Catch::Matchers::ContainsSubstring;

namespace {

using Names = std::vector<std::string>;
using Reasons = std::set<Reason>;

constexpr std::string_view kToml = R"toml([store]
name = "Toko Uji"

[purposes.service]
basis = "contract"
[purposes.marketing]
basis = "consent"
[purposes.billing]
basis = "legal_obligation"

[roles.support]
[roles.marketing]
[roles.auditor]
[roles.admin]

[fields]
full_name  = { type = "text",  category = "identity",    purposes = ["service"] }
email      = { type = "email", category = "contact",     purposes = ["service", "marketing"], lookup = true }
phone      = { type = "phone", category = "contact",     purposes = ["service"], lookup = true, mask = "last4" }
nik        = { type = "nik",   category = "sensitive",   purposes = ["service"], lookup = true, mask = "last4" }
birth_date = { type = "date",  category = "identity",    purposes = ["service"], mask = "year_only" }
spent      = { type = "money", category = "transaction", purposes = ["service", "billing"] }
)toml";

Manifest toml(std::string_view rules) {
  return Manifest::from_toml(std::string(kToml) + "\n" + std::string(rules), "policy.toml");
}

AccessContext ctx(Names roles, std::string purpose) {
  return AccessContext{
      .actor = "agent-17", .roles = std::move(roles), .purpose = std::move(purpose)};
}

Reasons reasons(const FieldDecision& f) {
  return {f.reasons.begin(), f.reasons.end()};
}

// The single field's outcome of a one-field decision.
FieldDecision only(const Decision& d) {
  const auto fs = d.fields();
  REQUIRE(fs.size() == 1);
  return fs[0];
}

constexpr std::array kActions{
    Action::read,        Action::create,         Action::update,          Action::erase,
    Action::export_data, Action::manage_consent, Action::manage_manifest, Action::read_audit,
    Action::rectify,     Action::restrict,       Action::object,          Action::manage_retention,
    Action::backup,      Action::disclose_keys};
constexpr std::array kMasks{Mask::none, Mask::last4,  Mask::first_last, Mask::year_only,
                            Mask::hash, Mask::redact, Mask::nullify};
constexpr std::array kCategories{Category::identity, Category::contact,    Category::transaction,
                                 Category::account,  Category::behavioral, Category::sensitive};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Rule features, one at a time.

TEST_CASE("a permit allows exactly its roles, actions, categories and purposes", "[policy]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "support-reads-contact"
roles = ["support"]
actions = ["read", "update"]
categories = ["identity", "contact"]
purposes = ["service"]
)toml"));
  const auto support = ctx({"support"}, "service");

  const Decision d = p.decide(support, Action::read, Names{"full_name", "email", "phone"});
  CHECK(d.allowed());
  CHECK(d.effect() == Effect::allow);
  CHECK(d.action() == Action::read);
  CHECK(d.rules() == Names{"support-reads-contact"});
  CHECK(d.allowed_fields() == Names{"full_name", "email", "phone"});
  for (const auto& f : d.fields()) {
    CHECK(f.effect == Effect::allow);
    CHECK(reasons(f) == Reasons{Reason::permitted});
    CHECK(f.rules == Names{"support-reads-contact"});
  }
  CHECK(p.decide(support, Action::update, "email").allowed());

  // Another category, role, action or purpose: nothing permits it.
  for (const Decision& no :
       {p.decide(support, Action::read, "nik"), p.decide(support, Action::read, "spent"),
        p.decide(ctx({"marketing"}, "service"), Action::read, "email"),
        p.decide(ctx({"auditor"}, "service"), Action::read, "email"),
        p.decide(support, Action::create, "email"), p.decide(support, Action::erase, "email"),
        p.decide(support, Action::export_data, "email"),
        p.decide(ctx({"support"}, "marketing"), Action::read, "email")}) {
    CHECK_FALSE(no.allowed());
    CHECK(reasons(only(no)) == Reasons{Reason::no_permit});
    CHECK(only(no).rules.empty());
    CHECK(no.rules().empty());
    CHECK(no.allowed_fields().empty());
  }
  // One field denied denies the request; the allowed ones stay visible.
  const Decision mixed = p.decide(support, Action::read, Names{"email", "nik"});
  CHECK_FALSE(mixed.allowed());
  CHECK(mixed.allowed_fields() == Names{"email"});
  CHECK(mixed.allows("email"));
  CHECK_FALSE(mixed.allows("nik"));
  CHECK(mixed.rules().empty());  // nothing was forbidden, only not permitted
}

TEST_CASE("a rule's field list and category list both constrain it", "[policy]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "email-only"
fields = ["email"]
[[permit]]
id = "contact-among-phone-nik"
fields = ["phone", "nik"]
categories = ["contact"]
)toml"));
  const auto c = ctx({"auditor"}, "service");
  CHECK(p.decide(c, Action::read, "email").rules() == Names{"email-only"});
  CHECK(p.decide(c, Action::read, "phone").rules() == Names{"contact-among-phone-nik"});
  CHECK_FALSE(p.decide(c, Action::read, "nik").allowed());  // named, but not in the category
  CHECK_FALSE(p.decide(c, Action::read, "full_name").allowed());
  // A rule naming fields or categories does not decide actions on the store.
  CHECK_FALSE(p.decide(c, Action::manage_consent).allowed());
}

TEST_CASE("empty lists mean any: a bare permit allows every role, action and field", "[policy]") {
  const AccessPolicy p(toml("[[permit]]\nid = \"anything\"\n"));
  for (const auto& role : {"support", "marketing", "auditor", "admin"})
    for (const Action a : kActions) {
      const Decision d =
          p.decide(ctx({role}, "service"), a,
                   Names{"full_name", "email", "phone", "nik", "birth_date", "spent"});
      CHECK(d.allowed());
      CHECK(d.rules() == Names{"anything"});
      // The store as a whole, too.
      CHECK(p.decide(ctx({role}, "billing"), a).allowed());
    }
}

TEST_CASE("several roles in a context: any role's permit allows, any role's forbid denies",
          "[policy]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "support-reads"
roles = ["support"]
actions = ["read"]
[[permit]]
id = "auditor-reads-transactions"
roles = ["auditor"]
actions = ["read"]
categories = ["transaction"]
[[forbid]]
id = "marketing-never-sensitive"
roles = ["marketing"]
categories = ["sensitive"]
)toml"));
  CHECK(p.decide(ctx({"auditor"}, "service"), Action::read, "spent").allowed());
  CHECK_FALSE(p.decide(ctx({"auditor"}, "service"), Action::read, "email").allowed());
  const Decision both =
      p.decide(ctx({"auditor", "support"}, "service"), Action::read, Names{"email", "spent"});
  CHECK(both.allowed());
  CHECK(both.rules() == Names{"support-reads", "auditor-reads-transactions"});
  CHECK(p.decide(ctx({"support"}, "service"), Action::read, "nik").allowed());
  const Decision denied = p.decide(ctx({"support", "marketing"}, "service"), Action::read, "nik");
  CHECK_FALSE(denied.allowed());
  CHECK(denied.rules() == Names{"marketing-never-sensitive"});
  CHECK(reasons(only(denied)) == Reasons{Reason::forbidden});
  // The same role twice changes nothing.
  CHECK(p.decide(ctx({"support", "support"}, "service"), Action::read, "nik").allowed());
}

TEST_CASE("a matching forbid beats any permit, in either order", "[policy]") {
  constexpr std::string_view permit = R"toml(
[[permit]]
id = "all-read"
actions = ["read"]
)toml";
  constexpr std::string_view forbid = R"toml(
[[forbid]]
id = "no-sensitive"
categories = ["sensitive"]
)toml";
  for (const auto& rules :
       {std::string(permit) + std::string(forbid), std::string(forbid) + std::string(permit)}) {
    const AccessPolicy p(toml(rules));
    const auto c = ctx({"support"}, "service");
    const Decision d = p.decide(c, Action::read, Names{"email", "nik"});
    CHECK_FALSE(d.allowed());
    CHECK(d.rules() == Names{"no-sensitive"});  // the permit does not decide a deny
    const auto fs = d.fields();
    REQUIRE(fs.size() == 2);
    CHECK(fs[0].effect == Effect::allow);
    CHECK(fs[0].rules == Names{"all-read"});
    CHECK(fs[1].effect == Effect::deny);
    CHECK(reasons(fs[1]) == Reasons{Reason::forbidden});
    CHECK(fs[1].rules == Names{"no-sensitive"});
    CHECK(d.allowed_fields() == Names{"email"});
    CHECK(d.mask("nik") == std::nullopt);
    // A forbid without actions forbids every action, even without a permit.
    CHECK(reasons(only(p.decide(c, Action::erase, "nik"))) == Reasons{Reason::forbidden});
  }
}

TEST_CASE("store-level actions are decided by rules naming no field and no category", "[policy]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "admin-manages-consent"
roles = ["admin"]
actions = ["manage_consent"]
[[permit]]
id = "support-consent-by-field"
roles = ["support"]
actions = ["manage_consent"]
fields = ["email"]
[[permit]]
id = "auditor-consent-by-category"
roles = ["auditor"]
actions = ["manage_consent"]
categories = ["contact"]
[[permit]]
id = "admin-manifest"
roles = ["admin"]
actions = ["manage_manifest"]
purposes = ["service"]
[[forbid]]
id = "no-manifest-for-billing"
actions = ["manage_manifest"]
purposes = ["billing"]
)toml"));
  const Decision d = p.decide(ctx({"admin"}, "marketing"), Action::manage_consent);
  CHECK(d.allowed());
  CHECK(d.action() == Action::manage_consent);
  CHECK(d.rules() == Names{"admin-manages-consent"});
  CHECK(d.fields().empty());  // no field was asked about
  CHECK(d.allowed_fields().empty());
  CHECK_THAT(d.explain(), ContainsSubstring("admin-manages-consent"));
  CHECK_FALSE(d.requires_consent());

  CHECK_FALSE(p.decide(ctx({"support"}, "service"), Action::manage_consent).allowed());
  CHECK_FALSE(p.decide(ctx({"auditor"}, "service"), Action::manage_consent).allowed());
  CHECK_FALSE(p.decide(ctx({"admin"}, "service"), Action::read).allowed());
  CHECK(p.decide(ctx({"admin"}, "service"), Action::manage_manifest).allowed());
  CHECK_FALSE(p.decide(ctx({"admin"}, "marketing"), Action::manage_manifest).allowed());
  const Decision forbidden = p.decide(ctx({"admin"}, "billing"), Action::manage_manifest);
  CHECK_FALSE(forbidden.allowed());
  CHECK(forbidden.rules() == Names{"no-manifest-for-billing"});
  CHECK_THAT(forbidden.explain(), ContainsSubstring("no-manifest-for-billing"));
}

TEST_CASE("restrict, object and manage_retention act on the store; rectify is per field",
          "[policy][restricted]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "admin-rights"
roles = ["admin"]
actions = ["restrict", "object", "manage_retention"]
[[permit]]
id = "support-rights-by-category"
roles = ["support"]
actions = ["restrict", "object", "manage_retention", "rectify"]
categories = ["contact"]
mask = "hash"
[[permit]]
id = "auditor-rights-by-field"
roles = ["auditor"]
actions = ["restrict", "object", "manage_retention", "rectify"]
fields = ["email"]
[[forbid]]
id = "no-retention-for-billing"
actions = ["manage_retention"]
purposes = ["billing"]
)toml"));
  for (const Action a : {Action::restrict, Action::object, Action::manage_retention}) {
    CAPTURE(amanah::to_string(a));
    const Decision d = p.decide(ctx({"admin"}, "service"), a);
    CHECK(d.allowed());
    CHECK(d.action() == a);
    CHECK(d.rules() == Names{"admin-rights"});
    CHECK(d.fields().empty());
    CHECK_THAT(d.explain(), ContainsSubstring("an action on the store as a whole"));
    // A rule that names a category or a field does not decide them.
    for (const auto& role : {"support", "auditor"}) {
      const Decision no = p.decide(ctx({role}, "service"), a);
      CHECK_FALSE(no.allowed());
      CHECK(no.rules().empty());
    }
  }
  const Decision billing = p.decide(ctx({"admin"}, "billing"), Action::manage_retention);
  CHECK_FALSE(billing.allowed());
  CHECK(billing.rules() == Names{"no-retention-for-billing"});
  CHECK(p.decide(ctx({"admin"}, "billing"), Action::restrict).allowed());

  // rectify: per field, like update, and never masked (it shows no value).
  const auto support = ctx({"support"}, "service");
  const Decision rectify = p.decide(support, Action::rectify, Names{"email", "phone"});
  CHECK(rectify.allowed());
  CHECK(rectify.mask("email") == Mask::none);
  CHECK(rectify.mask("phone") == Mask::none);  // not even the field's default last4
  CHECK_THAT(rectify.explain(), !ContainsSubstring("shown"));
  CHECK_FALSE(p.decide(support, Action::rectify, "nik").allowed());
  CHECK_FALSE(p.decide(ctx({"admin"}, "service"), Action::rectify, "email").allowed());
  CHECK(p.decide(ctx({"auditor"}, "service"), Action::rectify, "email").allowed());
  CHECK_FALSE(p.decide(ctx({"auditor"}, "service"), Action::rectify, "phone").allowed());
  CHECK_FALSE(p.decide(support, Action::rectify).allowed());          // rules naming a category
  CHECK_FALSE(p.decide(support, Action::update, "email").allowed());  // rectify is not update
}

// Found by the differential fuzz target (fuzz/policy/): a store-level action asked about fields
// was decided by the rules naming those fields or their category, which never decide it.
TEST_CASE("a store-level action asked about fields is still decided only by field-less rules",
          "[policy][regression]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "support-objects-by-category"
roles = ["support"]
actions = ["object", "manage_consent"]
categories = ["contact"]
[[permit]]
id = "auditor-objects-by-field"
roles = ["auditor"]
actions = ["object", "restrict"]
fields = ["email"]
[[permit]]
id = "admin-objects"
roles = ["admin"]
actions = ["object"]
[[forbid]]
id = "no-objection-on-email"
actions = ["object"]
fields = ["email"]
purposes = ["service"]
)toml"));
  for (const Action a : {Action::object, Action::manage_consent, Action::restrict}) {
    CAPTURE(amanah::to_string(a));
    for (const auto& role : {"support", "auditor"}) {
      const auto c = ctx({role}, "service");
      CHECK_FALSE(p.decide(c, a).allowed());
      const Decision d = p.decide(c, a, Names{"email"});
      CHECK_FALSE(d.allowed());
      CHECK(d.rules().empty());
      REQUIRE(d.fields().size() == 1);
      CHECK(reasons(d.fields()[0]) == Reasons{Reason::no_permit});
      CHECK_FALSE(p.decide(c, a, "email").allowed());
    }
  }
  // The field-less permit decides it per field too, and a forbid naming a field does not.
  const Decision admin = p.decide(ctx({"admin"}, "service"), Action::object, Names{"email"});
  CHECK(admin.allowed());
  CHECK(admin.rules() == Names{"admin-objects"});
}

TEST_CASE("allows_restricted: only a permit that names the restricted state reaches them",
          "[policy][restricted]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "support-reads"
roles = ["support"]
actions = ["read", "object"]
[[permit]]
id = "dpo-reaches-restricted"
roles = ["dpo"]
actions = ["read", "rectify", "restrict", "manage_retention"]
restricted = true
[[permit]]
id = "dpo-reads-contact"
roles = ["dpo"]
actions = ["read"]
categories = ["contact"]
mask = "hash"
[[forbid]]
id = "dpo-never-reads-sensitive"
roles = ["dpo"]
actions = ["read"]
categories = ["sensitive"]
[[forbid]]
id = "no-retention-for-billing"
actions = ["manage_retention"]
purposes = ["billing"]
[roles.dpo]
)toml"));
  const auto support = ctx({"support"}, "service");
  const auto dpo = ctx({"dpo"}, "service");

  // Ordinary permits only: allowed, but not for restricted customers.
  const Decision ordinary = p.decide(support, Action::read, Names{"email", "nik"});
  CHECK(ordinary.allowed());
  CHECK_FALSE(ordinary.allows_restricted("email"));
  CHECK_FALSE(ordinary.allows_restricted("nik"));
  for (const auto& f : ordinary.fields())
    CHECK_FALSE(f.reaches_restricted);
  CHECK_THAT(ordinary.explain(), !ContainsSubstring("restricted"));

  // A restricted permit among the matching ones: it reaches them (the mask is still the strictest).
  const Decision d = p.decide(dpo, Action::read, Names{"email", "full_name"});
  CHECK(d.allowed());
  CHECK(d.allows_restricted("email"));
  CHECK(d.allows_restricted("full_name"));
  CHECK(d.mask("email") == Mask::hash);
  const auto fs = d.fields();
  REQUIRE(fs.size() == 2);
  CHECK(fs[0].reaches_restricted);
  CHECK(fs[0].rules == Names{"dpo-reaches-restricted", "dpo-reads-contact"});
  CHECK(fs[1].reaches_restricted);
  const std::string why = d.explain();
  CHECK_THAT(why, ContainsSubstring(
                      "Rule 'dpo-reaches-restricted' also reaches customers whose processing is "
                      "restricted."));
  CHECK_THAT(why, !ContainsSubstring("'dpo-reads-contact' also"));
  // Not asked about, not declared, or no name: false.
  CHECK_FALSE(d.allows_restricted("phone"));
  CHECK_FALSE(d.allows_restricted("shoe_size"));
  CHECK_FALSE(d.allows_restricted(""));

  // A forbid wins over the restricted permit too.
  const Decision forbidden = p.decide(dpo, Action::read, Names{"email", "nik"});
  CHECK_FALSE(forbidden.allowed());
  CHECK(forbidden.allows_restricted("email"));
  CHECK_FALSE(forbidden.allows_restricted("nik"));
  CHECK_FALSE(forbidden.fields()[1].reaches_restricted);
  CHECK(forbidden.rules() == Names{"dpo-never-reads-sensitive"});
  // The forbid names read only: rectify of the same field reaches restricted customers.
  CHECK(p.decide(dpo, Action::rectify, "nik").allows_restricted("nik"));
  // Denied for another reason (purpose limitation, no permit): false.
  CHECK_FALSE(p.decide(ctx({"dpo"}, "billing"), Action::read, "email").allows_restricted("email"));
  CHECK_FALSE(p.decide(dpo, Action::erase, "email").allows_restricted("email"));
  CHECK_FALSE(p.decide(ctx({"dpo", "intern"}, "service"), Action::read, "email")
                  .allows_restricted("email"));

  // Several roles: the other role's restricted permit reaches them.
  CHECK(p.decide(ctx({"support", "dpo"}, "service"), Action::read, "email")
            .allows_restricted("email"));

  // On the store as a whole, asked with an empty name.
  const Decision store = p.decide(dpo, Action::restrict);
  CHECK(store.allowed());
  CHECK(store.allows_restricted(""));
  CHECK_FALSE(store.allows_restricted("email"));
  CHECK(store.fields().empty());
  CHECK_THAT(store.explain(),
             ContainsSubstring("The action is permitted by rule 'dpo-reaches-restricted'. Rule "
                               "'dpo-reaches-restricted' also reaches customers whose processing "
                               "is restricted."));
  const Decision object = p.decide(support, Action::object);
  CHECK(object.allowed());
  CHECK_FALSE(object.allows_restricted(""));
  const Decision held = p.decide(ctx({"dpo"}, "billing"), Action::manage_retention);
  CHECK_FALSE(held.allowed());
  CHECK_FALSE(held.allows_restricted(""));
  CHECK(p.decide(dpo, Action::manage_retention).allows_restricted(""));
  CHECK_FALSE(p.decide(dpo, Action::object).allows_restricted(""));  // no permit at all

  CHECK_FALSE(Decision().allows_restricted(""));
  CHECK_FALSE(Decision().allows_restricted("email"));
}

TEST_CASE("explain names every restricted permit and repeats no value", "[policy][restricted]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "a-reaches"
actions = ["read"]
restricted = true
[[permit]]
id = "b-reaches"
categories = ["contact"]
restricted = true
)toml"));
  const std::string why =
      p.decide(ctx({"support"}, "service"), Action::read, Names{"email", "full_name"}).explain();
  CHECK_THAT(why, ContainsSubstring("Field 'email' (contact) is permitted by rules 'a-reaches' and "
                                    "'b-reaches', shown unmasked. Rules 'a-reaches' and "
                                    "'b-reaches' also reach customers whose processing is "
                                    "restricted."));
  CHECK_THAT(why, ContainsSubstring("Field 'full_name' (identity) is permitted by rule "
                                    "'a-reaches', shown unmasked. Rule 'a-reaches' also reaches"));
  const Decision planted =
      p.decide(ctx({"support"}, "service"), Action::read, Names{"email", "siti@example.co.id"});
  CHECK_THAT(planted.explain(), !ContainsSubstring("siti"));
  CHECK_FALSE(planted.allows_restricted("siti@example.co.id"));
}

TEST_CASE("masks: the field's default, the permit's own, and the most restrictive of several",
          "[policy]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "support-reads"
roles = ["support"]
actions = ["read", "export", "update"]
[[permit]]
id = "auditor-clear"
roles = ["auditor"]
actions = ["read"]
mask = "none"
[[permit]]
id = "marketing-hashed"
roles = ["marketing"]
actions = ["read", "export"]
categories = ["contact"]
mask = "hash"
[[permit]]
id = "marketing-email-redacted"
roles = ["marketing"]
fields = ["email"]
mask = "redact"
)toml"));
  const auto support = ctx({"support"}, "service");
  const Decision d = p.decide(support, Action::read, Names{"full_name", "phone", "birth_date"});
  CHECK(d.mask("full_name") == Mask::none);
  CHECK(d.mask("phone") == Mask::last4);  // the field's default
  CHECK(d.mask("birth_date") == Mask::year_only);
  CHECK(d.mask("email") == std::nullopt);  // not asked about
  const auto fs = d.fields();
  CHECK(fs[1].mask == Mask::last4);
  CHECK(p.decide(support, Action::export_data, "phone").mask("phone") == Mask::last4);
  // Only reads and exports are masked.
  CHECK(p.decide(support, Action::update, "phone").mask("phone") == Mask::none);
  CHECK(only(p.decide(support, Action::update, "nik")).mask == Mask::none);

  // A permit's mask "none" reveals a field whose default is last4 ...
  const auto auditor = ctx({"auditor"}, "service");
  CHECK(p.decide(auditor, Action::read, "nik").mask("nik") == Mask::none);
  CHECK(p.decide(auditor, Action::read, "phone").mask("phone") == Mask::none);
  // ... but with another matching permit without a mask, the field's default is the stricter.
  const auto both = ctx({"auditor", "support"}, "service");
  const Decision d2 = p.decide(both, Action::read, "nik");
  CHECK(d2.mask("nik") == Mask::last4);
  CHECK(d2.rules() == Names{"support-reads", "auditor-clear"});

  // The most restrictive of the matching permits' masks.
  const auto marketing = ctx({"marketing"}, "marketing");
  CHECK(p.decide(marketing, Action::read, "email").mask("email") == Mask::redact);
  CHECK(p.decide(marketing, Action::export_data, "email").mask("email") == Mask::redact);
  CHECK(p.decide(ctx({"marketing"}, "service"), Action::read, "phone").mask("phone") == Mask::hash);
  CHECK(p.decide(ctx({"marketing", "support"}, "service"), Action::read, "email").mask("email") ==
        Mask::redact);
}

TEST_CASE("with two permits every pair of masks gives the more restrictive", "[policy]") {
  for (const Mask a : kMasks)
    for (const Mask b : kMasks)
      for (const Mask def : {Mask::none, Mask::year_only, Mask::nullify}) {
        Field f{.name = "born", .type = FieldType::date, .purposes = {"service"}, .mask = def};
        const Manifest m = Manifest::builder()
                               .name("masks")
                               .purpose("service", LegalBasis::contract)
                               .role("r")
                               .field(f)
                               .permit(Rule{.id = "a", .mask = a})
                               .permit(Rule{.id = "b", .mask = b})
                               .permit(Rule{.id = "c", .actions = {Action::export_data}})
                               .build();
        const AccessPolicy p(m);
        const auto c = ctx({"r"}, "service");
        CHECK(p.decide(c, Action::read, "born").mask("born") == std::max(a, b));
        // A permit without a mask contributes the field's default.
        CHECK(p.decide(c, Action::export_data, "born").mask("born") == std::max({a, b, def}));
        CHECK(p.decide(c, Action::erase, "born").mask("born") == Mask::none);
      }
}

TEST_CASE("purpose limitation: a field is used only for a purpose it declares", "[policy]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "marketing-reads-contact"
roles = ["marketing"]
categories = ["contact"]
)toml"));
  const auto c = ctx({"marketing"}, "marketing");
  const Decision email = p.decide(c, Action::read, "email");  // declares marketing
  CHECK(email.allowed());
  CHECK(email.requires_consent());
  const Decision phone = p.decide(c, Action::read, "phone");  // declares service only
  CHECK_FALSE(phone.allowed());
  CHECK(reasons(only(phone)) == Reasons{Reason::purpose_not_declared});
  CHECK(only(phone).rules.empty());
  CHECK(phone.rules().empty());
  CHECK_THAT(phone.explain(), ContainsSubstring("purpose limitation"));
  CHECK_THAT(phone.explain(), ContainsSubstring("'phone'"));
  CHECK_THAT(phone.explain(), ContainsSubstring("'marketing'"));
  // With no permit either, both reasons are given.
  CHECK(reasons(only(p.decide(c, Action::read, "nik"))) ==
        Reasons{Reason::purpose_not_declared, Reason::no_permit});
  // For service, its declared purpose, the permit applies.
  CHECK(p.decide(ctx({"marketing"}, "service"), Action::read, "phone").allowed());
  const Decision mixed = p.decide(c, Action::read, Names{"email", "phone"});
  CHECK_FALSE(mixed.allowed());
  CHECK(mixed.allowed_fields() == Names{"email"});
}

TEST_CASE("requires_consent: a consent purpose, for reads and updates", "[policy]") {
  const AccessPolicy p(toml("[[permit]]\nid = \"anything\"\n"));
  const auto marketing = ctx({"support"}, "marketing");
  CHECK(p.decide(marketing, Action::read, "email").requires_consent());
  CHECK(p.decide(marketing, Action::update, "email").requires_consent());
  // Rectification is the customer's own request: a live consent does not gate it.
  for (const Action a : {Action::create, Action::erase, Action::export_data, Action::rectify})
    CHECK_FALSE(p.decide(marketing, a, "email").requires_consent());
  CHECK_FALSE(p.decide(ctx({"support"}, "service"), Action::read, "email").requires_consent());
  CHECK_FALSE(p.decide(ctx({"support"}, "billing"), Action::read, "spent").requires_consent());
  CHECK_FALSE(p.decide(ctx({"support"}, "nowhere"), Action::read, "email").requires_consent());
  CHECK_FALSE(Decision().requires_consent());
}

TEST_CASE("undeclared roles, purposes and fields are denied with their reasons", "[policy]") {
  const AccessPolicy p(toml("[[permit]]\nid = \"anything\"\n"));
  const Decision role = p.decide(ctx({"intern"}, "service"), Action::read, "email");
  CHECK_FALSE(role.allowed());
  CHECK(reasons(only(role)) == Reasons{Reason::undeclared_role});
  CHECK(role.rules().empty());
  CHECK_THAT(role.explain(), ContainsSubstring("'intern'"));
  CHECK_THAT(role.explain(), ContainsSubstring("not declared"));
  // One undeclared role among declared ones is enough to deny everything. The rules are not
  // consulted then, so no_permit is not a reason (here a permit would have matched).
  const Decision mixed = p.decide(ctx({"support", "intern"}, "service"), Action::read, "email");
  CHECK_FALSE(mixed.allowed());
  CHECK(reasons(only(mixed)) == Reasons{Reason::undeclared_role});
  CHECK_FALSE(p.decide(ctx({"support", "intern"}, "service"), Action::manage_consent).allowed());

  const Decision purpose = p.decide(ctx({"support"}, "profiling"), Action::read, "email");
  CHECK_FALSE(purpose.allowed());
  CHECK(reasons(only(purpose)) == Reasons{Reason::undeclared_purpose});
  CHECK_THAT(purpose.explain(), ContainsSubstring("purpose is not declared"));
  CHECK_FALSE(p.decide(ctx({"support"}, ""), Action::read, "email").allowed());
  CHECK_FALSE(p.decide(ctx({"support"}, "profiling"), Action::manage_consent).allowed());

  const Decision field =
      p.decide(ctx({"support"}, "service"), Action::read, Names{"email", "shoe_size"});
  CHECK_FALSE(field.allowed());
  const auto fs = field.fields();
  REQUIRE(fs.size() == 2);
  CHECK(fs[0].effect == Effect::allow);
  CHECK(fs[1].field == "shoe_size");
  CHECK(fs[1].effect == Effect::deny);
  CHECK(reasons(fs[1]) == Reasons{Reason::undeclared_field});
  CHECK(field.allowed_fields() == Names{"email"});
  CHECK_FALSE(field.allows("shoe_size"));
  CHECK_THAT(field.explain(), ContainsSubstring("'shoe_size'"));
  CHECK_THAT(field.explain(), ContainsSubstring("not declared"));

  // All three at once.
  const Decision all = p.decide(ctx({"intern"}, "profiling"), Action::read, "shoe_size");
  CHECK(reasons(only(all)) ==
        Reasons{Reason::undeclared_field, Reason::undeclared_role, Reason::undeclared_purpose});
}

TEST_CASE("an empty field list is denied; a context without actor or role is invalid", "[policy]") {
  const AccessPolicy p(toml("[[permit]]\nid = \"anything\"\n"));
  const Decision none = p.decide(ctx({"support"}, "service"), Action::read, Names{});
  CHECK_FALSE(none.allowed());
  CHECK(none.fields().empty());
  CHECK(none.rules().empty());
  CHECK_THAT(none.explain(), ContainsSubstring("No field was asked about"));

  AccessContext no_actor = ctx({"support"}, "service");
  no_actor.actor.clear();
  const AccessContext no_role = ctx({}, "service");
  for (const AccessContext& bad : {no_actor, no_role}) {
    REQUIRE_AMANAH_ERROR(p.decide(bad, Action::read, Names{"email"}), ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR(p.decide(bad, Action::read, "email"), ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR(p.decide(bad, Action::manage_consent), ErrorCode::InvalidArgument);
  }
}

TEST_CASE("a decision: accessors, order as asked, a value that outlives its policy", "[policy]") {
  const Decision empty;
  CHECK_FALSE(empty.allowed());
  CHECK(empty.effect() == Effect::deny);
  CHECK(empty.fields().empty());
  CHECK(empty.rules().empty());
  CHECK(empty.allowed_fields().empty());
  CHECK_FALSE(empty.allows("email"));
  CHECK(empty.mask("email") == std::nullopt);
  CHECK_FALSE(empty.explain().empty());

  Decision kept;
  {
    const AccessPolicy p(toml(R"toml(
[[permit]]
id = "reads"
actions = ["read"]
[[permit]]
id = "hashes-contact"
categories = ["contact"]
mask = "hash"
)toml"));
    kept = p.decide(ctx({"support"}, "service"), Action::read,
                    Names{"spent", "phone", "full_name", "phone"});
  }
  // The policy is gone; the decision is a value.
  CHECK(kept.allowed());
  const auto fs = kept.fields();
  REQUIRE(fs.size() == 4);
  CHECK(fs[0].field == "spent");
  CHECK(fs[1].field == "phone");
  CHECK(fs[2].field == "full_name");
  CHECK(fs[3].field == "phone");
  CHECK(fs[1].rules == Names{"reads", "hashes-contact"});
  CHECK(kept.allowed_fields() == Names{"spent", "phone", "full_name", "phone"});
  CHECK(kept.mask("phone") == Mask::hash);
  CHECK(kept.mask("spent") == Mask::none);
  CHECK(kept.rules() == Names{"reads", "hashes-contact"});  // each once, manifest order
  const Decision copy = kept;
  CHECK(copy.explain() == kept.explain());
  CHECK_THAT(kept.explain(), ContainsSubstring("hash"));

  CHECK(amanah::to_string(Effect::allow) == "allow");
  CHECK(amanah::to_string(Reason::purpose_not_declared) == "purpose_not_declared");
}

TEST_CASE("explain names the deciding rules and the reasons", "[policy]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "support-reads-contact"
roles = ["support"]
categories = ["contact", "sensitive"]
[[forbid]]
id = "no-nik-for-export"
actions = ["export"]
fields = ["nik"]
)toml"));
  const auto c = ctx({"support"}, "service");
  const std::string allow = p.decide(c, Action::read, Names{"email", "phone"}).explain();
  CHECK_THAT(allow, ContainsSubstring("Allowed"));
  CHECK_THAT(allow, ContainsSubstring("read"));
  CHECK_THAT(allow, ContainsSubstring("'support-reads-contact'"));
  CHECK_THAT(allow, ContainsSubstring("'email'"));
  CHECK_THAT(allow, ContainsSubstring("'phone'"));
  CHECK_THAT(allow, ContainsSubstring("'support'"));
  CHECK_THAT(allow, ContainsSubstring("'service'"));
  CHECK_THAT(allow, ContainsSubstring("last4"));

  const Decision deny = p.decide(c, Action::export_data, Names{"nik", "full_name"});
  const std::string why = deny.explain();
  CHECK_THAT(why, ContainsSubstring("Denied"));
  CHECK_THAT(why, ContainsSubstring("export"));
  CHECK_THAT(why, ContainsSubstring("'no-nik-for-export'"));
  CHECK_THAT(why, ContainsSubstring("forbidden"));
  CHECK_THAT(why, ContainsSubstring("no permit"));
  CHECK_THAT(why, ContainsSubstring("'full_name'"));
  CHECK_FALSE(why.find("support-reads-contact") != std::string::npos);  // it decided nothing

  const AccessDenied e(deny);
  CHECK(e.code() == ErrorCode::AccessDenied);
  CHECK(e.message() == why);
  CHECK(e.decision().rules() == Names{"no-nik-for-export"});
  CHECK_THAT(std::string(e.what()), ContainsSubstring(why));
}

TEST_CASE("explain and AccessDenied never repeat a value passed where a name belongs", "[policy]") {
  const AccessPolicy p(toml("[[permit]]\nid = \"anything\"\n"));
  const std::vector<std::string> planted{"siti@example.co.id", "3171234567890123", "+6281234567890",
                                         "Siti Rahma"};
  const auto check_clean = [&](const Decision& d) {
    CHECK_FALSE(d.allowed());
    const std::string text = d.explain();
    const std::string what = AccessDenied(d).what();
    for (const auto& v : planted) {
      CHECK_FALSE(text.find(v) != std::string::npos);
      CHECK_FALSE(what.find(v) != std::string::npos);
    }
    CHECK_FALSE(text.find("6281234567890") != std::string::npos);
    CHECK_FALSE(text.find("example.co.id") != std::string::npos);
  };
  AccessContext c{.actor = "siti@example.co.id",
                  .roles = {"3171234567890123", "support"},
                  .purpose = "siti@example.co.id"};
  check_clean(p.decide(c, Action::read, Names{"+6281234567890", "email", "Siti Rahma"}));
  check_clean(p.decide(c, Action::manage_consent));
  c.roles = {"support"};
  check_clean(p.decide(c, Action::read, "3171234567890123"));
  c.purpose = "service";
  check_clean(p.decide(c, Action::read, Names{"siti@example.co.id", "email"}));
  c.roles = {"Siti Rahma"};
  check_clean(p.decide(c, Action::update, "email"));
  // The actor never appears, even in an allow.
  c.roles = {"support"};
  const Decision ok = p.decide(c, Action::read, "email");
  CHECK(ok.allowed());
  CHECK_FALSE(ok.explain().find("siti") != std::string::npos);
}

TEST_CASE("one policy decides on several threads at once", "[policy]") {
  const AccessPolicy p(toml(R"toml(
[[permit]]
id = "reads"
actions = ["read"]
[[forbid]]
id = "no-sensitive"
categories = ["sensitive"]
)toml"));
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const auto c = ctx({"support"}, "service");
      for (int i = 0; i < 500; ++i) {
        if (!p.decide(c, Action::read, "email").allowed()) ++wrong[static_cast<std::size_t>(t)];
        if (p.decide(c, Action::read, "nik").allowed()) ++wrong[static_cast<std::size_t>(t)];
      }
    });
  for (auto& th : threads)
    th.join();
  CHECK(wrong == std::vector<int>(4, 0));
}

// ---------------------------------------------------------------------------------------------
// Property tests over random rule sets.

namespace {

// A small random manifest, kept as its parts so its rules can be shuffled or extended.
struct Spec {
  std::vector<std::pair<std::string, LegalBasis>> purposes;
  Names roles;
  std::vector<Field> fields;
  std::vector<Rule> rules;

  [[nodiscard]] Manifest build() const {
    auto b = Manifest::builder();
    b.name("random");
    for (const auto& [id, basis] : purposes)
      b.purpose(id, basis);
    for (const auto& r : roles)
      b.role(r);
    for (const auto& f : fields)
      b.field(f);
    for (const auto& r : rules)
      if (r.forbid)
        b.forbid(r);
      else
        b.permit(r);
    return b.build();
  }
};

// How big a random manifest is.
struct Size {
  int fields_min = 3, fields_max = 6;
  int roles_min = 2, roles_max = 4;
  int rules_min = 0, rules_max = 12;
  double forbid = 0.4;          // the share of forbids
  bool narrow_forbids = false;  // forbids name one role, action and field
};

class Gen {
 public:
  explicit Gen(std::uint32_t seed) : rng_(seed) {}
  std::mt19937& rng() { return rng_; }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(between(0, static_cast<int>(v.size()) - 1))];
  }
  // Up to `n` distinct items of `v` (at least one when `v` is not empty).
  template <class T>
  std::vector<T> some(std::vector<T> v, int n) {
    std::shuffle(v.begin(), v.end(), rng_);
    v.resize(std::min(v.size(), static_cast<std::size_t>(between(1, n))));
    return v;
  }
  // Empty ("any") with probability `p_any`, else up to `n` distinct items.
  template <class T>
  std::vector<T> list(const std::vector<T>& v, double p_any, int n) {
    if (chance(p_any)) return {};
    return some(v, n);
  }

  Spec manifest() { return manifest(Size{}); }
  Spec manifest(const Size& size) {
    Spec s;
    const int np = between(2, 3);
    for (int i = 0; i < np; ++i)
      s.purposes.emplace_back("p" + std::to_string(i),
                              chance(0.5) ? LegalBasis::consent : LegalBasis::contract);
    const int nr = between(size.roles_min, size.roles_max);
    for (int i = 0; i < nr; ++i)
      s.roles.push_back("r" + std::to_string(i));
    const int nf = between(size.fields_min, size.fields_max);
    // Four categories only, so that fields share them.
    const std::vector<Category> cats{kCategories.begin(), kCategories.begin() + 4};
    for (int i = 0; i < nf; ++i) {
      Field f;
      f.name = "f" + std::to_string(i);
      f.type = chance(0.3) ? FieldType::date : FieldType::text;
      f.category = pick(cats);
      f.purposes = some(purpose_ids(s), np);
      f.mask = pick(std::vector<Mask>(kMasks.begin(), kMasks.end()));
      if (f.mask == Mask::year_only && f.type != FieldType::date) f.mask = Mask::none;
      s.fields.push_back(std::move(f));
    }
    const int nrules = between(size.rules_min, size.rules_max);
    for (int i = 0; i < nrules; ++i) {
      const bool forbid = chance(size.forbid);
      s.rules.push_back(rule(s, "rule-" + std::to_string(i), forbid));
      if (forbid && size.narrow_forbids) {
        Rule& r = s.rules.back();
        r.roles = some(s.roles, 1);
        r.actions = some(std::vector<Action>(kActions.begin(), kActions.end()), 1);
        r.fields = some(field_names(s), 1);
      }
    }
    return s;
  }

  Rule rule(const Spec& s, std::string id, bool forbid) {
    Rule r;
    r.id = std::move(id);
    r.forbid = forbid;
    r.roles = list(s.roles, 0.5, 2);
    r.actions = list(std::vector<Action>(kActions.begin(), kActions.end()), 0.4, 3);
    std::vector<Category> cats;
    for (const auto& f : s.fields)
      if (std::find(cats.begin(), cats.end(), f.category) == cats.end()) cats.push_back(f.category);
    r.categories = list(cats, 0.6, 2);
    r.fields = list(field_names(s), 0.6, 2);
    r.purposes = list(purpose_ids(s), 0.5, 1);
    if (!forbid && chance(0.5)) r.mask = pick(std::vector<Mask>(kMasks.begin(), kMasks.end()));
    if (!forbid) r.restricted = chance(0.3);
    return r;
  }

  struct Request {
    AccessContext ctx;
    Action action = Action::read;
    Names fields;
    bool store_level = false;
  };

  Request request(const Spec& s) {
    Request q;
    q.ctx.actor = "agent";
    q.ctx.roles = some(s.roles, 2);
    if (chance(0.05)) q.ctx.roles.push_back("ghost");
    if (chance(0.3)) q.ctx.roles.push_back(pick(s.roles));  // a role twice
    q.ctx.purpose = chance(0.95) ? pick(purpose_ids(s)) : "nowhere";
    q.action = pick(std::vector<Action>(kActions.begin(), kActions.end()));
    q.store_level = chance(0.15);
    if (chance(0.15)) {
      q.fields = field_names(s);  // every field, as a get without projection asks
    } else {
      const int n = between(0, 4);
      for (int i = 0; i < n; ++i)
        q.fields.push_back(chance(0.05) ? "f9" : pick(field_names(s)));
    }
    return q;
  }

  static Names purpose_ids(const Spec& s) {
    Names out;
    for (const auto& p : s.purposes)
      out.push_back(p.first);
    return out;
  }
  static Names field_names(const Spec& s) {
    Names out;
    for (const auto& f : s.fields)
      out.push_back(f.name);
    return out;
  }

 private:
  std::mt19937 rng_;
};

Decision decide(const AccessPolicy& p, const Gen::Request& q) {
  return q.store_level ? p.decide(q.ctx, q.action) : p.decide(q.ctx, q.action, q.fields);
}

// --- The reference model: the semantics, written out plainly (no code shared with the engine).

template <class T>
bool has(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

struct RefField {
  Effect effect = Effect::deny;
  Mask mask = Mask::none;
  Reasons reasons;
  std::set<std::string> rules;
  bool restricted = false;  // allowed, and by a permit with restricted = true
};

struct RefDecision {
  Effect effect = Effect::deny;
  std::vector<RefField> fields;  // store level: one entry
  Names rules;                   // manifest order
  bool requires_consent = false;
};

// `field` nullptr: an action on the store as a whole.
bool applies(const Rule& r, const AccessContext& c, Action a, const Field* field) {
  if (!r.roles.empty() &&
      std::none_of(c.roles.begin(), c.roles.end(), [&](const auto& x) { return has(r.roles, x); }))
    return false;
  if (!r.actions.empty() && !has(r.actions, a)) return false;
  if (!r.purposes.empty() && !has(r.purposes, c.purpose)) return false;
  // Store-level actions are decided by field-less rules even when asked about fields.
  const bool whole_store = a == Action::manage_consent || a == Action::manage_manifest ||
                           a == Action::read_audit || a == Action::restrict ||
                           a == Action::object || a == Action::manage_retention ||
                           a == Action::backup || a == Action::disclose_keys;
  if (field == nullptr || whole_store) return r.fields.empty() && r.categories.empty();
  return (r.fields.empty() || has(r.fields, field->name)) &&
         (r.categories.empty() || has(r.categories, field->category));
}

RefDecision reference(const Spec& s, const Gen::Request& q) {
  RefDecision out;
  Reasons context;
  for (const auto& r : q.ctx.roles)
    if (!has(s.roles, r)) context.insert(Reason::undeclared_role);
  const auto purpose = std::find_if(s.purposes.begin(), s.purposes.end(),
                                    [&](const auto& p) { return p.first == q.ctx.purpose; });
  if (purpose == s.purposes.end()) context.insert(Reason::undeclared_purpose);
  out.requires_consent = purpose != s.purposes.end() && purpose->second == LegalBasis::consent &&
                         (q.action == Action::read || q.action == Action::update);

  const auto one = [&](const Field* f) {
    RefField o;
    o.reasons = context;
    // Purpose limitation is a fact about the field and the purpose, whoever asks.
    if (f && purpose != s.purposes.end() && !has(f->purposes, q.ctx.purpose))
      o.reasons.insert(Reason::purpose_not_declared);
    if (!context.empty()) return o;  // the rules are not consulted
    bool forbidden = false;
    bool permitted = false;
    bool reaches_restricted = false;
    std::set<std::string> permits;
    std::optional<Mask> mask;
    for (const Rule& r : s.rules) {
      if (!applies(r, q.ctx, q.action, f)) continue;
      if (r.forbid) {
        forbidden = true;
        o.rules.insert(r.id);
      } else {
        permitted = true;
        permits.insert(r.id);
        reaches_restricted = reaches_restricted || r.restricted;
        const Mask m = r.mask ? *r.mask : (f ? f->mask : Mask::none);
        if (!mask || *mask < m) mask = m;
      }
    }
    if (forbidden) o.reasons.insert(Reason::forbidden);
    if (!forbidden && !permitted) o.reasons.insert(Reason::no_permit);
    if (o.reasons.empty()) {
      o.effect = Effect::allow;
      o.reasons = {Reason::permitted};
      o.rules = permits;
      o.restricted = reaches_restricted;
      const bool masked = q.action == Action::read || q.action == Action::export_data;
      o.mask = masked && f ? *mask : Mask::none;
    } else if (!forbidden) {
      o.rules.clear();
    }
    return o;
  };

  if (q.store_level) {
    out.fields.push_back(one(nullptr));
  } else {
    for (const auto& name : q.fields) {
      const auto f = std::find_if(s.fields.begin(), s.fields.end(),
                                  [&](const Field& x) { return x.name == name; });
      if (f == s.fields.end()) {
        RefField o;
        o.reasons = context;
        o.reasons.insert(Reason::undeclared_field);
        out.fields.push_back(o);
      } else {
        out.fields.push_back(one(&*f));
      }
    }
  }
  out.effect = !out.fields.empty() &&
                       std::all_of(out.fields.begin(), out.fields.end(),
                                   [](const RefField& f) { return f.effect == Effect::allow; })
                   ? Effect::allow
                   : Effect::deny;
  std::set<std::string> ids;
  for (const auto& f : out.fields)
    if (f.effect == out.effect) ids.insert(f.rules.begin(), f.rules.end());
  for (const Rule& r : s.rules)
    if (ids.contains(r.id)) out.rules.push_back(r.id);
  return out;
}

// Everything a decision says except explain(), comparable (per-field rules as sets).
struct Seen {
  Effect effect = Effect::deny;
  bool requires_consent = false;
  bool store_restricted = false;  // allows_restricted("")
  std::set<std::string> rules;
  std::vector<std::tuple<std::string, Effect, Mask, Reasons, std::set<std::string>, bool>> fields;
  friend bool operator==(const Seen&, const Seen&) = default;
};

Seen seen(const Decision& d) {
  Seen s;
  s.effect = d.effect();
  s.requires_consent = d.requires_consent();
  s.store_restricted = d.allows_restricted("");
  for (const auto& id : d.rules())
    s.rules.insert(id);
  for (const auto& f : d.fields())
    s.fields.emplace_back(f.field, f.effect, f.mask, reasons(f),
                          std::set<std::string>(f.rules.begin(), f.rules.end()),
                          f.reaches_restricted);
  return s;
}

constexpr int kManifests = 300;
constexpr int kRequests = 25;

}  // namespace

TEST_CASE("property: the reference model agrees on large rule sets (over 64 and 1024 rules)",
          "[policy][property]") {
  Gen g(31337);
  for (const int rules : {65, 200, 1030, 1500}) {
    INFO(rules << " rules or more");
    const Size size{.fields_min = 20,
                    .fields_max = 40,
                    .roles_min = 6,
                    .roles_max = 10,
                    .rules_min = rules,
                    .rules_max = rules + 20,
                    .forbid = 0.1,
                    .narrow_forbids = true};
    const Spec s = g.manifest(size);
    const AccessPolicy p(s.build());
    int allowed = 0;
    for (int i = 0; i < 100; ++i) {
      INFO("request " << i);
      const auto q = g.request(s);
      const Decision d = decide(p, q);
      const RefDecision r = reference(s, q);
      CHECK(d.effect() == r.effect);
      CHECK((d.rules() == r.rules));
      CHECK(d.allows_restricted("") == (q.store_level && r.fields[0].restricted));
      const auto fs = d.fields();
      REQUIRE(fs.size() == (q.store_level ? 0 : r.fields.size()));
      for (std::size_t k = 0; k < fs.size(); ++k) {
        CHECK(fs[k].effect == r.fields[k].effect);
        CHECK(fs[k].mask == r.fields[k].mask);
        CHECK(fs[k].reaches_restricted == r.fields[k].restricted);
        CHECK((reasons(fs[k]) == r.fields[k].reasons));
        CHECK((std::set<std::string>(fs[k].rules.begin(), fs[k].rules.end()) == r.fields[k].rules));
        allowed += fs[k].effect == Effect::allow ? 1 : 0;
      }
    }
    CHECK(allowed > 0);  // the rule set is not trivially all-deny
  }
}

TEST_CASE("property: shuffling the rules never changes a decision", "[policy][property]") {
  Gen g(20260101);
  for (int it = 0; it < kManifests; ++it) {
    INFO("iteration " << it);
    Spec s = g.manifest();
    const AccessPolicy original(s.build());
    std::vector<Gen::Request> requests;
    for (int i = 0; i < kRequests; ++i)
      requests.push_back(g.request(s));
    for (int round = 0; round < 3; ++round) {
      std::shuffle(s.rules.begin(), s.rules.end(), g.rng());
      const AccessPolicy shuffled(s.build());
      for (const auto& q : requests) {
        const Decision a = decide(original, q);
        const Decision b = decide(shuffled, q);
        CHECK((seen(a) == seen(b)));
      }
    }
  }
}

TEST_CASE("property: adding a forbid never turns a deny into an allow", "[policy][property]") {
  Gen g(424242);
  for (int it = 0; it < kManifests; ++it) {
    INFO("iteration " << it);
    const Spec before = g.manifest();
    Spec after = before;
    after.rules.push_back(g.rule(before, "added-forbid", true));
    if (g.chance(0.5)) std::swap(after.rules.front(), after.rules.back());
    const AccessPolicy p0(before.build());
    const AccessPolicy p1(after.build());
    for (int i = 0; i < kRequests; ++i) {
      const auto q = g.request(before);
      const Decision d0 = decide(p0, q);
      const Decision d1 = decide(p1, q);
      if (d1.allowed()) CHECK(d0.allowed());
      const auto f0 = d0.fields();
      const auto f1 = d1.fields();
      REQUIRE(f0.size() == f1.size());
      for (std::size_t k = 0; k < f0.size(); ++k)
        if (f1[k].effect == Effect::allow) {
          CHECK(f0[k].effect == Effect::allow);
          CHECK(f0[k].mask == f1[k].mask);  // a forbid never changes how a field is shown
          CHECK(f0[k].reaches_restricted == f1[k].reaches_restricted);  // nor whom it reaches
        }
    }
  }
}

TEST_CASE("property: with no rules everything is denied", "[policy][property]") {
  Gen g(7);
  for (int it = 0; it < kManifests; ++it) {
    INFO("iteration " << it);
    Spec s = g.manifest();
    s.rules.clear();
    const AccessPolicy p(s.build());
    for (int i = 0; i < kRequests; ++i) {
      const auto q = g.request(s);
      const Decision d = decide(p, q);
      CHECK_FALSE(d.allowed());
      CHECK(d.rules().empty());
      CHECK(d.allowed_fields().empty());
      for (const auto& f : d.fields()) {
        CHECK(f.effect == Effect::deny);
        CHECK(f.rules.empty());
        CHECK_FALSE(has(f.reasons, Reason::permitted));
        CHECK_FALSE(has(f.reasons, Reason::forbidden));
      }
    }
  }
}

TEST_CASE("property: the engine agrees with a reference model of the semantics",
          "[policy][property]") {
  Gen g(99);
  for (int it = 0; it < kManifests; ++it) {
    INFO("iteration " << it);
    const Spec s = g.manifest();
    const AccessPolicy p(s.build());
    for (int i = 0; i < 2 * kRequests; ++i) {
      INFO("request " << i);
      const auto q = g.request(s);
      const Decision d = decide(p, q);
      const RefDecision r = reference(s, q);
      CHECK(d.effect() == r.effect);
      CHECK(d.requires_consent() == r.requires_consent);
      CHECK((d.rules() == r.rules));
      if (q.store_level) {
        CHECK(d.fields().empty());
        CHECK(d.allows_restricted("") == r.fields[0].restricted);
        continue;
      }
      CHECK_FALSE(d.allows_restricted(""));
      const auto fs = d.fields();
      REQUIRE(fs.size() == r.fields.size());
      Names allowed;
      for (std::size_t k = 0; k < fs.size(); ++k) {
        INFO("field " << k);
        CHECK(fs[k].field == q.fields[k]);
        CHECK(fs[k].effect == r.fields[k].effect);
        CHECK(fs[k].mask == r.fields[k].mask);
        CHECK(fs[k].reaches_restricted == r.fields[k].restricted);
        CHECK((reasons(fs[k]) == r.fields[k].reasons));
        CHECK((std::set<std::string>(fs[k].rules.begin(), fs[k].rules.end()) == r.fields[k].rules));
        if (r.fields[k].effect == Effect::allow) {
          allowed.push_back(q.fields[k]);
          CHECK(d.allows(q.fields[k]));
          CHECK(d.allows_restricted(q.fields[k]) == r.fields[k].restricted);
        }
      }
      CHECK((d.allowed_fields() == allowed));
      // mask(name) is the first allowed occurrence's mask.
      for (std::size_t k = 0; k < fs.size(); ++k)
        if (r.fields[k].effect == Effect::allow) {
          CHECK(d.mask(q.fields[k]) == r.fields[k].mask);
          break;
        }
    }
  }
}

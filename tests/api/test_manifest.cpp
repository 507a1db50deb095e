// The privacy manifest: TOML, builder and JSON give one model; every invalid manifest is an
// Error(InvalidManifest) naming file, line, column and key path, and never a value.
#include <string>
#include <string_view>

#include <amanah/error.hpp>
#include <amanah/manifest.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "support.hpp"

using amanah::Action;
using amanah::AlertLimits;
using amanah::Category;
using amanah::ErrorCode;
using amanah::Field;
using amanah::FieldType;
using amanah::LegalBasis;
using amanah::Manifest;
using amanah::Mask;
using amanah::RetentionFrom;
using amanah::Rule;
using Catch::Matchers::ContainsSubstring;

namespace {

// A complete example manifest (every section), kept verbatim.
constexpr std::string_view kDesignExample = R"([store]
name = "Toko Contoh"

[purposes.service]
basis = "contract"            # contract | consent | legal_obligation | legitimate_interest | vital_interest | public_task
description = "Run the customer account and deliver orders"
[purposes.marketing]
basis = "consent"

[fields]
full_name = { type = "text",  category = "identity",  purposes = ["service"] }
email     = { type = "email", category = "contact",   purposes = ["service", "marketing"], lookup = true }
phone     = { type = "phone", category = "contact",   purposes = ["service"], lookup = true, mask = "last4" }
nik       = { type = "nik",   category = "sensitive", purposes = ["service"], lookup = true, mask = "last4" }

[retention]
behavioral = "365d"
transaction = { keep = "10y", basis = "legal_obligation" }   # a legal hold against erasure

[[permit]]
id = "support-reads-contact"
roles = ["support"]
actions = ["read", "update"]
categories = ["identity", "contact"]
purposes = ["service"]

[[forbid]]
id = "marketing-never-sees-sensitive"
roles = ["marketing"]
categories = ["sensitive"]
)";

// Uses every key the schema has.
constexpr std::string_view kFull = R"([store]
name = "Toko Lengkap"

[purposes.service]
basis = "contract"
description = "Run the account"
[purposes.billing]
basis = "legal_obligation"

[roles.support]
description = "Customer support agents"
[roles.auditor]

[fields.email]
type = "email"
category = "contact"
purposes = ["service", "billing"]
lookup = true
unique = true
mask = "last4"
retention = "365d"
retention_from = "last_activity"
encrypt = false
index_bits = 24

[fields.notes]
type = "text"
category = "account"
purposes = ["service"]
max_length = 200
encrypt = true
retention_from = "relationship_end"

[fields]
born = { type = "date", category = "identity", purposes = ["service"], mask = "year_only" }
card = { type = "card", category = "transaction", purposes = ["billing"], retention = "10y" }

[retention]
transaction = { keep = "10y", basis = "legal_obligation", from = "relationship_end" }
behavioral = { keep = "52w", from = "last_activity" }
account = "6m"

[[forbid]]
id = "auditor-no-export"
roles = ["auditor"]
actions = ["export", "erase"]

[[permit]]
id = "support-reads-contact"
roles = ["support"]
actions = ["read", "update", "rectify"]
categories = ["identity", "contact"]
fields = ["email", "born"]
purposes = ["service"]
mask = "last4"
restricted = true
)";

Manifest full_by_builder() {
  Field email{.name = "email",
              .type = FieldType::email,
              .category = Category::contact,
              .purposes = {"service", "billing"},
              .lookup = true,
              .unique = true,
              .mask = Mask::last4,
              .retention = "365d",
              .retention_from = RetentionFrom::last_activity,
              .index_bits = 24};
  Field notes{.name = "notes",
              .type = FieldType::text,
              .category = Category::account,
              .purposes = {"service"},
              .encrypt = true,
              .retention_from = RetentionFrom::relationship_end,
              .max_length = 200};
  Field born{.name = "born",
             .type = FieldType::date,
             .category = Category::identity,
             .purposes = {"service"},
             .mask = Mask::year_only};
  Field card{.name = "card",
             .type = FieldType::card,
             .category = Category::transaction,
             .purposes = {"billing"},
             .retention = "10y"};
  return Manifest::builder()
      .name("Toko Lengkap")
      .purpose("service", LegalBasis::contract, "Run the account")
      .purpose("billing", LegalBasis::legal_obligation)
      .role("support", "Customer support agents")
      .role("auditor")
      .field(email)
      .field(notes)
      .field(born)
      .field(card)
      .retention(Category::transaction, "10y", LegalBasis::legal_obligation,
                 RetentionFrom::relationship_end)
      .retention(Category::behavioral, "52w", std::nullopt, RetentionFrom::last_activity)
      .retention(Category::account, "6m")
      .forbid({.id = "auditor-no-export",
               .roles = {"auditor"},
               .actions = {Action::export_data, Action::erase}})
      .permit({.id = "support-reads-contact",
               .roles = {"support"},
               .actions = {Action::read, Action::update, Action::rectify},
               .categories = {Category::identity, Category::contact},
               .fields = {"email", "born"},
               .purposes = {"service"},
               .mask = Mask::last4,
               .restricted = true})
      .build();
}

constexpr std::string_view kPlanted = "planted-bad-7731";

// Declares purposes "service" and "marketing" in 4 lines; bodies start on line 5.
constexpr std::string_view kPrelude = R"([purposes.service]
basis = "contract"
[purposes.marketing]
basis = "consent"
)";
constexpr int kPreludeLines = 4;

std::string error_of(std::string_view toml) {
  try {
    (void)Manifest::from_toml(toml, "privacy.toml");
  } catch (const amanah::Error& e) {
    CHECK(e.code() == ErrorCode::InvalidManifest);
    return e.what();
  }
  FAIL("manifest accepted");
  return {};
}

// `toml` is rejected at line `line`, naming `path`, without quoting the planted value.
void require_invalid_doc(const std::string& toml, int line, std::string_view path) {
  CAPTURE(toml);
  const std::string msg = error_of(toml);
  CAPTURE(msg);
  CHECK_THAT(msg, ContainsSubstring("privacy.toml:" + std::to_string(line) + ":"));
  CHECK_THAT(msg, ContainsSubstring(" " + std::string(path) + ": "));
  CHECK_THAT(msg, !ContainsSubstring(std::string(kPlanted)));
}

// `body`, after the prelude, is rejected at its own line `line` (1-based), naming `path`.
void require_invalid(std::string_view body, int line, std::string_view path) {
  require_invalid_doc(std::string(kPrelude) + std::string(body), line + kPreludeLines, path);
}

std::string builder_error(const Manifest::Builder& b) {
  try {
    (void)b.build();
  } catch (const amanah::Error& e) {
    CHECK(e.code() == ErrorCode::InvalidManifest);
    return e.what();
  }
  FAIL("manifest accepted");
  return {};
}

Manifest::Builder base_builder() {
  return Manifest::builder()
      .purpose("service", LegalBasis::contract)
      .purpose("marketing", LegalBasis::consent);
}

Field text_field(std::string name) {
  return Field{.name = std::move(name),
               .type = FieldType::text,
               .category = Category::identity,
               .purposes = {"service"}};
}

}  // namespace

TEST_CASE("a complete example manifest parses into the expected model", "[manifest]") {
  const auto m = Manifest::from_toml(kDesignExample, "privacy.toml");
  CHECK(m.store_name() == "Toko Contoh");

  REQUIRE(m.purposes().size() == 2);
  CHECK(m.purposes()[0].id == "service");
  CHECK(m.purposes()[0].basis == LegalBasis::contract);
  CHECK(m.purposes()[0].description == "Run the customer account and deliver orders");
  CHECK(m.purposes()[1].id == "marketing");
  CHECK(m.purposes()[1].basis == LegalBasis::consent);
  CHECK(m.purposes()[1].description.empty());

  REQUIRE(m.fields().size() == 4);  // in document order
  CHECK(m.fields()[0].name == "full_name");
  CHECK(m.fields()[3].name == "nik");
  const auto* email = m.field("email");
  REQUIRE(email != nullptr);
  CHECK(email->type == FieldType::email);
  CHECK(email->category == Category::contact);
  CHECK(email->purposes == std::vector<std::string>{"service", "marketing"});
  CHECK(email->lookup);
  CHECK_FALSE(email->unique);
  CHECK(email->mask == Mask::none);
  CHECK(email->index_bits == 16);
  CHECK(email->max_length == 0);
  CHECK(email->retention.empty());
  CHECK_FALSE(email->encrypted());
  const auto* nik = m.field("nik");
  REQUIRE(nik != nullptr);
  CHECK(nik->type == FieldType::nik);
  CHECK(nik->mask == Mask::last4);
  CHECK(nik->encrypted());  // sensitive

  REQUIRE(m.retention().size() == 2);
  CHECK(m.retention()[0].category == Category::behavioral);
  CHECK(m.retention()[0].keep == "365d");
  CHECK_FALSE(m.retention()[0].basis.has_value());
  CHECK(m.retention()[1].category == Category::transaction);
  CHECK(m.retention()[1].keep == "10y");
  CHECK(m.retention()[1].basis == LegalBasis::legal_obligation);

  REQUIRE(m.rules().size() == 2);
  const Rule& permit = m.rules()[0];
  CHECK(permit.id == "support-reads-contact");
  CHECK_FALSE(permit.forbid);
  CHECK(permit.roles == std::vector<std::string>{"support"});
  CHECK(permit.actions == std::vector<Action>{Action::read, Action::update});
  CHECK(permit.categories == std::vector<Category>{Category::identity, Category::contact});
  CHECK(permit.fields.empty());
  CHECK(permit.purposes == std::vector<std::string>{"service"});
  CHECK_FALSE(permit.mask.has_value());
  const Rule& forbid = m.rules()[1];
  CHECK(forbid.id == "marketing-never-sees-sensitive");
  CHECK(forbid.forbid);
  CHECK(forbid.actions.empty());
  CHECK(forbid.categories == std::vector<Category>{Category::sensitive});

  // No [roles] section: the roles the rules name are the declared set, in order of mention.
  REQUIRE(m.roles().size() == 2);
  CHECK(m.roles()[0].id == "support");
  CHECK(m.roles()[1].id == "marketing");
}

TEST_CASE("every key of the schema parses, rules keep document order", "[manifest]") {
  const auto m = Manifest::from_toml(kFull, "privacy.toml");
  CHECK(m.store_name() == "Toko Lengkap");
  REQUIRE(m.roles().size() == 2);
  CHECK(m.roles()[0].description == "Customer support agents");
  CHECK(m.roles()[1].description.empty());
  REQUIRE(m.fields().size() == 4);
  CHECK(m.fields()[0].name == "email");
  CHECK(m.fields()[0].unique);
  CHECK(m.fields()[0].index_bits == 24);
  CHECK(m.fields()[0].retention == "365d");
  CHECK(m.fields()[1].max_length == 200);
  CHECK(m.fields()[1].encrypted());
  CHECK(m.field("born")->mask == Mask::year_only);
  REQUIRE(m.rules().size() == 2);
  CHECK(m.rules()[0].id == "auditor-no-export");  // [[forbid]] comes first in the file
  CHECK(m.rules()[0].forbid);
  CHECK(m.rules()[0].actions == std::vector<Action>{Action::export_data, Action::erase});
  CHECK(m.rules()[1].mask == Mask::last4);
  CHECK(m.rules()[1].fields == std::vector<std::string>{"email", "born"});
  CHECK(m.rules()[1].actions == std::vector<Action>{Action::read, Action::update, Action::rectify});
  CHECK(m.rules()[1].restricted);
  CHECK_FALSE(m.rules()[0].restricted);
  CHECK(m.fields()[0].retention_from == RetentionFrom::last_activity);
  CHECK(m.fields()[1].retention_from == RetentionFrom::relationship_end);
  CHECK_FALSE(m.fields()[2].retention_from.has_value());
  REQUIRE(m.retention().size() == 3);
  CHECK(m.retention()[0].from == RetentionFrom::relationship_end);
  CHECK(m.retention()[1].keep == "52w");
  CHECK(m.retention()[1].from == RetentionFrom::last_activity);
  CHECK(m.retention()[2].category == Category::account);
  CHECK(m.retention()[2].from == RetentionFrom::collection);  // the string form
}

TEST_CASE("fields as [fields.x] tables and as inline tables are the same", "[manifest]") {
  const auto inline_form = Manifest::from_toml(R"([purposes.service]
basis = "contract"
[fields]
email = { type = "email", category = "contact", purposes = ["service"], lookup = true }
)");
  const auto table_form = Manifest::from_toml(R"([purposes.service]
basis = "contract"
[fields.email]
type = "email"
category = "contact"
purposes = ["service"]
lookup = true
)");
  CHECK(inline_form == table_form);
}

TEST_CASE("the builder makes the same manifest as TOML", "[manifest]") {
  SECTION("the complete example") {
    const auto built =
        Manifest::builder()
            .name("Toko Contoh")
            .purpose("service", LegalBasis::contract, "Run the customer account and deliver orders")
            .purpose("marketing", LegalBasis::consent)
            .field({.name = "full_name",
                    .type = FieldType::text,
                    .category = Category::identity,
                    .purposes = {"service"}})
            .field({.name = "email",
                    .type = FieldType::email,
                    .category = Category::contact,
                    .purposes = {"service", "marketing"},
                    .lookup = true})
            .field({.name = "phone",
                    .type = FieldType::phone,
                    .category = Category::contact,
                    .purposes = {"service"},
                    .lookup = true,
                    .mask = Mask::last4})
            .field({.name = "nik",
                    .type = FieldType::nik,
                    .category = Category::sensitive,
                    .purposes = {"service"},
                    .lookup = true,
                    .mask = Mask::last4})
            .retention(Category::behavioral, "365d")
            .retention(Category::transaction, "10y", LegalBasis::legal_obligation)
            .permit({.id = "support-reads-contact",
                     .roles = {"support"},
                     .actions = {Action::read, Action::update},
                     .categories = {Category::identity, Category::contact},
                     .purposes = {"service"}})
            .forbid({.id = "marketing-never-sees-sensitive",
                     .roles = {"marketing"},
                     .categories = {Category::sensitive}})
            .build();
    const auto parsed = Manifest::from_toml(kDesignExample, "privacy.toml");
    CHECK(built == parsed);
    CHECK(built.to_json() == parsed.to_json());
  }
  SECTION("every key") {
    CHECK(full_by_builder() == Manifest::from_toml(kFull));
  }
  SECTION("a difference in any member makes them unequal") {
    const auto base = Manifest::from_toml(kFull);
    auto with = [&](auto edit) {
      auto b = Manifest::builder();
      edit(b);
      return b.build();
    };
    CHECK_FALSE(base == with([](auto&) {}));
    CHECK_FALSE(Manifest{} == with([](auto& b) { b.name("x"); }));
    CHECK_FALSE(Manifest{} == with([](auto& b) { b.purpose("x", LegalBasis::contract); }));
    CHECK(with([](auto& b) { b.purpose("x", LegalBasis::contract); }) ==
          with([](auto& b) { b.purpose("x", LegalBasis::contract); }));
    CHECK_FALSE(with([](auto& b) { b.purpose("x", LegalBasis::contract); }) ==
                with([](auto& b) { b.purpose("x", LegalBasis::consent); }));
    CHECK_FALSE(with([](auto& b) { b.purpose("x", LegalBasis::contract, "a"); }) ==
                with([](auto& b) { b.purpose("x", LegalBasis::contract, "b"); }));
    CHECK_FALSE(with([](auto& b) { b.role("x"); }) == with([](auto& b) { b.role("x", "d"); }));
    CHECK_FALSE(with([](auto& b) { b.retention(Category::account, "1d"); }) ==
                with([](auto& b) { b.retention(Category::account, "2d"); }));
    CHECK(with([](auto& b) { b.retention(Category::account, "1d"); }) == with([](auto& b) {
            b.retention(Category::account, "1d", std::nullopt, RetentionFrom::collection);
          }));
    CHECK_FALSE(with([](auto& b) { b.retention(Category::account, "1d"); }) == with([](auto& b) {
                  b.retention(Category::account, "1d", std::nullopt, RetentionFrom::last_activity);
                }));
    auto field = [&](auto edit) {
      return with([&](auto& b) {
        Field f = text_field("f");
        edit(f);
        b.purpose("service", LegalBasis::contract).purpose("x", LegalBasis::contract).field(f);
      });
    };
    const auto plain = field([](Field&) {});
    CHECK(plain == field([](Field&) {}));
    CHECK_FALSE(plain == field([](Field& f) { f.encrypt = true; }));
    CHECK_FALSE(plain == field([](Field& f) { f.max_length = 9; }));
    CHECK_FALSE(plain == field([](Field& f) { f.mask = Mask::redact; }));
    CHECK_FALSE(plain == field([](Field& f) { f.retention = "1y"; }));
    CHECK_FALSE(field([](Field& f) { f.retention = "1y"; }) == field([](Field& f) {
                  f.retention = "1y";
                  f.retention_from = RetentionFrom::collection;  // set, even to the default
                }));
    CHECK_FALSE(field([](Field& f) {
                  f.retention = "1y";
                  f.retention_from = RetentionFrom::collection;
                }) == field([](Field& f) {
                  f.retention = "1y";
                  f.retention_from = RetentionFrom::relationship_end;
                }));
    CHECK_FALSE(plain == field([](Field& f) { f.lookup = true; }));
    CHECK_FALSE(field([](Field& f) { f.lookup = true; }) == field([](Field& f) {
                  f.lookup = true;
                  f.index_bits = 8;
                }));
    CHECK_FALSE(field([](Field& f) { f.lookup = true; }) == field([](Field& f) {
                  f.lookup = true;
                  f.unique = true;
                }));
    CHECK_FALSE(plain == field([](Field& f) { f.category = Category::account; }));
    CHECK_FALSE(plain == field([](Field& f) { f.type = FieldType::integer; }));
    CHECK_FALSE(plain == field([](Field& f) { f.name = "g"; }));
    CHECK_FALSE(plain == field([](Field& f) { f.purposes = {"x"}; }));
    auto rule = [&](Rule r) { return with([&](auto& b) { b.permit(r); }); };
    CHECK_FALSE(rule({.id = "r"}) == rule({.id = "r", .mask = Mask::hash}));
    CHECK_FALSE(rule({.id = "r"}) == rule({.id = "r", .actions = {Action::read}}));
    CHECK_FALSE(rule({.id = "r"}) == rule({.id = "r", .restricted = true}));
    CHECK(rule({.id = "r", .restricted = true}) == rule({.id = "r", .restricted = true}));
    CHECK_FALSE(rule({.id = "r"}) == with([](auto& b) { b.forbid({.id = "r"}); }));
  }
}

TEST_CASE("builder permit() and forbid() set the effect", "[manifest]") {
  const auto m = Manifest::builder()
                     .permit({.id = "a", .forbid = true})
                     .forbid({.id = "b", .forbid = false})
                     .build();
  REQUIRE(m.rules().size() == 2);
  CHECK_FALSE(m.rules()[0].forbid);
  CHECK(m.rules()[1].forbid);
}

TEST_CASE("an empty manifest is valid", "[manifest]") {
  const auto parsed = Manifest::from_toml("");
  CHECK(parsed == Manifest{});
  CHECK(parsed.purposes().empty());
  CHECK(Manifest::builder().build() == Manifest{});
  CHECK(Manifest::from_json(Manifest{}.to_json()) == Manifest{});
}

TEST_CASE("canonical JSON round-trips exactly and is deterministic", "[manifest]") {
  for (const auto& m : {Manifest::from_toml(kDesignExample), Manifest::from_toml(kFull),
                        full_by_builder(), Manifest{}}) {
    const std::string json = m.to_json();
    const auto back = Manifest::from_json(json);
    CHECK(back == m);
    CHECK(back.to_json() == json);
    CHECK(m.to_json() == json);
    CHECK(json.find('\n') == std::string::npos);
  }
  // Same content from different sources: byte-identical JSON; keys sorted.
  const auto json = Manifest::from_toml(kFull).to_json();
  CHECK(json == full_by_builder().to_json());
  CHECK(json.rfind(R"({"fields":[{"category":"contact","encrypt":false,)", 0) == 0);
  CHECK_THAT(json, ContainsSubstring(R"("format":1,"purposes":)"));
  CHECK_THAT(json, ContainsSubstring(R"("mask":null)"));  // an absent rule mask

  SECTION("non-ASCII text survives") {
    const auto m = Manifest::builder()
                       .name("Toko \xC3\x9C\xE2\x82\xAC")
                       .purpose("service", LegalBasis::contract, "Layanan \xF0\x9F\x9B\x92")
                       .build();
    CHECK(Manifest::from_json(m.to_json()) == m);
  }
}

TEST_CASE("from_json validates and never echoes the stored text", "[manifest]") {
  const std::string good = Manifest::from_toml(kDesignExample).to_json();
  auto replaced = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    s.replace(at, from.size(), to);
    return s;
  };
  auto message = [](const std::string& json) {
    try {
      (void)Manifest::from_json(json);
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::InvalidManifest);
      const std::string msg = e.what();
      CHECK_THAT(msg, ContainsSubstring("<stored manifest>"));
      CHECK_THAT(msg, !ContainsSubstring(std::string(kPlanted)));
      return msg;
    }
    FAIL("accepted");
    return std::string{};
  };
  CHECK_THAT(message("{\"store_name\": \"planted-bad-7731"), ContainsSubstring("not valid JSON"));
  CHECK_THAT(message("[]"), ContainsSubstring("expected an object"));
  CHECK_THAT(message(replaced(R"("format":1)", R"("format":2)")), ContainsSubstring("format"));
  CHECK_THAT(message(replaced(R"("format":1)", R"("format":1,"extra":1)")),
             ContainsSubstring("extra: unknown key"));
  CHECK_THAT(message(replaced(R"("type":"email")", R"("type":"planted-bad-7731")")),
             ContainsSubstring("fields[1].type"));
  CHECK_THAT(message(replaced(R"("lookup":true)", R"("lookup":"yes")")),
             ContainsSubstring("fields[1].lookup: expected a boolean"));
  CHECK_THAT(message(replaced(R"("index_bits":16)", R"("index_bits":-16)")),
             ContainsSubstring("fields[0].index_bits"));
  CHECK_THAT(message(replaced(R"("keep":"365d")", R"("keep":"planted-bad-7731")")),
             ContainsSubstring("retention.behavioral.keep"));
  CHECK_THAT(message(replaced(R"("purposes":["service","marketing"])",
                              R"("purposes":["service","planted-bad-7731"])")),
             ContainsSubstring("fields.email.purposes[1]: undeclared purpose"));
  CHECK_THAT(message(replaced(R"("effect":"forbid")", R"("effect":"planted-bad-7731")")),
             ContainsSubstring("rules[1].effect"));
  CHECK_THAT(message(replaced(R"("name":"email",)", "")),
             ContainsSubstring("fields[1].name: required key is missing"));
}

TEST_CASE("from_file reads a manifest; missing is NotFound", "[manifest]") {
  amanah::test::TempDir dir;
  const auto path = dir / "privacy.toml";
  amanah::test::write_file(path, kDesignExample);
  CHECK(Manifest::from_file(path) == Manifest::from_toml(kDesignExample));

  REQUIRE_AMANAH_ERROR(Manifest::from_file(dir / "missing.toml"), ErrorCode::NotFound);
  REQUIRE_AMANAH_ERROR(Manifest::from_file(dir.path()), ErrorCode::Io);

  // Errors name the file it was read from.
  amanah::test::write_file(path, "[store]\nname = \"x\"\ncolour = \"planted-bad-7731\"\n");
  try {
    (void)Manifest::from_file(path);
    FAIL("accepted");
  } catch (const amanah::Error& e) {
    CHECK(e.code() == ErrorCode::InvalidManifest);
    CHECK_THAT(e.what(), ContainsSubstring(path.string() + ":3:1: store.colour: unknown key"));
  }
}

TEST_CASE("lookups find declared names and return nullptr otherwise", "[manifest]") {
  const auto m = Manifest::from_toml(kFull);
  REQUIRE(m.purpose("billing") != nullptr);
  CHECK(m.purpose("billing")->basis == LegalBasis::legal_obligation);
  CHECK(m.purpose("marketing") == nullptr);
  CHECK(m.purpose("") == nullptr);
  REQUIRE(m.field("notes") != nullptr);
  CHECK(m.field("notes")->max_length == 200);
  CHECK(m.field("phone") == nullptr);
  REQUIRE(m.role("support") != nullptr);
  CHECK(m.role("support")->description == "Customer support agents");
  CHECK(m.role("marketing") == nullptr);
  CHECK(Manifest{}.field("email") == nullptr);
}

TEST_CASE("to_string gives the names used in TOML", "[manifest]") {
  CHECK(amanah::to_string(LegalBasis::legitimate_interest) == "legitimate_interest");
  CHECK(amanah::to_string(LegalBasis::public_task) == "public_task");
  CHECK(amanah::to_string(FieldType::npwp) == "npwp");
  CHECK(amanah::to_string(FieldType::card) == "card");
  CHECK(amanah::to_string(Category::behavioral) == "behavioral");
  CHECK(amanah::to_string(Mask::first_last) == "first_last");
  CHECK(amanah::to_string(Mask::nullify) == "nullify");
  CHECK(amanah::to_string(Action::export_data) == "export");
  CHECK(amanah::to_string(Action::erase) == "erase");
  CHECK(amanah::to_string(Action::manage_manifest) == "manage_manifest");
  CHECK(amanah::to_string(Action::read_audit) == "read_audit");
  CHECK(amanah::to_string(Action::rectify) == "rectify");
  CHECK(amanah::to_string(Action::restrict) == "restrict");
  CHECK(amanah::to_string(Action::object) == "object");
  CHECK(amanah::to_string(Action::manage_retention) == "manage_retention");
  CHECK(amanah::to_string(Action::backup) == "backup");
  CHECK(amanah::to_string(Action::disclose_keys) == "disclose_keys");
  CHECK(amanah::to_string(RetentionFrom::collection) == "collection");
  CHECK(amanah::to_string(RetentionFrom::last_activity) == "last_activity");
  CHECK(amanah::to_string(RetentionFrom::relationship_end) == "relationship_end");
  CHECK(amanah::to_string(RetentionFrom::consent_withdrawal) == "consent_withdrawal");
  CHECK(amanah::to_string(static_cast<RetentionFrom>(42)) == "unknown");
}

TEST_CASE("roles: the [roles] section when present, else the roles rules name", "[manifest]") {
  SECTION("without [roles], any well-formed role named by a rule is declared") {
    const auto m = Manifest::from_toml(std::string(kPrelude) + R"([[permit]]
id = "a"
roles = ["support", "ops"]
[[forbid]]
id = "b"
roles = ["ops", "marketing"]
)");
    REQUIRE(m.roles().size() == 3);
    CHECK(m.roles()[0].id == "support");
    CHECK(m.roles()[1].id == "ops");
    CHECK(m.roles()[2].id == "marketing");
    CHECK(m.role("ops") != nullptr);
    CHECK(m.role("auditor") == nullptr);
    CHECK(Manifest::from_json(m.to_json()) == m);
    require_invalid("[[permit]]\nid = \"a\"\nroles = [\"support\", \"Bad Role\"]\n", 3,
                    "permit[0].roles[1]");
  }
  SECTION("with [roles], a rule may only name declared roles") {
    const auto m = Manifest::from_toml(std::string(kPrelude) + R"([roles.support]
[[permit]]
id = "a"
roles = ["support"]
)");
    REQUIRE(m.roles().size() == 1);
    require_invalid(R"([roles.support]
description = "Agents"
[[permit]]
id = "a"
roles = ["support", "planted-bad-7731"]
)",
                    5, "permit[0].roles[1]");
    // An empty section still declares the (empty) set.
    require_invalid("[roles]\n[[forbid]]\nid = \"a\"\nroles = [\"support\"]\n", 4,
                    "forbid[0].roles[0]");
    require_invalid("[roles.Support]\n", 1, "roles.Support");
    require_invalid("[roles.support]\ndescripton = \"x\"\n", 2, "roles.support.descripton");
    require_invalid("[roles]\nsupport = \"planted-bad-7731\"\n", 2, "roles.support");
  }
  SECTION("in the builder, role() calls are the section") {
    CHECK(Manifest::builder().permit({.id = "a", .roles = {"x"}}).build().role("x") != nullptr);
    const auto msg =
        builder_error(Manifest::builder().role("y").permit({.id = "a", .roles = {"x"}}));
    CHECK_THAT(msg, ContainsSubstring("<builder>: permit[0].roles[0]: undeclared role"));
  }
}

TEST_CASE("TOML syntax errors name the line and never the text", "[manifest]") {
  auto msg = error_of("[store]\nname = \"ok\"\nnote = \"planted-bad-7731\n");
  CHECK_THAT(msg, ContainsSubstring("privacy.toml:3:"));
  CHECK_THAT(msg, ContainsSubstring("invalid TOML"));
  CHECK_THAT(msg, !ContainsSubstring(std::string(kPlanted)));
  msg = error_of("[store]\nname = \"a\"\nname = \"planted-bad-7731\"\n");  // duplicate key
  CHECK_THAT(msg, ContainsSubstring("privacy.toml:3:"));
  CHECK_THAT(msg, !ContainsSubstring(std::string(kPlanted)));
  msg = error_of("a = planted-bad-7731\n");
  CHECK_THAT(msg, ContainsSubstring("privacy.toml:1:"));
  CHECK_THAT(msg, !ContainsSubstring(std::string(kPlanted)));
  msg = error_of("[fields.planted-bad-7731\n");
  CHECK_THAT(msg, !ContainsSubstring(std::string(kPlanted)));
}

TEST_CASE("unknown keys are errors", "[manifest]") {
  require_invalid_doc("colour = \"planted-bad-7731\"\n", 1, "colour");
  require_invalid("[store]\nnama = \"x\"\n", 2, "store.nama");
  require_invalid("[purposes.x]\nbasis = \"contract\"\ndescripton = \"x\"\n", 3,
                  "purposes.x.descripton");
  require_invalid(
      "[fields]\nemail = { type = \"email\", category = \"contact\", purposes = [\"service\"], "
      "lokup = true }\n",
      2, "fields.email.lokup");
  require_invalid("[retention]\ntransaction = { keep = \"1y\", bases = \"consent\" }\n", 2,
                  "retention.transaction.bases");
  require_invalid("[[permit]]\nid = \"a\"\nrole = [\"support\"]\n", 3, "permit[0].role");
  // A key that is not a plain name is not echoed.
  const auto msg = error_of("[store]\n\"planted-bad-7731 x\" = 1\n");
  CHECK_THAT(msg, ContainsSubstring("privacy.toml:2:1: store.?: unknown key"));
}

TEST_CASE("wrong TOML types are errors", "[manifest]") {
  require_invalid(
      "[fields]\nemail = { type = \"email\", category = \"contact\", purposes = [\"service\"], "
      "lookup = \"yes\" }\n",
      2, "fields.email.lookup");
  require_invalid(
      "[fields.email]\ntype = \"email\"\ncategory = \"contact\"\npurposes = \"service\"\n", 4,
      "fields.email.purposes");
  require_invalid("[fields.email]\ntype = \"email\"\ncategory = \"contact\"\npurposes = [1]\n", 4,
                  "fields.email.purposes[0]");
  require_invalid("[fields.notes]\ntype = \"text\"\nmax_length = \"200\"\n", 3,
                  "fields.notes.max_length");
  require_invalid("[fields.notes]\ntype = \"text\"\nmax_length = -1\n", 3,
                  "fields.notes.max_length");
  require_invalid("[fields.email]\ntype = 5\n", 2, "fields.email.type");
  require_invalid("[store]\nname = 5\n", 2, "store.name");
  require_invalid_doc("store = \"planted-bad-7731\"\n", 1, "store");
  require_invalid_doc("fields = 3\n", 1, "fields");
  require_invalid_doc("permit = 3\n", 1, "permit");
  require_invalid_doc("permit = [1]\n", 1, "permit[0]");
  require_invalid("[fields]\nemail = \"planted-bad-7731\"\n", 2, "fields.email");
  require_invalid("[purposes]\nx = \"contract\"\n", 2, "purposes.x");
  require_invalid("[[permit]]\nid = 7\n", 2, "permit[0].id");
  require_invalid("[[permit]]\nid = \"a\"\nroles = \"support\"\n", 3, "permit[0].roles");
  require_invalid("[retention]\nbehavioral = 365\n", 2, "retention.behavioral");
}

TEST_CASE("purposes are validated", "[manifest]") {
  require_invalid("[purposes.Bad]\nbasis = \"contract\"\n", 1, "purposes.Bad");
  require_invalid("[purposes.9lives]\nbasis = \"contract\"\n", 1, "purposes.9lives");
  require_invalid("[purposes.x]\ndescription = \"d\"\n", 1, "purposes.x.basis");
  require_invalid("[purposes.x]\nbasis = \"planted-bad-7731\"\n", 2, "purposes.x.basis");
  require_invalid("[purposes." + std::string(65, 'a') + "]\nbasis = \"contract\"\n", 1,
                  "purposes[2]");
  CHECK_NOTHROW(Manifest::from_toml("[purposes." + std::string(64, 'a') +
                                    "]\nbasis = \"contract\"\n[purposes.a-b_c]\nbasis = "
                                    "\"public_task\"\n"));
  CHECK_THAT(builder_error(base_builder().purpose("service", LegalBasis::consent)),
             ContainsSubstring("<builder>: purposes.service: declared more than once"));
  CHECK_THAT(builder_error(base_builder().purpose("x", static_cast<LegalBasis>(42))),
             ContainsSubstring("purposes.x.basis: unknown legal basis"));
}

TEST_CASE("fields are validated", "[manifest]") {
  const std::string ok_rest = R"(category = "contact"
purposes = ["service"]
)";
  SECTION("names, types, categories and purposes") {
    require_invalid(
        "[fields]\nEmail = { type = \"email\", category = \"contact\", purposes = "
        "[\"service\"] }\n",
        2, "fields.Email");
    require_invalid("[fields.e-mail]\ntype = \"email\"\n" + ok_rest, 1, "fields.e-mail");
    require_invalid("[fields.email]\ncategory = \"contact\"\npurposes = [\"service\"]\n", 1,
                    "fields.email.type");
    require_invalid("[fields.email]\ntype = \"planted-bad-7731\"\n" + ok_rest, 2,
                    "fields.email.type");
    require_invalid("[fields.email]\ntype = \"email\"\npurposes = [\"service\"]\n", 1,
                    "fields.email.category");
    require_invalid("[fields.email]\ntype = \"email\"\ncategory = \"planted-bad-7731\"\n", 3,
                    "fields.email.category");
    require_invalid("[fields.email]\ntype = \"email\"\ncategory = \"contact\"\n", 1,
                    "fields.email.purposes");
    require_invalid("[fields.email]\ntype = \"email\"\ncategory = \"contact\"\npurposes = []\n", 4,
                    "fields.email.purposes");
    require_invalid(
        "[fields.email]\ntype = \"email\"\ncategory = \"contact\"\npurposes = [\"service\", "
        "\"planted-bad-7731\"]\n",
        4, "fields.email.purposes[1]");
    require_invalid(
        "[fields.email]\ntype = \"email\"\ncategory = \"contact\"\npurposes = [\"service\", "
        "\"service\"]\n",
        4, "fields.email.purposes[1]");
  }
  SECTION("the column is the value's") {
    const auto msg = error_of(
        "[fields]\nemail = { type = \"planted-bad-7731\", category = \"contact\", purposes = [] "
        "}\n");
    CHECK_THAT(msg, ContainsSubstring("privacy.toml:2:18: fields.email.type: unknown field type"));
  }
  SECTION("unique needs lookup") {
    require_invalid("[fields.email]\ntype = \"email\"\n" + ok_rest + "unique = true\n", 5,
                    "fields.email.unique");
    CHECK_NOTHROW(Manifest::from_toml(std::string(kPrelude) + "[fields.email]\ntype = \"email\"\n" +
                                      ok_rest + "unique = true\nlookup = true\n"));
  }
  SECTION("max_length only on text") {
    require_invalid("[fields.email]\ntype = \"email\"\n" + ok_rest + "max_length = 200\n", 5,
                    "fields.email.max_length");
  }
  SECTION("index_bits in 8..32, and only with lookup") {
    const std::string lookup = "[fields.email]\ntype = \"email\"\n" + ok_rest + "lookup = true\n";
    require_invalid(lookup + "index_bits = 7\n", 6, "fields.email.index_bits");
    require_invalid(lookup + "index_bits = 33\n", 6, "fields.email.index_bits");
    require_invalid(lookup + "index_bits = -8\n", 6, "fields.email.index_bits");
    require_invalid("[fields.email]\ntype = \"email\"\n" + ok_rest + "index_bits = 24\n", 5,
                    "fields.email.index_bits");
    CHECK_NOTHROW(Manifest::from_toml(std::string(kPrelude) + lookup + "index_bits = 8\n"));
    CHECK_NOTHROW(Manifest::from_toml(std::string(kPrelude) + lookup + "index_bits = 32\n"));
  }
  SECTION("year_only only on dates") {
    require_invalid("[fields.born]\ntype = \"text\"\n" + ok_rest + "mask = \"year_only\"\n", 5,
                    "fields.born.mask");
    require_invalid("[fields.born]\ntype = \"date\"\n" + ok_rest + "mask = \"planted-bad-7731\"\n",
                    5, "fields.born.mask");
  }
  SECTION("card fields are neither lookup nor unique") {
    require_invalid("[fields.card]\ntype = \"card\"\n" + ok_rest + "lookup = true\n", 5,
                    "fields.card.lookup");
    require_invalid("[fields.card]\ntype = \"card\"\n" + ok_rest + "unique = true\n", 5,
                    "fields.card.unique");
  }
  SECTION("retention durations") {
    for (const char* bad : {"0d", "-1d", "1.5y", "10 y", "10Y", "", "d", "10", "010d", "1h",
                            "1234567d", "planted-bad-7731"}) {
      CAPTURE(bad);
      require_invalid(
          "[fields.email]\ntype = \"email\"\n" + ok_rest + "retention = \"" + bad + "\"\n", 5,
          "fields.email.retention");
    }
    for (const char* good : {"1d", "365d", "52w", "6m", "10y", "999999d"}) {
      CAPTURE(good);
      CHECK_NOTHROW(Manifest::from_toml(std::string(kPrelude) +
                                        "[fields.email]\ntype = \"email\"\n" + ok_rest +
                                        "retention = \"" + good + "\"\n"));
    }
  }
  SECTION("builder: duplicates and out-of-range values") {
    CHECK_THAT(builder_error(base_builder().field(text_field("a")).field(text_field("a"))),
               ContainsSubstring("<builder>: fields.a: declared more than once"));
    Field f = text_field("a");
    f.type = static_cast<FieldType>(99);
    CHECK_THAT(builder_error(base_builder().field(f)),
               ContainsSubstring("fields.a.type: unknown field type"));
    f = text_field("a");
    f.index_bits = 0;
    CHECK_THAT(builder_error(base_builder().field(f)), ContainsSubstring("fields.a.index_bits"));
    f = text_field("a b");
    CHECK_THAT(builder_error(base_builder().field(f)), ContainsSubstring("<builder>: fields[0]: "));
    f = text_field("a");
    f.purposes.clear();
    CHECK_THAT(builder_error(base_builder().field(f)),
               ContainsSubstring("fields.a.purposes: needs at least one purpose"));
  }
}

TEST_CASE("retention rules are validated", "[manifest]") {
  require_invalid("[retention]\nbehavioral = \"0d\"\n", 2, "retention.behavioral");
  require_invalid("[retention]\ntransaction = { keep = \"10 y\" }\n", 2,
                  "retention.transaction.keep");
  require_invalid("[retention]\ntransaction = { basis = \"consent\" }\n", 2,
                  "retention.transaction.keep");
  require_invalid("[retention]\ntransaction = { keep = \"1y\", basis = \"planted-bad-7731\" }\n", 2,
                  "retention.transaction.basis");
  require_invalid("[retention]\nplanted = \"1d\"\n", 2, "retention.planted");
  CHECK_THAT(builder_error(Manifest::builder()
                               .retention(Category::account, "1y")
                               .retention(Category::account, "2y")),
             ContainsSubstring("<builder>: retention.account: category listed more than once"));
  CHECK_THAT(builder_error(Manifest::builder().retention(Category::account, "planted-bad-7731")),
             ContainsSubstring("retention.account.keep"));
}

TEST_CASE("rules are validated", "[manifest]") {
  const std::string field = R"([fields.email]
type = "email"
category = "contact"
purposes = ["service"]
)";  // 4 lines
  require_invalid("[[permit]]\nroles = [\"support\"]\n", 1, "permit[0].id");
  require_invalid("[[permit]]\nid = \"Bad Id\"\n", 2, "permit[0].id");
  require_invalid("[[permit]]\nid = \"a\"\n[[forbid]]\nid = \"b\"\n[[forbid]]\nid = \"a\"\n", 6,
                  "forbid[1].id");
  require_invalid("[[permit]]\nid = \"a\"\n[[permit]]\nid = \"a\"\n", 4, "permit[1].id");
  require_invalid("[[permit]]\nid = \"a\"\nactions = [\"read\", \"planted-bad-7731\"]\n", 3,
                  "permit[0].actions[1]");
  require_invalid("[[permit]]\nid = \"a\"\nactions = [\"read\", \"read\"]\n", 3,
                  "permit[0].actions[1]");
  require_invalid("[[permit]]\nid = \"a\"\ncategories = [\"planted-bad-7731\"]\n", 3,
                  "permit[0].categories[0]");
  require_invalid(field + "[[permit]]\nid = \"a\"\nfields = [\"email\", \"planted-bad-7731\"]\n", 7,
                  "permit[0].fields[1]");
  require_invalid("[[forbid]]\nid = \"a\"\npurposes = [\"planted-bad-7731\"]\n", 3,
                  "forbid[0].purposes[0]");
  require_invalid("[[forbid]]\nid = \"a\"\nmask = \"last4\"\n", 3, "forbid[0].mask");
  require_invalid("[[permit]]\nid = \"a\"\nmask = \"planted-bad-7731\"\n", 3, "permit[0].mask");
  CHECK_NOTHROW(Manifest::from_toml(std::string(kPrelude) + field +
                                    "[[permit]]\nid = \"a\"\nfields = [\"email\"]\nmask = "
                                    "\"hash\"\nactions = [\"read\", \"create\", \"update\", "
                                    "\"erase\", \"export\"]\n"));
  const auto store_actions = Manifest::from_toml(
      "[[permit]]\nid = \"a\"\nactions = [\"manage_consent\", \"manage_manifest\", "
      "\"read_audit\"]\n");
  CHECK(store_actions.rules()[0].actions ==
        std::vector<Action>{Action::manage_consent, Action::manage_manifest, Action::read_audit});
  CHECK(Manifest::from_json(store_actions.to_json()) == store_actions);
  CHECK_THAT(builder_error(Manifest::builder().forbid({.id = "a", .mask = Mask::redact})),
             ContainsSubstring("<builder>: forbid[0].mask: forbid rules take no mask"));
  CHECK_THAT(builder_error(Manifest::builder().permit({.id = "a"}).forbid({.id = "a"})),
             ContainsSubstring("<builder>: forbid[0].id"));
}

TEST_CASE("the first problem in document order is reported", "[manifest]") {
  // A rule (line 1) names an undeclared field; a field further down has unique without lookup.
  require_invalid(R"([[permit]]
id = "a"
fields = ["nope"]
[fields.email]
type = "email"
category = "contact"
purposes = ["service"]
unique = true
)",
                  3, "permit[0].fields[0]");
  require_invalid(R"([fields.email]
type = "email"
category = "contact"
purposes = ["service"]
unique = true
[[permit]]
id = "a"
fields = ["nope"]
)",
                  5, "fields.email.unique");
}

TEST_CASE("messages never contain manifest values", "[manifest]") {
  // Store name and descriptions hold free text; no error may quote them.
  const std::string msg = error_of(R"([store]
name = "planted-bad-7731"
[purposes.x]
basis = "contract"
description = "planted-bad-7731"
[fields.planted]
type = "text"
category = "identity"
purposes = ["x"]
max_length = 7731
mask = "year_only"
)");
  CHECK_THAT(msg, !ContainsSubstring(std::string(kPlanted)));
  CHECK_THAT(msg, !ContainsSubstring("7731"));
  CHECK_THAT(msg, ContainsSubstring("privacy.toml:11:8: fields.planted.mask"));

  const std::string bad_utf8 = "planted-bad-7731 \xC3\x28";
  const auto b = Manifest::builder().name(bad_utf8);
  const auto bmsg = builder_error(b);
  CHECK_THAT(bmsg, ContainsSubstring("<builder>: store.name: not valid UTF-8"));
  CHECK_THAT(bmsg, !ContainsSubstring(std::string(kPlanted)));
  CHECK_THAT(builder_error(Manifest::builder().purpose("x", LegalBasis::contract, bad_utf8)),
             ContainsSubstring("purposes.x.description: not valid UTF-8"));
}

TEST_CASE("no mutation of a manifest leaks a planted value into an error", "[manifest]") {
  // Each string value in turn replaced by the planted one: accepted, or rejected without it.
  const std::string full(kFull);
  int rejected = 0;
  for (std::size_t open = full.find('"'); open != std::string::npos;) {
    const auto close = full.find('"', open + 1);
    REQUIRE(close != std::string::npos);
    std::string mutated = full;
    mutated.replace(open + 1, close - open - 1, kPlanted);
    try {
      (void)Manifest::from_toml(mutated, "privacy.toml");
    } catch (const amanah::Error& e) {
      ++rejected;
      CHECK(e.code() == ErrorCode::InvalidManifest);
      CHECK_THAT(e.what(), !ContainsSubstring(std::string(kPlanted)));
      CHECK_THAT(e.what(), ContainsSubstring("privacy.toml:"));
    }
    open = full.find('"', close + 1);
  }
  CHECK(rejected > 20);

  // Every prefix of a manifest whose free text is planted: valid, or an error without it.
  std::string planted = full;
  planted.replace(planted.find("Toko Lengkap"), 12, kPlanted);
  planted.replace(planted.find("Run the account"), 15, kPlanted);
  for (std::size_t n = 0; n <= planted.size(); ++n) {
    try {
      (void)Manifest::from_toml(std::string_view(planted).substr(0, n), "privacy.toml");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::InvalidManifest);
      CHECK_THAT(e.what(), !ContainsSubstring("planted"));  // not even a cut-off part
    }
  }
}

// ---------------------------------------------------------------------------------------------
// [alerts]

TEST_CASE("[alerts] parses into the alert limits; absent, every limit is empty", "[manifest]") {
  const auto m = Manifest::from_toml(std::string(kDesignExample) + R"(
[alerts]
subjects_read_per_minute = 100
exports_per_hour = 5
denials_per_minute = 20
)");
  CHECK(m.alerts().subjects_read_per_minute == 100u);
  CHECK(m.alerts().exports_per_hour == 5u);
  CHECK(m.alerts().denials_per_minute == 20u);

  const auto partial = Manifest::from_toml("[alerts]\nexports_per_hour = 1000000000\n");
  CHECK_FALSE(partial.alerts().subjects_read_per_minute.has_value());
  CHECK(partial.alerts().exports_per_hour == 1'000'000'000u);
  CHECK_FALSE(partial.alerts().denials_per_minute.has_value());

  CHECK(Manifest::from_toml(kDesignExample).alerts() == AlertLimits{});
  CHECK(Manifest::from_toml(kFull).alerts() == AlertLimits{});
  CHECK(Manifest{}.alerts() == AlertLimits{});
  CHECK(Manifest::from_toml("[alerts]\n").alerts() == AlertLimits{});
  CHECK(Manifest::from_toml("[alerts]\n") == Manifest{});
  // Inline, and anywhere in the document.
  CHECK(Manifest::from_toml("alerts = { denials_per_minute = 1 }\n[store]\nname = \"x\"\n")
            .alerts()
            .denials_per_minute == 1u);
}

TEST_CASE("the builder sets alerts like [alerts]; == sees them", "[manifest]") {
  const AlertLimits limits{.subjects_read_per_minute = 100, .denials_per_minute = 20};
  const auto built = Manifest::builder().name("x").alerts(limits).build();
  CHECK(built.alerts() == limits);
  const auto parsed = Manifest::from_toml(
      "[store]\nname = \"x\"\n[alerts]\ndenials_per_minute = 20\nsubjects_read_per_minute = 100\n");
  CHECK(built == parsed);
  CHECK(built.to_json() == parsed.to_json());
  CHECK_FALSE(built == Manifest::builder().name("x").build());
  CHECK_FALSE(built == Manifest::builder()
                           .name("x")
                           .alerts({.subjects_read_per_minute = 100, .denials_per_minute = 21})
                           .build());
  CHECK_FALSE(built == Manifest::builder()
                           .name("x")
                           .alerts({.subjects_read_per_minute = 100,
                                    .exports_per_hour = 1,
                                    .denials_per_minute = 20})
                           .build());
  CHECK(Manifest::builder().alerts({}).build() == Manifest{});
}

TEST_CASE("alerts in the canonical JSON: present when set, absent (as before) when not",
          "[manifest]") {
  // A manifest stored before alerts existed reads back and writes out byte for byte.
  constexpr std::string_view kStoredBefore =
      R"({"fields":[],"format":1,"purposes":[{"basis":"contract","description":"","id":"service"}],)"
      R"("retention":[],"roles":[],"rules":[],"store_name":"x"})";
  const auto before = Manifest::from_json(kStoredBefore);
  CHECK(before.alerts() == AlertLimits{});
  CHECK(before.to_json() == kStoredBefore);
  CHECK(before == Manifest::builder().name("x").purpose("service", LegalBasis::contract).build());
  for (const auto& m : {Manifest::from_toml(kDesignExample), Manifest::from_toml(kFull),
                        full_by_builder(), Manifest{}})
    CHECK_THAT(m.to_json(), !ContainsSubstring("alerts"));

  const auto m = Manifest::builder().name("x").alerts({.exports_per_hour = 5}).build();
  const std::string json = m.to_json();
  CHECK_THAT(json, ContainsSubstring(R"("alerts":{"denials_per_minute":null,"exports_per_hour":5,)"
                                     R"("subjects_read_per_minute":null})"));
  const auto back = Manifest::from_json(json);
  CHECK(back == m);
  CHECK(back.alerts() == m.alerts());
  CHECK(back.to_json() == json);
  const auto all = Manifest::from_toml(
      "[alerts]\nsubjects_read_per_minute = 1\nexports_per_hour = 2\ndenials_per_minute = 3\n");
  CHECK(Manifest::from_json(all.to_json()) == all);
  CHECK(Manifest::from_json(all.to_json()).to_json() == all.to_json());
  // Every limit empty, written out by hand: read as none (and written back without it).
  std::string empty_alerts(kStoredBefore);
  empty_alerts.insert(1, R"("alerts":{"denials_per_minute":null,"exports_per_hour":null,)"
                         R"("subjects_read_per_minute":null},)");
  CHECK(Manifest::from_json(empty_alerts).to_json() == kStoredBefore);
}

TEST_CASE("alert limits are validated, by path and never by value", "[manifest]") {
  SECTION("TOML") {
    for (const char* bad : {"0", "-7731", "1000007731", "9223372036854775807"}) {
      CAPTURE(bad);
      const auto msg = error_of(std::string("[alerts]\nexports_per_hour = ") + bad + "\n");
      CHECK_THAT(msg, ContainsSubstring(
                          "privacy.toml:2:20: alerts.exports_per_hour: must be an integer between "
                          "1 and 1000000000"));
      CHECK_THAT(msg, !ContainsSubstring("7731"));
      CHECK_THAT(msg, !ContainsSubstring("9223372036854775807"));
    }
    require_invalid_doc("[alerts]\ndenials_per_minute = \"planted-bad-7731\"\n", 2,
                        "alerts.denials_per_minute");
    require_invalid_doc("[alerts]\ndenials_per_minute = 1.5\n", 2, "alerts.denials_per_minute");
    require_invalid_doc("[alerts]\ndenials_per_minute = true\n", 2, "alerts.denials_per_minute");
    CHECK_THAT(error_of("[alerts]\nsubject_reads_per_minute = 1\n"),
               ContainsSubstring("privacy.toml:2:1: alerts.subject_reads_per_minute: unknown key"));
    CHECK_THAT(error_of("[alerts]\n\"planted-bad-7731 x\" = 1\n"),
               ContainsSubstring("alerts.?: unknown key"));
    CHECK_THAT(error_of("[alerts.denials_per_minute]\n"),
               ContainsSubstring("alerts.denials_per_minute: expected an integer"));
    CHECK_THAT(error_of("alerts = 5\n"),
               ContainsSubstring("privacy.toml:1:10: alerts: expected a table"));
    // The first problem in document order, whichever section it is in.
    CHECK_THAT(error_of("[alerts]\nexports_per_hour = 0\n[[permit]]\nid = \"Bad Id\"\n"),
               ContainsSubstring("privacy.toml:2:20: alerts.exports_per_hour"));
    CHECK_THAT(error_of("[[permit]]\nid = \"Bad Id\"\n[alerts]\nexports_per_hour = 0\n"),
               ContainsSubstring("privacy.toml:2:6: permit[0].id"));
    CHECK_NOTHROW(Manifest::from_toml("[alerts]\nexports_per_hour = 1\n"));
  }
  SECTION("builder") {
    CHECK_THAT(builder_error(Manifest::builder().alerts({.subjects_read_per_minute = 0})),
               ContainsSubstring("<builder>: alerts.subjects_read_per_minute: must be an integer "
                                 "between 1 and 1000000000"));
    const auto msg = builder_error(Manifest::builder().alerts({.denials_per_minute = 1000007731}));
    CHECK_THAT(msg, ContainsSubstring("<builder>: alerts.denials_per_minute: "));
    CHECK_THAT(msg, !ContainsSubstring("7731"));
    CHECK_NOTHROW(Manifest::builder().alerts({.denials_per_minute = 1'000'000'000}).build());
  }
  SECTION("JSON") {
    const std::string good =
        Manifest::builder().alerts({.subjects_read_per_minute = 100}).build().to_json();
    auto message = [&](std::string_view from, std::string_view to) {
      std::string json = good;
      const auto at = json.find(from);
      REQUIRE(at != std::string::npos);
      json.replace(at, from.size(), to);
      try {
        (void)Manifest::from_json(json);
      } catch (const amanah::Error& e) {
        CHECK(e.code() == ErrorCode::InvalidManifest);
        CHECK_THAT(e.what(), !ContainsSubstring("7731"));
        return std::string(e.what());
      }
      FAIL("accepted");
      return std::string{};
    };
    CHECK_THAT(message(":100}", ":0}"),
               ContainsSubstring("<stored manifest>: alerts.subjects_read_per_minute: must be"));
    CHECK_THAT(message(":100}", ":-7731}"),
               ContainsSubstring("alerts.subjects_read_per_minute: expected null or an integer"));
    CHECK_THAT(message(":100}", ":\"7731\"}"),
               ContainsSubstring("alerts.subjects_read_per_minute: expected null or an integer"));
    CHECK_THAT(message(":100}", ":77.31}"),
               ContainsSubstring("alerts.subjects_read_per_minute: expected null or an integer"));
    CHECK_THAT(message(":100}", ":100,\"extra\":1}"),
               ContainsSubstring("alerts.extra: unknown key"));
    CHECK_THAT(message("\"denials_per_minute\":null,", ""),
               ContainsSubstring("alerts.denials_per_minute: required key is missing"));
    CHECK_THAT(message("{\"denials_per_minute\":null,\"exports_per_hour\":null,"
                       "\"subjects_read_per_minute\":100}",
                       "[]"),
               ContainsSubstring("alerts: expected an object"));
  }
}

// ---------------------------------------------------------------------------------------------
// The rights actions, permits that reach restricted customers, and where a retention counts from.

TEST_CASE("the rights and retention actions parse by name, in TOML, the builder and JSON",
          "[manifest][restricted]") {
  const auto m = Manifest::from_toml(std::string(kPrelude) + R"([[permit]]
id = "dpo"
actions = ["rectify", "restrict", "object", "manage_retention", "read_audit"]
)");
  REQUIRE(m.rules().size() == 1);
  CHECK(m.rules()[0].actions == std::vector<Action>{Action::rectify, Action::restrict,
                                                    Action::object, Action::manage_retention,
                                                    Action::read_audit});
  CHECK(m == base_builder()
                 .permit({.id = "dpo",
                          .actions = {Action::rectify, Action::restrict, Action::object,
                                      Action::manage_retention, Action::read_audit}})
                 .build());
  CHECK_THAT(m.to_json(), ContainsSubstring(R"("actions":["rectify","restrict","object",)"
                                            R"("manage_retention","read_audit"])"));
  CHECK(Manifest::from_json(m.to_json()) == m);
  // Near misses are unknown actions, by path and never by value.
  for (const char* bad : {"restriction", "rectification", "objection", "retention", "Restrict",
                          "manage-retention", "planted-bad-7731"}) {
    CAPTURE(bad);
    require_invalid(std::string("[[permit]]\nid = \"a\"\nactions = [\"read\", \"") + bad + "\"]\n",
                    3, "permit[0].actions[1]");
  }
  require_invalid("[[permit]]\nid = \"a\"\nactions = [\"restrict\", \"restrict\"]\n", 3,
                  "permit[0].actions[1]");
  CHECK_THAT(builder_error(Manifest::builder().permit(
                 {.id = "a",
                  .actions = {Action::object,
                              static_cast<Action>(static_cast<int>(Action::disclose_keys) + 1)}})),
             ContainsSubstring("<builder>: permit[0].actions[1]: unknown action"));
  // Rules that name a field or a category may list them; the policy decides which apply.
  CHECK_NOTHROW(Manifest::from_toml(std::string(kPrelude) + R"([[forbid]]
id = "a"
actions = ["restrict", "manage_retention"]
categories = ["sensitive"]
)"));
}

TEST_CASE("restricted on a permit: TOML, builder and JSON; a forbid takes none",
          "[manifest][restricted]") {
  const std::string rule = "[[permit]]\nid = \"dpo\"\nroles = [\"dpo\"]\n";  // 3 lines
  const auto m = Manifest::from_toml(std::string(kPrelude) + rule + "restricted = true\n");
  REQUIRE(m.rules().size() == 1);
  CHECK(m.rules()[0].restricted);
  CHECK_FALSE(Manifest::from_toml(std::string(kPrelude) + rule).rules()[0].restricted);
  CHECK_FALSE(Manifest::from_toml(std::string(kPrelude) + rule + "restricted = false\n")
                  .rules()[0]
                  .restricted);
  CHECK(m == base_builder().permit({.id = "dpo", .roles = {"dpo"}, .restricted = true}).build());
  CHECK_FALSE(m == base_builder().permit({.id = "dpo", .roles = {"dpo"}}).build());

  // Bad values: the key is named, the value is not.
  require_invalid(rule + "restricted = \"planted-bad-7731\"\n", 4, "permit[0].restricted");
  require_invalid(rule + "restricted = 1\n", 4, "permit[0].restricted");
  const std::string forbid = "[[forbid]]\nid = \"no\"\nroles = [\"dpo\"]\nrestricted = true\n";
  require_invalid(forbid, 4, "forbid[0].restricted");
  CHECK_THAT(error_of(std::string(kPrelude) + forbid),
             ContainsSubstring("forbid[0].restricted: forbid rules take no restricted"));
  // false on a forbid says nothing, and is the same as leaving it out.
  CHECK(Manifest::from_toml("[[forbid]]\nid = \"no\"\nrestricted = false\n") ==
        Manifest::builder().forbid({.id = "no"}).build());
  CHECK_THAT(builder_error(Manifest::builder().forbid({.id = "no", .restricted = true})),
             ContainsSubstring("<builder>: forbid[0].restricted: forbid rules take no restricted"));
  // forbid() sets the effect; restricted stays what it was, and is refused.
  CHECK_THAT(builder_error(Manifest::builder()
                               .permit({.id = "ok", .restricted = true})
                               .forbid({.id = "no", .forbid = false, .restricted = true})),
             ContainsSubstring("<builder>: forbid[0].restricted"));
}

TEST_CASE("where a retention counts from: the category rule's from and the field's override",
          "[manifest][retention]") {
  const std::string contact_field =
      "[fields.email]\ntype = \"email\"\ncategory = \"contact\"\npurposes = [\"service\"]\n";
  SECTION("a category rule's from: each name, and collection without one") {
    for (const RetentionFrom from :
         {RetentionFrom::collection, RetentionFrom::last_activity, RetentionFrom::relationship_end,
          RetentionFrom::consent_withdrawal}) {
      CAPTURE(amanah::to_string(from));
      const auto m = Manifest::from_toml("[retention]\nbehavioral = { keep = \"365d\", from = \"" +
                                         std::string(amanah::to_string(from)) + "\" }\n");
      REQUIRE(m.retention().size() == 1);
      CHECK(m.retention()[0].from == from);
      CHECK(
          m ==
          Manifest::builder().retention(Category::behavioral, "365d", std::nullopt, from).build());
      CHECK(Manifest::from_json(m.to_json()) == m);
    }
    // The string form and a table without from count from collection.
    CHECK(Manifest::from_toml("[retention]\nbehavioral = \"365d\"\n").retention()[0].from ==
          RetentionFrom::collection);
    CHECK(Manifest::from_toml("[retention]\nbehavioral = { keep = \"365d\" }\n") ==
          Manifest::from_toml("[retention]\nbehavioral = \"365d\"\n"));
    // consent_withdrawal needs no consent purpose on a category rule: it counts per field.
    CHECK_NOTHROW(Manifest::from_toml(
        "[purposes.service]\nbasis = \"contract\"\n[retention]\naccount = { keep = \"30d\", from "
        "= \"consent_withdrawal\", basis = \"legal_obligation\" }\n"));
  }
  SECTION("a category rule's from: bad values") {
    require_invalid("[retention]\nbehavioral = { keep = \"1y\", from = \"planted-bad-7731\" }\n", 2,
                    "retention.behavioral.from");
    require_invalid("[retention]\nbehavioral = { keep = \"1y\", from = \"Last_Activity\" }\n", 2,
                    "retention.behavioral.from");
    require_invalid("[retention]\nbehavioral = { keep = \"1y\", from = 365 }\n", 2,
                    "retention.behavioral.from");
    require_invalid("[retention]\nbehavioral = { from = \"last_activity\" }\n", 2,
                    "retention.behavioral.keep");
    require_invalid("[retention]\nbehavioral = { keep = \"1y\", form = \"last_activity\" }\n", 2,
                    "retention.behavioral.form");
    CHECK_THAT(error_of("[retention]\nbehavioral = { keep = \"1y\", from = \"never\" }\n"),
               ContainsSubstring("retention.behavioral.from: unknown retention start"));
    CHECK_THAT(builder_error(Manifest::builder().retention(Category::behavioral, "1y", std::nullopt,
                                                           static_cast<RetentionFrom>(9))),
               ContainsSubstring("<builder>: retention.behavioral.from: unknown retention start"));
  }
  SECTION("a field's retention_from: with its own retention or its category's rule") {
    const auto own = Manifest::from_toml(
        std::string(kPrelude) +
        "[fields]\nemail = { type = \"email\", category = \"contact\", purposes = [\"service\"], "
        "retention = \"2y\", retention_from = \"relationship_end\" }\n");
    CHECK(own.field("email")->retention_from == RetentionFrom::relationship_end);
    Field email{.name = "email",
                .type = FieldType::email,
                .category = Category::contact,
                .purposes = {"service"},
                .retention = "2y",
                .retention_from = RetentionFrom::relationship_end};
    CHECK(own == base_builder().field(email).build());
    CHECK(Manifest::from_json(own.to_json()) == own);

    const auto by_rule = Manifest::from_toml(std::string(kPrelude) + contact_field +
                                             "retention_from = \"last_activity\"\n"
                                             "[retention]\ncontact = \"90d\"\n");
    CHECK(by_rule.field("email")->retention_from == RetentionFrom::last_activity);
    CHECK(by_rule.field("email")->retention.empty());
    // Without either, there is nothing to count.
    require_invalid(contact_field + "retention_from = \"last_activity\"\n", 5,
                    "fields.email.retention_from");
    CHECK_THAT(error_of(std::string(kPrelude) + contact_field +
                        "retention_from = \"collection\"\n[retention]\nbehavioral = \"1y\"\n"),
               ContainsSubstring("fields.email.retention_from: needs the field's own retention or "
                                 "a retention rule for its category"));
    email.retention.clear();
    CHECK_THAT(builder_error(base_builder().field(email)),
               ContainsSubstring("<builder>: fields.email.retention_from: needs"));
    CHECK_NOTHROW(base_builder().field(email).retention(Category::contact, "1y").build());
  }
  SECTION("a field's retention_from: consent_withdrawal needs a consent purpose") {
    // "service" rests on a contract, "marketing" on consent.
    require_invalid(contact_field + "retention = \"1y\"\nretention_from = \"consent_withdrawal\"\n",
                    6, "fields.email.retention_from");
    CHECK_THAT(
        error_of(std::string(kPrelude) + contact_field +
                 "retention = \"1y\"\nretention_from = \"consent_withdrawal\"\n"),
        ContainsSubstring("fields.email.retention_from: consent_withdrawal needs a purpose of the "
                          "field whose basis is consent"));
    const auto ok = Manifest::from_toml(
        std::string(kPrelude) +
        "[fields.email]\ntype = \"email\"\ncategory = \"contact\"\npurposes = [\"service\", "
        "\"marketing\"]\nretention_from = \"consent_withdrawal\"\n[retention]\ncontact = "
        "\"30d\"\n");
    CHECK(ok.field("email")->retention_from == RetentionFrom::consent_withdrawal);
    Field f = text_field("note");
    f.retention = "1y";
    f.retention_from = RetentionFrom::consent_withdrawal;
    CHECK_THAT(builder_error(base_builder().field(f)),
               ContainsSubstring("<builder>: fields.note.retention_from: consent_withdrawal"));
    f.purposes = {"marketing"};
    CHECK_NOTHROW(base_builder().field(f).build());
  }
  SECTION("a field's retention_from: bad values") {
    for (const char* bad : {"planted-bad-7731", "", "collected", "relationship-end"}) {
      CAPTURE(bad);
      require_invalid(contact_field + "retention = \"1y\"\nretention_from = \"" + bad + "\"\n", 6,
                      "fields.email.retention_from");
    }
    require_invalid(contact_field + "retention = \"1y\"\nretention_from = true\n", 6,
                    "fields.email.retention_from");
    require_invalid(contact_field + "retention = \"1y\"\nretention_from = [\"collection\"]\n", 6,
                    "fields.email.retention_from");
    Field f = text_field("note");
    f.retention = "1y";
    f.retention_from = static_cast<RetentionFrom>(7);
    CHECK_THAT(builder_error(base_builder().field(f)),
               ContainsSubstring("<builder>: fields.note.retention_from: unknown retention start"));
  }
}

TEST_CASE("the new keys in the canonical JSON: present when set, absent (as before) when not",
          "[manifest][restricted][retention]") {
  // A manifest stored before rights actions, restricted permits and retention anchors existed
  // (a field, a rule and a retention rule, as that version wrote them).
  constexpr std::string_view kStoredBefore =
      R"({"fields":[{"category":"behavioral","encrypt":false,"index_bits":16,"lookup":false,)"
      R"("mask":"none","max_length":0,"name":"seen","purposes":["service"],"retention":"",)"
      R"("type":"text","unique":false}],"format":1,)"
      R"("purposes":[{"basis":"contract","description":"","id":"service"}],)"
      R"("retention":[{"basis":null,"category":"behavioral","keep":"365d"}],)"
      R"("roles":[{"description":"","id":"dpo"}],)"
      R"("rules":[{"actions":["read","read_audit"],"categories":[],"effect":"permit",)"
      R"("fields":[],"id":"dpo","mask":null,"purposes":[],"roles":["dpo"]}],"store_name":"x"})";
  const auto before = Manifest::from_json(kStoredBefore);
  CHECK(before.to_json() == kStoredBefore);  // byte for byte
  REQUIRE(before.rules().size() == 1);
  CHECK_FALSE(before.rules()[0].restricted);
  CHECK_FALSE(before.fields()[0].retention_from.has_value());
  CHECK(before.retention()[0].from == RetentionFrom::collection);
  CHECK(before ==
        Manifest::builder()
            .name("x")
            .purpose("service", LegalBasis::contract)
            .role("dpo")
            .field({.name = "seen",
                    .type = FieldType::text,
                    .category = Category::behavioral,
                    .purposes = {"service"}})
            .retention(Category::behavioral, "365d")
            .permit({.id = "dpo", .roles = {"dpo"}, .actions = {Action::read, Action::read_audit}})
            .build());
  for (const auto& m : {Manifest::from_toml(kDesignExample), before, Manifest{}}) {
    const std::string json = m.to_json();
    CHECK_THAT(json, !ContainsSubstring("restricted"));
    CHECK_THAT(json, !ContainsSubstring("retention_from"));
    CHECK_THAT(json, !ContainsSubstring("\"from\""));
  }

  // Every new key, set: the JSON holds each and reads back to the same manifest, byte for byte.
  const auto all =
      Manifest::builder()
          .name("x")
          .purpose("service", LegalBasis::contract)
          .purpose("news", LegalBasis::consent)
          .role("dpo")
          .field({.name = "seen",
                  .type = FieldType::text,
                  .category = Category::behavioral,
                  .purposes = {"service"},
                  .retention_from = RetentionFrom::collection})
          .field({.name = "email",
                  .type = FieldType::email,
                  .category = Category::contact,
                  .purposes = {"service", "news"},
                  .retention = "30d",
                  .retention_from = RetentionFrom::consent_withdrawal})
          .retention(Category::behavioral, "365d", std::nullopt, RetentionFrom::last_activity)
          .retention(Category::account, "5y", LegalBasis::legal_obligation,
                     RetentionFrom::relationship_end)
          .permit({.id = "dpo",
                   .roles = {"dpo"},
                   .actions = {Action::rectify, Action::restrict, Action::object,
                               Action::manage_retention},
                   .restricted = true})
          .forbid({.id = "nobody-objects", .actions = {Action::object}, .purposes = {"news"}})
          .build();
  const std::string json = all.to_json();
  CHECK_THAT(json, ContainsSubstring(R"("restricted":true)"));
  CHECK_THAT(json, ContainsSubstring(R"("retention_from":"collection")"));
  CHECK_THAT(json, ContainsSubstring(R"("retention_from":"consent_withdrawal")"));
  CHECK_THAT(json, ContainsSubstring(R"("from":"last_activity")"));
  CHECK_THAT(json, ContainsSubstring(R"("from":"relationship_end")"));
  CHECK_THAT(json, !ContainsSubstring(R"("restricted":false)"));  // the forbid leaves it out
  const auto back = Manifest::from_json(json);
  CHECK(back == all);
  CHECK(back.to_json() == json);
  REQUIRE(back.field("seen")->retention_from.has_value());  // set to the default stays set
  CHECK(back.rules()[0].restricted);
  CHECK_FALSE(back.rules()[1].restricted);
  // The same manifest from TOML writes the same bytes.
  const auto parsed = Manifest::from_toml(R"([store]
name = "x"
[purposes.service]
basis = "contract"
[purposes.news]
basis = "consent"
[roles.dpo]
[fields]
seen = { type = "text", category = "behavioral", purposes = ["service"], retention_from = "collection" }
email = { type = "email", category = "contact", purposes = ["service", "news"], retention = "30d", retention_from = "consent_withdrawal" }
[retention]
behavioral = { keep = "365d", from = "last_activity" }
account = { keep = "5y", basis = "legal_obligation", from = "relationship_end" }
[[permit]]
id = "dpo"
roles = ["dpo"]
actions = ["rectify", "restrict", "object", "manage_retention"]
restricted = true
[[forbid]]
id = "nobody-objects"
actions = ["object"]
purposes = ["news"]
)");
  CHECK(parsed == all);
  CHECK(parsed.to_json() == json);

  // Written out by hand at their defaults: read as absent (and written back without them, except
  // a field's retention_from, which is set even when it names the default).
  std::string defaults(kStoredBefore);
  defaults.replace(defaults.find(R"("keep":"365d")"), 13, R"("from":"collection","keep":"365d")");
  defaults.replace(defaults.find(R"("purposes":[],"roles")"), 21,
                   R"("purposes":[],"restricted":false,"roles")");
  CHECK(Manifest::from_json(defaults) == before);
  CHECK(Manifest::from_json(defaults).to_json() == kStoredBefore);

  // Bad stored values: named by path, never by value.
  auto message = [](std::string text, std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    try {
      (void)Manifest::from_json(text);
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::InvalidManifest);
      CHECK_THAT(e.what(), !ContainsSubstring(std::string(kPlanted)));
      return std::string(e.what());
    }
    FAIL("accepted");
    return std::string{};
  };
  CHECK_THAT(message(json, R"("restricted":true)", R"("restricted":"planted-bad-7731")"),
             ContainsSubstring("<stored manifest>: rules[0].restricted: expected a boolean"));
  CHECK_THAT(message(json, R"("restricted":true)", R"("restricted":1)"),
             ContainsSubstring("rules[0].restricted: expected a boolean"));
  CHECK_THAT(message(json, R"("effect":"forbid",)", R"("effect":"forbid","restricted":true,)"),
             ContainsSubstring("forbid[0].restricted: forbid rules take no restricted"));
  CHECK_THAT(message(json, R"("from":"last_activity")", R"("from":"planted-bad-7731")"),
             ContainsSubstring("retention[0].from: unknown name"));
  CHECK_THAT(message(json, R"("from":"last_activity")", R"("from":null)"),
             ContainsSubstring("retention[0].from: expected a string"));
  CHECK_THAT(
      message(json, R"("retention_from":"collection")", R"("retention_from":"planted-bad-7731")"),
      ContainsSubstring("fields[0].retention_from: unknown name"));
  CHECK_THAT(message(json, R"("retention":"30d")", R"("retention":"")"),
             ContainsSubstring("fields.email.retention_from: needs"));
  CHECK_THAT(message(json, R"("purposes":["service","news"])", R"("purposes":["service"])"),
             ContainsSubstring("fields.email.retention_from: consent_withdrawal needs"));
}

// Input formats: values as Indonesian spreadsheets hold them (number style, currency, date
// pattern, phone numbers without their country code), per field in the manifest and per import.
// Stored values are canonical whatever the input was. All data here is synthetic.
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <memory>
#include <string>
#include <vector>

#include "support.hpp"

using namespace amanah;
using amanah::test::TempDir;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr std::string_view kToml = R"([store]
name = "Toko Impor"

[purposes.service]
basis = "contract"

[roles.clerk]

[fields]
name    = { type = "text",  category = "identity", purposes = ["service"] }
born    = { type = "date",  category = "identity", purposes = ["service"], input = { date = "DD/MM/YYYY" } }
phone   = { type = "phone", category = "contact",  purposes = ["service"], lookup = true, input = { phone_country = "62" } }
balance = { type = "money", category = "account",  purposes = ["service"], input = { numbers = "indonesian", currency = "IDR" } }
paid    = { type = "money", category = "account",  purposes = ["service"] }
visits  = { type = "integer", category = "account", purposes = ["service"] }

[fields.joined]
type = "date"
category = "account"
purposes = ["service"]
[fields.joined.input]
date = "MM/DD/YYYY"

[[permit]]
id = "clerk-all"
roles = ["clerk"]
actions = ["create", "read", "update", "rectify"]
)";

const AccessContext kClerk{.actor = "clerk-1", .roles = {"clerk"}, .purpose = "service"};

struct Store {
  TempDir tmp;
  std::unique_ptr<KeyProvider> key = raw_key(SecretBytes::random(32));
  CustomerStore store = CustomerStore::create(tmp / "s", *key, Manifest::from_toml(kToml));
};

std::string value_of(CustomerStore& s, const CustomerId& id, const std::string& field) {
  const Record r = s.get(kClerk, id, {field});
  const auto it = r.fields.find(field);
  return it == r.fields.end() ? std::string() : it->second;
}

}  // namespace

TEST_CASE("the manifest's input formats read a spreadsheet's values", "[input]") {
  Store s;
  const CustomerId id = s.store.insert(kClerk, {{"name", "Siti"},
                                                {"born", "17/08/1945"},
                                                {"phone", "81234567890"},
                                                {"balance", "1.500.000,50"},
                                                {"paid", "Rp 2.500.000"},
                                                {"joined", "12/31/2020"}});
  CHECK(value_of(s.store, id, "born") == "1945-08-17");
  CHECK(value_of(s.store, id, "phone") == "+6281234567890");
  CHECK(value_of(s.store, id, "balance") == "IDR 1500000.50");
  CHECK(value_of(s.store, id, "paid") == "IDR 2500000.00");
  CHECK(value_of(s.store, id, "joined") == "2020-12-31");

  // update, rectify and find read their argument the same way.
  s.store.update(kClerk, id, {{"born", "01/02/2000"}, {"balance", "Rp 1.500"}});
  CHECK(value_of(s.store, id, "born") == "2000-02-01");
  CHECK(value_of(s.store, id, "balance") == "IDR 1500.00");
  s.store.rectify(kClerk, id, {{"born", "3 Mei 2001"}}, "customer_request");
  CHECK(value_of(s.store, id, "born") == "2001-05-03");
  CHECK(s.store.find(kClerk, "phone", "81234567890") == std::vector<CustomerId>{id});
  CHECK(s.store.find(kClerk, "phone", "0812-3456-7890") == std::vector<CustomerId>{id});

  // A canonical value, as get returns it, goes back in unchanged.
  s.store.update(kClerk, id, {{"balance", "IDR 1500000.50"}, {"born", "1945-08-17"}});
  CHECK(value_of(s.store, id, "balance") == "IDR 1500000.50");
  CHECK(value_of(s.store, id, "born") == "1945-08-17");
}

TEST_CASE("values the formats cannot read are refused without their text", "[input]") {
  Store s;
  const auto refused = [&](const FieldValues& values, std::string_view planted) {
    const std::string msg = amanah::test::error_message(
        [&] { (void)s.store.insert(kClerk, values); }, ErrorCode::Validation);
    CHECK(msg.find(planted) == std::string::npos);
    return msg;
  };
  // No number style on `paid`: a lone mark before three digits is never guessed.
  CHECK_THAT(refused({{"paid", "Rp 1.500"}}, "1.500"), ContainsSubstring("ambiguous number"));
  // No date pattern on a date field of the batch's own: never day-first or month-first.
  CHECK_THAT(refused({{"born", "1945/08/17"}}, "1945/08/17"), ContainsSubstring("born"));
  CHECK_THAT(refused({{"paid", "2500000"}}, "2500000"), ContainsSubstring("currency code"));
  CHECK_THAT(refused({{"balance", "1,500,000.00"}}, "1,500,000.00"), ContainsSubstring("balance"));
  CHECK(s.store.size() == 0);
}

TEST_CASE("per-import formats override the manifest's option by option", "[input]") {
  Store s;
  const std::vector<FieldValues> rows{
      {{"born", "08/17/1945"}, {"paid", "1.250.000"}, {"balance", "2,000,000.25"}},
      {{"born", "1945-08-17"}, {"paid", "Rp 7.500"}, {"balance", "USD 12.50"}},
  };
  const InputFormats formats{
      {"born", {.date = "MM/DD/YYYY"}},
      {"paid", {.numbers = NumberStyle::indonesian, .currency = "IDR"}},
      {"balance", {.numbers = NumberStyle::international}},  // currency still the manifest's
  };
  CHECK(s.store.validate(kClerk, rows, formats).empty());
  CHECK(!s.store.validate(kClerk, rows).empty());  // the manifest's formats alone refuse them
  const std::vector<CustomerId> ids = s.store.insert_many(kClerk, rows, formats);
  REQUIRE(ids.size() == 2);
  CHECK(value_of(s.store, ids[0], "born") == "1945-08-17");
  CHECK(value_of(s.store, ids[0], "paid") == "IDR 1250000.00");
  CHECK(value_of(s.store, ids[0], "balance") == "IDR 2000000.25");
  CHECK(value_of(s.store, ids[1], "paid") == "IDR 7500.00");
  CHECK(value_of(s.store, ids[1], "balance") == "USD 12.50");

  // The per-import formats were for that import only.
  REQUIRE_AMANAH_ERROR((void)s.store.insert(kClerk, {{"born", "08/17/1945"}}),
                       ErrorCode::Validation);
}

TEST_CASE("per-import formats naming an undeclared field or a wrong option write nothing",
          "[input]") {
  Store s;
  const std::vector<FieldValues> rows{{{"name", "Budi"}, {"born", "17/08/1945"}}};
  const std::vector<InputFormats> bad{
      {{"planted_column_7731", {.date = "DD/MM/YYYY"}}},
      {{"name", {.numbers = NumberStyle::indonesian}}},
      {{"born", {.date = "DD/MM/YY"}}},
      {{"paid", {.currency = "XYZ"}}},
      {{"phone", {.phone_country = "062"}}},
      {{"balance", {.date = "DD/MM/YYYY"}}},
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("case " << i);
    const std::string msg = amanah::test::error_message(
        [&] { (void)s.store.insert_many(kClerk, rows, bad[i]); }, ErrorCode::InvalidArgument);
    CHECK(msg.find("planted_column_7731") == std::string::npos);
    (void)amanah::test::error_message([&] { (void)s.store.validate(kClerk, rows, bad[i]); },
                                      ErrorCode::InvalidArgument);
  }
  CHECK(s.store.size() == 0);
}

TEST_CASE("input formats in the manifest: TOML JSON validation and equality", "[input]") {
  const Manifest m = Manifest::from_toml(kToml);
  REQUIRE(m.field("born") != nullptr);
  CHECK(m.field("born")->input == InputFormat{.date = "DD/MM/YYYY"});
  CHECK(m.field("joined")->input == InputFormat{.date = "MM/DD/YYYY"});
  CHECK(m.field("balance")->input ==
        InputFormat{.numbers = NumberStyle::indonesian, .currency = "IDR"});
  CHECK(m.field("phone")->input == InputFormat{.phone_country = "62"});
  CHECK(m.field("name")->input == InputFormat{});

  // The canonical JSON carries the options set, and only on fields that set some.
  const std::string json = m.to_json();
  CHECK_THAT(json, ContainsSubstring(R"("input":{"currency":"IDR","numbers":"indonesian"})"));
  CHECK(Manifest::from_json(json) == m);
  CHECK(Manifest::from_json(json).to_json() == json);
  const Manifest plain = Manifest::from_toml(R"([purposes.service]
basis = "contract"
[fields.born]
type = "date"
category = "identity"
purposes = ["service"]
)");
  CHECK(plain.to_json().find("input") == std::string::npos);

  // Equality sees the options.
  Field born = *plain.field("born");
  born.input.date = "DD/MM/YYYY";
  const Manifest with =
      Manifest::builder().purpose("service", LegalBasis::contract).field(born).build();
  CHECK(!(with == plain));
  born.input.date.clear();
  CHECK(Manifest::builder().purpose("service", LegalBasis::contract).field(born).build() == plain);

  // Each option on its type only, with a supported value: the error names field and key.
  const auto invalid = [](std::string_view type, std::string_view input) {
    const std::string toml =
        std::string("[purposes.service]\nbasis = \"contract\"\n[fields.x]\ntype = \"") +
        std::string(type) +
        "\"\ncategory = \"account\"\npurposes = [\"service\"]\ninput = " + std::string(input) +
        "\n";
    return amanah::test::error_message([&] { (void)Manifest::from_toml(toml); },
                                       ErrorCode::InvalidManifest);
  };
  CHECK_THAT(invalid("text", R"({ numbers = "indonesian" })"),
             ContainsSubstring("fields.x.input.numbers"));
  CHECK_THAT(invalid("money", R"({ numbers = "swiss" })"),
             ContainsSubstring("fields.x.input.numbers"));
  CHECK_THAT(invalid("integer", R"({ currency = "IDR" })"),
             ContainsSubstring("fields.x.input.currency"));
  CHECK_THAT(invalid("money", R"({ currency = "XYZ" })"),
             ContainsSubstring("fields.x.input.currency"));
  CHECK_THAT(invalid("money", R"({ date = "DD/MM/YYYY" })"),
             ContainsSubstring("fields.x.input.date"));
  CHECK_THAT(invalid("date", R"({ date = "DD/MM/YY" })"), ContainsSubstring("fields.x.input.date"));
  CHECK_THAT(invalid("date", R"({ phone_country = "62" })"),
             ContainsSubstring("fields.x.input.phone_country"));
  CHECK_THAT(invalid("phone", R"({ phone_country = "0062" })"),
             ContainsSubstring("fields.x.input.phone_country"));
  CHECK_THAT(invalid("phone", R"({ country = "62" })"),
             ContainsSubstring("fields.x.input.country"));
  CHECK_THAT(invalid("phone", R"("62")"), ContainsSubstring("fields.x.input"));
  CHECK_THAT(invalid("phone", R"({ phone_country = "" })"),
             ContainsSubstring("fields.x.input.phone_country"));
  // The builder validates the same way.
  Field bad = born;
  bad.input.phone_country = "62";
  REQUIRE_AMANAH_ERROR(
      (void)Manifest::builder().purpose("service", LegalBasis::contract).field(bad).build(),
      ErrorCode::InvalidManifest);
}

TEST_CASE("a store keeps its manifest's input formats across reopening", "[input]") {
  TempDir tmp;
  const SecretBytes raw = SecretBytes::random(32);
  const Manifest m = Manifest::from_toml(kToml);
  {
    auto key = raw_key(raw.clone());
    auto store = CustomerStore::create(tmp / "s", *key, m);
    (void)store.insert(kClerk, {{"born", "17/08/1945"}});
  }
  auto key = raw_key(raw.clone());
  auto store = CustomerStore::open(tmp / "s", *key);
  CHECK(store.manifest() == m);
  const CustomerId id = store.insert(kClerk, {{"born", "01/02/2000"}});
  CHECK(value_of(store, id, "born") == "2000-02-01");
}

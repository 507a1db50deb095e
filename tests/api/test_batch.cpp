// Batches as an importer sends them: insert_many names the record at fault, and validate()
// reports every problem of every record in one pass without writing anything.
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cctype>
#include <functional>
#include <string>
#include <vector>

#include "records_fixture.hpp"
#include "support.hpp"

using namespace amanah;
using amanah::test::customer;
using amanah::test::kSupport;
using amanah::test::TempDir;
using Catch::Matchers::ContainsSubstring;

namespace {

// Values planted in bad records: none may appear in any message.
constexpr const char* kBadEmail = "planted-not-an-email-4417";
constexpr const char* kUndeclared = "planted-column-9931";

struct Store {
  TempDir tmp;
  std::unique_ptr<KeyProvider> key = raw_key(SecretBytes::random(32));
  CustomerStore store = CustomerStore::create(tmp / "s", *key, test::example_manifest());
};

}  // namespace

TEST_CASE("insert_many names the record at fault and writes nothing", "[records][batch]") {
  Store s;
  std::vector<FieldValues> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back(customer(i));
  batch[3]["email"] = kBadEmail;
  const std::string msg = amanah::test::error_message(
      [&] { (void)s.store.insert_many(kSupport, batch); }, ErrorCode::Validation);
  CHECK_THAT(msg, ContainsSubstring("record 3: "));
  CHECK_THAT(msg, ContainsSubstring("email"));
  CHECK_THAT(msg, !ContainsSubstring(kBadEmail));
  CHECK(s.store.size() == 0);

  // Two records of the batch with one unique value: both named.
  batch[3] = customer(3);
  batch[4]["email"] = batch[1]["email"];
  const std::string dup = amanah::test::error_message(
      [&] { (void)s.store.insert_many(kSupport, batch); }, ErrorCode::Duplicate);
  CHECK_THAT(dup, ContainsSubstring("records 1 and 4"));
  CHECK(s.store.size() == 0);

  // A clash with a customer already stored names the record too.
  (void)s.store.insert(kSupport, customer(7));
  batch[4] = customer(7);
  const std::string taken = amanah::test::error_message(
      [&] { (void)s.store.insert_many(kSupport, batch); }, ErrorCode::Duplicate);
  CHECK_THAT(taken, ContainsSubstring("record 4: "));
  CHECK(s.store.size() == 1);
}

TEST_CASE("insert_many's warnings name their record", "[records][batch]") {
  Store s;
  std::vector<FieldValues> batch{customer(1), customer(2), customer(3)};
  batch[2]["nik"] = "3171234105900000";  // serial number 0000: stored, with a warning
  std::vector<Warning> warnings;
  (void)s.store.insert_many(kSupport, batch, &warnings);
  // The fixture's NIKs warn (their birth-date digits are no date); record 2's NIK has a real
  // date and serial number 0000.
  std::vector<std::size_t> per_record(3, 0);
  std::size_t serial = 0;
  for (const auto& w : warnings) {
    REQUIRE(w.record < 3);
    ++per_record[w.record];
    if (w.message.find("serial") != std::string::npos) {
      CHECK(w.record == 2);
      CHECK(w.field == "nik");
      ++serial;
    }
  }
  CHECK(serial == 1);
  CHECK(per_record == std::vector<std::size_t>{1, 1, 1});
}

TEST_CASE("validate reports every problem of every record in one pass and writes nothing",
          "[records][batch]") {
  Store s;
  const CustomerId existing = s.store.insert(kSupport, customer(50));
  std::vector<FieldValues> batch;
  for (int i = 0; i < 7; ++i)
    batch.push_back(customer(i));
  batch[1]["email"] = kBadEmail;                 // not an email
  batch[1]["phone"] = "12";                      // and not a phone either
  batch[2][kUndeclared] = "x";                   // a column the manifest does not declare
  batch[4]["email"] = batch[0]["email"];         // the same unique value as record 0
  batch[5]["email"] = customer(50).at("email");  // already held by a stored customer
  batch[6] = {};                                 // an empty record
  std::vector<Warning> warnings;
  const auto problems = s.store.validate(kSupport, batch, &warnings);

  REQUIRE(problems.size() == 6);
  CHECK(problems[0].record == 1);
  CHECK(problems[0].code == ErrorCode::Validation);
  CHECK(problems[1].record == 1);
  CHECK(problems[1].code == ErrorCode::Validation);
  CHECK(((problems[0].field == "email" && problems[1].field == "phone") ||
         (problems[0].field == "phone" && problems[1].field == "email")));
  CHECK(problems[2].record == 2);
  CHECK(problems[2].code == ErrorCode::UndeclaredField);
  CHECK(problems[2].field.empty());
  CHECK(problems[3].record == 4);
  CHECK(problems[3].code == ErrorCode::Duplicate);
  CHECK(problems[3].field == "email");
  CHECK_THAT(problems[3].message, ContainsSubstring("record 0"));
  CHECK(problems[4].record == 5);
  CHECK(problems[4].code == ErrorCode::Duplicate);
  CHECK(problems[5].record == 6);
  CHECK(problems[5].code == ErrorCode::InvalidArgument);
  for (const auto& p : problems) {
    CHECK_THAT(p.message, !ContainsSubstring(kBadEmail));
    CHECK_THAT(p.message, !ContainsSubstring(kUndeclared));
  }
  for (const auto& w : warnings)
    CHECK(w.record < batch.size());
  CHECK(s.store.size() == 1);  // nothing written

  // What validate accepts, insert_many takes.
  std::vector<FieldValues> good{customer(10), customer(11)};
  CHECK(s.store.validate(kSupport, good).empty());
  CHECK(s.store.insert_many(kSupport, good).size() == 2);
  (void)existing;
}

TEST_CASE("validate needs create on the fields given, and is recorded", "[records][batch]") {
  Store s;
  const AccessContext marketing{.actor = "m", .roles = {"marketing"}, .purpose = "marketing"};
  REQUIRE_THROWS_AS(s.store.validate(marketing, {customer(1)}), AccessDenied);
  (void)s.store.validate(kSupport, {customer(1)});
  bool recorded = false;
  for (const auto& e : s.store.audit().accesses(test::kDpo, kSupport.actor))
    recorded = recorded || e.action == "validate";
  CHECK(recorded);
}

TEST_CASE("a validation scope finds a duplicate across batches, positions counting on",
          "[records][batch]") {
  Store s;
  ValidationScope scope;
  std::vector<FieldValues> first{customer(0), customer(1), customer(2)};
  std::vector<Warning> warnings;
  CHECK(s.store.validate(kSupport, first, scope, &warnings).empty());
  CHECK(scope.records() == 3);
  for (const auto& w : warnings)
    CHECK(w.record < 3);

  std::vector<FieldValues> second{customer(3), customer(4), customer(5)};
  second[1]["email"] = kBadEmail;                // record 4 of the scope: not an email
  second[2]["email"] = customer(1).at("email");  // record 5: record 1's email, an earlier batch
  second[2]["nik"] = customer(5).at("nik");
  warnings.clear();
  const auto problems = s.store.validate(kSupport, second, scope, &warnings);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].record == 4);
  CHECK(problems[0].code == ErrorCode::Validation);
  CHECK(problems[1].record == 5);
  CHECK(problems[1].field == "email");
  CHECK(problems[1].code == ErrorCode::Duplicate);
  CHECK_THAT(problems[1].message, ContainsSubstring("same value as record 1"));
  CHECK_THAT(problems[1].message, !ContainsSubstring("of the batch"));
  // The fixture's NIKs warn: one per record, counted from the scope's first record.
  std::vector<std::size_t> warned;
  for (const auto& w : warnings)
    warned.push_back(w.record);
  CHECK(warned == std::vector<std::size_t>{3, 4, 5});
  CHECK(scope.records() == 6);
  for (const auto& p : problems)
    CHECK_THAT(p.message, !ContainsSubstring(kBadEmail));

  // Another value in other case and spacing is the same after normalization.
  std::string upper = customer(2).at("email");
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<FieldValues> third{customer(6)};
  third[0]["email"] = " " + upper + " ";
  const auto again = s.store.validate(kSupport, third, scope);
  REQUIRE(again.size() == 1);
  CHECK(again[0].record == 6);
  CHECK_THAT(again[0].message, ContainsSubstring("same value as record 2"));

  // Without a scope nothing is remembered, and positions are the batch's.
  const auto alone = s.store.validate(kSupport, third);
  CHECK(alone.empty());
  CHECK(s.store.size() == 0);  // nothing written
}

TEST_CASE("a rejected record adds nothing to the validation scope", "[records][batch]") {
  Store s;
  ValidationScope scope;
  std::vector<FieldValues> first{customer(0), customer(1)};
  first[1]["phone"] = "12";  // record 1 is refused: its email stays free
  REQUIRE(s.store.validate(kSupport, first, scope).size() == 1);
  // A record clashing with the store is refused too: its NIK stays free.
  (void)s.store.insert(kSupport, customer(9));
  std::vector<FieldValues> second{customer(9)};
  second[0]["nik"] = customer(2).at("nik");
  const auto taken = s.store.validate(kSupport, second, scope);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].record == 2);
  CHECK(taken[0].code == ErrorCode::Duplicate);

  std::vector<FieldValues> third{customer(1), customer(2), customer(3)};
  third[2]["email"] = customer(0).at("email");  // record 0 was good: this one is a duplicate
  const auto problems = s.store.validate(kSupport, third, scope);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].record == 5);
  CHECK_THAT(problems[0].message, ContainsSubstring("same value as record 0"));
}

TEST_CASE("a validation scope belongs to one store", "[records][batch]") {
  Store a, b;
  ValidationScope scope;
  CHECK(a.store.validate(kSupport, {customer(0)}, scope).empty());
  const std::string msg = amanah::test::error_message(
      [&] { (void)b.store.validate(kSupport, {customer(0)}, scope); }, ErrorCode::InvalidArgument);
  CHECK_THAT(msg, ContainsSubstring("another store"));
  CHECK(scope.records() == 1);  // unchanged by the refused call
  // The scope still serves its own store.
  const auto dup = a.store.validate(kSupport, {customer(0)}, scope);
  REQUIRE(dup.size() == 2);  // email and NIK
  CHECK(dup[0].record == 1);

  // A moved-to scope keeps what it saw; the moved-from one starts afresh.
  ValidationScope moved = std::move(scope);
  CHECK(moved.records() == 2);
  CHECK(b.store.validate(kSupport, {customer(0)}, scope).empty());  // NOLINT: use after move
}

TEST_CASE("an internationalized email domain is one customer in either form", "[records][values]") {
  Store s;
  const CustomerId id =
      s.store.insert(kSupport, {{"full_name", "Siti"}, {"email", "siti@caf\xC3\xA9.id"}});
  CHECK(s.store.find(kSupport, "email", "siti@xn--caf-dma.id") == std::vector<CustomerId>{id});
  CHECK(s.store.find(kSupport, "email", "SITI@CAF\xC3\x89.ID") == std::vector<CustomerId>{id});
  REQUIRE_AMANAH_ERROR(
      (void)s.store.insert(kSupport, {{"full_name", "Again"}, {"email", "siti@xn--caf-dma.id"}}),
      ErrorCode::Duplicate);
  CHECK(s.store.get(test::kDpo, id).fields.at("email") == "siti@caf\xC3\xA9.id");
}

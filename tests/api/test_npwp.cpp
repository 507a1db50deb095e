// NPWP: a legacy 15-digit number and its 16-digit form ("0" + the 15 digits, in use since 2024)
// are the same taxpayer for find, unique fields, validate and find_duplicates; a 16-digit NPWP
// that is a NIK is the same person as that NIK.
#include <amanah/amanah.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "records_fixture.hpp"
#include "support.hpp"

using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::FieldValues;
using amanah::test::app_key;
using amanah::test::TempDir;

namespace {

const amanah::AccessContext kAgent{.actor = "agent-1", .roles = {"support"}, .purpose = "service"};

amanah::Manifest npwp_manifest(bool unique = true) {
  return amanah::Manifest::from_toml(std::string(R"toml(
[purposes.service]
basis = "contract"
[roles.support]
[roles.dpo]
[fields]
full_name = { type = "text", category = "identity", purposes = ["service"] }
nik       = { type = "nik",  category = "sensitive", purposes = ["service"], lookup = true }
npwp      = { type = "npwp", category = "account", purposes = ["service"], lookup = true, unique = )toml") +
                                         (unique ? "true" : "false") + " }\n" +
                                         amanah::test::kPermitAllToml,
                                     "npwp.toml");
}

}  // namespace

TEST_CASE("find: a legacy NPWP and its 16-digit form find each other", "[npwp][records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), npwp_manifest());
  const CustomerId legacy = store.insert(kAgent, {{"npwp", "01.234.567.8-901.234"}});
  const CustomerId modern = store.insert(kAgent, {{"npwp", "0012345678901235"}});
  const CustomerId person = store.insert(kAgent, {{"npwp", "3174015505900002"}});

  CHECK(store.find(kAgent, "npwp", "0012345678901234") == std::vector{legacy});
  CHECK(store.find(kAgent, "npwp", "0012.3456.7890.1234") == std::vector{legacy});
  CHECK(store.find(kAgent, "npwp", "012345678901234") == std::vector{legacy});
  CHECK(store.find(kAgent, "npwp", "01.234.567.8-901.235") == std::vector{modern});
  CHECK(store.find(kAgent, "npwp", "0012345678901235") == std::vector{modern});
  CHECK(store.find(kAgent, "npwp", "3174015505900002") == std::vector{person});
  // A NIK used as NPWP is its own 16 digits: its last 15 are no legacy NPWP of it.
  CHECK(store.find(kAgent, "npwp", "174015505900002").empty());
  CHECK(store.find(kAgent, "npwp", "1012345678901234").empty());

  // Each value is kept as it was given (the legacy one formatted, the 16-digit one as digits).
  CHECK((store.get(kAgent, legacy).fields.at("npwp") == "01.234.567.8-901.234"));
  CHECK((store.get(kAgent, modern).fields.at("npwp") == "0012345678901235"));
}

TEST_CASE("unique: the 16-digit form of a stored legacy NPWP is a duplicate", "[npwp][records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), npwp_manifest());
  const CustomerId legacy = store.insert(kAgent, {{"npwp", "01.234.567.8-901.234"}});
  const CustomerId modern = store.insert(kAgent, {{"npwp", "0012345678901235"}});

  REQUIRE_AMANAH_ERROR(store.insert(kAgent, {{"npwp", "0012345678901234"}}), ErrorCode::Duplicate);
  REQUIRE_AMANAH_ERROR(store.insert(kAgent, {{"npwp", "01.234.567.8-901.235"}}),
                       ErrorCode::Duplicate);
  // Within one batch, and against the stored ones.
  REQUIRE_AMANAH_ERROR((void)store.insert_many(kAgent, {{{"npwp", "02.111.222.3-444.555"}},
                                                        {{"npwp", "0021112223444555"}}}),
                       ErrorCode::Duplicate);
  REQUIRE_AMANAH_ERROR((void)store.insert_many(kAgent, {{{"npwp", "02.111.222.3-444.555"}},
                                                        {{"npwp", "0012345678901234"}}}),
                       ErrorCode::Duplicate);
  // An update to another customer's number in the other form.
  REQUIRE_AMANAH_ERROR(store.update(kAgent, modern, {{"npwp", "0012345678901234"}}),
                       ErrorCode::Duplicate);
  CHECK(store.size() == 2);
  // A customer's own number in the other form is no clash.
  store.update(kAgent, legacy, {{"npwp", "0012345678901234"}});
  CHECK(store.find(kAgent, "npwp", "01.234.567.8-901.234") == std::vector{legacy});
  // A 16-digit NPWP that does not start with 0 is another number.
  (void)store.insert(kAgent, {{"npwp", "1012345678901234"}});
  CHECK(store.size() == 3);
}

TEST_CASE("validate reports an NPWP held in its other form in the batch and in the store",
          "[npwp][records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), npwp_manifest());
  (void)store.insert(kAgent, {{"npwp", "01.234.567.8-901.234"}});
  const std::vector<FieldValues> batch = {
      {{"npwp", "0012345678901234"}},      // 0: stored, in its legacy form
      {{"npwp", "02.111.222.3-444.555"}},  // 1: fine alone
      {{"npwp", "0021112223444555"}},      // 2: record 1 in the 16-digit form
      {{"npwp", "3174015505900002"}},      // 3: fine
  };
  const auto problems = store.validate(kAgent, batch);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].record == 0);
  CHECK(problems[0].code == ErrorCode::Duplicate);
  CHECK(problems[0].field == "npwp");
  CHECK(problems[1].record == 2);
  CHECK(problems[1].code == ErrorCode::Duplicate);
  CHECK(store.size() == 1);
}

TEST_CASE("find_duplicates groups an NPWP in both forms and an NPWP equal to a NIK",
          "[npwp][records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), npwp_manifest(/*unique=*/false));
  const CustomerId legacy = store.insert(kAgent, {{"npwp", "01.234.567.8-901.234"}});
  const CustomerId modern = store.insert(kAgent, {{"npwp", "0012345678901234"}});
  const CustomerId by_nik = store.insert(kAgent, {{"nik", "3174015505900002"}});
  const CustomerId by_npwp = store.insert(kAgent, {{"npwp", "3174015505900002"}});
  // None of these is anyone else's number: another legacy NPWP, a 16-digit one not starting
  // with 0 whose last 15 digits are the legacy one's, a NIK ending in them.
  (void)store.insert(kAgent, {{"npwp", "01.234.567.8-901.235"}});
  (void)store.insert(kAgent, {{"npwp", "1012345678901234"}});
  (void)store.insert(kAgent, {{"nik", "3171234567890123"}, {"npwp", "0012345678909999"}});

  auto sorted = [](std::vector<CustomerId> g) {
    std::sort(g.begin(), g.end());
    return g;
  };
  const auto groups = store.find_duplicates(kAgent);
  REQUIRE(groups.size() == 2);
  const std::vector<std::vector<CustomerId>> expected = [&] {
    std::vector<std::vector<CustomerId>> e = {sorted({legacy, modern}), sorted({by_nik, by_npwp})};
    std::sort(e.begin(), e.end());
    return e;
  }();
  CHECK(groups == expected);
}

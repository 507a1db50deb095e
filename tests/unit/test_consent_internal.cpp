// The consent service's calls for consent gating (live, live_rows, erase_subject) and its
// cache: filled on a miss, dropped on commit, never filled from a view older than a commit.
#include <amanah/amanah.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "consent/consents.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"
#include "records_fixture.hpp"
#include "store_internals.hpp"
#include "support.hpp"

using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::test::app_key;
using amanah::test::kSupport;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;

namespace {

constexpr std::int64_t kT0 = 1'767'225'600;

class FixedClock final : public amanah::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::seconds{kT0}};
  }
};

// The example manifest: support may record consents (rule support-records-consent).
amanah::Manifest manifest() {
  return amanah::test::example_manifest();
}

std::int64_t row_of(CustomerStore& s, const CustomerId& id) {
  auto st = Access::data_db(s).prepare("SELECT row FROM subjects WHERE id = ?1");
  st.bind(1, id.str());
  REQUIRE(st.step());
  return st.column_int64(0);
}

// An event written behind the service's back (no commit hook): only a read of the database
// sees it, a cached answer does not.
void sneak(CustomerStore& s, std::int64_t row, std::int64_t kind) {
  const std::vector<std::byte> junk(4);
  Access::data_db(s)
      .prepare(
          "INSERT INTO consents(subject_row, purpose, kind, at, evidence) "
          "VALUES (?1, 'marketing', ?2, ?3, ?4)")
      .bind(1, row)
      .bind(2, kind)
      .bind(3, kT0)
      .bind(4, std::span<const std::byte>(junk))
      .run();
}

struct Fixture {
  TempDir tmp;
  CustomerStore store = CustomerStore::create(tmp / "s", *app_key(), manifest(),
                                              {.clock = std::make_shared<FixedClock>()});
  amanah::detail::consent::Consents& svc = Access::consents(store);
  amanah::detail::db::Connection& writer = Access::data_db(store);
};

}  // namespace

TEST_CASE("live and live_rows answer for rows; the cache is used and dropped on commit",
          "[consent]") {
  Fixture f;
  std::vector<amanah::FieldValues> batch;
  for (int i = 0; i < 6; ++i)
    batch.push_back(amanah::test::customer(i));
  const auto ids = f.store.insert_many(kSupport, batch);
  std::vector<std::int64_t> rows;
  for (const auto& id : ids)
    rows.push_back(row_of(f.store, id));
  auto& consents = f.store.consents();
  const amanah::ConsentEvidence e{.source = "form", .notice_version = "1"};
  for (std::size_t i : {0U, 2U, 3U, 5U})
    (void)consents.grant(kSupport, ids[i], "marketing", e);
  (void)consents.withdraw(kSupport, ids[3], "marketing", "app");
  (void)consents.grant(kSupport, ids[4], "marketing",
                       amanah::ConsentEvidence{.source = "form",
                                               .notice_version = "1",
                                               .expires = std::chrono::system_clock::time_point{
                                                   std::chrono::seconds{kT0 + 100}}});

  CHECK(f.svc.live(f.writer, rows[0], "marketing", kT0));
  CHECK_FALSE(f.svc.live(f.writer, rows[1], "marketing", kT0));
  CHECK_FALSE(f.svc.live(f.writer, rows[3], "marketing", kT0));
  CHECK(f.svc.live(f.writer, rows[4], "marketing", kT0 + 99));
  CHECK_FALSE(f.svc.live(f.writer, rows[4], "marketing", kT0 + 100));
  CHECK_FALSE(f.svc.live(f.writer, rows[0], "marketing", kT0 - 1));
  CHECK_FALSE(f.svc.live(f.writer, rows[0], "newsletter", kT0));
  CHECK((f.svc.live_rows(f.writer, "marketing", rows[0], rows[5], kT0) ==
         std::vector{rows[0], rows[2], rows[4], rows[5]}));
  CHECK((f.svc.live_rows(f.writer, "marketing", rows[1], rows[4], kT0 + 100) ==
         std::vector{rows[2]}));
  CHECK(f.svc.live_rows(f.writer, "marketing", rows[0], rows[5], kT0 - 1).empty());

  // Cached now: an event written behind the service's back is not seen...
  sneak(f.store, rows[0], 2);
  CHECK(f.svc.live(f.writer, rows[0], "marketing", kT0));
  // ...until a commit through the service drops the entry.
  (void)consents.grant(kSupport, ids[0], "marketing", e);
  CHECK(f.svc.live(f.writer, rows[0], "marketing", kT0));
  (void)consents.withdraw(kSupport, ids[0], "marketing", "app");
  CHECK_FALSE(f.svc.live(f.writer, rows[0], "marketing", kT0));
}

TEST_CASE("a read from a view older than a commit does not fill the cache", "[consent]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, amanah::test::customer(1));
  const std::int64_t row = row_of(f.store, id);
  auto& consents = f.store.consents();
  (void)consents.grant(kSupport, id, "marketing", {.source = "form", .notice_version = "1"});

  auto lease = Access::data_readers(f.store).acquire();
  {
    amanah::detail::db::ReadSnapshot snap(*lease);
    (void)lease->prepare("SELECT count(*) FROM consents").step();  // the snapshot starts here
    (void)consents.withdraw(kSupport, id, "marketing", "app");
    // The old view still shows the grant, and answers by it...
    CHECK(f.svc.live(*lease, row, "marketing", kT0));
  }
  // ...but did not put it in the cache.
  CHECK_FALSE(f.svc.live(f.writer, row, "marketing", kT0));
  CHECK(consents.state(id, "marketing") == amanah::ConsentState::withdrawn);
}

TEST_CASE("erase_subject deletes a subject's events on commit only, and its row stays uncached",
          "[consent]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, amanah::test::customer(1));
  const std::int64_t row = row_of(f.store, id);
  (void)f.store.consents().grant(kSupport, id, "marketing",
                                 {.source = "form", .notice_version = "1"});
  CHECK(f.svc.live(f.writer, row, "marketing", kT0));
  {
    std::lock_guard w(Access::write_mutex(f.store));
    amanah::detail::db::Transaction tx(f.writer);
    f.svc.erase_subject(tx, row);
    // Inside the transaction the events are gone (the cache still answers as committed).
    CHECK(f.svc.live_rows(f.writer, "marketing", row, row, kT0).empty());
  }  // rolled back
  CHECK(f.svc.live(f.writer, row, "marketing", kT0));
  {
    std::lock_guard w(Access::write_mutex(f.store));
    amanah::detail::db::Transaction tx(f.writer);
    f.svc.erase_subject(tx, row);
    tx.commit();
  }
  CHECK_FALSE(f.svc.live(f.writer, row, "marketing", kT0));
  CHECK(f.svc.live_rows(f.writer, "marketing", 0, row + 10, kT0).empty());
  // Not cached: an event written behind the service's back is seen at once.
  sneak(f.store, row, 1);
  CHECK(f.svc.live(f.writer, row, "marketing", kT0));
}

TEST_CASE("a refused grant is in the access log without the caller's undeclared names",
          "[consent]") {
  Fixture f;
  const CustomerId id = f.store.insert(kSupport, amanah::test::customer(1));
  const std::string planted = "PLANTED-9137";
  const amanah::AccessContext odd{
      .actor = "x-1", .roles = {planted + "@role"}, .purpose = planted + " purpose"};
  REQUIRE_THROWS_AS(f.store.consents().grant(odd, id, planted + "@example.com",
                                             {.source = "form", .notice_version = "1"}),
                    amanah::AccessDenied);
  const amanah::AccessContext marketing{
      .actor = "m-1", .roles = {"marketing"}, .purpose = "marketing"};
  REQUIRE_THROWS_AS(f.store.consents().withdraw(marketing, id, "marketing", "app"),
                    amanah::AccessDenied);
  // A write takes the queued denials with it.
  (void)f.store.consents().grant(kSupport, id, "marketing",
                                 {.source = "form", .notice_version = "1"});
  amanah::test::load_audit_rows(f.writer);
  auto st =
      f.writer.prepare("SELECT action, roles, purpose, fields, decision FROM " AMANAH_AUDIT_ROWS
                       " WHERE action LIKE "
                       "'consent_%' ORDER BY seq");
  std::vector<std::vector<std::string>> rows;
  while (st.step())
    rows.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                    st.column_text(4)});
  REQUIRE(rows.size() == 3);
  CHECK((rows[0] ==
         std::vector<std::string>{"consent_grant", "(undeclared)", "(undeclared)", "", "deny"}));
  CHECK((rows[1] == std::vector<std::string>{"consent_withdraw", "marketing", "marketing",
                                             "marketing", "deny"}));
  CHECK((rows[2] ==
         std::vector<std::string>{"consent_grant", "support", "service", "marketing", "allow"}));
}

// The audit log's queries through the public API: trail, accesses, breach scope.
#include <amanah/amanah.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "records_fixture.hpp"
#include "support.hpp"

using amanah::AccessContext;
using amanah::AccessDenied;
using amanah::AuditEntries;
using amanah::AuditEntry;
using amanah::BreachScope;
using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::TimePoint;
using amanah::test::app_key;
using amanah::test::customer;
using amanah::test::kDpo;
using amanah::test::kMarketing;
using amanah::test::kSiti;
using amanah::test::kSupport;
using amanah::test::ManualClock;
using amanah::test::TempDir;

namespace {

struct Fixture {
  TempDir tmp;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  CustomerStore store = CustomerStore::create(tmp / "s", *app_key(),
                                              amanah::test::example_manifest(), {.clock = clock});

  TimePoint at(std::int64_t s) const { return TimePoint(std::chrono::seconds(s)); }
  TimePoint now() const { return at(clock->seconds()); }
};

std::vector<AuditEntry> all(AuditEntries entries) {
  std::vector<AuditEntry> out;
  for (const AuditEntry& e : entries)
    out.push_back(e);
  return out;
}

std::vector<std::string> actions(const std::vector<AuditEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries)
    out.push_back(e.action);
  return out;
}

// Every string an entry holds, for scanning.
std::string render(const std::vector<AuditEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    out += std::to_string(e.seq) + "|" + e.actor + "|" + e.purpose + "|" + e.action + "|" +
           e.subject + "|";
    for (const auto* list : {&e.roles, &e.fields, &e.rules})
      for (const auto& s : *list)
        out += s + ",";
    out += "\n";
  }
  return out;
}

bool ordered(const std::vector<AuditEntry>& entries) {
  return std::is_sorted(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.at != b.at ? a.at < b.at : a.seq < b.seq;
  });
}

}  // namespace

TEST_CASE("a trail shows who read or changed a customer, in order, with fields and purposes",
          "[audit][queries]") {
  Fixture f;
  const auto start = f.clock->seconds();
  const CustomerId siti = f.store.insert(kSupport, kSiti);
  f.clock->advance(10);
  (void)f.store.get(kSupport, siti, {"email", "phone"});
  f.clock->advance(10);
  f.store.update(kDpo, siti, {{"email", "siti.baru@example.co.id"}});
  f.clock->advance(10);
  (void)f.store.get(kDpo, siti);
  // Reads are queued: the trail still sees them.
  const auto trail = all(f.store.audit().trail(kDpo, siti));

  REQUIRE(actions(trail) == std::vector<std::string>{"create", "read", "update", "read"});
  CHECK(ordered(trail));
  const std::string pseudonym = f.store.audit().pseudonym(siti);
  CHECK(pseudonym.size() == 32);
  CHECK(pseudonym.find_first_not_of("0123456789abcdef") == std::string::npos);
  for (const auto& e : trail) {
    CHECK(e.subject == pseudonym);
    CHECK(e.allowed);
    CHECK(e.purpose == "service");
    CHECK_FALSE(e.rules.empty());
  }
  CHECK(trail[0].actor == "agent-17");
  CHECK(trail[0].roles == std::vector<std::string>{"support"});
  CHECK(trail[0].at == f.at(start));
  CHECK(std::set<std::string>(trail[0].fields.begin(), trail[0].fields.end()) ==
        std::set<std::string>{"full_name", "email", "phone", "nik", "birth_date"});
  CHECK(trail[1].actor == "agent-17");
  CHECK(trail[1].at == f.at(start + 10));
  CHECK(trail[1].fields == std::vector<std::string>{"email", "phone"});
  CHECK(trail[1].rules == std::vector<std::string>{"support-reads-contact"});
  CHECK(trail[2].actor == "dpo-1");
  CHECK(trail[2].roles == std::vector<std::string>{"dpo"});
  CHECK(trail[2].fields == std::vector<std::string>{"email"});
  CHECK(trail[3].actor == "dpo-1");
  CHECK(trail[3].at == f.at(start + 30));
  CHECK(trail[3].fields.size() == 5);

  // Names only: no value, and not the customer's id, in anything the queries return.
  const std::string text = render(trail) + render(all(f.store.audit().accesses(kDpo, "agent-17"))) +
                           render(all(f.store.audit().accesses(kDpo, "dpo-1")));
  for (const auto& [field, value] : kSiti)
    CHECK(text.find(value) == std::string::npos);
  for (const std::string& planted : std::vector<std::string>{
           "siti@example.co.id", "siti.baru", "6281234567890", "1990", "Siti", siti.str()})
    CHECK(text.find(planted) == std::string::npos);
}

TEST_CASE("a trail keeps to its time bounds, seconds inclusive", "[audit][queries]") {
  Fixture f;
  const auto t0 = f.clock->seconds();
  const CustomerId c = f.store.insert(kDpo, customer(1));  // t0
  f.clock->advance(100);
  (void)f.store.get(kSupport, c, {"email"});  // t0 + 100
  f.clock->advance(100);
  (void)f.store.get(kSupport, c, {"phone"});  // t0 + 200
  auto& audit = f.store.audit();
  // Each trail records itself about the customer: what follows counts the other entries.
  const auto accesses_of = [](AuditEntries entries) {
    auto out = all(std::move(entries));
    std::erase_if(out, [](const auto& e) { return e.action == "read_audit"; });
    return out;
  };

  CHECK(accesses_of(audit.trail(kDpo, c)).size() == 3);
  CHECK(accesses_of(audit.trail(kDpo, c, TimePoint::min(), TimePoint::max())).size() == 3);
  const auto middle = accesses_of(audit.trail(kDpo, c, f.at(t0 + 50), f.at(t0 + 150)));
  REQUIRE(middle.size() == 1);
  CHECK(middle[0].fields == std::vector<std::string>{"email"});
  CHECK(accesses_of(audit.trail(kDpo, c, f.at(t0 + 100), f.at(t0 + 100))).size() == 1);
  CHECK(accesses_of(audit.trail(kDpo, c, f.at(t0 + 100), f.at(t0 + 200))).size() == 2);
  CHECK(accesses_of(audit.trail(kDpo, c, f.at(t0 + 1), f.at(t0 + 99))).empty());
  CHECK(accesses_of(audit.trail(kDpo, c, f.at(t0 + 200), f.at(t0))).empty());  // from after to
  // Within a second: from rounds up, to rounds down.
  using std::chrono::milliseconds;
  CHECK(accesses_of(audit.trail(kDpo, c, f.at(t0 + 100) + milliseconds(500), TimePoint::max()))
            .size() == 1);
  CHECK(accesses_of(audit.trail(kDpo, c, TimePoint::min(), f.at(t0 + 100) + milliseconds(500)))
            .size() == 2);
  CHECK(accesses_of(audit.trail(kDpo, c, TimePoint::min(), f.at(t0) - milliseconds(1))).empty());
  // Open-ended on either side.
  CHECK(accesses_of(audit.trail(kDpo, c, f.at(t0 + 150))).size() == 1);
  CHECK(accesses_of(audit.trail(kDpo, c, TimePoint::min(), f.at(t0 + 150))).size() == 2);
}

TEST_CASE("a customer's trail leaves out every other customer", "[audit][queries]") {
  Fixture f;
  const CustomerId a = f.store.insert(kDpo, customer(1));
  const CustomerId b = f.store.insert(kDpo, customer(2));
  for (int i = 0; i < 3; ++i) {
    (void)f.store.get(kSupport, a, {"email"});
    (void)f.store.get(kSupport, b, {"phone"});
  }
  (void)f.store.find(kSupport, "email", "r2@example.com");
  const auto trail_a = all(f.store.audit().trail(kDpo, a));
  const auto trail_b = all(f.store.audit().trail(kDpo, b));
  CHECK(trail_a.size() == 4);  // create, 3 reads
  CHECK(trail_b.size() == 5);  // create, 3 reads, a find
  for (const auto& e : trail_a) {
    CHECK(e.subject == f.store.audit().pseudonym(a));
    CHECK(e.fields != std::vector<std::string>{"phone"});
  }
  for (const auto& e : trail_b)
    CHECK(e.subject == f.store.audit().pseudonym(b));
}

TEST_CASE("accesses lists what one actor did, and nothing of anyone else", "[audit][queries]") {
  Fixture f;
  const CustomerId a = f.store.insert(kDpo, customer(1));
  (void)f.store.get(kSupport, a, {"email"});
  (void)f.store.get(kDpo, a, {"nik"});
  f.store.update(kSupport, a, {{"phone", "+6281299990000"}});
  CHECK_THROWS_AS(f.store.get(kMarketing, a, {"nik"}), AccessDenied);

  const auto support = all(f.store.audit().accesses(kDpo, "agent-17"));
  REQUIRE(actions(support) == std::vector<std::string>{"read", "update"});
  for (const auto& e : support)
    CHECK(e.actor == "agent-17");
  const auto marketing = all(f.store.audit().accesses(kDpo, "campaign-svc"));
  REQUIRE(marketing.size() == 1);
  CHECK_FALSE(marketing[0].allowed);
  CHECK(marketing[0].subject == f.store.audit().pseudonym(a));
  // An actor the log never saw, or a name that is not an actor's.
  CHECK(all(f.store.audit().accesses(kDpo, "nobody")).empty());
  CHECK(all(f.store.audit().accesses(kDpo, "read")).empty());
  CHECK(all(f.store.audit().accesses(kDpo, "support")).empty());
}

TEST_CASE("breach scope counts customers, fields and categories one actor touched",
          "[audit][queries]") {
  Fixture f;
  std::vector<CustomerId> c;
  for (int i = 1; i <= 5; ++i)
    c.push_back(f.store.insert(kDpo, customer(i)));
  f.store.update(kDpo, c[0], {{"notes", "call after five"}});
  // Before the window: not counted.
  (void)f.store.get(kSupport, c[4], {"email"});
  f.clock->advance(60);
  const TimePoint from = f.now();
  (void)f.store.get(kSupport, c[0], {"email"});
  (void)f.store.get(kSupport, c[0], {"full_name", "phone"});
  (void)f.store.get(kSupport, c[1], {"nik"});
  (void)f.store.get(kSupport, c[2], {"email", "notes"});  // c[2] has no notes: not shown
  const AccessContext wrong_purpose{
      .actor = "agent-17", .roles = {"support"}, .purpose = "marketing"};
  CHECK_THROWS_AS(f.store.get(wrong_purpose, c[3], {"email"}), AccessDenied);
  (void)f.store.get(kDpo, c[3], {"email"});  // another actor
  // c[2] goes: its pseudonym stays in the log, with no id.
  f.store.merge(kDpo, c[1], c[2]);
  f.clock->advance(60);
  const TimePoint to = f.now();
  f.clock->advance(60);
  (void)f.store.get(kSupport, c[1], {"email"});  // after the window

  const BreachScope scope = f.store.audit().breach_scope(kDpo, "agent-17", from, to);
  CHECK(scope.entries == 5);
  CHECK(scope.denied == 1);
  REQUIRE(scope.subjects.size() == 3);
  CHECK(std::is_sorted(scope.subjects.begin(), scope.subjects.end(),
                       [](const auto& x, const auto& y) { return x.pseudonym < y.pseudonym; }));
  auto subject = [&](const CustomerId& id) -> const BreachScope::Subject& {
    const std::string p = f.store.audit().pseudonym(id);
    for (const auto& s : scope.subjects)
      if (s.pseudonym == p) return s;
    FAIL("customer missing from the breach scope");
    throw;
  };
  CHECK(subject(c[0]).accesses == 2);
  CHECK(subject(c[0]).id == c[0]);
  CHECK(subject(c[1]).accesses == 1);
  CHECK(subject(c[1]).id == c[1]);
  CHECK(subject(c[2]).accesses == 1);
  CHECK_FALSE(subject(c[2]).id.has_value());  // merged away
  using Counts = std::vector<std::pair<std::string, std::uint64_t>>;
  CHECK(scope.fields == Counts{{"email", 2}, {"full_name", 1}, {"nik", 1}, {"phone", 1}});
  CHECK(scope.categories == Counts{{"contact", 3}, {"identity", 1}, {"sensitive", 1}});

  // Another actor; an actor who did nothing in the window; a window with nothing in it.
  const BreachScope dpo = f.store.audit().breach_scope(kDpo, "dpo-1", from, to);
  CHECK(dpo.entries == 3);  // a read, the merge and the absorbed customer's erasure
  CHECK(dpo.denied == 0);
  const BreachScope none = f.store.audit().breach_scope(kDpo, "nobody", from, to);
  CHECK(none.entries == 0);
  CHECK(none.subjects.empty());
  CHECK(none.fields.empty());
  const BreachScope empty = f.store.audit().breach_scope(kDpo, "agent-17", to, from);
  CHECK(empty.entries == 0);
}

TEST_CASE("breach scope counts a field the manifest no longer declares as undeclared",
          "[audit][queries]") {
  Fixture f;
  const CustomerId c = f.store.insert(kDpo, customer(1));
  f.store.update(kDpo, c, {{"notes", "prefers mornings"}});
  const TimePoint from = f.now();
  (void)f.store.get(kSupport, c, {"notes", "email"});
  std::string toml = amanah::test::kManifestToml;
  const std::string notes_line = toml.substr(toml.find("notes      ="));
  toml.erase(toml.find("notes      ="), notes_line.find('\n') + 1);
  f.store.change_manifest(kDpo, amanah::Manifest::from_toml(toml, "next.toml"),
                          {.erase_removed_fields = true});
  const BreachScope scope = f.store.audit().breach_scope(kDpo, "agent-17", from, f.now());
  using Counts = std::vector<std::pair<std::string, std::uint64_t>>;
  CHECK(scope.fields == Counts{{"email", 1}, {"notes", 1}});
  CHECK(scope.categories == Counts{{"(undeclared)", 1}, {"contact", 1}});
}

TEST_CASE("the queries need read_audit; a denial is recorded", "[audit][queries]") {
  Fixture f;
  const CustomerId c = f.store.insert(kDpo, customer(1));
  auto& audit = f.store.audit();
  CHECK_THROWS_AS(audit.trail(kSupport, c), AccessDenied);
  CHECK_THROWS_AS(audit.accesses(kSupport, "dpo-1"), AccessDenied);
  CHECK_THROWS_AS(audit.breach_scope(kMarketing, "dpo-1", TimePoint::min(), TimePoint::max()),
                  AccessDenied);
  REQUIRE_AMANAH_ERROR((void)audit.trail(kSupport, c), ErrorCode::AccessDenied);

  const auto denials = all(audit.accesses(kDpo, "agent-17"));
  REQUIRE(denials.size() == 3);
  for (const auto& e : denials) {
    CHECK(e.action == "read_audit");
    CHECK_FALSE(e.allowed);
  }
  CHECK(denials[0].subject == audit.pseudonym(c));  // the trail asked for
  CHECK(denials[1].subject.empty());
  // The customer's trail shows the attempts to read it.
  const auto trail = all(audit.trail(kDpo, c));
  CHECK(std::count_if(trail.begin(), trail.end(),
                      [](const auto& e) { return e.action == "read_audit" && !e.allowed; }) == 2);
}

TEST_CASE("each query is itself recorded as a read_audit entry", "[audit][queries]") {
  Fixture f;
  const CustomerId c = f.store.insert(kDpo, customer(1));
  auto& audit = f.store.audit();
  // A range shows what was recorded before its query: not the query's own entry.
  CHECK(actions(all(audit.trail(kDpo, c))) == std::vector<std::string>{"create"});
  (void)audit.accesses(kDpo, "agent-17");
  (void)audit.breach_scope(kDpo, "agent-17", TimePoint::min(), TimePoint::max());

  const auto mine = all(audit.accesses(kDpo, "dpo-1"));
  REQUIRE(actions(mine) ==
          std::vector<std::string>{"create", "read_audit", "read_audit", "read_audit"});
  CHECK(mine[1].subject == audit.pseudonym(c));
  CHECK(mine[2].subject.empty());
  for (std::size_t i = 1; i < mine.size(); ++i) {
    CHECK(mine[i].allowed);
    CHECK(mine[i].fields.empty());
    CHECK(std::find(mine[i].rules.begin(), mine[i].rules.end(), "dpo-reads-audit") !=
          mine[i].rules.end());
  }
  CHECK(actions(all(audit.trail(kDpo, c))) == std::vector<std::string>{"create", "read_audit"});
}

TEST_CASE("queries stream more entries than one batch", "[audit][queries]") {
  Fixture f;
  const CustomerId c = f.store.insert(kDpo, customer(1));
  const CustomerId other = f.store.insert(kDpo, customer(2));
  // 300 reads within one second, then 300 a second apart, with other entries between.
  for (int i = 0; i < 600; ++i) {
    if (i >= 300) f.clock->advance(1);
    (void)f.store.get(kSupport, c, {"email"});
    if (i % 7 == 0) (void)f.store.get(kSupport, other, {"email"});
  }
  const auto trail = all(f.store.audit().trail(kDpo, c));
  CHECK(trail.size() == 601);
  CHECK(ordered(trail));
  std::set<std::uint64_t> seqs;
  for (const auto& e : trail)
    seqs.insert(e.seq);
  CHECK(seqs.size() == trail.size());
  CHECK(std::count_if(trail.begin(), trail.end(),
                      [](const auto& e) { return e.action == "read"; }) == 600);

  std::uint64_t n = 0;
  for (const auto& e : f.store.audit().accesses(kDpo, "agent-17")) {
    CHECK(e.actor == "agent-17");
    ++n;
  }
  CHECK(n == 600 + 86);

  const BreachScope scope =
      f.store.audit().breach_scope(kDpo, "agent-17", TimePoint::min(), TimePoint::max());
  CHECK(scope.entries == 686);
  REQUIRE(scope.subjects.size() == 2);
  CHECK(scope.fields == std::vector<std::pair<std::string, std::uint64_t>>{{"email", 686}});
}

TEST_CASE("a range is read lazily and fails once its store is closed", "[audit][queries]") {
  Fixture f;
  const CustomerId c = f.store.insert(kDpo, customer(1));
  for (int i = 0; i < 300; ++i)
    (void)f.store.get(kSupport, c, {"email"});
  AuditEntries entries = f.store.audit().trail(kDpo, c);
  AuditEntries moved = std::move(entries);
  auto it = moved.begin();
  REQUIRE(it != moved.end());
  CHECK(it->action == "create");
  for (int i = 0; i < 255; ++i)
    ++it;
  f.store.close();
  REQUIRE_AMANAH_ERROR(++it, ErrorCode::InvalidOperation);  // the next batch
  REQUIRE_AMANAH_ERROR((void)f.store.audit().trail(kDpo, c), ErrorCode::InvalidOperation);
}

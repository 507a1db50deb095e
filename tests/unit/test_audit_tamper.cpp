// The audit log's tamper detection, seen from the database: a closed store's data.db is edited
// directly (as someone holding the database key could), the store reopened, and verify() must
// name the kind of the first problem and the entry where it starts (audit/verify.cpp defines
// each kind).
#include <amanah/amanah.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <catch2/generators/catch_generators.hpp>
#include "audit/entry.hpp"
#include "audit/log.hpp"
#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"
#include "records_fixture.hpp"
#include "support.hpp"

using amanah::AuditReport;
using amanah::CustomerStore;
using amanah::SecretBytes;
using amanah::TamperKind;
using amanah::test::TempDir;
namespace db = amanah::detail::db;
namespace audit = amanah::detail::audit;
using Access = amanah::detail::StoreAccess;

namespace {

// Customer values planted in the store: none may reach a report.
const std::vector<std::string> kPlanted = {
    "Quetzalia Ombrenoor",  "quetzalia.ombrenoor@example.org",
    "+6281277731904",       "3171998877665544",
    "Vendelinus Parhamora", "vendelinus.parhamora@example.org",
    "+6281366620417"};

// A closed store with about sixty entries of every sort (creates, reads, finds, a scan, updates,
// a denial), each at its own time.
struct Closed {
  TempDir tmp;
  std::filesystem::path dir = tmp / "s";
  SecretBytes raw = SecretBytes::random(32);
  SecretBytes data_key;
  std::uint64_t n = 0;  // entries

  Closed() {
    auto clock = std::make_shared<amanah::test::ManualClock>();
    auto store = CustomerStore::create(dir, *amanah::raw_key(raw.clone()),
                                       amanah::test::example_manifest(), {.clock = clock});
    using amanah::test::kDpo;
    using amanah::test::kSupport;
    std::vector<amanah::CustomerId> ids;
    ids.push_back(store.insert(kSupport, {{"full_name", kPlanted[0]},
                                          {"email", kPlanted[1]},
                                          {"phone", kPlanted[2]},
                                          {"nik", kPlanted[3]}}));
    clock->advance(1);
    ids.push_back(store.insert(
        kSupport, {{"full_name", kPlanted[4]}, {"email", kPlanted[5]}, {"phone", kPlanted[6]}}));
    for (int i = 0; i < 8; ++i) {
      clock->advance(1);
      ids.push_back(store.insert(kSupport, amanah::test::customer(i)));
    }
    for (int round = 0; round < 2; ++round)
      for (std::size_t i = 0; i < ids.size(); ++i) {
        clock->advance(1);
        (void)store.get(round == 0 ? kSupport : kDpo, ids[i]);
        if (i % 2 == 0) {
          clock->advance(1);
          store.update(kSupport, ids[i],
                       {{"phone", "+62813" + std::to_string(5550000 + round * 100 + i)}});
        }
      }
    clock->advance(1);
    (void)store.find(kSupport, "email", kPlanted[1]);
    clock->advance(1);
    (void)store.find(kSupport, "email", kPlanted[5]);
    clock->advance(1);
    try {
      (void)store.get(amanah::test::kMarketing, ids[0], {"nik"});
      FAIL("expected AccessDenied");
    } catch (const amanah::AccessDenied&) {
    }
    clock->advance(1);
    for (const auto& r : store.scan(kDpo, {"email"}))
      (void)r;
    clock->advance(1);
    store.update(kSupport, ids[1], {{"full_name", kPlanted[4] + " Jr"}});
    clock->advance(1);
    (void)store.get(kSupport, ids[1]);  // queued: written at close
    data_key = Access::data_db_key(store);
    store.close();

    auto c = connect();
    auto st = c.prepare("SELECT count(*), max(seq) FROM audit_log");
    REQUIRE(st.step());
    n = static_cast<std::uint64_t>(st.column_int64(0));
    REQUIRE(st.column_int64(1) == st.column_int64(0));
    REQUIRE(n >= 50);
    REQUIRE(meta_seq(c) == n);
  }

  [[nodiscard]] db::Connection connect() const {
    return db::Connection::open(dir / "data.db", data_key, false);
  }

  static std::uint64_t meta_seq(db::Connection& c) {
    auto st = c.prepare("SELECT value FROM amanah_meta WHERE key = 'audit_seq'");
    REQUIRE(st.step());
    return std::stoull(st.column_text(0));
  }

  // Reopens the store and verifies its log. No report may carry a customer's value. The log is
  // verified in one pass and again in two halves (as a large log is, one per core): both must
  // report the same.
  [[nodiscard]] AuditReport verify() const {
    auto store = CustomerStore::open(dir, *amanah::raw_key(raw.clone()));
    AuditReport r = store.audit().verify();
    amanah::detail::StoreAccess::audit_log(store).set_split_above(8);
    const AuditReport halves = store.audit().verify();
    CHECK(halves.entries == r.entries);
    CHECK(halves.checkpoints == r.checkpoints);
    CHECK(halves.problem.has_value() == r.problem.has_value());
    if (halves.problem && r.problem) {
      CHECK(halves.problem->kind == r.problem->kind);
      CHECK(halves.problem->seq == r.problem->seq);
    }
    const std::string text = r.explain() + (r.problem ? r.problem->detail : std::string());
    for (const auto& v : kPlanted)
      CHECK(text.find(v) == std::string::npos);
    CHECK(text.find("Reader ") == std::string::npos);
    return r;
  }
};

void exec(db::Connection& c, const std::string& sql) {
  c.exec(sql);
}

std::int64_t int_of(db::Connection& c, const std::string& sql) {
  auto st = c.prepare(sql);
  REQUIRE(st.step());
  return st.column_int64(0);
}

// Moves entry `from` to number `to` (a free number).
void renumber(db::Connection& c, std::uint64_t from, std::uint64_t to) {
  c.prepare("UPDATE audit_log SET seq = ?1 WHERE seq = ?2")
      .bind(1, static_cast<std::int64_t>(to))
      .bind(2, static_cast<std::int64_t>(from))
      .run();
  REQUIRE(c.changes() == 1);
}

// Swaps everything but the sequence number of entries a and b.
void swap_content(db::Connection& c, std::uint64_t a, std::uint64_t b) {
  const std::string cols =
      "at, action, allowed, subject, actor, roles, purpose, fields, rules, "
      "payload_hash, chain";
  c.exec("DROP TABLE IF EXISTS temp.swap");
  c.exec("CREATE TEMP TABLE swap AS SELECT * FROM audit_log WHERE seq IN (" + std::to_string(a) +
         ", " + std::to_string(b) + ")");
  c.exec("UPDATE audit_log SET (" + cols + ") = (SELECT " + cols +
         " FROM temp.swap s WHERE s.seq = (CASE audit_log.seq WHEN " + std::to_string(a) +
         " THEN " + std::to_string(b) + " ELSE " + std::to_string(a) + " END)) WHERE seq IN (" +
         std::to_string(a) + ", " + std::to_string(b) + ")");
  REQUIRE(c.changes() == 2);
  c.exec("DROP TABLE temp.swap");
}

std::string name_of(db::Connection& c, std::int64_t id) {
  auto st = c.prepare("SELECT name FROM audit_names WHERE id = ?1");
  st.bind(1, id);
  REQUIRE(st.step());
  return st.column_text(0);
}

void require_problem(const AuditReport& r, TamperKind kind, std::uint64_t seq) {
  REQUIRE(r.problem.has_value());
  CHECK(r.problem->kind == kind);
  CHECK(r.problem->seq == seq);
  CHECK(r.entries == seq - 1);  // the good entries before the problem
  CHECK_FALSE(r.ok());
}

}  // namespace

TEST_CASE("an untouched audit log verifies, every entry checked", "[audit][tamper]") {
  Closed s;
  const AuditReport r = s.verify();
  CHECK(r.ok());
  CHECK(r.entries == s.n);
  CHECK(r.checkpoints == 0);
  auto store = CustomerStore::open(s.dir, *amanah::raw_key(s.raw.clone()));
  CHECK(store.audit().size() == s.n);
}

TEST_CASE("an edited entry is reported as modified at its number", "[audit][tamper]") {
  Closed s;
  const std::uint64_t k = s.n / 2;
  const auto edit = GENERATE(as<std::string>{}, "at", "allowed", "fields", "subject", "chain");
  INFO("edit " << edit);
  {
    auto c = s.connect();
    const std::string where = " WHERE seq = " + std::to_string(k);
    if (edit == "at") exec(c, "UPDATE audit_log SET at = at + 1" + where);
    if (edit == "allowed") exec(c, "UPDATE audit_log SET allowed = 1 - allowed" + where);
    if (edit == "fields") {
      const std::int64_t was = int_of(c, "SELECT fields FROM audit_log" + where);
      const std::int64_t other =
          int_of(c, "SELECT id FROM audit_names WHERE id != " + std::to_string(was) +
                        " ORDER BY id LIMIT 1");
      exec(c, "UPDATE audit_log SET fields = " + std::to_string(other) + where);
    }
    if (edit == "subject") exec(c, "UPDATE audit_log SET subject = randomblob(16)" + where);
    if (edit == "chain") exec(c, "UPDATE audit_log SET chain = randomblob(32)" + where);
    REQUIRE(c.changes() == 1);
  }
  require_problem(s.verify(), TamperKind::modified, k);
}

TEST_CASE("a renamed name is reported as modified at the first entry using it", "[audit][tamper]") {
  Closed s;
  // A name of the header (an action), of the payload (an actor, a field list), and a rule id.
  const auto which = GENERATE(as<std::string>{}, "update", "campaign-svc", "phone",
                              "marketing-never-sees-sensitive");
  INFO("name " << which);
  std::uint64_t first = 0;
  {
    auto c = s.connect();
    auto st = c.prepare("SELECT id FROM audit_names WHERE name = ?1");
    st.bind(1, which);
    REQUIRE(st.step());
    const std::string id = std::to_string(st.column_int64(0));
    first = static_cast<std::uint64_t>(
        int_of(c, "SELECT min(seq) FROM audit_log WHERE " + id +
                      " IN (action, actor, roles, purpose, fields, rules)"));
    REQUIRE(first > 1);
    exec(c, "UPDATE audit_names SET name = name || '-x' WHERE id = " + id);
    REQUIRE(c.changes() == 1);
  }
  require_problem(s.verify(), TamperKind::modified, first);
}

TEST_CASE("a deleted entry is reported as deleted, renumbered or not", "[audit][tamper]") {
  Closed s;
  const std::uint64_t k = s.n / 3;
  const bool renumbered = GENERATE(false, true);
  INFO("renumbered " << renumbered);
  {
    auto c = s.connect();
    exec(c, "DELETE FROM audit_log WHERE seq = " + std::to_string(k));
    REQUIRE(c.changes() == 1);
    if (renumbered) {
      // Every later entry one down, and the log's own record of its end with them.
      for (std::uint64_t seq = k + 1; seq <= s.n; ++seq)
        renumber(c, seq, seq - 1);
      exec(c, "UPDATE amanah_meta SET value = '" + std::to_string(s.n - 1) +
                  "' WHERE key = 'audit_seq'");
    }
  }
  require_problem(s.verify(), TamperKind::deleted, k);
}

TEST_CASE("a forged entry in the middle is reported as inserted", "[audit][tamper]") {
  Closed s;
  const std::uint64_t k = s.n / 2 + 3;
  {
    auto c = s.connect();
    for (std::uint64_t seq = s.n; seq >= k; --seq)
      renumber(c, seq, seq + 1);
    // The content of another entry, with a chain value made up.
    exec(c,
         "INSERT INTO audit_log(seq, at, action, allowed, subject, actor, roles, purpose, fields, "
         "rules, payload_hash, chain) SELECT " +
             std::to_string(k) +
             ", at + 1, action, allowed, subject, actor, roles, purpose, fields, rules, "
             "payload_hash, randomblob(32) FROM audit_log WHERE seq = 3");
    exec(c, "UPDATE amanah_meta SET value = '" + std::to_string(s.n + 1) +
                "' WHERE key = 'audit_seq'");
  }
  require_problem(s.verify(), TamperKind::inserted, k);
}

TEST_CASE("an entry appended with a correct chain beyond the log's own record is inserted",
          "[audit][tamper]") {
  Closed s;
  {
    // Someone with the database key can compute the chain: the content of the last entry,
    // renamed to its next number, linked to the last chain value.
    auto c = s.connect();
    auto st = c.prepare(
        "SELECT at, action, allowed, subject, actor, roles, purpose, fields, rules, chain "
        "FROM audit_log WHERE seq = ?1");
    st.bind(1, static_cast<std::int64_t>(s.n));
    REQUIRE(st.step());
    audit::Entry e;
    e.seq = s.n + 1;
    e.at = st.column_int64(0) + 5;
    e.action = name_of(c, st.column_int64(1));
    e.allowed = st.column_int64(2) != 0;
    const auto subject = st.column_blob(3);
    e.subject.assign(reinterpret_cast<const char*>(subject.data()), subject.size());
    e.actor = name_of(c, st.column_int64(4));
    e.roles = name_of(c, st.column_int64(5));
    e.purpose = name_of(c, st.column_int64(6));
    e.fields = name_of(c, st.column_int64(7));
    e.rules = name_of(c, st.column_int64(8));
    audit::Hash previous{};
    const auto chain = st.column_blob(9);
    REQUIRE(chain.size() == previous.size());
    std::copy(chain.begin(), chain.end(), previous.begin());
    const audit::Hash next = audit::link(previous, audit::leaf(e));
    const std::int64_t ids[5] = {st.column_int64(4), st.column_int64(5), st.column_int64(6),
                                 st.column_int64(7), st.column_int64(8)};
    const std::int64_t action = st.column_int64(1);
    st.reset();
    auto ins = c.prepare(
        "INSERT INTO audit_log(seq, at, action, allowed, subject, actor, roles, purpose, fields, "
        "rules, chain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    ins.bind(1, static_cast<std::int64_t>(e.seq))
        .bind(2, e.at)
        .bind(3, action)
        .bind(4, std::int64_t{e.allowed ? 1 : 0});
    if (e.subject.empty())
      ins.bind_null(5);
    else
      ins.bind(5, amanah::detail::crypto::as_bytes(e.subject));
    for (int i = 0; i < 5; ++i)
      ins.bind(6 + i, ids[i]);
    ins.bind(11, std::span<const std::byte>(next.data(), next.size()));
    ins.run();
    REQUIRE(Closed::meta_seq(c) == s.n);
  }
  require_problem(s.verify(), TamperKind::inserted, s.n + 1);
}

TEST_CASE("two entries that changed places are reported as reordered", "[audit][tamper]") {
  Closed s;
  const std::uint64_t k = s.n / 2 - 1;
  const std::uint64_t apart = GENERATE(1u, 4u);
  INFO("apart " << apart);
  {
    auto c = s.connect();
    swap_content(c, k, k + apart);
  }
  require_problem(s.verify(), TamperKind::reordered, k);
}

TEST_CASE("entries cut from the end are reported as truncated", "[audit][tamper]") {
  Closed s;
  {
    auto c = s.connect();
    exec(c, "DELETE FROM audit_log WHERE seq > " + std::to_string(s.n - 3));
    REQUIRE(c.changes() == 3);
  }
  require_problem(s.verify(), TamperKind::truncated, s.n - 2);
}

// The log's own record of how far it reached (amanah_meta 'audit_seq') holds a damaged value.
TEST_CASE("a damaged record of the log's length is Corrupt at open and a problem for verify()",
          "[audit][tamper]") {
  Closed s;
  const std::string damaged = GENERATE(std::string("x"), std::string(""), std::string("-1"),
                                       std::string("99999999999999999999999"));
  SECTION("at open: no entry may reuse a number it cannot rule out") {
    {
      auto c = s.connect();
      exec(c, "UPDATE amanah_meta SET value = '" + damaged + "' WHERE key = 'audit_seq'");
    }
    REQUIRE_AMANAH_ERROR(CustomerStore::open(s.dir, *amanah::raw_key(s.raw.clone())),
                         amanah::ErrorCode::Corrupt);
  }
  SECTION("while the store is open") {
    auto store = CustomerStore::open(s.dir, *amanah::raw_key(s.raw.clone()));
    {
      auto c = s.connect();
      exec(c, "UPDATE amanah_meta SET value = '" + damaged + "' WHERE key = 'audit_seq'");
    }
    const AuditReport r = store.audit().verify();
    REQUIRE_FALSE(r.ok());
    CHECK(r.problem->kind == TamperKind::truncated);
    CHECK(r.problem->seq == s.n + 1);
  }
}

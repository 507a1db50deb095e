// The audit log's tamper detection, seen from the database: a closed store's data.db is edited
// directly (as someone holding the database key could), the store reopened, and verify() must
// name the kind of the first problem and the entry where it starts (audit/verify.cpp defines
// each kind).
#include <amanah/amanah.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <catch2/generators/catch_generators.hpp>
#include "audit/batch.hpp"
#include "audit/entry.hpp"
#include "audit/log.hpp"
#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"
#include "records_fixture.hpp"
#include "store_internals.hpp"
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

// The log as its stored entries (audit/batch.hpp), in order.
std::vector<audit::Stored> load(db::Connection& c) {
  std::vector<audit::Stored> out;
  auto st = c.prepare("SELECT entries FROM audit_log ORDER BY first");
  while (st.step()) {
    audit::Unpacker u(st.column_blob(0));
    audit::Stored e;
    while (u.next(e))
      out.push_back(e);
    REQUIRE_FALSE(u.damaged());
  }
  return out;
}

// Writes `entries` back as the whole log, kPerRow to a batch row with locators to match: what
// someone holding the database key can do.
constexpr std::size_t kPerRow = 7;
void save(db::Connection& c, const std::vector<audit::Stored>& entries) {
  c.exec("DELETE FROM audit_log");
  audit::Packer p;
  auto flush = [&] {
    const auto& b = p.bounds();
    c.prepare(
         "INSERT INTO audit_log(first, last, min_at, max_at, entries) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(1, static_cast<std::int64_t>(b.first))
        .bind(2, static_cast<std::int64_t>(b.last))
        .bind(3, b.min_at)
        .bind(4, b.max_at)
        .bind(5, p.blob())
        .run();
    p.clear();
  };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    p.add(entries[i]);
    if ((i + 1) % kPerRow == 0) flush();
  }
  if (!p.empty()) flush();
}

audit::Hash random_hash() {
  audit::Hash h{};
  const SecretBytes r = SecretBytes::random(h.size());
  std::copy(r.view().begin(), r.view().end(), h.begin());
  return h;
}

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
    const auto entries = load(c);
    n = entries.size();
    REQUIRE(entries.back().seq == n);
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
    auto log = load(c);
    audit::Stored& e = log[k - 1];
    REQUIRE(e.seq == k);
    if (edit == "at") e.at += 1;
    if (edit == "allowed") e.allowed = !e.allowed;
    if (edit == "fields") {
      const std::int64_t other =
          int_of(c, "SELECT id FROM audit_names WHERE id != " + std::to_string(e.ids[3]) +
                        " ORDER BY id LIMIT 1");
      e.ids[3] = other;
    }
    if (edit == "subject") {
      const SecretBytes r = SecretBytes::random(e.subject.size());
      std::memcpy(e.subject.data(), r.view().data(), e.subject.size());
      e.has_subject = true;
    }
    if (edit == "chain") e.chain = random_hash();
    save(c, log);
  }
  require_problem(s.verify(), TamperKind::modified, k);
}

TEST_CASE("a damaged batch row is reported as modified at its first entry", "[audit][tamper]") {
  Closed s;
  const auto damage = GENERATE(as<std::string>{}, "bytes", "cut", "first", "max_at");
  INFO("damage " << damage);
  std::uint64_t first = 0;
  {
    auto c = s.connect();
    save(c, load(c));
    first = static_cast<std::uint64_t>(
        int_of(c, "SELECT first FROM audit_log ORDER BY first LIMIT 1 OFFSET 3"));
    const std::string where = " WHERE first = " + std::to_string(first);
    if (damage == "bytes")
      exec(c,
           "UPDATE audit_log SET entries = CAST(x'01' || randomblob(length(entries) - 1) AS BLOB)" +
               where);
    if (damage == "cut")
      exec(c, "UPDATE audit_log SET entries = substr(entries, 1, length(entries) - 40)" + where);
    if (damage == "first") exec(c, "UPDATE audit_log SET first = first - 1" + where);
    if (damage == "max_at") exec(c, "UPDATE audit_log SET max_at = max_at + 100" + where);
    REQUIRE(c.changes() == 1);
  }
  const AuditReport r = s.verify();
  REQUIRE(r.problem.has_value());
  if (damage == "cut") {
    // The entries before the cut still read: the last one is the problem.
    CHECK(r.problem->kind == TamperKind::modified);
    CHECK(r.problem->seq == first + kPerRow - 1);
  } else if (damage == "bytes") {
    // Random bytes may still read as (wrong) entries: whatever they say, it is the row's first
    // entry that no longer fits.
    CHECK(r.problem->seq == first);
  } else {
    require_problem(r, TamperKind::modified, first);
  }
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
    const std::int64_t id = st.column_int64(0);
    for (const auto& e : load(c)) {
      if (e.action == id || std::find(e.ids.begin(), e.ids.end(), id) != e.ids.end()) {
        first = e.seq;
        break;
      }
    }
    REQUIRE(first > 1);
    exec(c, "UPDATE audit_names SET name = name || '-x' WHERE id = " + std::to_string(id));
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
    auto log = load(c);
    log.erase(log.begin() + static_cast<std::ptrdiff_t>(k - 1));
    if (renumbered) {
      // Every later entry one down, and the log's own record of its end with them.
      for (auto& e : log)
        if (e.seq > k) --e.seq;
      exec(c, "UPDATE amanah_meta SET value = '" + std::to_string(s.n - 1) +
                  "' WHERE key = 'audit_seq'");
    }
    save(c, log);
  }
  require_problem(s.verify(), TamperKind::deleted, k);
}

TEST_CASE("a forged entry in the middle is reported as inserted", "[audit][tamper]") {
  Closed s;
  const std::uint64_t k = s.n / 2 + 3;
  {
    auto c = s.connect();
    auto log = load(c);
    for (auto& e : log)
      if (e.seq >= k) ++e.seq;
    // The content of another entry, with a chain value made up.
    audit::Stored forged = log[2];
    forged.seq = k;
    forged.at += 1;
    forged.chain = random_hash();
    log.insert(log.begin() + static_cast<std::ptrdiff_t>(k - 1), forged);
    save(c, log);
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
    auto log = load(c);
    audit::Stored next = log.back();
    audit::Entry e;
    e.seq = s.n + 1;
    e.at = next.at + 5;
    e.action = name_of(c, next.action);
    e.allowed = next.allowed;
    e.has_subject = next.has_subject;
    e.subject = next.subject;
    e.payload = audit::make_payload(name_of(c, next.ids[0]), name_of(c, next.ids[1]),
                                    name_of(c, next.ids[2]), name_of(c, next.ids[3]),
                                    name_of(c, next.ids[4]));
    next.seq = e.seq;
    next.at = e.at;
    next.chain = audit::link(log.back().chain, audit::leaf(e));
    log.push_back(next);
    save(c, log);
    REQUIRE(Closed::meta_seq(c) == s.n);
  }
  require_problem(s.verify(), TamperKind::inserted, s.n + 1);
}

TEST_CASE("two entries that changed places are reported as reordered", "[audit][tamper]") {
  Closed s;
  const std::uint64_t k = s.n / 2 - 1;
  const std::uint64_t apart = GENERATE(1u, 4u, 9u);
  INFO("apart " << apart);
  {
    auto c = s.connect();
    auto log = load(c);
    std::swap(log[k - 1], log[k - 1 + apart]);
    std::swap(log[k - 1].seq, log[k - 1 + apart].seq);  // the numbers stay in place
    save(c, log);
  }
  require_problem(s.verify(), TamperKind::reordered, k);
}

TEST_CASE("entries cut from the end are reported as truncated", "[audit][tamper]") {
  Closed s;
  {
    auto c = s.connect();
    auto log = load(c);
    log.resize(log.size() - 3);
    save(c, log);
  }
  require_problem(s.verify(), TamperKind::truncated, s.n - 2);
}

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

TEST_CASE("a log of schema 5 (a row per entry) is converted to batches with every entry intact",
          "[audit][migration]") {
  Closed s;
  std::vector<audit::Stored> before;
  {
    // Back to schema 5: the same entries, one row each.
    auto c = s.connect();
    before = load(c);
    exec(c, "DROP TABLE audit_log");
    exec(c, R"sql(
CREATE TABLE audit_log(
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, action INTEGER NOT NULL,
  allowed INTEGER NOT NULL, subject BLOB,
  actor INTEGER, roles INTEGER, purpose INTEGER, fields INTEGER, rules INTEGER,
  payload_hash BLOB, chain BLOB NOT NULL) STRICT;
CREATE INDEX audit_by_time ON audit_log(at);
)sql");
    auto ins = c.prepare(
        "INSERT INTO audit_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11)");
    for (const auto& e : before) {
      ins.reset();
      ins.bind(1, static_cast<std::int64_t>(e.seq))
          .bind(2, e.at)
          .bind(3, e.action)
          .bind(4, std::int64_t{e.allowed ? 1 : 0});
      if (e.has_subject)
        ins.bind(5, amanah::detail::crypto::as_bytes(e.subject_bytes()));
      else
        ins.bind_null(5);
      for (int i = 0; i < 5; ++i)
        ins.bind(6 + i, e.ids[static_cast<std::size_t>(i)]);
      ins.bind(11, std::span<const std::byte>(e.chain.data(), e.chain.size()));
      ins.run();
    }
    amanah::test::undo_schema_7(c);
    c.set_user_version(5);
  }
  const AuditReport r = s.verify();  // opens the store: converted
  CHECK(r.ok());
  CHECK(r.entries == s.n);
  auto c = s.connect();
  CHECK(Closed::meta_seq(c) == s.n);
  CHECK(int_of(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'audit_log_v5'") == 0);
  const auto after = load(c);
  REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO("entry " << i + 1);
    CHECK(after[i].seq == before[i].seq);
    CHECK(after[i].at == before[i].at);
    CHECK(after[i].action == before[i].action);
    CHECK(after[i].allowed == before[i].allowed);
    CHECK(after[i].subject_bytes() == before[i].subject_bytes());
    CHECK(after[i].ids == before[i].ids);
    CHECK(after[i].chain == before[i].chain);
  }
}

TEST_CASE("a batch row gives back every entry packed into it, whatever its numbers and times",
          "[audit]") {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<audit::Stored> in;
  const std::uint64_t seqs[] = {7, 8, 3, std::numeric_limits<std::uint64_t>::max(), 1, 2};
  const std::int64_t ats[] = {0, -1, kMax, kMin, 1'767'225'600, kMax};
  for (std::size_t i = 0; i < 6; ++i) {
    audit::Stored e;
    e.seq = seqs[i];
    e.at = ats[i];
    e.action = static_cast<std::int64_t>(i + 1);
    e.allowed = i % 2 == 0;
    e.has_subject = i % 3 != 0;
    if (e.has_subject) e.subject.fill(static_cast<char>('a' + i));
    e.erased = i == 4;
    if (e.erased)
      e.payload_hash = random_hash();
    else
      e.ids = {1, 200, 30000, 4'000'000, static_cast<std::int64_t>(i)};
    e.chain = random_hash();
    in.push_back(e);
  }
  audit::Packer p;
  for (const auto& e : in)
    p.add(e);
  CHECK(p.bounds().first == 7);
  CHECK(p.bounds().last == 2);
  CHECK(p.bounds().min_at == kMin);
  CHECK(p.bounds().max_at == kMax);
  audit::Unpacker u(p.blob());
  for (const auto& want : in) {
    audit::Stored got;
    REQUIRE(u.next(got));
    CHECK(got.seq == want.seq);
    CHECK(got.at == want.at);
    CHECK(got.action == want.action);
    CHECK(got.allowed == want.allowed);
    CHECK(got.subject_bytes() == want.subject_bytes());
    CHECK(got.erased == want.erased);
    if (want.erased)
      CHECK(got.payload_hash == want.payload_hash);
    else
      CHECK(got.ids == want.ids);
    CHECK(got.chain == want.chain);
  }
  audit::Stored more;
  CHECK_FALSE(u.next(more));
  CHECK_FALSE(u.damaged());
  // A row cut short gives the entries before the cut and no entry made up of what is left (the
  // missing ones show in its locators, which verify() checks).
  const auto blob = p.blob();
  for (std::size_t n = 0; n < blob.size(); ++n) {
    audit::Unpacker cut(blob.first(n));
    std::size_t read = 0;
    while (cut.next(more)) {
      REQUIRE(read < in.size());
      CHECK(more.chain == in[read].chain);
      ++read;
    }
    CHECK(read < in.size());
  }
}

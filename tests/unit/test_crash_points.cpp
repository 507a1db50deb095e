// Every multi-file operation killed at every fault point it reaches (a real process exit, no
// destructor): the reopened store is whole and in exactly the state before the operation or the
// state after it, never a mix; the audit log verifies; the store checks clean; an erasure past its
// data commit never comes back; no half directory is left under a backup's or a store's name; and
// the next run of the operation succeeds. The list of points of each operation is compared with
// what a normal run reaches, so a new step without a kill test fails here.
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "faults.hpp"
#include "records_fixture.hpp"
#include "store/layout.hpp"
#include "support.hpp"

using amanah::CustomerStore;
using amanah::SecretBytes;
using amanah::test::killed_at;
using amanah::test::TempDir;

namespace {

namespace fsys = std::filesystem;
constexpr std::int64_t kDay = 86400;

// Full names expire 30 days after the customer's last change: what the sweep erases.
std::string manifest_toml(bool with_phone) {
  std::string t = amanah::test::kManifestToml;
  if (!with_phone) {
    const auto at = t.find("phone      =");
    t.erase(at, t.find('\n', at) + 1 - at);
  }
  return t + amanah::test::kPermitAllToml +
         "[retention]\nidentity = { keep = \"30d\", from = \"last_activity\" }\n";
}

// What a crash must leave whole: every customer's values (by insertion order, so that two
// fixtures compare), the manifest in force, the key generation and KEK epoch, the counts check()
// sees, and what is under the operation's target name (a backup, a restored or created store).
struct State {
  std::vector<std::optional<amanah::FieldValues>> customers;
  std::vector<std::string> fields;
  std::uint64_t generation = 0, kek_epoch = 0;
  std::uint64_t keys = 0, consents = 0, tombstones = 0;
  std::string target;
  bool operator==(const State&) const = default;
};

std::string describe(const State& s) {
  std::string out = "present:";
  for (const auto& c : s.customers)
    out += c ? " " + std::to_string(c->size()) : std::string(" -");
  out += " fields=" + std::to_string(s.fields.size()) + " gen=" + std::to_string(s.generation) +
         " kek=" + std::to_string(s.kek_epoch) + " keys=" + std::to_string(s.keys) +
         " consents=" + std::to_string(s.consents) + " tombstones=" + std::to_string(s.tombstones) +
         " target=" + s.target;
  return out;
}

struct Fixture {
  TempDir tmp;
  SecretBytes raw = SecretBytes::random(32);
  fsys::path dir = tmp / "s";
  fsys::path ledger = tmp / "erasures.log";
  fsys::path target = tmp / "t";  // a backup's, a restore's or a create's
  bool target_is_backup = false;
  std::shared_ptr<amanah::test::ManualClock> clock = std::make_shared<amanah::test::ManualClock>();
  std::vector<amanah::CustomerId> ids;

  Fixture() {
    auto store =
        CustomerStore::create(dir, *key(), amanah::Manifest::from_toml(manifest_toml(true)),
                              {.clock = clock, .erasure_ledger = sink()});
    for (int i = 0; i < 5; ++i)
      ids.push_back(store.insert(amanah::test::kSupport, amanah::test::customer(i)));
    ids.push_back(store.insert(amanah::test::kSupport, {{"full_name", "Only A Name"}}));
    (void)store.consents().grant(amanah::test::kSupport, ids[1], "marketing",
                                 {.source = "form", .notice_version = "2026-01"});
    (void)store.backup(amanah::test::kDpo, tmp / "b0");  // holds ids[4], erased next
    (void)store.erase(amanah::test::kDpo, ids[4]);
  }
  // A copy of what `from` holds on disk (e.g. what a kill left), under a directory of its own.
  struct Copy {};
  Fixture(Copy, const Fixture& from)
      : raw(from.raw.clone()), target_is_backup(from.target_is_backup), ids(from.ids) {
    fsys::copy(from.tmp.path(), tmp.path(), fsys::copy_options::recursive);
    target = tmp.path() / from.target.filename();
    clock->set(from.clock->seconds());
  }
  [[nodiscard]] std::unique_ptr<amanah::KeyProvider> key() const {
    return amanah::raw_key(raw.clone());
  }
  [[nodiscard]] std::shared_ptr<amanah::FileErasureLedger> sink() const {
    return std::make_shared<amanah::FileErasureLedger>(ledger);
  }
  [[nodiscard]] CustomerStore open(const fsys::path& at) const {
    return CustomerStore::open(at, *key(), {.clock = clock, .erasure_ledger = sink()});
  }
  [[nodiscard]] CustomerStore open() const { return open(dir); }

  [[nodiscard]] State state_of(CustomerStore& store) const {
    State s;
    for (const auto& id : ids) {
      try {
        s.customers.emplace_back(store.get(amanah::test::kDpo, id).fields);
      } catch (const amanah::Error& e) {
        REQUIRE(e.code() == amanah::ErrorCode::NotFound);
        s.customers.emplace_back(std::nullopt);
      }
    }
    for (const auto& f : store.manifest().fields())
      s.fields.push_back(f.name);
    s.generation = store.key_generation();
    s.kek_epoch = store.kek_epoch();
    const auto check = store.check();
    CHECK(check.customers == store.size());
    s.keys = check.subject_keys;
    s.consents = check.consent_events;
    s.tombstones = check.tombstones;
    CHECK(store.audit().verify().ok());
    return s;
  }
};

// Which store a test reopens after the kill, and what is under the target name.
std::string target_of(const Fixture& f) {
  if (!fsys::exists(f.target)) return "absent";
  const auto key = f.key();
  if (f.target_is_backup)
    return "backup of " + std::to_string(amanah::verify_backup(f.target, *key).customers);
  auto store = CustomerStore::open(f.target, *key);
  CHECK(store.audit().verify().ok());
  const auto check = store.check();
  return "store of " + std::to_string(check.customers) + " with " +
         std::to_string(check.tombstones) + " tombstones";
}

struct Op {
  const char* name;
  // The points a normal run reaches, in order (a point reached twice is listed twice).
  std::vector<std::string> points;
  // The first point from which only the after-state may be found (the commit that decides).
  std::optional<std::string> decided_at;
  std::function<void(Fixture&)> run;  // in the child: opens what it needs, no close
};

const amanah::Manifest& without_phone() {
  static const amanah::Manifest m = amanah::Manifest::from_toml(manifest_toml(false));
  return m;
}

const std::vector<std::string> kSlots = {"keyslots:temp-synced", "keyslots:renamed"};
std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
const std::vector<std::string> kLedgerScrub = {"ledger:appended", "ledger:recorded",
                                               "scrub:vacuumed"};

const std::vector<Op>& ops() {
  static const std::vector<Op> all = {
      {"rekey",
       kSlots + std::vector<std::string>{"rekey:marked", "rekey:data-done", "rekey:keys-done"} +
           kSlots,
       "rekey:marked", [](Fixture& f) { f.open().rekey(); }},
      {"rotate",
       kSlots +
           std::vector<std::string>{"rotate:marked", "rotate:rewrapped", "rotate:checkpointed"} +
           kSlots,
       "rotate:marked", [](Fixture& f) { f.open().rotate_kek(); }},
      {"erase",
       std::vector<std::string>{"erase:before-commit", "erase:doomed", "erase:committed",
                                "erase:keys-destroyed"} +
           kLedgerScrub,
       "erase:committed", [](Fixture& f) { (void)f.open().erase(amanah::test::kDpo, f.ids[1]); }},
      {"sweep",
       std::vector<std::string>{"sweep:doomed", "sweep:committed", "sweep:keys-destroyed",
                                "erase:keys-destroyed"} +
           kLedgerScrub,
       "sweep:committed",
       [](Fixture& f) {
         f.clock->advance(31 * kDay);
         (void)f.open().retention().sweep(amanah::test::kDpo);
       }},
      {"change_manifest",
       {"manifest:committed", "manifest:checkpointed", "manifest:vacuumed"},
       "manifest:committed",
       [](Fixture& f) {
         f.open().change_manifest(amanah::test::kDpo, without_phone(),
                                  {.erase_removed_fields = true, .erasure_ledger = f.sink()});
       }},
      {"open_with_manifest",
       {"manifest:committed", "manifest:checkpointed", "manifest:vacuumed"},
       "manifest:committed",
       [](Fixture& f) {
         (void)CustomerStore::open(
             f.dir, *f.key(), without_phone(),
             {.erase_removed_fields = true, .clock = f.clock, .erasure_ledger = f.sink()});
       }},
      {"backup",
       std::vector<std::string>{"backup:snapshot", "backup:data-copied", "backup:keys-copied"} +
           kSlots + std::vector<std::string>{"backup:before-rename", "place:renamed"},
       "place:renamed", [](Fixture& f) { (void)f.open().backup(amanah::test::kDpo, f.target); }},
      {"restore",
       std::vector<std::string>{"restore:staged", "restore:audited", "erase:before-commit",
                                "erase:doomed", "erase:committed", "erase:keys-destroyed",
                                "scrub:vacuumed", "restore:replayed", "restore:before-rename",
                                "place:renamed"},
       "place:renamed",
       [](Fixture& f) {
         (void)amanah::restore(f.tmp / "b0", f.target, *f.key(),
                               {.ledger_file = f.ledger, .clock = f.clock});
       }},
      {"create",
       std::vector<std::string>{"create:data-db", "create:keys-db"} + kSlots +
           std::vector<std::string>{"create:before-rename", "create:renamed"},
       "create:renamed",
       [](Fixture& f) {
         (void)CustomerStore::create(f.target, *f.key(),
                                     amanah::Manifest::from_toml(manifest_toml(true)));
       }},
  };
  return all;
}

const Op& op_named(std::string_view name) {
  for (const auto& op : ops())
    if (op.name == name) return op;
  FAIL("no such operation");
  throw;
}

State state_after_reopen(Fixture& f) {
  State s;
  {
    auto store = f.open();
    s = f.state_of(store);
  }
  s.target = target_of(f);
  return s;
}

// The second run of the operation, on what the kill left: it must succeed.
void run_again(std::string_view op, Fixture& f) {
  if (op == "erase") {
    auto store = f.open();
    try {
      (void)store.erase(amanah::test::kDpo, f.ids[1]);
    } catch (const amanah::Error& e) {
      CHECK(e.code() == amanah::ErrorCode::NotFound);  // erased already
    }
    return;
  }
  if (op == "backup" || op == "restore" || op == "create") {
    // Under a new name when the first run got its result into place.
    if (fsys::exists(f.target)) f.target = f.tmp / "t2";
  }
  op_named(op).run(f);
}

// What an uninterrupted run must have done, in absolute terms (the reference run the kills are
// compared with must itself be right).
void expect_after(std::string_view op, const State& before, const State& after) {
  State want = before;
  if (op == "rekey") ++want.generation;
  if (op == "rotate") ++want.kek_epoch;
  if (op == "erase") {
    want.customers[1].reset();
    --want.keys;
    --want.consents;
    ++want.tombstones;
  }
  if (op == "sweep") {
    // Full names expired: the customer who had nothing else is erased whole.
    for (std::size_t i = 0; i < 4; ++i)
      want.customers[i]->erase("full_name");
    want.customers[5].reset();
    --want.keys;
    ++want.tombstones;
  }
  if (op == "change_manifest" || op == "open_with_manifest") {
    std::erase(want.fields, "phone");
    for (std::size_t i = 0; i < 4; ++i)
      want.customers[i]->erase("phone");
  }
  // The backup holds the 5 customers left; the restore of the first backup (6 customers) replays
  // the erasure the ledger has, so the erased customer does not come back.
  if (op == "backup") want.target = "backup of 5";
  if (op == "restore") want.target = "store of 5 with 1 tombstones";
  if (op == "create") want.target = "store of 0 with 0 tombstones";
  CHECK(describe(after) == describe(want));
  CHECK((after == want));  // not decomposed: no value in a message
}

// The names of the fault points `body` reaches, in order.
std::vector<std::string> trace_of(const std::function<void()>& body) {
  std::vector<std::string> seen;
  amanah::detail::store::g_fault_point = [&seen](std::string_view at) { seen.emplace_back(at); };
  try {
    body();
  } catch (...) {
    amanah::detail::store::g_fault_point = nullptr;
    throw;
  }
  amanah::detail::store::g_fault_point = nullptr;
  return seen;
}

// The store every run starts from, made once; each run works on a copy of its files (much
// quicker than a store made anew: no key derivation, no fsync per write).
const Fixture& base() {
  static const Fixture made;
  return made;
}

}  // namespace

TEST_CASE("the fault points each operation reaches are the ones killed below", "[crash]") {
  for (const auto& op : ops()) {
    CAPTURE(op.name);
    Fixture f(Fixture::Copy{}, base());
    f.target_is_backup = std::string_view(op.name) == "backup";
    CHECK(trace_of([&] { op.run(f); }) == op.points);
  }
}

TEST_CASE("an operation killed at any fault point leaves the before or the after state",
          "[crash]") {
  const std::string name =
      GENERATE(as<std::string>{}, "rekey", "rotate", "erase", "sweep", "change_manifest",
               "open_with_manifest", "backup", "restore", "create");
  const Op& op = op_named(name);
  // The states before and after an uninterrupted run, on a fixture of their own.
  State before, after;
  {
    Fixture f(Fixture::Copy{}, base());
    f.target_is_backup = name == "backup";
    before = state_after_reopen(f);
    op.run(f);
    after = state_after_reopen(f);
  }
  expect_after(name, before, after);
  std::map<std::string, int> reached;
  bool decided = false;
  for (const auto& point : op.points) {
    const int nth = ++reached[point];
    if (op.decided_at && point == *op.decided_at) decided = true;
    CAPTURE(name, point, nth);
    Fixture f(Fixture::Copy{}, base());
    f.target_is_backup = name == "backup";
    REQUIRE(killed_at(
        point, [&] { op.run(f); }, nth));
    // The reopen recovers what the kill left: it is killed in turn at each point it reaches (on
    // copies of what the first kill left), and the next reopen must still find one of the states.
    std::vector<std::string> recovery;
    {
      Fixture probe(Fixture::Copy{}, f);
      recovery = trace_of([&] { (void)probe.open(); });
    }
    std::map<std::string, int> reached_again;
    for (const auto& q : recovery) {
      const int k = ++reached_again[q];
      CAPTURE(q, k);
      Fixture g(Fixture::Copy{}, f);
      REQUIRE(killed_at(
          q, [&] { (void)g.open(); }, k));
      const State recovered = state_after_reopen(g);
      CAPTURE(describe(recovered));
      if (decided)
        CHECK((recovered == after));
      else
        CHECK((recovered == before || recovered == after));
    }
    const State now = state_after_reopen(f);
    CAPTURE(describe(now), describe(before), describe(after));
    if (decided)
      CHECK((now == after));
    else
      CHECK((now == before || now == after));
    if (name == "erase" && decided) {
      // The erased customer's tombstone reached the ledger (at the latest at the reopen).
      // A line handed again after a kill before its number was recorded is a repeat, which a
      // restore skips.
      std::set<std::uint64_t> seqs;
      for (const auto& e : amanah::FileErasureLedger::read(f.ledger))
        seqs.insert(e.tombstone.seq);
      CHECK(seqs == std::set<std::uint64_t>{1, 2});
    }
    run_again(name, f);
    const State again = state_after_reopen(f);
    CHECK((again.customers == after.customers));  // compared, never printed
    CHECK(again.fields == after.fields);
  }
}

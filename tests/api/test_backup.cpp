// Backups, checks, restores with the erasure ledger, through the public API.
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "support.hpp"

using namespace amanah;
using amanah::test::ManualClock;
using amanah::test::TempDir;

namespace {

namespace fsys = std::filesystem;

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kStart = 1'767'225'600;  // 2026-01-01T00:00:00Z

constexpr const char* kToml = R"toml(
[store]
name = "Backup test"

[purposes.service]
basis = "contract"
[purposes.marketing]
basis = "consent"

[roles.support]
[roles.dpo]
[roles.ops]

[fields]
full_name   = { type = "text",  category = "identity",   purposes = ["service"] }
email       = { type = "email", category = "contact",    purposes = ["service", "marketing"], lookup = true }
last_viewed = { type = "text",  category = "behavioral", purposes = ["service"] }
card        = { type = "card",  category = "sensitive",  purposes = ["service"] }

[retention]
behavioral = { keep = "365d", from = "last_activity" }

[[permit]]
id = "support-works"
roles = ["support"]
actions = ["read", "create", "update", "manage_consent"]

[[permit]]
id = "dpo-all"
roles = ["dpo"]
mask = "none"
restricted = true

[[permit]]
id = "ops-backup"
roles = ["ops"]
actions = ["backup"]
)toml";

const AccessContext kSupport{.actor = "agent-1", .roles = {"support"}, .purpose = "service"};
const AccessContext kDpo{.actor = "dpo-1", .roles = {"dpo"}, .purpose = "service"};
const AccessContext kOps{.actor = "backup-job", .roles = {"ops"}, .purpose = "service"};

FieldValues customer(int i) {
  return {{"full_name", "Customer " + std::to_string(i)},
          {"email", "c" + std::to_string(i) + "@example.com"},
          {"last_viewed", "/p/" + std::to_string(i)},
          {"card", "4111111111111111"}};
}

struct Fixture {
  TempDir tmp;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kStart);
  std::unique_ptr<KeyProvider> key = raw_key(SecretBytes::random(32));
  fsys::path ledger = tmp / "ledger" / "erasures.log";
  CustomerStore store = make();
  std::vector<CustomerId> ids;

  CustomerStore make() {
    fsys::create_directories(ledger.parent_path());
    return CustomerStore::create(
        tmp / "s", *key, Manifest::from_toml(kToml),
        CreateOptions{.clock = clock,
                      .erasure_ledger = std::make_shared<FileErasureLedger>(ledger)});
  }
  void fill(int n) {
    for (int i = 0; i < n; ++i)
      ids.push_back(store.insert(kSupport, customer(i)));
  }
};

void flip_byte(const fsys::path& file, std::uintmax_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

bool holds(CustomerStore& s, const CustomerId& id) {
  try {
    return !s.get(kDpo, id).fields.empty();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::NotFound) throw;
    return false;
  }
}

}  // namespace

TEST_CASE("backup: a consistent copy that opens with the store's key and verifies", "[backup]") {
  Fixture f;
  f.fill(20);
  REQUIRE(f.store.consents()
              .grant(kSupport, f.ids[0], "marketing",
                     {.source = "web-form", .notice_version = "2026-01"})
              .id > 0);
  const BackupInfo info = f.store.backup(kOps, f.tmp / "b1");
  CHECK(info.dir == fsys::absolute(f.tmp / "b1"));
  CHECK(info.store_id == f.store.store_id());
  CHECK(info.customers == 20);
  CHECK(info.taken_at == TimePoint(std::chrono::seconds(kStart)));
  CHECK(info.bytes > 0);
  CHECK(info.tombstone_seq == 0);

  // Nothing half-made is left beside it.
  for (const auto& e : fsys::directory_iterator(f.tmp.path()))
    CHECK_FALSE(e.path().filename().string().starts_with("."));

  const CheckReport r = verify_backup(f.tmp / "b1", *f.key);
  CHECK(r.customers == 20);
  CHECK(r.subject_keys >= 20);
  CHECK(r.consent_events == 1);
  REQUIRE(r.backup.has_value());
  CHECK(r.backup->audit_seq == info.audit_seq);
  CHECK(r.audit_entries == info.audit_seq);  // the copy ends at its own "backup" entry
  CHECK(r.backup->taken_at == info.taken_at);

  // The live store's entry for it is the copy's last one.
  f.store.close();
  auto copy = CustomerStore::open(f.tmp / "b1", *f.key);
  CHECK(copy.size() == 20);
  CHECK(copy.get(kDpo, f.ids[7]).fields.at("full_name") == "Customer 7");
  CHECK(copy.audit().verify().ok());
}

TEST_CASE("backup: with its own key, the copy opens with that key only", "[backup]") {
  Fixture f;
  f.fill(3);
  auto offsite = raw_key(SecretBytes::random(32));
  (void)f.store.backup(kOps, f.tmp / "b", {.key = offsite.get(), .label = "offsite"});
  REQUIRE_AMANAH_ERROR((void)verify_backup(f.tmp / "b", *f.key), ErrorCode::WrongKey);
  CHECK(verify_backup(f.tmp / "b", *offsite).customers == 3);
  auto copy = CustomerStore::open(f.tmp / "b", *offsite);
  REQUIRE(copy.unlock_methods().size() == 1);
  CHECK(copy.unlock_methods()[0].label == "offsite");
  CHECK(copy.get(kDpo, f.ids[2]).fields.at("full_name") == "Customer 2");
}

TEST_CASE("backup: needs the backup action, a new directory, outside the store", "[backup]") {
  Fixture f;
  f.fill(1);
  REQUIRE_THROWS_AS(f.store.backup(kSupport, f.tmp / "b"), AccessDenied);
  CHECK_FALSE(fsys::exists(f.tmp / "b"));
  fsys::create_directory(f.tmp / "taken");
  REQUIRE_AMANAH_ERROR((void)f.store.backup(kOps, f.tmp / "taken"), ErrorCode::AlreadyExists);
  REQUIRE_AMANAH_ERROR((void)f.store.backup(kOps, f.tmp / "s" / "inside"),
                       ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR((void)f.store.backup(kOps, f.tmp / "no" / "parent"), ErrorCode::NotFound);
  // "dir/" names the directory dir, as it does for create and open.
  const BackupInfo slash = f.store.backup(kOps, (f.tmp / "slash").string() + "/");
  CHECK(slash.dir == fsys::absolute(f.tmp / "slash"));
  CHECK(verify_backup(f.tmp / "slash", *f.key).customers == 1);
}

TEST_CASE("restore: a customer erased after the backup stays erased (ledger file)", "[backup]") {
  Fixture f;
  f.fill(10);
  (void)f.store.backup(kOps, f.tmp / "b");
  f.clock->advance(kDay);
  const auto receipt = f.store.erase(kDpo, f.ids[3]);
  (void)f.store.erase(kDpo, f.ids[8], ErasureReason::consent_withdrawn);
  const auto live_tombstones = f.store.retention().tombstones();
  REQUIRE(FileErasureLedger::read(f.ledger).size() == 2);

  const RestoreReport r =
      restore(f.tmp / "b", f.tmp / "restored", *f.key, {.ledger_file = f.ledger, .clock = f.clock});
  CHECK(r.ledger_entries == 2);
  CHECK(r.replayed == 2);
  CHECK(r.already_erased == 0);
  CHECK_FALSE(r.without_ledger);
  CHECK(r.backup.customers == 10);

  auto back = CustomerStore::open(f.tmp / "restored", *f.key);
  CHECK(back.size() == 8);
  REQUIRE_AMANAH_ERROR((void)back.get(kDpo, f.ids[3]), ErrorCode::NotFound);
  REQUIRE_AMANAH_ERROR((void)back.get(kDpo, f.ids[8]), ErrorCode::NotFound);
  for (int i : {0, 1, 2, 4, 5, 6, 7, 9})
    CHECK(back.get(kDpo, f.ids[static_cast<std::size_t>(i)]).fields ==
          f.store.get(kDpo, f.ids[static_cast<std::size_t>(i)]).fields);
  CHECK(back.audit().verify().ok());
  CHECK(back.check().customers == 8);
  // The replayed tombstones keep the erasures' own times and reasons.
  const auto t = back.retention().tombstones();
  REQUIRE(t.size() == 2);
  CHECK(t[0].subject == receipt.subject);
  CHECK(t[0].at == live_tombstones[0].at);
  CHECK(t[1].reason == ErasureReason::consent_withdrawn);

  // Restoring again from the same backup and ledger gives the same store; the restored store's
  // own tombstones count as already replayed.
  back.close();
  const RestoreReport again =
      restore(f.tmp / "b", f.tmp / "again", *f.key, {.ledger_file = f.ledger, .clock = f.clock});
  CHECK(again.replayed == 2);
}

TEST_CASE("restore: the live store's tombstones serve as the ledger", "[backup]") {
  Fixture f;
  f.fill(5);
  (void)f.store.backup(kOps, f.tmp / "b");
  (void)f.store.erase(kDpo, f.ids[1]);
  const RestoreReport r =
      restore(f.tmp / "b", f.tmp / "r", *f.key, {.ledger_store = &f.store, .clock = f.clock});
  CHECK(r.replayed == 1);
  auto back = CustomerStore::open(f.tmp / "r", *f.key);
  CHECK(back.size() == 4);
  REQUIRE_AMANAH_ERROR((void)back.get(kDpo, f.ids[1]), ErrorCode::NotFound);
}

TEST_CASE("restore: without a ledger it is refused, unless explicit; then it is recorded",
          "[backup]") {
  Fixture f;
  f.fill(4);
  (void)f.store.backup(kOps, f.tmp / "b");
  (void)f.store.erase(kDpo, f.ids[0]);
  REQUIRE_AMANAH_ERROR((void)restore(f.tmp / "b", f.tmp / "r", *f.key, {}),
                       ErrorCode::InvalidArgument);
  CHECK_FALSE(fsys::exists(f.tmp / "r"));

  const RestoreReport r =
      restore(f.tmp / "b", f.tmp / "r", *f.key, {.without_ledger = true, .clock = f.clock});
  CHECK(r.without_ledger);
  CHECK(r.replayed == 0);
  auto back = CustomerStore::open(f.tmp / "r", *f.key);
  CHECK(back.size() == 4);  // the erased customer is back: exactly what the flag says
  std::vector<std::string> actions;
  for (const auto& e : back.audit().accesses(kDpo, "amanah:restore"))
    actions.push_back(e.action);
  CHECK(std::find(actions.begin(), actions.end(), "restore_without_ledger") != actions.end());
  CHECK(back.audit().verify().ok());
}

TEST_CASE("restore: an edited or foreign ledger line is Corrupt and nothing is restored",
          "[backup]") {
  Fixture f;
  f.fill(3);
  (void)f.store.backup(kOps, f.tmp / "b");
  (void)f.store.erase(kDpo, f.ids[2]);
  std::string text = amanah::test::read_file(f.ledger);
  // Point the entry at another customer: the MAC no longer verifies.
  const auto entry = FileErasureLedger::read(f.ledger).at(0);
  const std::size_t at = text.find(entry.tombstone.subject);
  REQUIRE(at != std::string::npos);
  text[at] = text[at] == '0' ? '1' : '0';
  const auto edited = f.tmp / "ledger" / "edited.log";
  amanah::test::write_file(edited, text);
  const std::string msg = amanah::test::error_message(
      [&] { (void)restore(f.tmp / "b", f.tmp / "r", *f.key, {.ledger_file = edited}); },
      ErrorCode::Corrupt);
  CHECK(msg.find("line 1") != std::string::npos);
  CHECK_FALSE(fsys::exists(f.tmp / "r"));
  for (const auto& e : fsys::directory_iterator(f.tmp.path()))
    CHECK_FALSE(e.path().filename().string().starts_with("."));
  // A missing ledger file is not "no erasures".
  REQUIRE_AMANAH_ERROR(
      (void)restore(f.tmp / "b", f.tmp / "r", *f.key, {.ledger_file = f.tmp / "nope.log"}),
      ErrorCode::NotFound);
}

TEST_CASE("restore: retention is swept right after the replay", "[backup]") {
  Fixture f;
  f.fill(2);
  (void)f.store.backup(kOps, f.tmp / "b");
  f.clock->advance(400 * kDay);  // last_viewed (behavioral, 365 days) expired meanwhile
  const RestoreReport r =
      restore(f.tmp / "b", f.tmp / "r", *f.key, {.ledger_file = f.ledger, .clock = f.clock});
  CHECK(r.ledger_entries == 0);
  REQUIRE(r.sweep.lines.size() == 1);
  CHECK(r.sweep.lines[0].field == "last_viewed");
  CHECK(r.sweep.lines[0].values == 2);
  auto back = CustomerStore::open(f.tmp / "r", *f.key);
  CHECK_FALSE(back.get(kDpo, f.ids[0]).fields.contains("last_viewed"));
}

TEST_CASE("verify_backup: a flipped byte in any file is Corrupt naming the file", "[backup]") {
  Fixture f;
  f.fill(30);
  (void)f.store.backup(kOps, f.tmp / "b");
  for (const char* name : {"data.db", "keys.db", "keyslots"}) {
    CAPTURE(name);
    const auto copy = f.tmp / (std::string("c-") + name);
    fsys::copy(f.tmp / "b", copy);
    const auto file = copy / name;
    flip_byte(file, fsys::file_size(file) / 2 + 100);
    const std::string msg =
        amanah::test::error_message([&] { (void)verify_backup(copy, *f.key); }, ErrorCode::Corrupt);
    CHECK(msg.find(name) != std::string::npos);
    REQUIRE_AMANAH_ERROR((void)restore(copy, f.tmp / "r", *f.key, {.ledger_file = f.ledger}),
                         ErrorCode::Corrupt);
    CHECK_FALSE(fsys::exists(f.tmp / "r"));
  }
  CHECK(verify_backup(f.tmp / "b", *f.key).customers == 30);  // the original is intact
}

TEST_CASE("check: the live store's counts, and a damaged page nobody reads is found", "[backup]") {
  Fixture f;
  f.fill(200);
  const CheckReport r = f.store.check();
  CHECK(r.customers == 200);
  CHECK(r.audit_entries > 0);
  CHECK_FALSE(r.backup.has_value());
  f.store.close();
  const auto file = f.tmp / "s" / "data.db";
  flip_byte(file, fsys::file_size(file) / 2 + 100);  // a page no call at open reads
  auto store = CustomerStore::open(f.tmp / "s", *f.key);
  const std::string msg =
      amanah::test::error_message([&] { (void)store.check(); }, ErrorCode::Corrupt);
  CHECK(msg.find("data.db") != std::string::npos);
}

TEST_CASE("erasure ledger: entries a failing sink missed are handed again", "[backup]") {
  struct Flaky final : ErasureLedgerSink {
    bool fail = true;
    std::vector<LedgerEntry> got;
    void append(const LedgerEntry& e) override {
      if (fail) throw std::runtime_error("sink down");
      got.push_back(e);
    }
  };
  TempDir tmp;
  auto key = raw_key(SecretBytes::random(32));
  auto sink = std::make_shared<Flaky>();
  CustomerId a, b;
  {
    auto store = CustomerStore::create(tmp / "s", *key, Manifest::from_toml(kToml),
                                       {.erasure_ledger = sink});
    a = store.insert(kSupport, customer(1));
    b = store.insert(kSupport, customer(2));
    (void)store.erase(kDpo, a);  // the sink fails: the erasure still happens
    REQUIRE_AMANAH_ERROR((void)store.get(kDpo, a), ErrorCode::NotFound);
    sink->fail = false;
    (void)store.erase(kDpo, b);  // hands both
    REQUIRE(sink->got.size() == 2);
    CHECK(sink->got[0].tombstone.seq == 1);
    CHECK(sink->got[1].tombstone.seq == 2);
  }
  // Entries taken are not handed again: a fresh sink at the next open gets nothing.
  auto fresh = std::make_shared<Flaky>();
  fresh->fail = false;
  auto store = CustomerStore::open(tmp / "s", *key, {.erasure_ledger = fresh});
  CHECK(fresh->got.empty());
  // A ledger inside the store's directory is refused.
  store.close();
  REQUIRE_AMANAH_ERROR(
      (void)CustomerStore::open(
          tmp / "s", *key,
          {.erasure_ledger = std::make_shared<FileErasureLedger>(tmp / "s" / "ledger")}),
      ErrorCode::InvalidArgument);
}

TEST_CASE("backup: taken while 2 threads write, restores to exactly the backup's moment",
          "[backup][concurrency]") {
  Fixture f;
  f.fill(10);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<CustomerId> written[2];
  const auto count = [&] {
    std::lock_guard g(mu);
    return std::pair{written[0].size(), written[1].size()};
  };
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      int i = 0;
      while (!stop.load()) {
        const CustomerId id = f.store.insert(kSupport, customer(1000 * (t + 1) + i++));
        std::lock_guard g(mu);
        written[t].push_back(id);
      }
    });
  }
  while (count().first < 20 || count().second < 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const BackupInfo info = f.store.backup(kOps, f.tmp / "b");
  for (const auto at = count(); count().first < at.first + 20 || count().second < at.second + 20;)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& w : writers)
    w.join();

  (void)restore(f.tmp / "b", f.tmp / "r", *f.key, {.ledger_file = f.ledger, .clock = f.clock});
  auto back = CustomerStore::open(f.tmp / "r", *f.key);
  CHECK(back.size() == info.customers);
  CHECK(back.size() < f.store.size());  // the writers went on after the backup's moment
  // A point in time: of each writer's customers, the copy holds exactly a first part.
  std::size_t held = 0;
  for (const auto& ids : written) {
    std::size_t prefix = 0;
    while (prefix < ids.size() && holds(back, ids[prefix]))
      ++prefix;
    for (std::size_t i = prefix; i < ids.size(); ++i)
      CHECK_FALSE(holds(back, ids[i]));
    held += prefix;
  }
  CHECK(held + 10 == info.customers);
  CHECK(back.audit().verify().ok());
}

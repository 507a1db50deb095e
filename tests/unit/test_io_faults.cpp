// I/O-fault sweeps: every write path of the store run under a VFS that fails its Nth read, write,
// sync, lock or truncate (faulty_vfs.hpp), for every N the unfaulted run reaches. Each call either
// completes (all of its effect there) or fails with amanah::Error having changed nothing; either
// way the store reopens with its audit chain intact, check() passes, and what it holds is what
// the call reported.
#include <sqlite3.h>
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faults.hpp"
#include "faulty_vfs.hpp"
#include "records_fixture.hpp"
#include "support.hpp"

namespace {

namespace fsys = std::filesystem;
using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::test::FaultyVfs;
using amanah::test::IoFault;
using amanah::test::IoKind;
using amanah::test::kDpo;
using amanah::test::kSupport;
using amanah::test::TempDir;

const amanah::ConsentEvidence kEvidence{.source = "signup-form", .notice_version = "2026-01"};

// What a store holds, as its public API shows it (audit entries aside: reads add them).
}  // namespace
struct Snapshot {
  std::size_t size = 0;
  std::vector<std::pair<std::string, amanah::FieldValues>> records;      // by id; "new" if unknown
  std::map<std::string, std::optional<amanah::ConsentState>> marketing;  // none: erased
  std::uint64_t customers = 0, subject_keys = 0, consent_events = 0, tombstones = 0;
  std::uint64_t generation = 0, epoch = 0;
  // subject_keys aside: it counts the pool of fresh keys, which a failed call may have refilled
  // in a transaction of its own (keys no one holds).
  bool operator==(const Snapshot& o) const {
    return size == o.size && records == o.records && marketing == o.marketing &&
           customers == o.customers && consent_events == o.consent_events &&
           tombstones == o.tombstones && generation == o.generation && epoch == o.epoch;
  }
};
namespace {}  // namespace

// Failure messages name counts, field names and states, never a value.
template <>
struct Catch::StringMaker<Snapshot> {
  static std::string convert(const Snapshot& s) {
    std::string out = "size " + std::to_string(s.size) + ", customers " +
                      std::to_string(s.customers) + ", keys " + std::to_string(s.subject_keys) +
                      ", consent events " + std::to_string(s.consent_events) + ", tombstones " +
                      std::to_string(s.tombstones) + ", generation " +
                      std::to_string(s.generation) + ", epoch " + std::to_string(s.epoch) +
                      ", records [";
    for (const auto& [id, fields] : s.records) {
      out += id.substr(0, 6) + ":";
      for (const auto& [name, value] : fields)
        out += name + (value.empty() ? "(empty) " : " ");
      out += "; ";
    }
    out += "], marketing [";
    for (const auto& [id, state] : s.marketing)
      out += id.substr(0, 6) + "=" + (state ? std::to_string(static_cast<int>(*state)) : "-") + " ";
    return out + "]";
  }
};

namespace {

// A directory for a sweep's stores: on tmpfs (/dev/shm) when there is one, since a sweep opens
// and closes thousands of stores and fsync there costs nothing (the faults are the VFS's anyway).
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    if (fsys::is_directory("/dev/shm", ec)) {
      // One directory per process, removed at exit (after the template, made inside it).
      static const Under root(fsys::path("/dev/shm"),
                              "amanah-iofault-" + std::to_string(::getpid()));
      dir_.emplace(root.path, "d" + std::to_string(next_++));
    } else {
      temp_.emplace();
    }
  }
  const fsys::path& path() const { return dir_ ? dir_->path : temp_->path(); }
  fsys::path operator/(std::string_view name) const { return path() / name; }

 private:
  // A fresh directory below `root`, removed on destruction.
  struct Under {
    fsys::path path;
    Under(const fsys::path& root, const std::string& name) : path(root / name) {
      fsys::create_directory(path);
    }
    ~Under() {
      std::error_code ec;
      fsys::remove_all(path, ec);
    }
    Under(const Under&) = delete;
    Under& operator=(const Under&) = delete;
  };
  static inline std::atomic<unsigned> next_{0};
  std::optional<Under> dir_;
  std::optional<TempDir> temp_;
};

// The template: five customers (one without a phone, to be merged; two with consents), a
// backup, then an erasure the ledger (outside the store) records for a restore to replay.
struct Template {
  ScratchDir tmp;
  amanah::SecretBytes raw = amanah::SecretBytes::random(32);
  std::vector<CustomerId> ids;
  Template() {
    auto store = CustomerStore::create(
        tmp / "s", *amanah::raw_key(raw.clone()),
        amanah::Manifest::from_toml(std::string(amanah::test::kManifestToml) +
                                    amanah::test::kPermitAllToml),
        {.erasure_ledger = std::make_shared<amanah::FileErasureLedger>(tmp / "ledger.log")});
    for (int i = 0; i < 4; ++i)
      ids.push_back(store.insert(kSupport, amanah::test::customer(i)));
    ids.push_back(
        store.insert(kSupport, {{"full_name", "Absorbed"}, {"birth_date", "1990-05-17"}}));
    (void)store.consents().grant(kSupport, ids[1], "marketing", kEvidence);
    (void)store.consents().grant(kSupport, ids[4], "marketing", kEvidence);
    (void)store.backup(kDpo, tmp / "backup");
    (void)store.erase(kDpo, ids[0]);
  }
  static Template& get() {
    static Template t;
    return t;
  }
};

Snapshot snapshot(CustomerStore& store, const std::vector<CustomerId>& ids) {
  Snapshot s;
  s.size = store.size();
  for (const amanah::Record& r : store.scan(kDpo)) {
    bool known = false;
    for (const auto& id : ids)
      known = known || id == r.id;
    s.records.emplace_back(known ? r.id.str() : "new", r.fields);
  }
  std::sort(s.records.begin(), s.records.end());
  for (const auto& id : ids) {
    try {
      s.marketing[id.str()] = store.consents().state(id, "marketing");
    } catch (const amanah::Error& e) {
      if (e.code() != ErrorCode::NotFound) throw;
      s.marketing[id.str()] = std::nullopt;
    }
  }
  const auto c = store.check();
  s.customers = c.customers;
  s.subject_keys = c.subject_keys;
  s.consent_events = c.consent_events;
  s.tombstones = c.tombstones;
  REQUIRE(s.subject_keys >= s.customers);
  s.generation = store.key_generation();
  s.epoch = store.kek_epoch();
  return s;
}

// One iteration's own copy of the template.
struct Work {
  ScratchDir tmp;
  Work() { fsys::copy(Template::get().tmp.path(), tmp.path(), fsys::copy_options::recursive); }
  CustomerStore open() const {
    return CustomerStore::open(
        tmp / "s", *amanah::raw_key(Template::get().raw.clone()),
        {.erasure_ledger = std::make_shared<amanah::FileErasureLedger>(tmp / "ledger.log")});
  }
};

// An operation under test: runs on the open store (or, for restore, beside it), and reads the
// state it left (the store's, or the restored store's).
struct Op {
  const char* name;
  std::function<void(const Work&, CustomerStore&)> run;
  bool restore = false;  // the state to compare is the restored store's
  // Rekey and KEK rotation record their intent in the keyslots first. A step that fails before
  // anything is re-encrypted or re-wrapped takes the intent back: the store stays open, as it was.
  // A later one closes the store, and the next open completes the change (store/core.cpp).
  bool rolls_forward = false;
};

std::vector<Op> ops() {
  const auto& ids = Template::get().ids;
  return {
      {"insert",
       [](const Work&, CustomerStore& s) { (void)s.insert(kSupport, amanah::test::customer(9)); }},
      {"update",
       [ids](const Work&, CustomerStore& s) {
         s.update(kSupport, ids[1], {{"phone", "0813 1111 2222"}, {"notes", "moved"}});
       }},
      {"merge", [ids](const Work&, CustomerStore& s) { s.merge(kDpo, ids[2], ids[4]); }},
      {"consent grant",
       [ids](const Work&, CustomerStore& s) {
         (void)s.consents().grant(kSupport, ids[3], "marketing", kEvidence);
       }},
      {"erasure", [ids](const Work&, CustomerStore& s) { (void)s.erase(kDpo, ids[1]); }},
      {"rekey", [](const Work&, CustomerStore& s) { s.rekey(); }, false, true},
      {"rotate_kek", [](const Work&, CustomerStore& s) { s.rotate_kek(); }, false, true},
      {"backup", [](const Work& w, CustomerStore& s) { (void)s.backup(kDpo, w.tmp / "b2"); }},
      {"restore",
       [](const Work& w, CustomerStore&) {
         (void)amanah::restore(w.tmp / "backup", w.tmp / "r",
                               *amanah::raw_key(Template::get().raw.clone()),
                               {.ledger_file = w.tmp / "ledger.log"});
       },
       true},
  };
}

struct Kind {
  const char* name;
  IoKind kind;
  int error;
  bool persistent;
  std::vector<ErrorCode> codes;  // what a failure may be reported as
};

std::vector<Kind> kinds() {
  return {
      {"read error", IoKind::read, SQLITE_IOERR_READ, false, {ErrorCode::Io}},
      {"read error from N on", IoKind::read, SQLITE_IOERR_READ, true, {ErrorCode::Io}},
      {"fsync error from N on", IoKind::sync, SQLITE_IOERR_FSYNC, true, {ErrorCode::Io}},
      {"write error", IoKind::write, SQLITE_IOERR_WRITE, false, {ErrorCode::Io}},
      {"disk full from N on", IoKind::write, SQLITE_FULL, true, {ErrorCode::Io}},
      {"fsync error", IoKind::sync, SQLITE_IOERR_FSYNC, false, {ErrorCode::Io}},
      {"lock error", IoKind::lock, SQLITE_IOERR_LOCK, false, {ErrorCode::Io}},
      {"lock busy", IoKind::lock, SQLITE_BUSY, false, {ErrorCode::StoreLocked, ErrorCode::Io}},
      {"truncate error", IoKind::truncate, SQLITE_IOERR_TRUNCATE, false, {ErrorCode::Io}},
  };
}

// The state the operation left, read from a fresh open without faults: the chain verifies and
// check() passes on the way.
Snapshot reopened(const Work& w, const Op& op) {
  const auto& ids = Template::get().ids;
  auto store = op.restore
                   ? CustomerStore::open(w.tmp / "r", *amanah::raw_key(Template::get().raw.clone()))
                   : w.open();
  REQUIRE(store.audit().verify().ok());
  return snapshot(store, ids);
}

}  // namespace

TEST_CASE("every write survives a failing disk at every step", "[iofault]") {
  const auto all_ops = ops();
  const auto all_kinds = kinds();
  const auto op_index = GENERATE(Catch::Generators::range(0, 9));
  const Op& op = all_ops[static_cast<std::size_t>(op_index)];
  // AMANAH_IOFAULT_OP=<name> sweeps one operation only (while debugging one).
  if (const char* only = std::getenv("AMANAH_IOFAULT_OP");
      only != nullptr && op.name != std::string(only))
    return;
  const auto& ids = Template::get().ids;
  FaultyVfs vfs;

  // Before and after, from a run without faults; the restore's "before" is no store at all.
  Snapshot before, after;
  std::uint64_t counts[amanah::test::kIoKinds] = {};
  {
    Work w;
    auto store = w.open();
    before = snapshot(store, ids);
    vfs.reset();
    op.run(w, store);
    for (int k = 0; k < amanah::test::kIoKinds; ++k)
      counts[k] = vfs.count(static_cast<IoKind>(k));
    if (!op.restore) after = snapshot(store, ids);
    store.close();
    after = reopened(w, op);
  }
  if (op_index != 7 && !op.restore) REQUIRE(before != after);  // a backup changes no record

  const auto started = std::chrono::steady_clock::now();
  std::size_t runs = 0, failed = 0, undone = 0, closed = 0;
  for (const Kind& kind : all_kinds) {
    const std::uint64_t m = counts[static_cast<int>(kind.kind)];
    for (std::uint64_t n = 1; n <= m; ++n) {
      CAPTURE(op.name, kind.name, n, m);
      Work w;
      bool completed = false;
      bool rolled_forward = false;  // failed, closed, completed by the next open
      {
        auto store = w.open();
        vfs.arm({.kind = kind.kind, .nth = n, .error = kind.error, .persistent = kind.persistent});
        try {
          op.run(w, store);
          completed = true;
        } catch (const amanah::Error& e) {
          vfs.disarm();
          INFO("the call failed");
          const std::string code(amanah::to_string(e.code()));
          CAPTURE(code, e.message());
          bool expected = false;
          // A rekey that SQLCipher leaves unfinished is only seen as such ("did not complete").
          if (op.rolls_forward) expected = e.code() == ErrorCode::Database;
          for (const auto c : kind.codes)
            expected = expected || c == e.code();
          CHECK(expected);
        }
        vfs.disarm();
        INFO((completed ? "the call completed" : "the call failed"));
        ++runs;
        failed += completed ? 0 : 1;
        // In memory: the whole effect, or none of it.
        if (!completed && op.rolls_forward && !store.is_open()) {
          rolled_forward = true;  // fail closed: the next open finishes the change
          ++closed;
        } else if (!op.restore) {
          if (!completed && op.rolls_forward) ++undone;
          CHECK(snapshot(store, ids) == (completed ? after : before));
        }
      }
      if (op.restore) {
        if (completed) {
          CHECK(reopened(w, op) == after);
        } else {
          CHECK_FALSE(fsys::exists(w.tmp / "r"));
          CHECK(
              amanah::verify_backup(w.tmp / "backup", *amanah::raw_key(Template::get().raw.clone()))
                  .customers == 5);
        }
      } else {
        // Durably: what the call reported.
        const Snapshot back = reopened(w, op);
        const Snapshot& expected = completed || rolled_forward ? after : before;
        CHECK(back == expected);
        // No key outlives its customer (an erasure's or merge's key that keys.db failed to
        // destroy right after the commit is destroyed at close or at the next open).
        CHECK(back.subject_keys == expected.subject_keys);
      }
      if (op_index == 7) CHECK(fsys::exists(w.tmp / "b2") == completed);
    }
  }
  // Faults that strike before anything is re-encrypted or re-wrapped are undone.
  if (op.rolls_forward) CHECK(undone > 0);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  std::printf(
      "[iofault] %-14s read %llu write %llu sync %llu lock %llu truncate %llu: %zu runs, "
      "%zu failed (%zu undone, %zu closed to complete at open), %lld ms\n",
      op.name, static_cast<unsigned long long>(counts[0]),
      static_cast<unsigned long long>(counts[1]), static_cast<unsigned long long>(counts[2]),
      static_cast<unsigned long long>(counts[3]), static_cast<unsigned long long>(counts[4]), runs,
      failed, undone, closed, static_cast<long long>(ms));
}

// SQLCipher reads a database's salt when it is keyed and, if that read fails, takes the file for
// a new one and picks a random salt: the first page then fails its check as if the key were
// wrong. A failing disk must not be reported as a wrong key.
TEST_CASE("a read error while a store opens is Io and not WrongKey", "[iofault]") {
  Work w;
  FaultyVfs vfs;
  std::uint64_t m = 0;
  {
    auto store = w.open();
    m = vfs.count(IoKind::read);
  }
  for (std::uint64_t n = 1; n <= m; ++n) {
    CAPTURE(n, m);
    vfs.arm({.kind = IoKind::read, .nth = n, .error = SQLITE_IOERR_READ});
    try {
      auto store = w.open();
    } catch (const amanah::Error& e) {
      const std::string code(amanah::to_string(e.code()));
      CAPTURE(code);
      CHECK(e.code() == ErrorCode::Io);
    }
    vfs.disarm();
  }
  auto store = w.open();
  CHECK(store.size() == 4);
  CHECK(store.audit().verify().ok());
}

// The receipt is the customer's proof: it must not say a key was destroyed while keys.db could
// not destroy it yet (it is destroyed later: at the next erasure, at close or at the next open).
TEST_CASE("an erasure whose key keys.db cannot destroy yet says so in its receipt", "[iofault]") {
  const auto& ids = Template::get().ids;
  // Keys left after an erasure that went through, then a reopen (the pool refilled alike).
  std::uint64_t keys_after = 0;
  {
    Work w;
    {
      auto store = w.open();
      const auto receipt = store.erase(kDpo, ids[1]);
      CHECK(receipt.key_destroyed);
    }
    keys_after = w.open().check().subject_keys;
  }
  Work w;
  FaultyVfs vfs;
  {
    auto store = w.open();
    amanah::ErasureReceipt receipt;
    {
      // From the data commit on, every write fails: the key's destruction too.
      const amanah::test::OnFaultPoint hook([&vfs](std::string_view at) {
        if (at == "erase:committed")
          vfs.arm(
              {.kind = IoKind::write, .nth = 1, .error = SQLITE_IOERR_WRITE, .persistent = true});
      });
      receipt = store.erase(kDpo, ids[1]);  // committed: not reported as a failure
    }
    CHECK(vfs.fired() > 0);
    vfs.disarm();
    CHECK_FALSE(receipt.key_destroyed);
    CHECK_FALSE(receipt.erased_fields.empty());
    REQUIRE_AMANAH_ERROR((void)store.get(kDpo, ids[1]), ErrorCode::NotFound);
  }
  auto store = w.open();
  REQUIRE_AMANAH_ERROR((void)store.get(kDpo, ids[1]), ErrorCode::NotFound);
  CHECK(store.check().subject_keys == keys_after);  // destroyed at close or at this open
}

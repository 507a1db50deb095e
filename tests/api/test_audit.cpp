// The audit log through the public API: checkpoints published to a sink and verified against,
// a rolled-back store found by them, synchronous read records, and a log that survives a process
// killed while it writes. (Tampering inside data.db is tested in unit/test_audit_tamper.cpp.)
#include <amanah/amanah.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/generators/catch_generators.hpp>
#include "records_fixture.hpp"
#include "support.hpp"

using amanah::AuditOptions;
using amanah::AuditReport;
using amanah::AuditSigningKey;
using amanah::Checkpoint;
using amanah::CreateOptions;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::FileCheckpointSink;
using amanah::OpenOptions;
using amanah::SecretBytes;
using amanah::TamperKind;
using amanah::test::kDpo;
using amanah::test::kSupport;
using amanah::test::TempDir;
namespace fsys = std::filesystem;

namespace {

AuditOptions signed_by(const AuditSigningKey& key, const fsys::path& file,
                       std::uint64_t every = 10) {
  return {.signing_key = &key,
          .sink = std::make_shared<FileCheckpointSink>(file),
          .checkpoint_every = every};
}

// Inserts `n` customers (numbered from `first`), one entry each.
std::vector<amanah::CustomerId> insert(CustomerStore& s, int first, int n) {
  std::vector<amanah::CustomerId> ids;
  for (int i = first; i < first + n; ++i)
    ids.push_back(s.insert(kSupport, amanah::test::customer(i)));
  return ids;
}

void require_problem(const AuditReport& r, TamperKind kind, std::uint64_t seq) {
  REQUIRE(r.problem.has_value());
  CHECK(r.problem->kind == kind);
  CHECK(r.problem->seq == seq);
}

}  // namespace

TEST_CASE("checkpoints are published every n entries and at close, and verify the log",
          "[audit][checkpoint]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const auto file = tmp / "checkpoints.txt";
  const AuditSigningKey key = amanah::generate_audit_key();
  {
    auto store =
        CustomerStore::create(dir, *amanah::test::app_key(), amanah::test::example_manifest(),
                              CreateOptions{.audit = signed_by(key, file)});
    const auto ids = insert(store, 0, 25);
    for (int i = 0; i < 3; ++i)
      (void)store.get(kDpo, ids[static_cast<std::size_t>(i)]);  // queued: written at close
    CHECK(store.audit().size() == 25);
  }
  const auto cps = FileCheckpointSink::read(file);
  REQUIRE(cps.size() == 3);
  CHECK(cps[0].seq == 10);
  CHECK(cps[1].seq == 20);
  CHECK(cps[2].seq == 28);  // at close, the reads included
  for (const auto& cp : cps)
    CHECK(cp.signed_by(key.public_key()));

  auto store = CustomerStore::open(dir, *amanah::test::app_key(),
                                   OpenOptions{.audit = signed_by(key, file)});
  CHECK(store.audit().size() == 28);
  CHECK(cps.back().seq == store.audit().size());
  CHECK(cps[0].store_id == store.store_id());

  const AuditReport with_key = store.audit().verify(cps, key.public_key());
  CHECK(with_key.ok());
  CHECK(with_key.entries == 28);
  CHECK(with_key.checkpoints == 3);
  // Without a key: the one the store was opened with.
  const AuditReport own = store.audit().verify(cps);
  CHECK(own.ok());
  CHECK(own.checkpoints == 3);
  // Checkpoints given in any order, one twice.
  const AuditReport shuffled = store.audit().verify({cps[2], cps[0], cps[1], cps[0]});
  CHECK(shuffled.ok());
  CHECK(shuffled.entries == 28);
  CHECK(shuffled.checkpoints == 3);  // the one given twice counts once
  // Reopening published nothing new.
  store.close();
  CHECK(FileCheckpointSink::read(file).size() == 3);
}

TEST_CASE("checkpoints need a key to be checked against", "[audit][checkpoint]") {
  TempDir tmp;
  const AuditSigningKey key = amanah::generate_audit_key();
  const auto file = tmp / "checkpoints.txt";
  {
    auto store =
        CustomerStore::create(tmp / "s", *amanah::test::app_key(), amanah::test::example_manifest(),
                              CreateOptions{.audit = signed_by(key, file)});
    (void)insert(store, 0, 12);
  }
  const auto cps = FileCheckpointSink::read(file);
  REQUIRE(cps.size() == 2);
  auto store = CustomerStore::open(tmp / "s", *amanah::test::app_key());
  REQUIRE_AMANAH_ERROR((void)store.audit().verify(cps), ErrorCode::InvalidArgument);
  CHECK(store.audit().verify(cps, key.public_key()).ok());
  CHECK(store.audit().verify({}).ok());  // no checkpoint, no key needed
}

TEST_CASE("a checkpoint of another store or signed by another key is a bad checkpoint",
          "[audit][checkpoint]") {
  TempDir tmp;
  const AuditSigningKey key = amanah::generate_audit_key();
  const AuditSigningKey other_key = amanah::generate_audit_key();
  const auto dir = tmp / "s";
  const auto file = tmp / "checkpoints.txt";
  {
    auto store =
        CustomerStore::create(dir, *amanah::test::app_key(), amanah::test::example_manifest(),
                              CreateOptions{.audit = signed_by(key, file)});
    (void)insert(store, 0, 20);
  }
  const auto cps = FileCheckpointSink::read(file);
  REQUIRE(cps.size() == 2);  // 10, 20

  SECTION("another store's checkpoint, signed by the same key") {
    const auto other_file = tmp / "other.txt";
    {
      auto other = CustomerStore::create(tmp / "other", *amanah::test::app_key(),
                                         amanah::test::example_manifest(),
                                         CreateOptions{.audit = signed_by(key, other_file, 5)});
      (void)insert(other, 0, 5);
    }
    const auto foreign = FileCheckpointSink::read(other_file);
    REQUIRE(foreign.size() == 1);
    CHECK(foreign[0].signed_by(key.public_key()));
    auto store = CustomerStore::open(dir, *amanah::test::app_key(),
                                     OpenOptions{.audit = signed_by(key, file)});
    auto all = cps;
    all.push_back(foreign[0]);
    const AuditReport r = store.audit().verify(all);
    require_problem(r, TamperKind::bad_checkpoint, 5);
  }
  SECTION("this store's checkpoint, signed by another key") {
    const auto other_file = tmp / "other.txt";
    {
      auto store = CustomerStore::open(dir, *amanah::test::app_key(),
                                       OpenOptions{.audit = signed_by(other_key, other_file)});
      (void)insert(store, 100, 10);
    }
    const auto foreign = FileCheckpointSink::read(other_file);
    REQUIRE(foreign.size() == 1);
    CHECK(foreign[0].seq == 30);
    auto store = CustomerStore::open(dir, *amanah::test::app_key());
    auto all = cps;
    all.push_back(foreign[0]);
    require_problem(store.audit().verify(all, key.public_key()), TamperKind::bad_checkpoint, 30);
    // Each alone checks with its own key.
    CHECK(store.audit().verify(cps, key.public_key()).ok());
    CHECK(store.audit().verify(foreign, other_key.public_key()).ok());
    // And all of them against a key that signed none: the first is bad.
    require_problem(store.audit().verify(all, amanah::generate_audit_key().public_key()),
                    TamperKind::bad_checkpoint, 10);
  }
}

TEST_CASE("a checkpoint file inside the store directory is refused", "[audit][checkpoint]") {
  TempDir tmp;
  const AuditSigningKey key = amanah::generate_audit_key();
  const auto dir = tmp / "s";
  REQUIRE_AMANAH_ERROR(CustomerStore::create(dir, *amanah::test::app_key(),
                                             CreateOptions{.audit = signed_by(key, dir / "c.txt")}),
                       ErrorCode::InvalidArgument);
  CHECK_FALSE(fsys::exists(dir));  // nothing left behind
  (void)CustomerStore::create(dir, *amanah::test::app_key());
  fsys::create_directory(tmp / "elsewhere");
  for (const auto& inside :
       {dir / "c.txt", dir / "sub" / "c.txt", tmp / "elsewhere" / ".." / "s" / "c.txt"}) {
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *amanah::test::app_key(),
                                             OpenOptions{.audit = signed_by(key, inside)}),
                         ErrorCode::InvalidArgument);
    // Even a sink without a signing key (it would receive nothing, but is still misplaced).
    REQUIRE_AMANAH_ERROR(
        CustomerStore::open(
            dir, *amanah::test::app_key(),
            OpenOptions{.audit = {.sink = std::make_shared<FileCheckpointSink>(inside)}}),
        ErrorCode::InvalidArgument);
  }
  // Beside the store, even under a name that starts like the directory's, is fine.
  CHECK_NOTHROW(CustomerStore::open(dir, *amanah::test::app_key(),
                                    OpenOptions{.audit = signed_by(key, tmp / "s-checkpoints")}));
  CHECK_NOTHROW(CustomerStore::open(dir, *amanah::test::app_key(),
                                    OpenOptions{.audit = signed_by(key, tmp / "s2" / "c.txt")}));
}

TEST_CASE("an audit signing key without a sink is refused", "[audit][checkpoint]") {
  TempDir tmp;
  const AuditSigningKey key = amanah::generate_audit_key();
  const auto dir = tmp / "s";
  REQUIRE_AMANAH_ERROR(CustomerStore::create(dir, *amanah::test::app_key(),
                                             CreateOptions{.audit = {.signing_key = &key}}),
                       ErrorCode::InvalidArgument);
  CHECK_FALSE(fsys::exists(dir));  // nothing left behind
  // An existing empty directory stays, empty.
  fsys::create_directory(dir);
  REQUIRE_AMANAH_ERROR(CustomerStore::create(dir, *amanah::test::app_key(),
                                             CreateOptions{.audit = {.signing_key = &key}}),
                       ErrorCode::InvalidArgument);
  CHECK(fsys::is_empty(dir));
  (void)CustomerStore::create(dir, *amanah::test::app_key());
  REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *amanah::test::app_key(),
                                           OpenOptions{.audit = {.signing_key = &key}}),
                       ErrorCode::InvalidArgument);
}

TEST_CASE("an older copy of the store put back is found as rolled back", "[audit][checkpoint]") {
  TempDir tmp;
  const AuditSigningKey key = amanah::generate_audit_key();
  const auto dir = tmp / "s";
  const auto copy = tmp / "copy";
  const auto file = tmp / "checkpoints.txt";
  std::vector<amanah::CustomerId> ids;
  {
    auto store =
        CustomerStore::create(dir, *amanah::test::app_key(), amanah::test::example_manifest(),
                              CreateOptions{.audit = signed_by(key, file)});
    ids = insert(store, 0, 15);
  }
  REQUIRE(FileCheckpointSink::read(file).size() == 2);  // 10, 15 (at close)
  fsys::copy(dir, copy, fsys::copy_options::recursive);
  {
    // The store goes on: more entries, more checkpoints.
    auto store = CustomerStore::open(dir, *amanah::test::app_key(),
                                     OpenOptions{.audit = signed_by(key, file)});
    (void)insert(store, 100, 20);
    for (const auto& id : ids)
      (void)store.get(kDpo, id);
    CHECK(store.audit().verify(FileCheckpointSink::read(file)).ok());
  }
  const auto cps = FileCheckpointSink::read(file);
  REQUIRE(cps.size() == 5);  // 10, 15, 25, 35, 50 (at close)
  CHECK(cps[2].seq == 25);

  // The older copy put back in its place.
  fsys::remove_all(dir);
  fsys::copy(copy, dir, fsys::copy_options::recursive);
  const int more = GENERATE(0, 3, 12);  // written after the copy is back: none, few, past 25
  INFO("entries written after the copy is back " << more);
  auto store = CustomerStore::open(dir, *amanah::test::app_key(),
                                   OpenOptions{.audit = signed_by(key, file)});
  CHECK(store.audit().verify().ok());  // nothing inside the file shows it
  if (more > 0) {
    (void)insert(store, 200, more);
    (void)store.get(kDpo, ids[0]);
    store.close();
    store = CustomerStore::open(dir, *amanah::test::app_key(),
                                OpenOptions{.audit = signed_by(key, file)});
    CHECK(store.audit().verify().ok());
  }
  const AuditReport r = store.audit().verify(FileCheckpointSink::read(file));
  require_problem(r, TamperKind::rolled_back, 25);
  CHECK(r.entries >= 15);
  require_problem(store.audit().verify(cps, key.public_key()), TamperKind::rolled_back, 25);
  // The checkpoints up to the copy's end still hold.
  CHECK(store.audit().verify({cps[0], cps[1]}).ok());
}

TEST_CASE("with sync_reads a read is counted when it returns; without, after close", "[audit]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const bool sync = GENERATE(false, true);
  INFO("sync_reads " << sync);
  amanah::CustomerId id;
  {
    auto store =
        CustomerStore::create(dir, *amanah::test::app_key(), amanah::test::example_manifest(),
                              CreateOptions{.audit = {.sync_reads = sync}});
    id = store.insert(kSupport, amanah::test::customer(1));
    CHECK(store.audit().size() == 1);
    (void)store.get(kDpo, id);
    CHECK(store.audit().size() == (sync ? 2u : 1u));
    (void)store.find(kSupport, "email", "r1@example.com");
    CHECK(store.audit().size() == (sync ? 3u : 1u));
  }
  auto store = CustomerStore::open(dir, *amanah::test::app_key());
  CHECK(store.audit().size() == 3);
  CHECK(store.audit().verify().ok());
  // Opened with sync_reads: the same for this store from now on.
  store.close();
  store = CustomerStore::open(dir, *amanah::test::app_key(),
                              OpenOptions{.audit = {.sync_reads = true}});
  (void)store.get(kDpo, id);
  CHECK(store.audit().size() == 4);
}

TEST_CASE("a process killed while it writes leaves a log that verifies", "[audit][crash]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const auto file = tmp / "checkpoints.txt";
  const AuditSigningKey key = amanah::generate_audit_key();
  std::vector<amanah::CustomerId> ids;
  {
    auto store =
        CustomerStore::create(dir, *amanah::test::app_key(), amanah::test::example_manifest(),
                              CreateOptions{.audit = signed_by(key, file, 7)});
    ids = insert(store, 0, 10);
  }
  const int delay_ms = GENERATE(2, 25, 120);
  INFO("killed after ms " << delay_ms);
  std::uint64_t before = 0;
  {
    auto store = CustomerStore::open(dir, *amanah::test::app_key());
    before = store.audit().size();
  }
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(ready[0]);
    int code = 2;
    try {
      auto store = CustomerStore::open(dir, *amanah::test::app_key(),
                                       OpenOptions{.audit = signed_by(key, file, 7)});
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
        const auto id = store.insert(kSupport, amanah::test::customer(1000 + i));
        if (i == 0) (void)!::write(ready[1], "x", 1);  // one write committed: kill from now on
        store.update(kSupport, ids[static_cast<std::size_t>(i) % ids.size()],
                     {{"phone", "+62813" + std::to_string(4000000 + i)}});
        (void)store.get(kDpo, id);
        (void)store.find(kSupport, "email", "r" + std::to_string(i % 10) + "@example.com");
        if (i % 16 == 0)
          for (const auto& r : store.scan(kDpo, {"email"}))
            (void)r;
      }
      code = 3;  // never killed
    } catch (...) {
      code = 4;
    }
    ::_exit(code);
  }
  ::close(ready[1]);
  char byte = 0;
  const bool started = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  if (started) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  ::kill(pid, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(started);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  auto store = CustomerStore::open(dir, *amanah::test::app_key(),
                                   OpenOptions{.audit = signed_by(key, file, 7)});
  const AuditReport r = store.audit().verify();
  CHECK(r.ok());
  CHECK(r.entries == store.audit().size());
  CHECK(store.audit().size() > before);
  // Every checkpoint published before the kill holds (a torn last line is skipped).
  const auto cps = FileCheckpointSink::read(file);
  const AuditReport with_cps = store.audit().verify(cps);
  CHECK(with_cps.ok());
  CHECK(with_cps.checkpoints == cps.size());
  // The store goes on, and its log with it.
  (void)store.insert(kSupport, amanah::test::customer(5000));
  CHECK(store.audit().verify().ok());
}

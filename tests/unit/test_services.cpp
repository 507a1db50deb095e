// The core's building blocks seen by the services: composing transactions, orphan keys swept
// at open, the injectable clock, names never echoed.
#include <amanah/amanah.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "db/db.hpp"
#include "records_fixture.hpp"
#include "store/layout.hpp"
#include "store_internals.hpp"
#include "support.hpp"

namespace db = amanah::detail::db;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;

namespace {

db::Connection scratch_db(const TempDir& tmp) {
  auto c = db::Connection::open(tmp / "t.db", SecretBytes::random(32), true);
  c.exec("CREATE TABLE t(v INTEGER)");
  return c;
}

std::int64_t rows(db::Connection& c) {
  auto st = c.prepare("SELECT count(*) FROM t");
  REQUIRE(st.step());
  return st.column_int64(0);
}

}  // namespace

TEST_CASE("a transaction runs its commit hooks after COMMIT and its rollback hooks otherwise",
          "[db][tx]") {
  TempDir tmp;
  auto c = scratch_db(tmp);
  std::vector<std::string> ran;
  {
    db::Transaction tx(c);
    tx.on_commit([&] { ran.push_back("commit"); });
    tx.on_rollback([&] { ran.push_back("rollback"); });
    c.exec("INSERT INTO t VALUES (1)");
    CHECK(ran.empty());
    tx.commit();
  }
  CHECK(ran == std::vector<std::string>{"commit"});
  ran.clear();
  {
    db::Transaction tx(c);
    tx.on_commit([&] { ran.push_back("commit"); });
    tx.on_rollback([&] { ran.push_back("first"); });
    tx.on_rollback([&] { ran.push_back("second"); });
    c.exec("INSERT INTO t VALUES (2)");
  }
  CHECK(ran == std::vector<std::string>{"second", "first"});  // undone in reverse
  CHECK(rows(c) == 1);
}

TEST_CASE("a savepoint undoes its part and the transaction goes on", "[db][tx]") {
  TempDir tmp;
  auto c = scratch_db(tmp);
  db::Transaction tx(c);
  c.exec("INSERT INTO t VALUES (1)");
  {
    db::Savepoint sp(tx);
    c.exec("INSERT INTO t VALUES (2)");
  }  // not released: rolled back to
  {
    db::Savepoint sp(tx);
    c.exec("INSERT INTO t VALUES (3)");
    sp.release();
  }
  tx.commit();
  auto st = c.prepare("SELECT group_concat(v) FROM t");
  REQUIRE(st.step());
  CHECK(st.column_text(0) == "1,3");
}

TEST_CASE("keys drawn by writes that were killed are swept at the next open", "[records][keys]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const SecretBytes raw = SecretBytes::random(32);
  {
    auto store =
        CustomerStore::create(dir, *amanah::raw_key(raw.clone()), amanah::test::example_manifest());
    (void)store.insert(amanah::test::kSupport, {{"full_name", "Kept"}});
  }
  for (int kill = 0; kill < 3; ++kill) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int code = 1;
      try {
        auto store = CustomerStore::open(dir, *amanah::raw_key(raw.clone()));
        int row = 0;
        amanah::detail::store::g_fault_point = [&row](std::string_view at) {
          if (at == "insert_many:row" && ++row == 3) ::_exit(0);  // killed mid-import
        };
        std::vector<amanah::FieldValues> batch(50, amanah::FieldValues{{"full_name", "Lost"}});
        (void)store.insert_many(amanah::test::kSupport, batch);
      } catch (...) {
        code = 2;
      }
      ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);  // died at the fault point, keys drawn
  }
  auto store = CustomerStore::open(dir, *amanah::raw_key(raw.clone()));
  const auto c = amanah::test::counts(store);
  CHECK(c.subjects == 1);
  CHECK(c.keys == 1);  // 3 × 64 drawn keys would be left without the sweep
  CHECK(amanah::test::count_rows(Access::keys_db(store), "key_pool") == 0);
  // The store goes on working.
  (void)store.insert(amanah::test::kSupport, {{"full_name", "Next"}});
  CHECK(store.size() == 2);
}

TEST_CASE(
    "an erasure killed between its data commit and the key's destruction loses the key at "
    "the next open",
    "[erasure][keys]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const SecretBytes raw = SecretBytes::random(32);
  const auto manifest = amanah::Manifest::from_toml(std::string(amanah::test::kManifestToml) +
                                                    amanah::test::kPermitAllToml);
  amanah::CustomerId gone, kept;
  {
    auto store = CustomerStore::create(dir, *amanah::raw_key(raw.clone()), manifest);
    gone = store.insert(amanah::test::kSupport, amanah::test::customer(1));
    kept = store.insert(amanah::test::kSupport, amanah::test::customer(2));
  }
  // Killed right after the data commit, before the key goes.
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 1;
    try {
      auto store = CustomerStore::open(dir, *amanah::raw_key(raw.clone()));
      amanah::detail::store::g_fault_point = [](std::string_view at) {
        if (at == "erase:committed") ::_exit(0);
      };
      (void)store.erase(amanah::test::kDpo, gone);
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto store = CustomerStore::open(dir, *amanah::raw_key(raw.clone()));
  const auto c = amanah::test::counts(store);
  CHECK(c.subjects == 1);
  CHECK(c.keys == 1);  // the erased customer's key was swept at open
  CHECK(store.get(amanah::test::kDpo, kept).fields.size() == 4);
  REQUIRE_AMANAH_ERROR(store.get(amanah::test::kDpo, gone), amanah::ErrorCode::NotFound);
}

namespace {
class FixedClock final : public amanah::Clock {
 public:
  explicit FixedClock(std::int64_t at) : at_(at) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(at_));
  }

 private:
  std::int64_t at_;
};
}  // namespace

TEST_CASE("the store's time comes from the clock given in the options", "[records][clock]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const SecretBytes raw = SecretBytes::random(32);
  const std::int64_t t1 = 1'700'000'000, t2 = 1'800'000'000;
  {
    auto store =
        CustomerStore::create(dir, *amanah::raw_key(raw.clone()), amanah::test::example_manifest(),
                              {.clock = std::make_shared<FixedClock>(t1)});
    (void)store.insert(amanah::test::kSupport, {{"full_name", "A"}});
  }
  auto store = CustomerStore::open(dir, *amanah::raw_key(raw.clone()),
                                   amanah::OpenOptions{.clock = std::make_shared<FixedClock>(t2)});
  (void)store.insert(amanah::test::kSupport, {{"full_name", "B"}});
  auto& d = Access::data_db(store);
  auto st = d.prepare(
      "SELECT group_concat(created_at) FROM (SELECT created_at FROM subjects "
      "ORDER BY created_at)");
  REQUIRE(st.step());
  CHECK(st.column_text(0) == std::to_string(t1) + "," + std::to_string(t2));
  amanah::test::load_audit_rows(d);
  auto log = d.prepare("SELECT min(at), max(at) FROM " AMANAH_AUDIT_ROWS);
  REQUIRE(log.step());
  CHECK(log.column_int64(0) == t1);
  CHECK(log.column_int64(1) == t2);
}

TEST_CASE("a value passed where a name belongs is never repeated in the message",
          "[records][leak]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *amanah::raw_key(SecretBytes::random(32)),
                                     amanah::test::example_manifest());
  const std::string pii = "siti.rahma@example.co.id";
  auto message_of = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const amanah::Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  const amanah::AccessContext bad_role{.actor = "a", .roles = {pii}, .purpose = "service"};
  const amanah::AccessContext bad_purpose{.actor = "a", .roles = {"support"}, .purpose = pii};
  const std::vector<std::string> messages{
      message_of([&] {
        (void)store.insert(amanah::test::kSupport, {{pii, "x"}});
      }),
      message_of([&] { (void)store.find(amanah::test::kSupport, pii, "x"); }),
      message_of([&] {
        (void)store.insert(bad_role, {{"full_name", "x"}});
      }),
      message_of([&] {
        (void)store.insert(bad_purpose, {{"full_name", "x"}});
      }),
      message_of([&] { (void)store.scan(amanah::test::kDpo, {pii}); }),
  };
  for (const auto& m : messages) {
    CHECK((m != "(no error)"));  // doubled parentheses: a failure never prints the message
    CHECK(m.find("siti") == std::string::npos);
  }
  // A well-formed but undeclared name is still named, so the caller can fix it.
  CHECK(message_of([&] {
          (void)store.insert(amanah::test::kSupport, {{"shoe_size", "x"}});
        }).find("'shoe_size'") != std::string::npos);
}

TEST_CASE("a store of the previous schema is migrated on open and its old orphan keys swept",
          "[records][keys][migration]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const SecretBytes raw = SecretBytes::random(32);
  std::vector<amanah::CustomerId> ids;
  SecretBytes data_key, keys_key;
  // The log as rows of text (every column of the old access log).
  auto log_rows = [](db::Connection& d) {
    std::vector<std::string> rows;
    amanah::test::load_audit_rows(d);
    auto st = d.prepare(
        "SELECT seq, at, actor, roles, purpose, action, subject, fields FROM " AMANAH_AUDIT_ROWS
        " ORDER BY seq");
    while (st.step()) {
      std::string row;
      for (int c = 0; c < 8; ++c)
        row += st.column_text(c) + "|";
      rows.push_back(row);
    }
    return rows;
  };
  std::vector<std::string> old_log;
  {
    auto store =
        CustomerStore::create(dir, *amanah::raw_key(raw.clone()), amanah::test::example_manifest());
    for (int i = 0; i < 5; ++i)
      ids.push_back(
          store.insert(amanah::test::kSupport, {{"email", "m" + std::to_string(i) + "@example.com"},
                                                {"nik", "317123456789000" + std::to_string(i)}}));
    data_key = Access::data_db_key(store);
    keys_key = Access::keys_db_key(store);
  }
  {
    // Back to the previous schema: the index on blind_index(subject_id), no key_pool, and an
    // orphan key left by a killed write of that version.
    auto d = db::Connection::open(dir / "data.db", data_key, false);
    old_log = log_rows(d);
    d.exec("PRAGMA foreign_keys=OFF");
    d.exec(R"sql(
BEGIN;
CREATE TABLE s2(id TEXT PRIMARY KEY, key_id TEXT NOT NULL UNIQUE, doc BLOB NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
INSERT INTO s2 SELECT id, key_id, doc, created_at, updated_at FROM subjects ORDER BY row DESC;
CREATE TABLE b2(field TEXT NOT NULL, tag INTEGER NOT NULL,
  subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  PRIMARY KEY (field, tag, subject_id)) STRICT, WITHOUT ROWID;
INSERT INTO b2 SELECT b.field, b.tag, s.id FROM blind_index b JOIN subjects s ON s.row = b.subject_row;
DROP TABLE blind_index;
DROP TABLE subjects;
ALTER TABLE s2 RENAME TO subjects;
ALTER TABLE b2 RENAME TO blind_index;
CREATE INDEX blind_index_subject ON blind_index(subject_id);
CREATE TABLE access_log(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,
  roles TEXT NOT NULL, purpose TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL,
  fields TEXT NOT NULL) STRICT;
INSERT INTO access_log SELECT seq, at, actor, roles, purpose, action, subject, fields FROM )sql" AMANAH_AUDIT_ROWS
           R"sql(;
DROP TABLE audit_log;
DROP TABLE audit_names;
DELETE FROM amanah_meta WHERE key = 'audit_seq';
DROP TABLE consents;
COMMIT;
)sql");
    amanah::test::undo_schema_7(d);
    d.set_user_version(2);
    auto k = db::Connection::open(dir / "keys.db", keys_key, false);
    k.exec("DROP TABLE key_pool");
    k.exec(
        "INSERT INTO subject_keys SELECT hex(randomblob(16)), kek_epoch, wrapped FROM "
        "subject_keys LIMIT 1");
    k.set_user_version(2);
  }
  auto store = CustomerStore::open(dir, *amanah::raw_key(raw.clone()));
  CHECK(Access::data_db(store).user_version() == 8);
  // The access log's rows are now the first entries of the audit chain, which verifies.
  REQUIRE(old_log.size() == 5);
  CHECK(log_rows(Access::data_db(store)) == old_log);
  CHECK(store.audit().verify().ok());
  CHECK(store.audit().size() == 5);
  CHECK(Access::keys_db(store).user_version() == 3);
  {
    // Only the customer id of subjects is indexed (no key_id, no blind_index(subject_id)).
    auto st = Access::data_db(store).prepare(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('subjects', "
        "'blind_index')");
    REQUIRE(st.step());
    CHECK(st.column_int64(0) == 1);
  }
  const auto c = amanah::test::counts(store);
  CHECK(c.subjects == 5);
  CHECK(c.keys == 5);  // the orphan is gone, every subject's key kept
  for (int i = 0; i < 5; ++i) {
    // Doubled parentheses: a failure says false, never the values.
    CHECK((store.get(amanah::test::kDpo, ids[static_cast<std::size_t>(i)]).fields.at("nik") ==
           "317123456789000" + std::to_string(i)));
    CHECK(store.find(amanah::test::kSupport, "email", "M" + std::to_string(i) + "@example.com") ==
          std::vector{ids[static_cast<std::size_t>(i)]});
  }
  // Updates and merges keep the index exact without the subject index.
  store.update(amanah::test::kSupport, ids[0], {{"email", "changed@example.com"}});
  CHECK(store.find(amanah::test::kSupport, "email", "m0@example.com").empty());
  store.merge(amanah::test::kDpo, ids[1], ids[2]);
  CHECK(store.find(amanah::test::kSupport, "email", "m2@example.com").empty());
  CHECK(amanah::test::counts(store).index == 8);  // 4 subjects × (email, nik)
}

TEST_CASE("subject key ids ascend in the order keys are drawn, also after a reopen",
          "[records][keys]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const SecretBytes raw = SecretBytes::random(32);
  auto key_ids = [](CustomerStore& store) {
    std::vector<std::string> out;
    auto st = Access::data_db(store).prepare("SELECT key_id FROM subjects ORDER BY row");
    while (st.step())
      out.push_back(st.column_text(0));
    return out;
  };
  {
    auto store =
        CustomerStore::create(dir, *amanah::raw_key(raw.clone()), amanah::test::example_manifest());
    std::vector<amanah::FieldValues> batch(100, amanah::FieldValues{{"full_name", "A"}});
    (void)store.insert_many(amanah::test::kSupport, batch);
  }
  auto store = CustomerStore::open(dir, *amanah::raw_key(raw.clone()));
  for (int i = 0; i < 3; ++i)
    (void)store.insert(amanah::test::kSupport, {{"full_name", "B"}});
  const auto ids = key_ids(store);
  REQUIRE(ids.size() == 103);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  for (const auto& id : ids)
    CHECK(id.size() == 32);
}

TEST_CASE("a scan opens the sealed values of sparse subjects, in one key range or key by key",
          "[records][keys]") {
  TempDir tmp;
  const SecretBytes raw = SecretBytes::random(32);
  std::map<std::string, std::string> expected;  // id -> NIK
  {
    auto store = CustomerStore::create(tmp / "s", *amanah::raw_key(raw.clone()),
                                       amanah::test::example_manifest());
    // Every subject draws a key; only every 40th holds a sealed value, so a batch's wanted keys
    // are spread over a range of mostly unwanted ones (the range read stops at its limit).
    std::vector<amanah::FieldValues> sparse;
    for (int i = 0; i < 600; ++i) {
      amanah::FieldValues v{{"full_name", "S " + std::to_string(i)}};
      if (i % 40 == 0) v.emplace("nik", "31712345678901" + std::to_string(10 + i / 40));
      sparse.push_back(std::move(v));
    }
    const auto ids = store.insert_many(amanah::test::kSupport, sparse);
    for (int i = 0; i < 600; i += 40)
      expected.emplace(ids[static_cast<std::size_t>(i)].str(), sparse[i].at("nik"));
    // And dense: every subject of the batch holds one.
    std::vector<amanah::FieldValues> dense;
    for (int i = 0; i < 50; ++i)
      dense.push_back({{"nik", "31712345678902" + std::to_string(10 + i)}});
    const auto dense_ids = store.insert_many(amanah::test::kSupport, dense);
    for (std::size_t i = 0; i < dense_ids.size(); ++i)
      expected.emplace(dense_ids[i].str(), dense[i].at("nik"));
  }
  // Reopened: the key cache is cold, so the scan reads every key from keys.db.
  auto store = CustomerStore::open(tmp / "s", *amanah::raw_key(raw.clone()));
  std::size_t opened = 0, records = 0;
  for (const auto& r : store.scan(amanah::test::kDpo, {"nik"})) {
    ++records;
    const auto it = r.fields.find("nik");
    if (it == r.fields.end()) continue;
    ++opened;
    CHECK((expected.at(r.id.str()) == it->second));  // a failure prints no NIK
  }
  CHECK(records == 650);
  CHECK(opened == expected.size());
}

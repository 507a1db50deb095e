// Customer records, checked through the store's internals: what is stored (sealed or not), the
// rows a rejected change leaves, the access log, the doc codec. The cases that need only the
// public API are in api/test_records.cpp.
#include <amanah/amanah.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "audit/log.hpp"
#include "records/doc.hpp"
#include "records_fixture.hpp"
#include "store_internals.hpp"

using amanah::CustomerId;
using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::FieldValues;
using amanah::SecretBytes;
using amanah::test::app_key;
using amanah::test::kDpo;
using amanah::test::kSiti;
using amanah::test::kSupport;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;

TEST_CASE("bad input changes nothing: no row, index entry, key or log entry", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  (void)store.insert(kSupport, kSiti);
  const auto before = amanah::test::counts(store);

  SECTION("invalid value") {
    FieldValues bad = {{"full_name", "X"}, {"email", "planted-bad-7731@@example"}};
    try {
      (void)store.insert(kSupport, bad);
      FAIL("expected Validation");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::Validation);
      CHECK(std::string(e.what()).find("'email'") != std::string::npos);
      CHECK(std::string(e.what()).find("planted-bad") == std::string::npos);
    }
  }
  SECTION("undeclared field") {
    REQUIRE_AMANAH_ERROR(store.insert(kSupport, {{"full_name", "X"}, {"shoe_size", "42"}}),
                         ErrorCode::UndeclaredField);
  }
  SECTION("duplicate on a unique field, differently formatted") {
    try {
      (void)store.insert(kSupport, {{"full_name", "Other"}, {"email", "SITI@example.co.id"}});
      FAIL("expected Duplicate");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == ErrorCode::Duplicate);
      CHECK(std::string(e.what()).find("siti") == std::string::npos);
    }
    REQUIRE_AMANAH_ERROR(store.insert(kSupport, {{"nik", "3171 2345 6789 0123"}}),
                         ErrorCode::Duplicate);
  }
  SECTION("one bad record in a batch rejects the whole batch") {
    std::vector<FieldValues> batch(10, FieldValues{{"full_name", "Ok"}});
    batch[7]["phone"] = "not a phone";
    REQUIRE_AMANAH_ERROR(store.insert_many(kSupport, batch), ErrorCode::Validation);
    std::vector<FieldValues> clash = {{{"email", "a@example.com"}}, {{"email", "A@example.com"}}};
    REQUIRE_AMANAH_ERROR(store.insert_many(kSupport, clash), ErrorCode::Duplicate);
  }
  SECTION("unknown role or purpose, or no actor") {
    REQUIRE_AMANAH_ERROR(store.insert({.actor = "a", .roles = {"intern"}, .purpose = "service"},
                                      {{"full_name", "X"}}),
                         ErrorCode::AccessDenied);
    REQUIRE_AMANAH_ERROR(store.insert({.actor = "a", .roles = {"support"}, .purpose = "profiling"},
                                      {{"full_name", "X"}}),
                         ErrorCode::AccessDenied);
    REQUIRE_AMANAH_ERROR(store.insert({.actor = "", .roles = {"support"}, .purpose = "service"},
                                      {{"full_name", "X"}}),
                         ErrorCode::InvalidArgument);
  }
  SECTION("a rejected update") {
    const CustomerId other = store.insert(kSupport, {{"email", "other@example.com"}});
    const auto mid = amanah::test::counts(store);
    const std::string doc_before = [&] {
      auto st = Access::data_db(store).prepare("SELECT hex(doc) FROM subjects WHERE id = ?1");
      st.bind(1, other.str());
      REQUIRE(st.step());
      return st.column_text(0);
    }();
    REQUIRE_AMANAH_ERROR(store.update(kSupport, other, {{"email", "siti@example.co.id"}}),
                         ErrorCode::Duplicate);
    REQUIRE_AMANAH_ERROR(store.update(kSupport, other, {{"phone", "123"}}), ErrorCode::Validation);
    CHECK(amanah::test::counts(store) == mid);
    auto st = Access::data_db(store).prepare("SELECT hex(doc) FROM subjects WHERE id = ?1");
    st.bind(1, other.str());
    REQUIRE(st.step());
    CHECK(st.column_text(0) == doc_before);
    return;
  }
  CHECK(amanah::test::counts(store) == before);
}

TEST_CASE("sensitive and encrypt fields are sealed under the subject's key", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId a = store.insert(kSupport, kSiti);
  const CustomerId b = store.insert(kSupport, {{"full_name", "Budi"}, {"notes", "likes tea"}});
  auto doc_of = [&](const CustomerId& id) {
    auto st = Access::data_db(store).prepare("SELECT doc FROM subjects WHERE id = ?1");
    st.bind(1, id.str());
    REQUIRE(st.step());
    return amanah::detail::records::decode(st.column_blob(0));
  };
  auto da = doc_of(a);
  CHECK(da.at("nik").sealed);
  CHECK_FALSE(da.at("full_name").sealed);
  CHECK(doc_of(b).at("notes").sealed);

  // A sealed value moved to another subject does not open there.
  auto db_ = doc_of(b);
  db_["nik"] = da.at("nik");
  Access::data_db(store)
      .prepare("UPDATE subjects SET doc = ?1 WHERE id = ?2")
      .bind(1, amanah::detail::records::encode(db_))
      .bind(2, b.str())
      .run();
  REQUIRE_AMANAH_ERROR(store.get(kDpo, b), ErrorCode::Corrupt);
  CHECK(store.get(kDpo, a).fields.at("nik") == "3171234567890123");
}

TEST_CASE("an NPWP equal to a NIK is protected like one; cards keep only brand and last 4",
          "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const CustomerId id =
      store.insert(kSupport, {{"npwp", "3171234105900001"}, {"card", "4111 1111 1111 1111"}});
  auto st = Access::data_db(store).prepare("SELECT doc FROM subjects WHERE id = ?1");
  st.bind(1, id.str());
  REQUIRE(st.step());
  const auto doc = amanah::detail::records::decode(st.column_blob(0));
  CHECK(doc.at("npwp").sealed);
  const auto r = store.get(kDpo, id);
  CHECK(r.fields.at("card") == "VISA ****1111");
  CHECK(r.fields.at("npwp") == "3171234105900001");
  REQUIRE_AMANAH_ERROR(store.insert(kSupport, {{"card", "4111 1111 1111 1112"}}),
                       ErrorCode::Validation);
}

TEST_CASE("find_duplicates groups subjects sharing an email, phone or NIK; merge folds them",
          "[records]") {
  TempDir tmp;
  // email is unique in the example manifest; duplicates need a manifest where it is not.
  auto m = amanah::Manifest::builder()
               .purpose("service", amanah::LegalBasis::contract)
               .role("support")
               .role("dpo")
               .permit(amanah::test::permit_all())
               .field({.name = "full_name",
                       .type = amanah::FieldType::text,
                       .category = amanah::Category::identity,
                       .purposes = {"service"}})
               .field({.name = "email",
                       .type = amanah::FieldType::email,
                       .category = amanah::Category::contact,
                       .purposes = {"service"},
                       .lookup = true})
               .field({.name = "phone",
                       .type = amanah::FieldType::phone,
                       .category = amanah::Category::contact,
                       .purposes = {"service"},
                       .lookup = true})
               .build();
  auto store = CustomerStore::create(tmp / "s", *app_key(), m);
  const auto a = store.insert(kSupport, {{"full_name", "Siti"}, {"email", "siti@example.co.id"}});
  const auto b =
      store.insert(kSupport, {{"email", "SITI@example.co.id"}, {"phone", "0812-3456-7890"}});
  const auto c = store.insert(kSupport, {{"full_name", "S. Rahma"}, {"phone", "+6281234567890"}});
  const auto d = store.insert(kSupport, {{"full_name", "Budi"}, {"email", "budi@example.com"}});
  const auto groups = store.find_duplicates(kSupport);
  REQUIRE(groups.size() == 1);
  std::vector<CustomerId> expect{a, b, c};
  std::sort(expect.begin(), expect.end());
  CHECK(groups[0] == expect);
  (void)d;

  const auto keys_before = amanah::test::counts(store).keys;
  store.merge(kDpo, a, b);
  REQUIRE_AMANAH_ERROR(store.get(kDpo, b), ErrorCode::NotFound);
  const auto r = store.get(kDpo, a);
  CHECK(r.fields.at("full_name") == "Siti");
  CHECK(r.fields.at("phone") == "+6281234567890");
  CHECK(store.find(kSupport, "phone", "0812 3456 7890").size() == 2);  // a and c
  CHECK(amanah::test::counts(store).keys == keys_before - 1);
  store.merge(kDpo, a, c);
  CHECK(store.find_duplicates(kSupport).empty());
  CHECK(store.size() == 2);
  REQUIRE_AMANAH_ERROR(store.merge(kDpo, a, a), ErrorCode::InvalidArgument);
}

TEST_CASE("every access is recorded with field names, never values", "[records]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const auto id = store.insert(kSupport, kSiti);
  (void)store.get(kSupport, id);
  (void)store.find(kSupport, "email", "siti@example.co.id");
  store.update(kSupport, id, {{"phone", "0813 1111 2222"}});  // flushes the queued reads
  auto& d = Access::data_db(store);
  amanah::test::load_audit_rows(d);
  auto st = d.prepare("SELECT action, actor, purpose, subject, fields FROM " AMANAH_AUDIT_ROWS
                      " ORDER BY seq");
  std::vector<std::string> actions;
  std::string everything;
  while (st.step()) {
    actions.push_back(st.column_text(0));
    CHECK(st.column_text(1) == "agent-17");
    CHECK(st.column_text(2) == "service");
    CHECK(st.column_text(3).size() == 32);
    CHECK(st.column_text(3) != id.str());  // a keyed pseudonym, not the id
    everything += st.column_text(4) + ";";
  }
  CHECK(actions == std::vector<std::string>{"create", "read", "read", "update"});
  CHECK(everything.find("email") != std::string::npos);
  CHECK(everything.find("siti") == std::string::npos);
  CHECK(everything.find("+62") == std::string::npos);
}

TEST_CASE("denials are recorded with the deciding rules; undeclared names are not kept",
          "[records][enforcement]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const auto id = store.insert(kSupport, kSiti);
  const amanah::AccessContext marketing{
      .actor = "campaign-svc", .roles = {"marketing"}, .purpose = "marketing"};
  REQUIRE_AMANAH_ERROR(store.get(marketing, id, {"nik"}), ErrorCode::AccessDenied);
  REQUIRE_AMANAH_ERROR(store.get(marketing, id), ErrorCode::ConsentRequired);
  // A value passed where a role belongs is refused and not written to the log.
  const amanah::AccessContext wrong{
      .actor = "agent-17", .roles = {"3171234567890123"}, .purpose = "service"};
  REQUIRE_AMANAH_ERROR(store.get(wrong, id), ErrorCode::AccessDenied);
  store.consents().grant(kSupport, id, "marketing",
                         {.source = "signup-form", .notice_version = "2026-01"});
  // Marketing may read only the email: the record names the permit that allowed it, not the
  // forbid that kept the NIK out.
  CHECK(store.get(marketing, id).fields.size() == 1);
  store.update(kSupport, id, {{"phone", "0813 1111 2222"}});  // flushes the queued records
  auto& d = Access::data_db(store);
  amanah::test::load_audit_rows(d);
  auto st =
      d.prepare("SELECT action, roles, purpose, fields, decision, rules FROM " AMANAH_AUDIT_ROWS
                " ORDER BY seq");
  std::vector<std::string> rows;
  while (st.step())
    rows.push_back(st.column_text(0) + "|" + st.column_text(1) + "|" + st.column_text(2) + "|" +
                   st.column_text(3) + "|" + st.column_text(4) + "|" + st.column_text(5));
  REQUIRE(rows.size() == 7);
  CHECK(rows[0] ==
        "create|support|service|birth_date,email,full_name,nik,phone|allow|"
        "support-reads-contact");
  CHECK(rows[1] == "read|marketing|marketing|nik|deny|marketing-never-sees-sensitive");
  CHECK(rows[2] == "read|marketing|marketing||deny|(no live consent)");
  CHECK(rows[3] == "read|(undeclared)|service||deny|");
  CHECK(rows[4] == "consent_grant|support|service|marketing|allow|support-records-consent");
  CHECK(rows[5] == "read|marketing|marketing|email|allow|marketing-reads-email");
  CHECK(rows[6] == "update|support|service|phone|allow|support-reads-contact");
}

TEST_CASE(
    "reads are written in batches by the log's writer thread: when a batch is full, after a "
    "wait, at close; writes stay fully synced",
    "[records]") {
  TempDir tmp;
  constexpr auto kBatch = static_cast<std::int64_t>(amanah::detail::audit::Log::kReadBatch);
  const auto dir = tmp / "s";
  // Read entries written, seen through the writer connection (under the write lock, which the
  // writer thread takes to write).
  auto read_records = [](CustomerStore& store) {
    std::lock_guard w(Access::write_mutex(store));
    auto& d = Access::data_db(store);
    amanah::test::load_audit_rows(d);
    auto st = d.prepare("SELECT count(*) FROM " AMANAH_AUDIT_ROWS " WHERE action = 'read'");
    REQUIRE(st.step());
    return st.column_int64(0);
  };
  // The writer thread works on its own time: wait for it (bounded; nothing here is timed).
  auto written = [&](CustomerStore& store, std::int64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (read_records(store) != n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return read_records(store) == n;
  };
  amanah::CustomerId id;
  {
    auto store = CustomerStore::create(dir, *app_key(), amanah::test::example_manifest());
    auto& log = Access::audit_log(store);
    log.set_write_after(std::chrono::hours(1));
    id = store.insert(kSupport, kSiti);
    for (std::int64_t i = 0; i + 1 < kBatch; ++i)
      (void)store.get(kDpo, id, {"full_name"});
    CHECK(log.queued() == kBatch - 1);
    CHECK(read_records(store) == 0);
    (void)store.get(kDpo, id, {"full_name"});
    CHECK(written(store, kBatch));  // the last read of the batch woke the writer, no write around
    // That batch was committed without a sync of its own; the setting must be back to FULL so
    // the next change is durable when insert() returns.
    {
      std::lock_guard w(Access::write_mutex(store));
      auto st = Access::data_db(store).prepare("PRAGMA synchronous");
      REQUIRE(st.step());
      CHECK(st.column_int64(0) == 2);
    }
    for (int i = 0; i < 10; ++i)
      (void)store.find(kSupport, "email", "siti@example.co.id");
    CHECK(log.queued() == 10);
    CHECK(read_records(store) == kBatch);
  }
  auto store = CustomerStore::open(dir, *app_key());
  CHECK(read_records(store) == kBatch + 10);  // the queued ten were written at close
  // Fewer than a batch are written once the oldest has waited long enough.
  Access::audit_log(store).set_write_after(std::chrono::milliseconds(20));
  (void)store.get(kDpo, id, {"full_name"});
  CHECK(written(store, kBatch + 11));
}

TEST_CASE("a damaged stored record is Corrupt, never a crash or a silently shorter record",
          "[records]") {
  namespace rec = amanah::detail::records;
  rec::Doc doc;
  doc["email"].text = "a@example.com";
  doc["nik"].sealed = true;
  doc["nik"].sealed_box = std::vector<std::byte>(45, std::byte{7});
  const auto bytes = rec::encode(doc);
  const auto back = rec::decode(bytes);
  CHECK(back.size() == 2);
  CHECK(back.at("email").text == "a@example.com");
  CHECK(back.at("nik").sealed_box == doc["nik"].sealed_box);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    REQUIRE_AMANAH_ERROR(rec::decode(std::span(bytes).first(n)), ErrorCode::Corrupt);
  auto longer = bytes;
  longer.push_back(std::byte{0});
  REQUIRE_AMANAH_ERROR(rec::decode(longer), ErrorCode::Corrupt);
  auto bad_kind = bytes;
  bad_kind[1 + 1 + 1 + 5] = std::byte{9};  // count, name length, "email", kind
  REQUIRE_AMANAH_ERROR(rec::decode(bad_kind), ErrorCode::Corrupt);
}

// Regression: a get refused for want of consent recorded its denial while its reader still held
// the write lock (a DataReader on the writer's connection); with the read-record queue full, the
// recording waited for that same lock, for ever.
TEST_CASE("a consent denial with a full read-record queue does not wait on its own lock",
          "[records][consent]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const auto id = store.insert(kSupport, kSiti);
  const amanah::AccessContext marketing{
      .actor = "campaign-svc", .roles = {"marketing"}, .purpose = "marketing"};
  {
    // With the writer busy, reads queue their records up to one short of the limit.
    std::unique_lock w(Access::write_mutex(store));
    std::thread reader([&] {
      for (int i = 0; i < 1023; ++i)
        (void)store.get(kSupport, id, {"full_name"});
    });
    reader.join();
  }
  // The writer is free again: this get reads on the writer's connection, holding its lock.
  std::atomic<int> outcome{0};  // 1: ConsentRequired, 2: something else
  std::thread denied([&] {
    try {
      (void)store.get(marketing, id);
      outcome = 2;
    } catch (const amanah::Error& e) {
      outcome = e.code() == ErrorCode::ConsentRequired ? 1 : 2;
    }
  });
  for (int i = 0; i < 1000 && outcome == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (outcome == 0) {
    FAIL_CHECK("the denied get did not return within 10 s (deadlock)");
    std::_Exit(1);  // the stuck thread holds the store's locks: nothing can be cleaned up
  }
  denied.join();
  CHECK(outcome == 1);
}

TEST_CASE("entries that share a payload differ in no name: each name of the context is kept",
          "[records][audit]") {
  TempDir tmp;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const auto id = store.insert(kSupport, kSiti);
  auto& log = Access::audit_log(store);
  // Callers share the payloads built last: each of these differs from the one before in one name.
  const std::vector<std::pair<amanah::AccessContext, std::pair<std::string, std::string>>> reads = {
      {{"a", {"support"}, "service"}, {"email", "r1"}},
      {{"b", {"support"}, "service"}, {"email", "r1"}},
      {{"b", {"support", "dpo"}, "service"}, {"email", "r1"}},
      {{"b", {"support,dpo"}, "service"}, {"email", "r1"}},
      {{"b", {"dpo", "support"}, "service"}, {"email", "r1"}},
      {{"b", {"dpo", "support"}, "audit"}, {"email", "r1"}},
      {{"b", {"dpo", "support"}, "audit"}, {"phone", "r1"}},
      {{"b", {"dpo", "support"}, "audit"}, {"phone", "r2"}},
      {{"b", {"dpo"}, "audit"}, {"phone", "r2"}},
      {{"b", {}, "audit"}, {"phone", "r2"}},
      {{"a", {"support"}, "service"}, {"email", "r1"}},
  };
  for (const auto& [ctx, what] : reads)
    log.record_read(ctx, id.str(), what.first, what.second);
  log.flush();
  std::lock_guard w(Access::write_mutex(store));
  auto& d = Access::data_db(store);
  amanah::test::load_audit_rows(d);
  auto st = d.prepare("SELECT actor, roles, purpose, fields, rules FROM " AMANAH_AUDIT_ROWS
                      " WHERE action = 'read' ORDER BY seq");
  for (const auto& [ctx, what] : reads) {
    REQUIRE(st.step());
    CHECK(st.column_text(0) == ctx.actor);
    CHECK(st.column_text(1) == amanah::detail::audit::join_names(ctx.roles));
    CHECK(st.column_text(2) == ctx.purpose);
    CHECK(st.column_text(3) == what.first);
    CHECK(st.column_text(4) == what.second);
  }
  CHECK_FALSE(st.step());
}

TEST_CASE("never more read entries uncommitted than the queue limit, those being written included",
          "[records][audit]") {
  TempDir tmp;
  using amanah::detail::audit::Log;
  auto store = CustomerStore::create(tmp / "s", *app_key(), amanah::test::example_manifest());
  const auto id = store.insert(kSupport, kSiti);
  auto& log = Access::audit_log(store);
  log.set_write_after(std::chrono::hours(1));
  const std::size_t taken = Log::kReadBatch - 1;
  for (std::size_t i = 0; i < taken; ++i)
    log.record_read(kDpo, id.str(), "full_name");
  REQUIRE(log.queued() == taken);
  const std::uint64_t before = log.size();
  std::atomic<bool> done{false};
  {
    // A write takes the queue into its transaction and holds it, uncommitted.
    std::unique_lock w(Access::write_mutex(store));
    auto tx = std::make_unique<amanah::detail::db::Transaction>(Access::data_db(store));
    log.record_write(*tx, kSupport, "update", id.str(), "phone");
    REQUIRE(log.queued() == 0);
    // Another thread reads on: room for the limit less what the write holds, then it waits.
    const std::size_t reads = Log::kQueueLimit;
    std::thread reader([&] {
      for (std::size_t i = 0; i < reads; ++i)
        log.record_read(kDpo, id.str(), "full_name");
      done = true;
    });
    const std::size_t room = Log::kQueueLimit - taken;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (log.queued() < room && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(log.queued() == room);
    CHECK_FALSE(done.load());
    tx->commit();
    tx.reset();
    w.unlock();
    reader.join();
    log.flush();
    CHECK(log.size() == before + taken + 1 + reads);
  }
  CHECK(store.audit().verify().ok());
}

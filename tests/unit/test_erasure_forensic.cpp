// Forensic tests of erasure and rectification: after erase() (or rectify()), no file of the store
// directory, raw, and no page of data.db or keys.db, decrypted (free pages included, read through
// SQLite's sqlite_dbpage), holds a trace of the customer's values, sealed boxes or wrapped key.
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"
#include "forensic.hpp"
#include "records_fixture.hpp"
#include "support.hpp"

using namespace amanah;
using amanah::test::as_text;
using amanah::test::decrypted_pages;
using amanah::test::TempDir;
using amanah::test::Traces;
using Access = amanah::detail::StoreAccess;
namespace db = amanah::detail::db;

namespace {

const AccessContext kDpo{.actor = "dpo-1", .roles = {"dpo"}, .purpose = "service"};
const AccessContext kSupport{.actor = "agent-17", .roles = {"support"}, .purpose = "service"};

// Distinctive values: plain (full_name, email, phone), sealed (nik, notes).
const FieldValues kPlanted = {{"full_name", "PLANTED-Erasable-Zulaikha-0042"},
                              {"email", "planted.erasable.zulaikha@example.co.id"},
                              {"phone", "+6281399887766"},
                              {"nik", "3174056506900042"},
                              {"notes", "PLANTED-NOTE-erasable-secret-9931"}};

struct Planted {
  TempDir tmp;
  std::unique_ptr<KeyProvider> key = raw_key(SecretBytes::random(32));
  CustomerStore store = CustomerStore::create(
      tmp / "s", *key,
      Manifest::from_toml(std::string(amanah::test::kManifestToml) + amanah::test::kPermitAllToml));
  CustomerId id;
  Traces traces;

  Planted() {
    // Neighbours share the planted customer's pages, before and after it.
    for (int i = 0; i < 30; ++i)
      (void)store.insert(kSupport, amanah::test::customer(i));
    id = store.insert(kSupport, kPlanted);
    for (int i = 30; i < 60; ++i)
      (void)store.insert(kSupport, amanah::test::customer(i));
    const AccessContext mk{.actor = "agent-17", .roles = {"support"}, .purpose = "marketing"};
    (void)store.consents().grant(mk, id, "marketing",
                                 {.source = "PLANTED-consent-source-7781", .notice_version = "v1"});
    for (const auto& [field, value] : kPlanted)
      if (field != "phone" && field != "nik") traces.add(value, "value of " + field);
    traces.add("6281399887766", "phone digits");
    traces.add("3174056506900042", "nik");
    // The sealed boxes as stored, and the wrapped key.
    std::string key_id;
    {
      auto st = Access::data_db(store).prepare("SELECT key_id, doc FROM subjects WHERE id = ?1");
      st.bind(1, id.str());
      REQUIRE(st.step());
      key_id = st.column_text(0);
      const std::string doc = as_text(st.column_blob(1));
      // The doc's longest runs after the plain values: take its last 40 bytes (the notes box's
      // tag and ciphertext tail) and a middle slice.
      traces.add(doc.substr(doc.size() - 40), "tail of the sealed record");
    }
    {
      auto st =
          Access::keys_db(store).prepare("SELECT wrapped FROM subject_keys WHERE key_id = ?1");
      st.bind(1, key_id);
      REQUIRE(st.step());
      traces.add(as_text(st.column_blob(0)), "wrapped subject key");
    }
    {
      auto st = Access::data_db(store).prepare(
          "SELECT evidence FROM consents WHERE subject_row = (SELECT row FROM subjects WHERE id = "
          "?1)");
      st.bind(1, id.str());
      REQUIRE(st.step());
      traces.add(as_text(st.column_blob(0)), "sealed consent evidence");
    }
  }

  // Every trace found: raw bytes of every file, and decrypted pages of both databases.
  std::vector<std::string> hits() {
    std::vector<std::string> out;
    for (const auto& f : amanah::test::files_below(tmp / "s"))
      traces.find_in(amanah::test::read_file(f), f.filename().string() + " (raw)", out);
    traces.find_in(decrypted_pages(tmp / "s" / "data.db", Access::data_db_key(store)),
                   "data.db pages", out);
    traces.find_in(decrypted_pages(tmp / "s" / "keys.db", Access::keys_db_key(store)),
                   "keys.db pages", out);
    return out;
  }
};

}  // namespace

TEST_CASE("forensic: before erasure the decrypted pages hold the planted traces (control)",
          "[forensic][erasure]") {
  Planted p;
  // Checkpointed, so the pages hold what the WAL held.
  Access::data_db(p.store).checkpoint_truncate();
  Access::keys_db(p.store).checkpoint_truncate();
  const auto hits = p.hits();
  // Every plain value, the record's tail, the wrapped key and the evidence are found (the
  // sealed values' plain text never is: only their boxes).
  for (const std::string found :
       {"data.db pages: value of full_name", "data.db pages: value of email",
        "data.db pages: phone digits", "data.db pages: tail of the sealed record",
        "data.db pages: sealed consent evidence", "keys.db pages: wrapped subject key"})
    CHECK(std::find(hits.begin(), hits.end(), found) != hits.end());
  CHECK(std::none_of(hits.begin(), hits.end(),
                     [](const std::string& h) { return h.find("(raw)") != std::string::npos; }));
}

TEST_CASE("forensic: after erase() no file, page, free page or WAL frame keeps a trace",
          "[forensic][erasure]") {
  Planted p;
  const ErasureReceipt r = p.store.erase(kDpo, p.id);
  REQUIRE(r.complete());
  REQUIRE(r.key_destroyed);
  REQUIRE(r.scrubbed);
  CHECK(std::filesystem::file_size(p.tmp / "s" / "data.db-wal") == 0);
  CHECK(std::filesystem::file_size(p.tmp / "s" / "keys.db-wal") == 0);
  const auto hits = p.hits();
  CHECK(hits.empty());
  for (const auto& h : hits)
    UNSCOPED_INFO(h);
  // The others are intact.
  CHECK(p.store.size() == 60);
  CHECK(p.store.audit().verify().ok());
  // And after close.
  const auto data_key = Access::data_db_key(p.store);
  p.store.close();
  std::vector<std::string> closed;
  for (const auto& f : amanah::test::files_below(p.tmp / "s"))
    p.traces.find_in(amanah::test::read_file(f), f.filename().string(), closed);
  p.traces.find_in(decrypted_pages(p.tmp / "s" / "data.db", data_key), "data.db pages", closed);
  CHECK(closed.empty());
}

TEST_CASE("forensic: rectify() keeps the old value nowhere", "[forensic][rights]") {
  Planted p;
  p.store.rectify(kDpo, p.id, {{"full_name", "Zulaikha Rectified"}, {"notes", "new note"}},
                  "customer_request");
  std::vector<std::string> hits;
  p.traces.find_in(decrypted_pages(p.tmp / "s" / "data.db", Access::data_db_key(p.store)),
                   "data.db pages", hits);
  for (const auto& f : amanah::test::files_below(p.tmp / "s"))
    p.traces.find_in(amanah::test::read_file(f), f.filename().string(), hits);
  // The rectified values are gone; the others (email, phone, nik, evidence, key) stay by design.
  CHECK(std::find(hits.begin(), hits.end(), "data.db pages: value of full_name") == hits.end());
  CHECK(std::find(hits.begin(), hits.end(), "data.db pages: value of notes") == hits.end());
  CHECK(std::find(hits.begin(), hits.end(), "data.db pages: value of email") != hits.end());
}

// CustomerStore, checked through its internals (StoreAccess, fault points, the db layer):
// creation, unlock methods, rekey and its interruption, the fail-closed SQLCipher check. The
// cases that need only the public API are in api/test_store.cpp.
#include <amanah/amanah.hpp>

#include <sys/stat.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/generators/catch_generators.hpp>
#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"
#include "faults.hpp"
#include "keys/hierarchy.hpp"
#include "keys/keyslots.hpp"
#include "store/layout.hpp"

#include "support.hpp"

using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::test::TempDir;
namespace fsys = std::filesystem;
namespace db = amanah::detail::db;
using Access = amanah::detail::StoreAccess;

using amanah::test::FaultAt;

namespace {

constexpr amanah::Argon2Params kFast{19 * 1024, 2, 1};

std::unique_ptr<amanah::KeyProvider> pass(std::string_view p) {
  return amanah::passphrase_key(SecretBytes::from_string(p), kFast);
}

void put_note(CustomerStore& s, std::string_view note) {
  auto& c = Access::data_db(s);
  c.exec("CREATE TABLE IF NOT EXISTS note(v TEXT)");
  c.prepare("INSERT INTO note(v) VALUES (?1)").bind(1, note).run();
}

std::vector<std::string> notes(CustomerStore& s) {
  std::vector<std::string> out;
  auto st = Access::data_db(s).prepare("SELECT v FROM note ORDER BY rowid");
  while (st.step())
    out.push_back(st.column_text(0));
  return out;
}

}  // namespace

TEST_CASE("create makes a store directory that opens again with the same key", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "customers.amanah";
  std::string id;
  {
    auto store = CustomerStore::create(dir, *pass("open sesame"));
    id = store.store_id();
    CHECK(id.size() == 32);
    CHECK(store.key_generation() == 1);
    CHECK(store.path() == dir);
    put_note(store, "hello");
  }
  CHECK(fsys::is_regular_file(dir / "keyslots"));
  CHECK(fsys::is_regular_file(dir / "data.db"));
  CHECK(fsys::is_regular_file(dir / "keys.db"));
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // No leftover temporary directory beside it.
  for (const auto& e : fsys::directory_iterator(tmp.path()))
    CHECK(e.path() == dir);

  auto store = CustomerStore::open(dir, *pass("open sesame"));
  CHECK(store.store_id() == id);
  CHECK(notes(store) == std::vector<std::string>{"hello"});
  auto methods = store.unlock_methods();
  REQUIRE(methods.size() == 1);
  CHECK(methods[0].kind == "passphrase");
  CHECK(methods[0].label == "primary");
}

TEST_CASE("a create that fails part way leaves nothing behind", "[store]") {
  TempDir tmp;
  {
    FaultAt crash("create:before-rename");
    REQUIRE_THROWS_AS(CustomerStore::create(tmp / "s", *pass("pw")), std::runtime_error);
  }
  CHECK(fsys::is_empty(tmp.path()));
  // A provider that fails to wrap leaves nothing either.
  struct Broken final : amanah::KeyProvider {
    std::string kind() const override { return "broken"; }
    amanah::WrappedKey wrap(std::span<const std::byte>, std::span<const std::byte>) const override {
      return {"broken", "", {}};
    }
    std::optional<SecretBytes> unwrap(const amanah::WrappedKey&,
                                      std::span<const std::byte>) const override {
      return std::nullopt;
    }
  } broken;
  REQUIRE_AMANAH_ERROR(CustomerStore::create(tmp / "s", broken), ErrorCode::Internal);
  CHECK(fsys::is_empty(tmp.path()));
}

TEST_CASE("without SQLCipher a store neither opens nor is created, and nothing is written",
          "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const auto key = amanah::raw_key(SecretBytes::random(32));
  {
    auto store = CustomerStore::create(dir, *key);
    put_note(store, "synthetic note");
  }
  const auto before = amanah::test::snapshot(tmp.path());
  {
    // PRAGMA cipher_version answers with no row, as with plain SQLite linked.
    db::testing::g_cipher_version = [](std::optional<std::string>) {
      return std::optional<std::string>();
    };
    struct Reset {
      ~Reset() { db::testing::g_cipher_version = nullptr; }
    } reset;
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *key), ErrorCode::Unsupported);
    REQUIRE_AMANAH_ERROR(CustomerStore::create(tmp / "new", *key), ErrorCode::Unsupported);
    CHECK(amanah::test::snapshot(tmp.path()) == before);
    CHECK_FALSE(fsys::exists(tmp / "new"));
    // No half-built store beside it either.
    std::vector<std::string> entries;
    for (const auto& e : fsys::directory_iterator(tmp.path()))
      entries.push_back(e.path().filename().string());
    CHECK(entries == std::vector<std::string>{"s"});
  }
  auto store = CustomerStore::open(dir, *key);
  CHECK(notes(store) == std::vector<std::string>{"synthetic note"});
}

TEST_CASE("unlock methods: add, remove, recovery, and the last one stays", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  SecretBytes app = SecretBytes::random(32);
  SecretBytes recovery;
  std::string data_before;
  {
    auto store = CustomerStore::create(dir, *pass("first"), {.label = "owner"});
    put_note(store, "kept");
    store.close();
    data_before = amanah::test::read_file(dir / "data.db");
    store = CustomerStore::open(dir, *pass("first"));
    const std::string app_id = store.add_unlock_method(*amanah::raw_key(app.clone()), "app server");
    recovery = store.add_recovery_key();
    CHECK(store.unlock_methods().size() == 3);
    // Passphrase change: add the new one, remove the old one.
    (void)store.add_unlock_method(*pass("second"), "owner (new)");
    const auto methods = store.unlock_methods();
    REQUIRE(methods.size() == 4);
    CHECK(methods[0].label == "owner");
    CHECK(methods[1].id == app_id);
    CHECK(methods[2].kind == "recovery");
    store.remove_unlock_method(methods[0].id);
    REQUIRE_AMANAH_ERROR(store.remove_unlock_method("0123456789abcdef"), ErrorCode::NotFound);
    REQUIRE_AMANAH_ERROR(store.add_unlock_method(*pass("x"), ""), ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR(store.add_unlock_method(*pass("x"), "bad\nlabel"),
                         ErrorCode::InvalidArgument);
  }
  // Changing unlock methods re-encrypted nothing.
  CHECK(amanah::test::read_file(dir / "data.db") == data_before);
  REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *pass("first")), ErrorCode::WrongKey);
  {
    auto s = CustomerStore::open(dir, *pass("second"));
    CHECK(notes(s) == std::vector<std::string>{"kept"});
  }
  { auto s = CustomerStore::open(dir, *amanah::raw_key(app.clone())); }
  {
    auto s = CustomerStore::open(dir, *amanah::recovery_key(recovery.clone()));
    CHECK(notes(s) == std::vector<std::string>{"kept"});
    auto methods = s.unlock_methods();
    s.remove_unlock_method(methods[0].id);
    s.remove_unlock_method(methods[1].id);
    methods = s.unlock_methods();
    REQUIRE(methods.size() == 1);
    REQUIRE_AMANAH_ERROR(s.remove_unlock_method(methods[0].id), ErrorCode::InvalidOperation);
    CHECK(s.unlock_methods().size() == 1);
  }
  { auto s = CustomerStore::open(dir, *pass("second")); }
}

TEST_CASE("rekey moves both databases to new keys; old copies stay on the old key", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto key = amanah::raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(dir, *key);
  put_note(store, "before rekey");
  Access::data_db(store).checkpoint_truncate();
  fsys::copy_file(dir / "data.db", tmp / "old-data.db");
  const SecretBytes old_key = Access::data_db_key(store);

  store.rekey();
  CHECK(store.key_generation() == 2);
  const SecretBytes new_key = Access::data_db_key(store);
  CHECK_FALSE(new_key.equals(old_key));
  put_note(store, "after rekey");
  store.close();

  // The live file opens only with the new key; the old copy only with the old one.
  REQUIRE_AMANAH_ERROR(db::Connection::open(dir / "data.db", old_key, false), ErrorCode::WrongKey);
  REQUIRE_AMANAH_ERROR(db::Connection::open(tmp / "old-data.db", new_key, false),
                       ErrorCode::WrongKey);
  REQUIRE_NOTHROW(db::Connection::open(tmp / "old-data.db", old_key, false));

  auto again = CustomerStore::open(dir, *key);
  CHECK(again.key_generation() == 2);
  CHECK(notes(again) == std::vector<std::string>{"before rekey", "after rekey"});
  again.rekey();
  CHECK(again.key_generation() == 3);
  CHECK(notes(again) == std::vector<std::string>{"before rekey", "after rekey"});
}

TEST_CASE("a rekey that fails before re-encrypting anything is undone and the store stays open",
          "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto key = amanah::raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(dir, *key);
  put_note(store, "survives");
  {
    FaultAt crash("rekey:marked");
    REQUIRE_THROWS_AS(store.rekey(), std::runtime_error);
  }
  REQUIRE(store.is_open());  // as it was: nothing had been re-encrypted
  CHECK(store.key_generation() == 1);
  CHECK_FALSE(amanah::detail::keys::read_keyslots(dir / "keyslots").rekey_to.has_value());
  CHECK(notes(store) == std::vector<std::string>{"survives"});
  store.rekey();
  CHECK(store.key_generation() == 2);
  store.close();
  auto reopened = CustomerStore::open(dir, *key);
  CHECK(reopened.key_generation() == 2);
  CHECK(notes(reopened) == std::vector<std::string>{"survives"});
}

TEST_CASE("a rekey interrupted at any step is finished by the next open", "[store]") {
  const char* point = GENERATE("rekey:data-done", "rekey:keys-done");
  CAPTURE(point);
  TempDir tmp;
  const auto dir = tmp / "s";
  auto key = amanah::raw_key(SecretBytes::random(32));
  {
    auto store = CustomerStore::create(dir, *key);
    put_note(store, "survives");
    FaultAt crash(point);
    REQUIRE_THROWS_AS(store.rekey(), std::runtime_error);
    CHECK_FALSE(store.is_open());  // closed: its files may be at two generations
  }
  auto store = CustomerStore::open(dir, *key);
  CHECK(store.key_generation() == 2);
  CHECK(notes(store) == std::vector<std::string>{"survives"});
  const SecretBytes k2 = Access::keys_db_key(store);
  store.close();
  REQUIRE_NOTHROW(db::Connection::open(dir / "keys.db", k2, false));
  auto reopened = CustomerStore::open(dir, *key);
  CHECK(reopened.key_generation() == 2);
}

TEST_CASE("every file of a store is private to its owner (0600), whatever the umask", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  const auto modes = [&] {
    std::vector<std::pair<std::string, unsigned>> out;
    for (const auto& e : fsys::directory_iterator(dir)) {
      struct stat st {};
      REQUIRE(::lstat(e.path().c_str(), &st) == 0);
      out.emplace_back(e.path().filename().string(), st.st_mode & 07777);
    }
    return out;
  };
  // With no umask, SQLite's own default mode (0644) would show.
  struct NoUmask {
    mode_t saved = ::umask(0);
    ~NoUmask() { ::umask(saved); }
  } no_umask;
  std::vector<std::pair<std::string, unsigned>> open_modes, closed_modes;
  {
    auto store = CustomerStore::create(dir, *pass("pw"));
    put_note(store, "written");  // data.db-wal and -shm exist while the store is open
    open_modes = modes();
  }
  {
    auto store = CustomerStore::open(dir, *pass("pw"));
    put_note(store, "again");
  }
  closed_modes = modes();
  CHECK(open_modes.size() >= 7);  // keyslots, data.db, keys.db and their -wal and -shm
  for (const auto& list : {open_modes, closed_modes}) {
    for (const auto& [name, mode] : list) {
      CAPTURE(name);
      CHECK(mode == 0600);
    }
  }
}

TEST_CASE("opening a store makes its database files private again", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  (void)CustomerStore::create(dir, *pass("pw"));
  // As a store written by an older amanah would have them.
  for (const char* name : {"data.db", "keys.db"})
    fsys::permissions(dir / name, fsys::perms::owner_read | fsys::perms::owner_write |
                                      fsys::perms::group_read | fsys::perms::others_read);
  { auto store = CustomerStore::open(dir, *pass("pw")); }
  for (const char* name : {"data.db", "keys.db"}) {
    CAPTURE(name);
    struct stat st {};
    REQUIRE(::stat((dir / name).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
  }
}

TEST_CASE("the manifest in data.db keeps restricted permits, rights actions and retention anchors",
          "[store][manifest][restricted]") {
  using amanah::Action;
  using amanah::Manifest;
  TempDir tmp;
  const auto dir = tmp / "customers.amanah";
  const auto key = pass("open sesame");
  auto stored_body = [](CustomerStore& s) {
    auto st = Access::data_db(s).prepare("SELECT body FROM manifest WHERE id = 1");
    REQUIRE(st.step());
    return st.column_text(0);
  };
  constexpr std::string_view kBase = R"([purposes.service]
basis = "contract"
[purposes.news]
basis = "consent"
[fields]
email = { type = "email", category = "contact", purposes = ["service", "news"] }
seen  = { type = "text", category = "behavioral", purposes = ["service"] }
[[permit]]
id = "dpo"
roles = ["dpo"]
)";
  // As a store made before these keys existed holds it: none of them in the stored JSON.
  const auto before = Manifest::from_toml(std::string(kBase) +
                                          "actions = [\"read\", \"manage_consent\"]\n"
                                          "[retention]\nbehavioral = \"365d\"\n");
  const auto after = Manifest::from_toml(
      std::string(kBase) +
      "actions = [\"read\", \"rectify\", \"restrict\", \"object\", \"manage_retention\"]\n"
      "restricted = true\n"
      "[retention]\nbehavioral = { keep = \"365d\", from = \"last_activity\" }\n"
      "contact = { keep = \"30d\", from = \"consent_withdrawal\" }\n"
      "[fields.note]\ntype = \"text\"\ncategory = \"behavioral\"\npurposes = [\"service\"]\n"
      "retention_from = \"relationship_end\"\n");
  {
    auto store = CustomerStore::create(dir, *key, before);
    const std::string body = stored_body(store);
    CHECK(body == before.to_json());
    for (const char* k : {"restricted", "retention_from", "\"from\"", "rectify"})
      CHECK(body.find(k) == std::string::npos);
  }
  {
    // Opening with the new manifest replaces the stored one (== sees the difference).
    auto store = CustomerStore::open(dir, *key, after);
    CHECK(stored_body(store) == after.to_json());
  }
  {
    auto store = CustomerStore::open(dir, *key);  // the stored manifest, read back
    CHECK(store.manifest() == after);
    CHECK(store.manifest().rules()[0].restricted);
    CHECK(store.manifest().retention()[0].from == amanah::RetentionFrom::last_activity);
    CHECK(store.manifest().field("note")->retention_from ==
          amanah::RetentionFrom::relationship_end);
    const amanah::AccessContext dpo{.actor = "dpo-ani", .roles = {"dpo"}, .purpose = "service"};
    CHECK(store.policy().decide(dpo, Action::restrict).allows_restricted(""));
    CHECK(store.policy().decide(dpo, Action::rectify, "email").allows_restricted("email"));
    CHECK_FALSE(store.policy().decide(dpo, Action::erase).allowed());
  }
  {
    // Only restricted differs: still a change, and stored.
    const auto without = Manifest::from_toml(
        std::string(kBase) +
        "actions = [\"read\", \"rectify\", \"restrict\", \"object\", \"manage_retention\"]\n"
        "[retention]\nbehavioral = { keep = \"365d\", from = \"last_activity\" }\n"
        "contact = { keep = \"30d\", from = \"consent_withdrawal\" }\n"
        "[fields.note]\ntype = \"text\"\ncategory = \"behavioral\"\npurposes = [\"service\"]\n"
        "retention_from = \"relationship_end\"\n");
    REQUIRE_FALSE(without == after);
    auto store = CustomerStore::open(dir, *key, without);
    CHECK(stored_body(store) == without.to_json());
    CHECK(stored_body(store).find("restricted") == std::string::npos);
    const amanah::AccessContext dpo{.actor = "dpo-ani", .roles = {"dpo"}, .purpose = "service"};
    CHECK(store.policy().decide(dpo, Action::restrict).allowed());
    CHECK_FALSE(store.policy().decide(dpo, Action::restrict).allows_restricted(""));
  }
}

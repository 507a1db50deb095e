// CustomerStore through the public API: wrong keys, damage, paths, locking, the default
// passphrase cost, misuse. The cases that need internals are in unit/test_store.cpp.
#include <amanah/amanah.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support.hpp"

using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::test::TempDir;
namespace fsys = std::filesystem;

namespace {

constexpr amanah::Argon2Params kFast{19 * 1024, 2, 1};

std::unique_ptr<amanah::KeyProvider> pass(std::string_view p) {
  return amanah::passphrase_key(SecretBytes::from_string(p), kFast);
}

}  // namespace

TEST_CASE("a wrong key is WrongKey and its message carries no secret", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  (void)CustomerStore::create(dir, *pass("right passphrase"));
  try {
    (void)CustomerStore::open(dir, *pass("planted-wrong-pass-8841"));
    FAIL("expected WrongKey");
  } catch (const amanah::Error& e) {
    CHECK(e.code() == ErrorCode::WrongKey);
    CHECK(std::string(e.what()).find("planted") == std::string::npos);
  }
  // A raw key on a store with only a passphrase slot.
  REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *amanah::raw_key(SecretBytes::random(32))),
                       ErrorCode::WrongKey);
  // A wrong key takes nothing: the store still opens with the right one.
  REQUIRE_NOTHROW(CustomerStore::open(dir, *pass("right passphrase")));
}

TEST_CASE("damage is Corrupt, told apart from a wrong key", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  (void)CustomerStore::create(dir, *pass("pw"));
  const auto key = pass("pw");
  const auto wrong = pass("not it");

  SECTION("a damaged keyslots file is Corrupt for the right and the wrong key alike") {
    std::string ks = amanah::test::read_file(dir / "keyslots");
    ks[ks.size() / 2] ^= 0x04;
    amanah::test::write_file(dir / "keyslots", ks);
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *key), ErrorCode::Corrupt);
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *wrong), ErrorCode::Corrupt);
  }
  SECTION("a damaged data.db is Corrupt") {
    std::string d = amanah::test::read_file(dir / "data.db");
    for (std::size_t i = 100; i < 200; ++i)
      d[i] = static_cast<char>(d[i] ^ 0x5a);
    amanah::test::write_file(dir / "data.db", d);
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *key), ErrorCode::Corrupt);
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *wrong), ErrorCode::WrongKey);
  }
  SECTION("a missing keys.db is Corrupt") {
    fsys::remove(dir / "keys.db");
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *key), ErrorCode::Corrupt);
  }
  SECTION("an emptied data.db is Corrupt and is not turned into a new database") {
    amanah::test::write_file(dir / "data.db", "");
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *key), ErrorCode::Corrupt);
    CHECK(fsys::file_size(dir / "data.db") == 0);
  }
  SECTION("a data.db from another store is Corrupt") {
    const auto other = tmp / "other";
    (void)CustomerStore::create(other, *key);
    fsys::copy_file(other / "data.db", dir / "data.db", fsys::copy_options::overwrite_existing);
    REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *key), ErrorCode::Corrupt);
  }
}

TEST_CASE("create refuses to overwrite; open says what is wrong with the path", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  (void)CustomerStore::create(dir, *pass("pw"));
  const std::string before = amanah::test::read_file(dir / "keyslots");
  REQUIRE_AMANAH_ERROR(CustomerStore::create(dir, *pass("other")), ErrorCode::AlreadyExists);
  CHECK(amanah::test::read_file(dir / "keyslots") == before);
  REQUIRE_NOTHROW(CustomerStore::open(dir, *pass("pw")));

  fsys::create_directory(tmp / "busy");
  amanah::test::write_file(tmp / "busy" / "notes.txt", "x");
  REQUIRE_AMANAH_ERROR(CustomerStore::create(tmp / "busy", *pass("pw")), ErrorCode::AlreadyExists);
  CHECK(fsys::exists(tmp / "busy" / "notes.txt"));
  amanah::test::write_file(tmp / "file", "x");
  REQUIRE_AMANAH_ERROR(CustomerStore::create(tmp / "file", *pass("pw")), ErrorCode::AlreadyExists);
  REQUIRE_AMANAH_ERROR(CustomerStore::create(tmp / "no" / "parent", *pass("pw")),
                       ErrorCode::NotFound);

  fsys::create_directory(tmp / "empty");
  REQUIRE_NOTHROW(CustomerStore::create(tmp / "empty", *pass("pw")));

  REQUIRE_AMANAH_ERROR(CustomerStore::open(tmp / "missing", *pass("pw")), ErrorCode::NotFound);
  REQUIRE_AMANAH_ERROR(CustomerStore::open(tmp / "busy", *pass("pw")), ErrorCode::NotAStore);
  REQUIRE_AMANAH_ERROR(CustomerStore::open(tmp / "file", *pass("pw")), ErrorCode::NotAStore);
}

TEST_CASE("a store is open once: a second open in this process is StoreLocked", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto store = CustomerStore::create(dir, *pass("pw"));
  REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *pass("pw")), ErrorCode::StoreLocked);
  store.close();
  CHECK_FALSE(store.is_open());
  store.close();  // idempotent
  REQUIRE_AMANAH_ERROR((void)store.unlock_methods(), ErrorCode::InvalidOperation);
  auto again = CustomerStore::open(dir, *pass("pw"));
  CHECK(again.is_open());
  // Moving keeps the lock with the new owner.
  CustomerStore moved = std::move(again);
  REQUIRE_AMANAH_ERROR(CustomerStore::open(dir, *pass("pw")), ErrorCode::StoreLocked);
  CHECK(moved.is_open());
}

TEST_CASE("a store open in one process is StoreLocked in another", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto key = amanah::raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(dir, *key);
  auto child_open = [&]() -> int {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int code = 0;
      try {
        auto s = CustomerStore::open(dir, *key);
        code = 10;  // opened
      } catch (const amanah::Error& e) {
        code = e.code() == ErrorCode::StoreLocked ? 20 : 30;
      } catch (...) {
        code = 40;
      }
      ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
  };
  CHECK(child_open() == 20);
  store.close();
  CHECK(child_open() == 10);
}

TEST_CASE("the default passphrase cost is Argon2id m=64 MiB, t=3, p=4", "[store]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  (void)CustomerStore::create(dir, *amanah::passphrase_key(SecretBytes::from_string("pw")));
  const std::string ks = amanah::test::read_file(dir / "keyslots");
  CHECK(ks.find(R"(\"m\":65536)") != std::string::npos);
  CHECK(ks.find(R"(\"t\":3)") != std::string::npos);
  CHECK(ks.find(R"(\"p\":4)") != std::string::npos);
  REQUIRE_NOTHROW(
      CustomerStore::open(dir, *amanah::passphrase_key(SecretBytes::from_string("pw"))));
}

TEST_CASE("a moved-from store reports misuse instead of crashing", "[store]") {
  TempDir tmp;
  auto a = CustomerStore::create(tmp / "s", *amanah::raw_key(SecretBytes::random(32)));
  CustomerStore b = std::move(a);
  CHECK_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): deliberate
  REQUIRE_AMANAH_ERROR((void)a.store_id(), ErrorCode::InvalidOperation);
  REQUIRE_AMANAH_ERROR(a.rekey(), ErrorCode::InvalidOperation);
  CHECK(b.is_open());
}

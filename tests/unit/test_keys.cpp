// The keyslots file (an internal format). Key providers and recovery keys, which are public, are
// tested in api/test_keys.cpp.
#include <amanah/amanah.hpp>

#include <string>
#include <string_view>
#include <utility>

#include <catch2/generators/catch_generators.hpp>

#include <nlohmann/json.hpp>

#include "crypto/crypto.hpp"
#include "keys/keyslots.hpp"
#include "support.hpp"

using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::test::TempDir;
namespace keys = amanah::detail::keys;
namespace crypto = amanah::detail::crypto;

namespace {

constexpr amanah::Argon2Params kFast{19 * 1024, 2, 1};

// Recomputes an edited file's checksum, as a careless editor or an attacker would (the checksum
// catches damage; only the MAC, under the root key, catches an edit).
void fix_checksum(nlohmann::json& j) {
  const std::string mac = j["mac"];
  j.erase("mac");
  j.erase("checksum");
  const std::string body = j.dump();
  j["mac"] = mac;
  j["checksum"] = crypto::to_hex(crypto::sha256(crypto::as_bytes(body + "\n" + mac)));
}

}  // namespace

TEST_CASE("keyslots file: damage is Corrupt, a wrong key is WrongKey", "[keys]") {
  TempDir dir;
  const auto file = dir / "keyslots";
  const SecretBytes root = SecretBytes::random(32);
  auto pass = amanah::passphrase_key(SecretBytes::from_string("right"), kFast);
  keys::Keyslots k;
  k.store_id = crypto::to_hex(crypto::random_bytes(16));
  k.kek_wrapped = keys::seal_kek(SecretBytes::random(32), root, k.store_id, 1);
  k.slots.push_back(keys::make_slot(*pass, root, k.store_id, "primary"));
  k.slots.push_back(
      keys::make_slot(*amanah::raw_key(SecretBytes::random(32)), root, k.store_id, "app"));
  keys::write_keyslots(file, k, root);
  const std::string good = amanah::test::read_file(file);

  SECTION("round trip") {
    const keys::Keyslots r = keys::read_keyslots(file);
    CHECK(r.store_id == k.store_id);
    REQUIRE(r.slots.size() == 2);
    CHECK(r.slots[1].label == "app");
    CHECK(keys::unlock(r, *pass).equals(root));
  }
  SECTION("wrong passphrase") {
    const keys::Keyslots r = keys::read_keyslots(file);
    auto wrong = amanah::passphrase_key(SecretBytes::from_string("wrong"), kFast);
    REQUIRE_AMANAH_ERROR((void)keys::unlock(r, *wrong), ErrorCode::WrongKey);
  }
  SECTION("no slot of the provider's kind") {
    keys::Keyslots only = k;
    only.slots.pop_back();
    keys::write_keyslots(file, only, root);
    const keys::Keyslots r = keys::read_keyslots(file);
    REQUIRE_AMANAH_ERROR((void)keys::unlock(r, *amanah::raw_key(SecretBytes::random(32))),
                         ErrorCode::WrongKey);
  }
  SECTION("any flipped byte of the wrapped key, salt or ids is damage") {
    const std::pair<std::string, std::size_t> spots[] = {
        {k.slots[0].id, 3}, {k.store_id, 3}, {"\"wrapped\": \"", 14}, {"\"salt\\\":\\\"", 14}};
    for (const auto& [needle, offset] : spots) {
      std::string bad = good;
      const auto pos = bad.find(needle);
      REQUIRE(pos != std::string::npos);
      bad[pos + offset] ^= 0x01;
      amanah::test::write_file(file, bad);
      REQUIRE_AMANAH_ERROR((void)keys::read_keyslots(file), ErrorCode::Corrupt);
    }
  }
  SECTION("truncated, empty or not JSON") {
    amanah::test::write_file(file, good.substr(0, good.size() / 2));
    REQUIRE_AMANAH_ERROR((void)keys::read_keyslots(file), ErrorCode::Corrupt);
    amanah::test::write_file(file, "");
    REQUIRE_AMANAH_ERROR((void)keys::read_keyslots(file), ErrorCode::Corrupt);
    amanah::test::write_file(file, "SQLite format 3");
    REQUIRE_AMANAH_ERROR((void)keys::read_keyslots(file), ErrorCode::Corrupt);
  }
  SECTION("a newer format is Unsupported") {
    auto j = nlohmann::json::parse(good);
    j["version"] = 99;
    amanah::test::write_file(file, j.dump());
    REQUIRE_AMANAH_ERROR((void)keys::read_keyslots(file), ErrorCode::Unsupported);
  }
  SECTION("an edit with a recomputed checksum but no root key fails the MAC") {
    // Someone removes the app slot and fixes the checksum: the damage check passes, the right
    // key unwraps the root, and the MAC catches the edit.
    auto j = nlohmann::json::parse(good);
    j["slots"].erase(1);
    fix_checksum(j);
    amanah::test::write_file(file, j.dump(2));
    const keys::Keyslots r = keys::read_keyslots(file);
    REQUIRE_AMANAH_ERROR((void)keys::unlock(r, *pass), ErrorCode::Corrupt);
  }
  SECTION("a number that is not a plain unsigned integer is damage") {
    // Found by fuzz_keyslots: an epoch too large for an integer reads as a double, and converting
    // it to std::uint64_t was undefined behaviour (UBSan). A fractional, negative or oversized
    // version or generation is the same damage, checksum recomputed or not.
    const char* where = GENERATE("version", "db_generation", "kek.epoch", "rekey_to");
    const char* value = GENERATE("3.3e54", "1.5", "-1", "18446744073709551616", "4294967297");
    CAPTURE(where, value);
    auto j = nlohmann::json::parse(good);
    auto& slot = std::string_view(where) == "kek.epoch" ? j["kek"]["epoch"] : j[where];
    slot = nlohmann::json::parse(value);
    fix_checksum(j);
    amanah::test::write_file(file, j.dump(2));
    if (std::string_view(value) == "4294967297" && std::string_view(where) == "version") {
      // Not read as version 1 (its low 32 bits): a format from the future.
      REQUIRE_AMANAH_ERROR((void)keys::read_keyslots(file), ErrorCode::Unsupported);
    } else if (std::string_view(value) == "4294967297") {
      // A valid (if unlikely) unsigned 64-bit value: read as it is, the MAC decides.
      CHECK(keys::read_keyslots(file).mac == j["mac"].get<std::string>());
    } else {
      REQUIRE_AMANAH_ERROR((void)keys::read_keyslots(file), ErrorCode::Corrupt);
    }
  }
  SECTION("a passphrase slot's Argon2 parameters out of an integer's range are damage") {
    // The parameters are read before the MAC can be checked (they derive the key that opens it).
    const char* value = GENERATE("3.3e54", "4294967296", "-1", "2.5");
    CAPTURE(value);
    keys::Keyslots edited = keys::read_keyslots(file);
    auto params = nlohmann::json::parse(edited.slots[0].wrapped.params);
    params["m"] = nlohmann::json::parse(value);
    edited.slots[0].wrapped.params = params.dump();
    REQUIRE_AMANAH_ERROR((void)keys::unlock(edited, *pass), ErrorCode::Corrupt);
  }
  SECTION("the file holds no key material in the clear") {
    const std::string hex = crypto::to_hex(root.view());
    CHECK(good.find(hex) == std::string::npos);
    CHECK(good.find(crypto::to_base64(root.view())) == std::string::npos);
    CHECK(good.find("right") == std::string::npos);
  }
}

TEST_CASE("keyslots file: a KEK rotation's next KEK is kept, covered by the MAC, and optional",
          "[keys][rotation]") {
  TempDir dir;
  const auto file = dir / "keyslots";
  const SecretBytes root = SecretBytes::random(32);
  auto app = amanah::raw_key(SecretBytes::random(32));
  keys::Keyslots k;
  k.store_id = crypto::to_hex(crypto::random_bytes(16));
  const SecretBytes kek = SecretBytes::random(32), next = SecretBytes::random(32);
  k.kek_wrapped = keys::seal_kek(kek, root, k.store_id, 1);
  k.slots.push_back(keys::make_slot(*app, root, k.store_id, "primary"));
  keys::write_keyslots(file, k, root);
  // Without a rotation in progress the file has no such entry (as files written before it).
  CHECK(amanah::test::read_file(file).find("kek_next") == std::string::npos);
  REQUIRE_FALSE(keys::read_keyslots(file).kek_next_epoch.has_value());
  REQUIRE_AMANAH_ERROR((void)keys::open_next_kek(keys::read_keyslots(file), root),
                       ErrorCode::Internal);

  k.kek_next_epoch = 2;
  k.kek_next_wrapped = keys::seal_kek(next, root, k.store_id, 2);
  keys::write_keyslots(file, k, root);
  const std::string good = amanah::test::read_file(file);
  {
    const keys::Keyslots r = keys::read_keyslots(file);
    REQUIRE(r.kek_next_epoch == std::uint64_t{2});
    CHECK(keys::unlock(r, *app).equals(root));
    CHECK(keys::open_kek(r, root).equals(kek));
    CHECK(keys::open_next_kek(r, root).equals(next));
  }
  // Sealed for its epoch: renumbered, it does not open.
  {
    keys::Keyslots r = keys::read_keyslots(file);
    r.kek_next_epoch = 3;
    REQUIRE_AMANAH_ERROR((void)keys::open_next_kek(r, root), ErrorCode::Corrupt);
  }
  // An edit with its checksum recomputed (as damage checks pass), without the root key.
  const auto rewrite = [&](nlohmann::json j) {
    fix_checksum(j);
    amanah::test::write_file(file, j.dump(2));
  };
  // Dropped: the MAC catches it.
  auto j = nlohmann::json::parse(good);
  j.erase("kek_next");
  rewrite(j);
  REQUIRE_AMANAH_ERROR((void)keys::unlock(keys::read_keyslots(file), *app), ErrorCode::Corrupt);
  // A next epoch not after the current one is damage, before any key is tried.
  j = nlohmann::json::parse(good);
  j["kek_next"]["epoch"] = 1;
  rewrite(j);
  REQUIRE_AMANAH_ERROR((void)keys::read_keyslots(file), ErrorCode::Corrupt);
}

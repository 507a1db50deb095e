// Key providers, recovery keys and the keyslots file.
#include <amanah/amanah.hpp>

#include <cstdlib>
#include <set>
#include <string>

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

std::string text_of(const SecretBytes& s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

std::vector<std::byte> ctx(std::string_view s) {
  auto b = crypto::as_bytes(s);
  return {b.begin(), b.end()};
}

}  // namespace

TEST_CASE("passphrase_key refuses empty passphrases and weak Argon2id parameters", "[keys]") {
  REQUIRE_AMANAH_ERROR(amanah::passphrase_key(SecretBytes{}), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(
      amanah::passphrase_key(SecretBytes::from_string("pw"), {19 * 1024 - 1, 2, 1}),
      ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(amanah::passphrase_key(SecretBytes::from_string("pw"), {64 * 1024, 1, 4}),
                       ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(amanah::passphrase_key(SecretBytes::from_string("pw"), {64 * 1024, 3, 0}),
                       ErrorCode::InvalidArgument);
  REQUIRE_NOTHROW(amanah::passphrase_key(SecretBytes::from_string("pw"), kFast));
  const amanah::Argon2Params defaults;
  CHECK(defaults.memory_kib == 65536);
  CHECK(defaults.iterations == 3);
  CHECK(defaults.parallelism == 4);
}

TEST_CASE("providers wrap and unwrap, bound to their context", "[keys]") {
  const SecretBytes root = SecretBytes::random(32);
  auto pass = amanah::passphrase_key(SecretBytes::from_string("planted-pass-5521"), kFast);
  auto raw = amanah::raw_key(SecretBytes::random(32));
  for (auto* p : {pass.get(), raw.get()}) {
    const amanah::WrappedKey w = p->wrap(root.view(), ctx("store-a|slot-1"));
    auto back = p->unwrap(w, ctx("store-a|slot-1"));
    REQUIRE(back.has_value());
    CHECK(back->equals(root));
    CHECK_FALSE(p->unwrap(w, ctx("store-b|slot-1")).has_value());  // moved to another store
    amanah::WrappedKey flipped = w;
    flipped.ciphertext[20] ^= std::byte{1};
    CHECK_FALSE(p->unwrap(flipped, ctx("store-a|slot-1")).has_value());
    amanah::WrappedKey bad = w;
    bad.params = "{not json";
    REQUIRE_AMANAH_ERROR((void)p->unwrap(bad, ctx("store-a|slot-1")), ErrorCode::Corrupt);
  }
  auto other = amanah::passphrase_key(SecretBytes::from_string("another one"), kFast);
  const amanah::WrappedKey w = pass->wrap(root.view(), ctx("c"));
  CHECK_FALSE(other->unwrap(w, ctx("c")).has_value());
  // The slot records its Argon2id parameters and salt, never the passphrase.
  CHECK(w.params.find("planted-pass") == std::string::npos);
  const auto p = nlohmann::json::parse(w.params);
  CHECK(p.at("m") == 19 * 1024);
  CHECK(p.at("t") == 2);
  CHECK(p.at("alg") == "argon2id");
}

TEST_CASE("a slot weakened below the Argon2id floor is refused as damaged", "[keys]") {
  const SecretBytes root = SecretBytes::random(32);
  auto pass = amanah::passphrase_key(SecretBytes::from_string("pw"), kFast);
  amanah::WrappedKey w = pass->wrap(root.view(), ctx("c"));
  auto p = nlohmann::json::parse(w.params);
  p["m"] = 8;
  w.params = p.dump();
  REQUIRE_AMANAH_ERROR((void)pass->unwrap(w, ctx("c")), ErrorCode::Corrupt);
}

TEST_CASE("raw keys are exactly 32 bytes; env and file helpers take hex or bytes", "[keys]") {
  REQUIRE_AMANAH_ERROR(amanah::raw_key(SecretBytes::random(31)), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(amanah::raw_key(SecretBytes::random(33)), ErrorCode::InvalidArgument);
  const SecretBytes key = SecretBytes::random(32);
  const std::string hex = crypto::to_hex(key.view());
  const SecretBytes root = SecretBytes::random(32);
  const auto w = amanah::raw_key(key.clone())->wrap(root.view(), ctx("c"));

  ::setenv("AMANAH_TEST_RAW_KEY", hex.c_str(), 1);
  auto from_env = amanah::raw_key_from_env("AMANAH_TEST_RAW_KEY");
  CHECK(from_env->unwrap(w, ctx("c")).has_value());
  ::setenv("AMANAH_TEST_RAW_KEY", "zz", 1);
  REQUIRE_AMANAH_ERROR(amanah::raw_key_from_env("AMANAH_TEST_RAW_KEY"), ErrorCode::InvalidArgument);
  ::unsetenv("AMANAH_TEST_RAW_KEY");
  REQUIRE_AMANAH_ERROR(amanah::raw_key_from_env("AMANAH_TEST_RAW_KEY"), ErrorCode::NotFound);

  TempDir dir;
  amanah::test::write_file(dir / "hex", hex + "\n");
  CHECK(amanah::raw_key_from_file(dir / "hex")->unwrap(w, ctx("c")).has_value());
  amanah::test::write_file(dir / "bin", std::string(reinterpret_cast<const char*>(key.data()), 32));
  CHECK(amanah::raw_key_from_file(dir / "bin")->unwrap(w, ctx("c")).has_value());
  REQUIRE_AMANAH_ERROR(amanah::raw_key_from_file(dir / "missing"), ErrorCode::NotFound);
}

TEST_CASE("passphrase helpers read the environment and files", "[keys]") {
  const SecretBytes root = SecretBytes::random(32);
  const auto w = amanah::passphrase_key(SecretBytes::from_string("s3cret words"), kFast)
                     ->wrap(root.view(), ctx("c"));
  ::setenv("AMANAH_TEST_PASS", "s3cret words", 1);
  CHECK(amanah::passphrase_from_env("AMANAH_TEST_PASS", kFast)->unwrap(w, ctx("c")).has_value());
  ::unsetenv("AMANAH_TEST_PASS");
  try {
    (void)amanah::passphrase_from_env("AMANAH_TEST_PASS", kFast);
    FAIL("expected NotFound");
  } catch (const amanah::Error& e) {
    CHECK(e.code() == ErrorCode::NotFound);
    CHECK(std::string(e.what()).find("AMANAH_TEST_PASS") != std::string::npos);
  }
  TempDir dir;
  amanah::test::write_file(dir / "pass", "s3cret words\r\n");
  CHECK(amanah::passphrase_from_file(dir / "pass", kFast)->unwrap(w, ctx("c")).has_value());
}

TEST_CASE("recovery keys are printable, checked and forgiving about case and dashes", "[keys]") {
  const SecretBytes a = amanah::generate_recovery_key();
  const SecretBytes b = amanah::generate_recovery_key();
  CHECK_FALSE(a.equals(b));
  const std::string text = text_of(a);
  REQUIRE(text.size() == 69);  // 14 groups of 4, 13 dashes
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % 5 == 4) {
      CHECK(text[i] == '-');
    } else {
      CHECK(std::string_view("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(text[i]) !=
            std::string_view::npos);
    }
  }
  const SecretBytes root = SecretBytes::random(32);
  const auto w = amanah::recovery_key(a.clone())->wrap(root.view(), ctx("c"));
  CHECK(w.kind == "recovery");

  // Typed back in lower case with spaces instead of dashes, O for 0 and l for 1.
  std::string typed;
  for (char c : text) {
    if (c == '-')
      typed += ' ';
    else if (c == '0')
      typed += 'o';
    else if (c == '1')
      typed += 'l';
    else
      typed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  auto again = amanah::recovery_key(SecretBytes::from_string(typed));
  auto back = again->unwrap(w, ctx("c"));
  REQUIRE(back.has_value());
  CHECK(back->equals(root));

  // One wrong character is caught by the check group.
  std::string typo = text;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  REQUIRE_AMANAH_ERROR(amanah::recovery_key(SecretBytes::from_string(typo)),
                       ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(amanah::recovery_key(SecretBytes::from_string(text.substr(0, 60))),
                       ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(amanah::recovery_key(SecretBytes::from_string(text + "A")),
                       ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(amanah::recovery_key(SecretBytes::from_string("U" + text.substr(1))),
                       ErrorCode::InvalidArgument);
}

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
    const std::string mac = j["mac"];
    j.erase("mac");
    j.erase("checksum");
    const std::string body = j.dump();
    j["mac"] = mac;
    j["checksum"] = crypto::to_hex(crypto::sha256(crypto::as_bytes(body + "\n" + mac)));
    amanah::test::write_file(file, j.dump(2));
    const keys::Keyslots r = keys::read_keyslots(file);
    REQUIRE_AMANAH_ERROR((void)keys::unlock(r, *pass), ErrorCode::Corrupt);
  }
  SECTION("the file holds no key material in the clear") {
    const std::string hex = crypto::to_hex(root.view());
    CHECK(good.find(hex) == std::string::npos);
    CHECK(good.find(crypto::to_base64(root.view())) == std::string::npos);
    CHECK(good.find("right") == std::string::npos);
  }
}

// Key providers (passphrase, raw key, recovery key) and their helpers, through the public API.
// The keyslots file that holds their output is tested in unit/test_keys.cpp.
#include <amanah/amanah.hpp>

#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "support.hpp"

using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::test::TempDir;

namespace {

constexpr amanah::Argon2Params kFast{19 * 1024, 2, 1};

std::string text_of(const SecretBytes& s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

std::vector<std::byte> ctx(std::string_view s) {
  std::vector<std::byte> out;
  for (const char c : s)
    out.push_back(static_cast<std::byte>(c));
  return out;
}

// Lower-case hex, independent of the library.
std::string hex_of(const SecretBytes& s) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = std::to_integer<unsigned>(s.data()[i]);
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
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
  const std::string hex = hex_of(key);
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

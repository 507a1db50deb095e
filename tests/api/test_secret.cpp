// SecretBytes, the public type that holds key material and passphrases: ownership, comparison,
// and reading secrets from the environment and from files.
#include <cstddef>
#include <cstdlib>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <amanah/error.hpp>
#include <amanah/secret.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "support.hpp"

using amanah::ErrorCode;
using amanah::SecretBytes;
using Bytes = std::vector<std::byte>;

// SecretBytes must never end up in a log by accident, nor be copied implicitly. (A requires-
// expression outside a template is a hard error when unsatisfied, hence the concept.)
template <typename T>
concept Streamable = requires(std::ostream& o, const T& s) {
  o << s;
};
static_assert(!Streamable<amanah::SecretBytes>);
static_assert(Streamable<std::string>);  // the check itself works
static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

namespace {

Bytes to_vector(std::span<const std::byte> v) {
  return {v.begin(), v.end()};
}

std::string text_of(const SecretBytes& s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("SecretBytes basics", "[crypto]") {
  SECTION("a sized buffer is zero-filled") {
    const SecretBytes s(40);
    CHECK(s.size() == 40);
    CHECK(to_vector(s.view()) == Bytes(40, std::byte{0}));
    CHECK(SecretBytes{}.empty());
  }
  SECTION("move leaves the source empty") {
    SecretBytes a = SecretBytes::from_string("passphrase");
    SecretBytes b(std::move(a));
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
    CHECK(a.data() == nullptr);
    CHECK(text_of(b) == "passphrase");
    SecretBytes c = SecretBytes::from_string("other");
    c = std::move(b);
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(text_of(c) == "passphrase");
  }
  SECTION("clone equals the original") {
    const SecretBytes a = SecretBytes::from_string("key material");
    const SecretBytes b = a.clone();
    CHECK(b.equals(a));
    CHECK(a.equals(b));
    CHECK(b.data() != a.data());
  }
  SECTION("equals is false for different content or length") {
    const SecretBytes a = SecretBytes::from_string("abcd");
    CHECK_FALSE(a.equals(SecretBytes::from_string("abce")));
    CHECK_FALSE(a.equals(SecretBytes::from_string("abc")));
    CHECK_FALSE(a.equals(SecretBytes::from_string("abcde")));
    CHECK_FALSE(a.equals(SecretBytes{}));
    CHECK(SecretBytes{}.equals(SecretBytes{}));
  }
  SECTION("from_string copies the text") {
    const SecretBytes s = SecretBytes::from_string("héllo");
    CHECK(text_of(s) == "héllo");
    CHECK(SecretBytes::from_string("").empty());
  }
  SECTION("random gives fresh values") {
    const SecretBytes a = SecretBytes::random(32);
    const SecretBytes b = SecretBytes::random(32);
    CHECK(a.size() == 32);
    CHECK(b.size() == 32);
    CHECK_FALSE(a.equals(b));
  }
  SECTION("clear wipes and empties") {
    SecretBytes s = SecretBytes::from_string("abc");
    s.clear();
    CHECK(s.empty());
    CHECK(s.data() == nullptr);
  }
}

TEST_CASE("SecretBytes::from_env", "[crypto]") {
  const char* name = "AMANAH_TEST_CRYPTO_SECRET_VARIABLE";
  REQUIRE(::setenv(name, "env-passphrase", 1) == 0);
  CHECK(text_of(SecretBytes::from_env(name)) == "env-passphrase");

  REQUIRE(::unsetenv(name) == 0);
  REQUIRE_AMANAH_ERROR(SecretBytes::from_env(name), ErrorCode::NotFound);
  REQUIRE_THROWS_WITH(SecretBytes::from_env(name), Catch::Matchers::ContainsSubstring(name));

  REQUIRE(::setenv(name, "", 1) == 0);  // empty counts as unset
  REQUIRE_AMANAH_ERROR(SecretBytes::from_env(name), ErrorCode::NotFound);
  REQUIRE(::unsetenv(name) == 0);
}

TEST_CASE("SecretBytes::from_file strips one trailing newline", "[crypto]") {
  const amanah::test::TempDir dir;
  const auto check = [&](std::string_view contents, std::string_view expected) {
    INFO("file contents size " << contents.size());
    amanah::test::write_file(dir / "secret", contents);
    CHECK(text_of(SecretBytes::from_file(dir / "secret")) == expected);
  };
  check("secret", "secret");
  check("secret\n", "secret");
  check("secret\r\n", "secret");
  check("secret\n\n", "secret\n");
  check("secret\r\n\r\n", "secret\r\n");
  check("\n", "");
  check("", "");
  check("two\nlines\n", "two\nlines");
}

TEST_CASE("SecretBytes::from_file keeps a lone trailing carriage return", "[crypto]") {
  // Regression: only "\n" and "\r\n" are newlines; a lone "\r" is part of the secret.
  const amanah::test::TempDir dir;
  amanah::test::write_file(dir / "secret", "secret\r");
  CHECK(text_of(SecretBytes::from_file(dir / "secret")) == "secret\r");
}

TEST_CASE("SecretBytes::from_file on a missing file", "[crypto]") {
  const amanah::test::TempDir dir;
  REQUIRE_AMANAH_ERROR(SecretBytes::from_file(dir / "absent"), ErrorCode::NotFound);
}

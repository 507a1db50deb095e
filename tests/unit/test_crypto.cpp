// Crypto layer: published known-answer vectors, AEAD behaviour, encodings, secrets from hex.
// (SecretBytes itself, a public type, is tested in api/test_secret.cpp.)
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <amanah/error.hpp>
#include <amanah/secret.hpp>
#include <catch2/catch_test_macros.hpp>

#include "crypto/crypto.hpp"
#include "support.hpp"

namespace crypto = amanah::detail::crypto;
using amanah::ErrorCode;
using amanah::SecretBytes;
using crypto::Bytes;
using crypto::ByteView;

namespace {

// Independent of crypto::from_hex so the vectors do not depend on the code under test. Spaces are
// ignored so vectors can be typed as the specifications print them.
Bytes unhex(std::string_view text) {
  auto digit = [](char c) -> unsigned {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    FAIL("bad hex digit in a test vector");
    return 0;
  };
  std::string clean;
  for (char c : text)
    if (c != ' ') clean += c;
  REQUIRE(clean.size() % 2 == 0);
  Bytes out;
  for (std::size_t i = 0; i < clean.size(); i += 2)
    out.push_back(static_cast<std::byte>(digit(clean[i]) << 4 | digit(clean[i + 1])));
  return out;
}

Bytes repeat(std::byte b, std::size_t n) {
  return Bytes(n, b);
}

Bytes sequence(unsigned first, unsigned last) {
  Bytes out;
  for (unsigned v = first; v <= last; ++v)
    out.push_back(static_cast<std::byte>(v));
  return out;
}

Bytes bytes_of(std::string_view s) {
  const ByteView v = crypto::as_bytes(s);
  return {v.begin(), v.end()};
}

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes to_vector(ByteView v) {
  return {v.begin(), v.end()};
}

std::string text_of(const SecretBytes& s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

SecretBytes test_key(unsigned char fill = 0x42) {
  return SecretBytes::copy_of(repeat(std::byte{fill}, crypto::kKeySize));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Known-answer tests

TEST_CASE("SHA-256 of \"abc\" (FIPS 180-2)", "[crypto]") {
  const auto digest = crypto::sha256(crypto::as_bytes("abc"));
  CHECK(to_vector(digest) ==
        unhex("ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad"));
  // The empty message, as a check that an empty span is handled.
  CHECK(to_vector(crypto::sha256({})) ==
        unhex("e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 649b934c a495991b 7852b855"));
}

TEST_CASE("HKDF-SHA256 (RFC 5869 test cases 1-3)", "[crypto]") {
  SECTION("test case 1") {
    const auto okm = crypto::hkdf_sha256(repeat(std::byte{0x0b}, 22), sequence(0x00, 0x0c),
                                         sequence(0xf0, 0xf9), 42);
    CHECK(to_vector(okm.view()) == unhex("3cb25f25faacd57a90434f64d0362f2a"
                                         "2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                                         "34007208d5b887185865"));
  }
  SECTION("test case 2: longer inputs and outputs") {
    const auto okm =
        crypto::hkdf_sha256(sequence(0x00, 0x4f), sequence(0x60, 0xaf), sequence(0xb0, 0xff), 82);
    CHECK(to_vector(okm.view()) == unhex("b11e398dc80327a1c8e7f78c596a4934"
                                         "4f012eda2d4efad8a050cc4c19afa97c"
                                         "59045a99cac7827271cb41c65e590e09"
                                         "da3275600c2f09b8367793a9aca3db71"
                                         "cc30c58179ec3e87c14c01d5c1f3434f"
                                         "1d87"));
  }
  SECTION("test case 3: zero-length salt and info") {
    const auto okm = crypto::hkdf_sha256(repeat(std::byte{0x0b}, 22), {}, {}, 42);
    CHECK(to_vector(okm.view()) == unhex("8da4e775a563c18f715f802a063c5a31"
                                         "b8a11f5c5ee1879ec3454e5f3c738d2d"
                                         "9d201395faa4b61a96c8"));
  }
}

TEST_CASE("HKDF-SHA256 rejects output lengths outside 1..255*32", "[crypto]") {
  const Bytes ikm = repeat(std::byte{1}, 32);
  REQUIRE_AMANAH_ERROR(crypto::hkdf_sha256(ikm, {}, {}, 0), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(crypto::hkdf_sha256(ikm, {}, {}, 255 * 32 + 1), ErrorCode::InvalidArgument);
  CHECK(crypto::hkdf_sha256(ikm, {}, {}, 255 * 32).size() == 255 * 32);
  // Different info gives independent keys.
  CHECK_FALSE(crypto::hkdf_sha256(ikm, {}, crypto::as_bytes("a"), 32)
                  .equals(crypto::hkdf_sha256(ikm, {}, crypto::as_bytes("b"), 32)));
}

TEST_CASE("HmacSha256 (a key absorbed once) matches HMAC-SHA256 for every key length", "[crypto]") {
  // Key lengths around the block size (64) and beyond it (hashed first), messages of 0 to 3
  // blocks, and RFC 4231 test case 2 by value.
  for (const std::size_t key_size : {0u, 1u, 20u, 32u, 63u, 64u, 65u, 131u}) {
    const Bytes key = key_size == 0 ? Bytes{} : sequence(1, static_cast<unsigned>(key_size));
    const crypto::HmacSha256 mac(key);
    for (const std::size_t n : {0u, 1u, 55u, 56u, 64u, 150u}) {
      INFO("key " << key_size << " bytes, message " << n << " bytes");
      const auto message = repeat(std::byte{0x5a}, n);
      const auto got = mac(message);
      CHECK(to_vector(got) == to_vector(crypto::hmac_sha256(key, message)));
      CHECK(to_vector(mac(message)) == to_vector(got));  // the absorbed key is not consumed
    }
  }
  crypto::HmacSha256 jefe(crypto::as_bytes("Jefe"));
  CHECK(to_vector(jefe(crypto::as_bytes("what do ya want for nothing?"))) ==
        unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  crypto::HmacSha256 moved(std::move(jefe));
  CHECK(jefe.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  CHECK(to_vector(moved(crypto::as_bytes("what do ya want for nothing?"))) ==
        unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

TEST_CASE("HMAC-SHA256 (RFC 4231 test cases 1-7)", "[crypto]") {
  SECTION("test case 1") {
    CHECK(
        to_vector(crypto::hmac_sha256(repeat(std::byte{0x0b}, 20), crypto::as_bytes("Hi There"))) ==
        unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  }
  SECTION("test case 2: key shorter than the output") {
    CHECK(to_vector(crypto::hmac_sha256(crypto::as_bytes("Jefe"),
                                        crypto::as_bytes("what do ya want for nothing?"))) ==
          unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  }
  SECTION("test case 3: combined key and data of 50 bytes") {
    CHECK(
        to_vector(crypto::hmac_sha256(repeat(std::byte{0xaa}, 20), repeat(std::byte{0xdd}, 50))) ==
        unhex("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
  }
  SECTION("test case 4: combined key and data of 50 bytes") {
    CHECK(to_vector(crypto::hmac_sha256(sequence(0x01, 0x19), repeat(std::byte{0xcd}, 50))) ==
          unhex("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"));
  }
  SECTION("test case 5: truncation to 128 bits") {
    const auto mac =
        crypto::hmac_sha256(repeat(std::byte{0x0c}, 20), crypto::as_bytes("Test With Truncation"));
    CHECK(to_vector(ByteView(mac).first(16)) == unhex("a3b6167473100ee06e0c796c2955552b"));
  }
  SECTION("test case 6: key larger than the block size") {
    CHECK(to_vector(crypto::hmac_sha256(
              repeat(std::byte{0xaa}, 131),
              crypto::as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
          unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
  }
  SECTION("test case 7: key and data larger than the block size") {
    CHECK(to_vector(crypto::hmac_sha256(
              repeat(std::byte{0xaa}, 131),
              crypto::as_bytes("This is a test using a larger than block-size key and a larger "
                               "than block-size data. The key needs to be hashed before being "
                               "used by the HMAC algorithm."))) ==
          unhex("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"));
  }
  SECTION("empty key and message") {
    CHECK(to_vector(crypto::hmac_sha256({}, {})) ==
          unhex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
  }
}

namespace {

struct GcmVector {
  const char* name;
  Bytes key, iv, plaintext, aad, ciphertext, tag;
};

// Test cases 13-16 of McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B.
std::vector<GcmVector> gcm_vectors() {
  const Bytes zero_key = repeat(std::byte{0}, 32);
  const Bytes zero_iv = repeat(std::byte{0}, 12);
  const Bytes key = unhex("feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308");
  const Bytes iv = unhex("cafebabefacedbaddecaf888");
  const Bytes p15 = unhex(
      "d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255");
  const Bytes c15 = unhex(
      "522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662898015ad");
  return {
      {"test case 13", zero_key, zero_iv, {}, {}, {}, unhex("530f8afbc74536b9a963b4f1c4cb738b")},
      {"test case 14",
       zero_key,
       zero_iv,
       repeat(std::byte{0}, 16),
       {},
       unhex("cea7403d4d606b6e074ec5d3baf39d18"),
       unhex("d0d1c8a799996bf0265b98b5d48ab919")},
      {"test case 15", key, iv, p15, {}, c15, unhex("b094dac5d93471bdec1a502270e3cc6c")},
      {"test case 16", key, iv, Bytes(p15.begin(), p15.end() - 4),
       unhex("feedfacedeadbeeffeedfacedeadbeef abaddad2"), Bytes(c15.begin(), c15.end() - 4),
       unhex("76fc6ece0f4e1768cddf8853bb2d551b")},
  };
}

}  // namespace

TEST_CASE("AES-256-GCM (GCM specification test cases 13-16)", "[crypto]") {
  for (const auto& v : gcm_vectors()) {
    INFO(v.name);
    const Bytes sealed_tail =
        crypto::testing::gcm_encrypt_with_nonce(v.key, v.iv, v.plaintext, v.aad);
    CHECK(sealed_tail == concat(v.ciphertext, v.tag));

    const Bytes box = concat(v.iv, sealed_tail);
    const SecretBytes key = SecretBytes::copy_of(v.key);
    Bytes plain{std::byte{0x55}};
    CHECK(crypto::open(key, box, v.aad, plain));
    CHECK(plain == v.plaintext);
    SecretBytes secret_plain = SecretBytes::from_string("stale");
    CHECK(crypto::open(key, box, v.aad, secret_plain));
    CHECK(to_vector(secret_plain.view()) == v.plaintext);
  }
}

TEST_CASE("gcm_encrypt_with_nonce checks key and nonce sizes", "[crypto]") {
  const Bytes key = repeat(std::byte{1}, 32);
  REQUIRE_AMANAH_ERROR(crypto::testing::gcm_encrypt_with_nonce(repeat(std::byte{1}, 16),
                                                               repeat(std::byte{0}, 12), {}, {}),
                       ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR(
      crypto::testing::gcm_encrypt_with_nonce(key, repeat(std::byte{0}, 16), {}, {}),
      ErrorCode::InvalidArgument);
}

TEST_CASE("Argon2id (RFC 9106 section 5.3)", "[crypto]") {
  const Bytes password = repeat(std::byte{0x01}, 32);
  const Bytes salt = repeat(std::byte{0x02}, 16);
  const Bytes secret = repeat(std::byte{0x03}, 8);
  const Bytes ad = repeat(std::byte{0x04}, 12);
  crypto::Argon2idInput in;
  in.password = password;
  in.salt = salt;
  in.secret = secret;
  in.ad = ad;
  in.memory_kib = 32;
  in.iterations = 3;
  in.parallelism = 4;
  in.length = 32;
  const SecretBytes tag = crypto::argon2id(in);
  CHECK(to_vector(tag.view()) == unhex("0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9"
                                       "d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59"));
  // The inputs are left as they were (libargon2 can be asked to clear them; we do not).
  CHECK(password == repeat(std::byte{0x01}, 32));
  CHECK(secret == repeat(std::byte{0x03}, 8));
}

TEST_CASE("Argon2id reports bad parameters without echoing the password", "[crypto]") {
  const std::string password = "correct horse battery staple";
  const Bytes salt = repeat(std::byte{0x02}, 16);
  crypto::Argon2idInput in;
  in.password = crypto::as_bytes(password);
  in.salt = salt;
  in.memory_kib = 64;
  in.iterations = 1;
  in.parallelism = 1;

  SECTION("salt too short") {
    const Bytes short_salt = repeat(std::byte{0x02}, 4);
    in.salt = short_salt;
  }
  SECTION("no iterations") {
    in.iterations = 0;
  }
  SECTION("too little memory") {
    in.memory_kib = 1;
  }
  SECTION("no lanes") {
    in.parallelism = 0;
  }
  SECTION("output too short") {
    in.length = 2;
  }

  try {
    (void)crypto::argon2id(in);
    FAIL("argon2id accepted bad parameters");
  } catch (const amanah::Error& e) {
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK(std::string(e.what()).find("Argon2id") != std::string::npos);
    CHECK(std::string(e.what()).find("horse") == std::string::npos);
  }
}

TEST_CASE("Argon2id output depends on every input", "[crypto]") {
  const Bytes salt = repeat(std::byte{0x02}, 16);
  crypto::Argon2idInput in;
  in.password = crypto::as_bytes("pw");
  in.salt = salt;
  in.memory_kib = 64;
  in.iterations = 1;
  in.parallelism = 1;
  const SecretBytes base = crypto::argon2id(in);
  CHECK(base.size() == crypto::kKeySize);
  CHECK(crypto::argon2id(in).equals(base));

  crypto::Argon2idInput other = in;
  other.password = crypto::as_bytes("pW");
  CHECK_FALSE(crypto::argon2id(other).equals(base));
  other = in;
  other.secret = crypto::as_bytes("pepper");
  CHECK_FALSE(crypto::argon2id(other).equals(base));
  other = in;
  other.ad = crypto::as_bytes("store-id");
  CHECK_FALSE(crypto::argon2id(other).equals(base));
  other = in;
  other.length = 64;
  CHECK(crypto::argon2id(other).size() == 64);
}

// ---------------------------------------------------------------------------------------------
// Sealed boxes

TEST_CASE("seal/open round trip", "[crypto]") {
  const SecretBytes key = test_key();
  const auto aad = crypto::as_bytes("subject:42/field:email");
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16},
                           std::size_t{17}, std::size_t{1000}, std::size_t{1} << 20}) {
    INFO("plaintext size " << size);
    const Bytes plaintext = crypto::random_bytes(size);
    const Bytes box = crypto::seal(key, plaintext, aad);
    REQUIRE(box.size() == crypto::kNonceSize + size + crypto::kTagSize);

    Bytes out;
    REQUIRE(crypto::open(key, box, aad, out));
    CHECK(out == plaintext);
    SecretBytes secret_out;
    REQUIRE(crypto::open(key, box, aad, secret_out));
    CHECK(to_vector(secret_out.view()) == plaintext);
  }
}

TEST_CASE("open rejects every single-bit change of the sealed box", "[crypto]") {
  const SecretBytes key = test_key();
  const auto aad = crypto::as_bytes("aad");
  const Bytes box = crypto::seal(key, crypto::as_bytes("attack at dawn!!!!!!"), aad);
  std::vector<std::size_t> accepted;
  for (std::size_t bit = 0; bit < box.size() * 8; ++bit) {
    Bytes tampered = box;
    tampered[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
    Bytes out{std::byte{1}};
    SecretBytes secret_out = SecretBytes::from_string("x");
    const bool ok = crypto::open(key, tampered, aad, out);
    const bool secret_ok = crypto::open(key, tampered, aad, secret_out);
    if (ok || secret_ok || !out.empty() || !secret_out.empty()) accepted.push_back(bit);
  }
  CHECK(accepted.empty());
}

TEST_CASE("open rejects wrong aad, wrong key, truncation and extension", "[crypto]") {
  const SecretBytes key = test_key();
  const Bytes box = crypto::seal(key, crypto::as_bytes("plaintext"), crypto::as_bytes("aad-1"));
  Bytes out{std::byte{7}};
  SecretBytes secret_out = SecretBytes::from_string("previous");

  SECTION("wrong aad") {
    CHECK_FALSE(crypto::open(key, box, crypto::as_bytes("aad-2"), out));
    CHECK_FALSE(crypto::open(key, box, {}, secret_out));
  }
  SECTION("wrong key") {
    const SecretBytes other = test_key(0x43);
    CHECK_FALSE(crypto::open(other, box, crypto::as_bytes("aad-1"), out));
    CHECK_FALSE(crypto::open(other, box, crypto::as_bytes("aad-1"), secret_out));
  }
  SECTION("truncated") {
    const ByteView view(box);
    CHECK_FALSE(crypto::open(key, view.first(view.size() - 1), crypto::as_bytes("aad-1"), out));
    CHECK_FALSE(crypto::open(key, view.subspan(1), crypto::as_bytes("aad-1"), secret_out));
  }
  SECTION("extended") {
    Bytes longer = box;
    longer.push_back(std::byte{0});
    CHECK_FALSE(crypto::open(key, longer, crypto::as_bytes("aad-1"), out));
    CHECK_FALSE(crypto::open(key, longer, crypto::as_bytes("aad-1"), secret_out));
  }
  SECTION("shorter than nonce and tag") {
    for (std::size_t n = 0; n < crypto::kNonceSize + crypto::kTagSize; ++n) {
      const Bytes tiny(n, std::byte{0});
      CHECK_FALSE(crypto::open(key, tiny, {}, out));
      CHECK_FALSE(crypto::open(key, tiny, {}, secret_out));
    }
  }
  CHECK(out.empty());
  CHECK(secret_out.empty());
}

TEST_CASE("seal uses a fresh nonce each time", "[crypto]") {
  const SecretBytes key = test_key();
  const auto plaintext = crypto::as_bytes("same plaintext");
  const Bytes a = crypto::seal(key, plaintext, {});
  const Bytes b = crypto::seal(key, plaintext, {});
  CHECK(a != b);
  CHECK_FALSE(std::equal(a.begin(), a.begin() + crypto::kNonceSize, b.begin()));
}

TEST_CASE("seal and open need a 32-byte key", "[crypto]") {
  const Bytes box = crypto::seal(test_key(), crypto::as_bytes("x"), {});
  for (std::size_t size : {std::size_t{0}, std::size_t{16}, std::size_t{31}, std::size_t{33}}) {
    INFO("key size " << size);
    const SecretBytes key = SecretBytes::copy_of(repeat(std::byte{9}, size));
    Bytes out;
    SecretBytes secret_out;
    REQUIRE_AMANAH_ERROR(crypto::seal(key, crypto::as_bytes("x"), {}), ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR((void)crypto::open(key, box, {}, out), ErrorCode::InvalidArgument);
    REQUIRE_AMANAH_ERROR((void)crypto::open(key, box, {}, secret_out), ErrorCode::InvalidArgument);
  }
}

TEST_CASE("open may decrypt a box into the buffer that holds it", "[crypto]") {
  const SecretBytes key = test_key();
  Bytes buffer = crypto::seal(key, crypto::as_bytes("in place"), {});
  REQUIRE(crypto::open(key, buffer, {}, buffer));
  CHECK(buffer == bytes_of("in place"));
}

// ---------------------------------------------------------------------------------------------
// Small helpers

TEST_CASE("random_bytes fills buffers with fresh values", "[crypto]") {
  CHECK(crypto::random_bytes(0).empty());
  const Bytes a = crypto::random_bytes(32);
  const Bytes b = crypto::random_bytes(32);
  CHECK(a.size() == 32);
  CHECK(a != b);
  std::array<std::byte, 64> buf{};
  crypto::random_bytes(buf);
  CHECK(std::any_of(buf.begin(), buf.end(), [](std::byte x) { return x != std::byte{0}; }));
}

TEST_CASE("equal_ct and wipe", "[crypto]") {
  const Bytes a = bytes_of("abcdef");
  CHECK(crypto::equal_ct(a, bytes_of("abcdef")));
  CHECK_FALSE(crypto::equal_ct(a, bytes_of("abcdeg")));
  CHECK_FALSE(crypto::equal_ct(a, bytes_of("abcde")));
  CHECK(crypto::equal_ct({}, {}));

  Bytes buf = bytes_of("secret");
  crypto::wipe(buf);
  CHECK(buf == Bytes(6, std::byte{0}));
  crypto::wipe({});  // no-op
}

// ---------------------------------------------------------------------------------------------
// Encodings

TEST_CASE("hex encoding", "[crypto]") {
  const Bytes all = sequence(0x00, 0xff);
  const std::string hex = crypto::to_hex(all);
  CHECK(hex.substr(0, 8) == "00010203");
  CHECK(hex.substr(hex.size() - 8) == "fcfdfeff");
  CHECK(crypto::to_hex(unhex("0a1b2c3d4e5f")) == "0a1b2c3d4e5f");
  CHECK(crypto::to_hex({}).empty());

  Bytes out;
  REQUIRE(crypto::from_hex(hex, out));
  CHECK(out == all);
  REQUIRE(crypto::from_hex("DEADbeef", out));
  CHECK(out == unhex("deadbeef"));
  REQUIRE(crypto::from_hex("", out));
  CHECK(out.empty());

  for (std::string_view bad :
       {"abc", "0", "zz", "0g", "g0", " 00", "00 ", "0x00", "-1", "\xff\xff"}) {
    INFO("input " << bad);
    out = {std::byte{1}};
    CHECK_FALSE(crypto::from_hex(bad, out));
    CHECK(out.empty());
  }
}

TEST_CASE("hex of secrets", "[crypto]") {
  const SecretBytes key = SecretBytes::copy_of(sequence(0x00, 0xff));
  const SecretBytes hex = crypto::to_hex_secret(key);
  CHECK(text_of(hex) == crypto::to_hex(key.view()));
  CHECK(crypto::to_hex_secret(SecretBytes{}).empty());
}

TEST_CASE("base64 encoding (RFC 4648 section 10 vectors)", "[crypto]") {
  const std::vector<std::pair<std::string_view, std::string_view>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    INFO("input " << plain);
    CHECK(crypto::to_base64(crypto::as_bytes(plain)) == encoded);
    Bytes out{std::byte{1}};
    REQUIRE(crypto::from_base64(encoded, out));
    CHECK(out == bytes_of(plain));
  }
  // The whole alphabet, including + and /.
  const Bytes all = sequence(0x00, 0xff);
  Bytes out;
  const std::string encoded = crypto::to_base64(all);
  CHECK(encoded.find('+') != std::string::npos);
  CHECK(encoded.find('/') != std::string::npos);
  REQUIRE(crypto::from_base64(encoded, out));
  CHECK(out == all);
  for (std::size_t n = 0; n < 10; ++n) {
    const Bytes data = crypto::random_bytes(n);
    REQUIRE(crypto::from_base64(crypto::to_base64(data), out));
    CHECK(out == data);
  }
}

TEST_CASE("base64 rejects malformed input", "[crypto]") {
  for (std::string_view bad : {
           "Zg",        // missing padding
           "Zg=",       // short padding
           "Zm9",       // length not a multiple of 4
           "Z===",      // too much padding
           "====",      // padding only
           "Zg==Zg==",  // padding in the middle
           "Zm=v",      // padding inside a group
           "Zm9v\n",    // whitespace
           "Zm 9v",     // whitespace
           "Zm9-",      // URL-safe alphabet
           "Zm9_",      // URL-safe alphabet
           "Zh==",      // non-zero bits after the last byte
           "Zm9=",      // non-zero bits after the last byte
           "Zm9v\xff\xff\xff\xff",
       }) {
    INFO("input " << bad);
    Bytes out{std::byte{1}};
    CHECK_FALSE(crypto::from_base64(bad, out));
    CHECK(out.empty());
  }
}

// ---------------------------------------------------------------------------------------------
// Secrets from hex

TEST_CASE("from_hex_secret decodes into wiped memory and rejects malformed hex", "[crypto]") {
  namespace c = amanah::detail::crypto;
  SecretBytes out;
  REQUIRE(c::from_hex_secret(c::as_bytes("00ffA5"), out));
  REQUIRE(out.size() == 3);
  CHECK(out.data()[0] == std::byte{0x00});
  CHECK(out.data()[1] == std::byte{0xff});
  CHECK(out.data()[2] == std::byte{0xa5});
  CHECK_FALSE(c::from_hex_secret(c::as_bytes("abc"), out));
  CHECK(out.empty());
  CHECK_FALSE(c::from_hex_secret(c::as_bytes("zz"), out));
  CHECK(out.empty());
  CHECK(c::from_hex_secret(c::as_bytes(""), out));
  CHECK(out.empty());
}

// ---------------------------------------------------------------------------------------------
// Ed25519

namespace {

std::array<std::byte, 32> array32(const Bytes& b) {
  REQUIRE(b.size() == 32);
  std::array<std::byte, 32> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

std::array<std::byte, 64> array64(const Bytes& b) {
  REQUIRE(b.size() == 64);
  std::array<std::byte, 64> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

}  // namespace

TEST_CASE("Ed25519 (RFC 8032 section 7.1 tests 1 and 2)", "[crypto][ed25519]") {
  struct Vector {
    const char* secret;
    const char* public_key;
    const char* message;
    const char* signature;
  };
  const Vector vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const Vector& v : vectors) {
    const SecretBytes secret = SecretBytes::copy_of(unhex(v.secret));
    const Bytes message = unhex(v.message);
    const auto public_key = crypto::ed25519_public_key(secret);
    CHECK(to_vector(public_key) == unhex(v.public_key));
    const auto signature = crypto::ed25519_sign(secret, message);
    CHECK(to_vector(signature) == unhex(v.signature));
    CHECK(crypto::ed25519_verify(public_key, message, signature));
    // The published signature verifies under the published key (independently of sign()).
    CHECK(
        crypto::ed25519_verify(array32(unhex(v.public_key)), message, array64(unhex(v.signature))));
  }
}

TEST_CASE("Ed25519 rejects a changed message, signature or key", "[crypto][ed25519]") {
  const SecretBytes secret = test_key(0x17);
  const Bytes message = bytes_of("amanah checkpoint");
  const auto public_key = crypto::ed25519_public_key(secret);
  const auto signature = crypto::ed25519_sign(secret, message);
  REQUIRE(crypto::ed25519_verify(public_key, message, signature));

  for (std::size_t i = 0; i < message.size(); ++i) {
    Bytes changed = message;
    changed[i] ^= std::byte{0x01};
    CHECK_FALSE(crypto::ed25519_verify(public_key, changed, signature));
  }
  Bytes longer = message;
  longer.push_back(std::byte{0});
  CHECK_FALSE(crypto::ed25519_verify(public_key, longer, signature));
  CHECK_FALSE(
      crypto::ed25519_verify(public_key, ByteView(message).first(message.size() - 1), signature));

  for (std::size_t i = 0; i < signature.size(); ++i) {
    auto changed = signature;
    changed[i] ^= std::byte{0x80};
    CHECK_FALSE(crypto::ed25519_verify(public_key, message, changed));
  }
  const auto other = crypto::ed25519_public_key(test_key(0x18));
  CHECK_FALSE(crypto::ed25519_verify(other, message, signature));
  // Arbitrary key bytes (perhaps not a curve point at all): false, not a throw.
  std::array<std::byte, 32> bogus{};
  bogus.fill(std::byte{0xff});
  CHECK_FALSE(crypto::ed25519_verify(bogus, message, signature));
}

TEST_CASE("Ed25519 needs a 32-byte private key", "[crypto][ed25519]") {
  REQUIRE_AMANAH_ERROR((void)crypto::ed25519_public_key(SecretBytes(31)),
                       ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR((void)crypto::ed25519_sign(SecretBytes(33), {}), ErrorCode::InvalidArgument);
  REQUIRE_AMANAH_ERROR((void)crypto::ed25519_public_key(SecretBytes()), ErrorCode::InvalidArgument);
}

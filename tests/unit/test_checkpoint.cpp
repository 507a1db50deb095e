// Checkpoints as the store makes them (audit/checkpoint.hpp): the signed bytes, the signature's
// cover of every member, store id rules, and the signed line's round trip. The public side
// (keys, line parsing, the file sink) is in api/test_checkpoint.cpp.
#include <amanah/audit.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "audit/checkpoint.hpp"
#include "crypto/crypto.hpp"
#include "support.hpp"

namespace crypto = amanah::detail::crypto;
using amanah::AuditSigningKey;
using amanah::Checkpoint;
using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::TimePoint;
using amanah::detail::audit::make_checkpoint;

namespace {

AuditSigningKey fixed_key(unsigned char fill) {
  return AuditSigningKey(SecretBytes::copy_of(std::vector<std::byte>(32, std::byte{fill})));
}

std::array<std::byte, 32> head_of(unsigned char first) {
  std::array<std::byte, 32> h{};
  for (std::size_t i = 0; i < h.size(); ++i)
    h[i] = static_cast<std::byte>(first + i);
  return h;
}

TimePoint at_seconds(std::int64_t s) {
  return TimePoint(std::chrono::seconds(s));
}

Checkpoint sample(const AuditSigningKey& key) {
  return make_checkpoint(key, "0123456789abcdef", 10000, head_of(0x10), at_seconds(1767225600));
}

}  // namespace

TEST_CASE("the signed bytes are the documented message", "[audit][checkpoint]") {
  const auto key = fixed_key(0x21);
  const Checkpoint c = sample(key);
  // Built here independently: tag, 0x00, u16 BE length, id, u64 BE seq, head, i64 BE at.
  std::string m = "amanah audit checkpoint v1";
  m.push_back('\0');
  m += std::string("\x00\x10", 2) + "0123456789abcdef";
  m += std::string("\x00\x00\x00\x00\x00\x00\x27\x10", 8);  // 10000
  for (auto b : head_of(0x10))
    m.push_back(static_cast<char>(b));
  m += std::string("\x00\x00\x00\x00\x69\x55\xb9\x00", 8);  // 1767225600 = 0x6955b900
  CHECK(c.signature == crypto::ed25519_sign(key.private_key(), crypto::as_bytes(m)));
  CHECK(crypto::ed25519_verify(key.public_key().bytes, crypto::as_bytes(m), c.signature));
  CHECK(c.store_id == "0123456789abcdef");
  CHECK(c.seq == 10000);
  CHECK(c.head == head_of(0x10));
  CHECK(c.at == at_seconds(1767225600));
}

TEST_CASE("a checkpoint is signed_by its key only, and only as made", "[audit][checkpoint]") {
  const auto key = fixed_key(0x21);
  const Checkpoint c = sample(key);
  REQUIRE(c.signed_by(key.public_key()));

  CHECK_FALSE(c.signed_by(fixed_key(0x22).public_key()));
  CHECK_FALSE(c.signed_by(amanah::generate_audit_key().public_key()));

  Checkpoint changed = c;
  changed.seq += 1;
  CHECK_FALSE(changed.signed_by(key.public_key()));
  changed = c;
  changed.seq = 0;
  CHECK_FALSE(changed.signed_by(key.public_key()));

  for (std::size_t i = 0; i < c.head.size(); ++i) {
    changed = c;
    changed.head[i] ^= std::byte{0x01};
    CHECK_FALSE(changed.signed_by(key.public_key()));
  }
  changed = c;
  changed.at += std::chrono::seconds(1);
  CHECK_FALSE(changed.signed_by(key.public_key()));
  changed = c;
  changed.at -= std::chrono::hours(24 * 365);
  CHECK_FALSE(changed.signed_by(key.public_key()));

  changed = c;
  changed.store_id.back() = 'e';
  CHECK_FALSE(changed.signed_by(key.public_key()));
  changed = c;
  changed.store_id += "0";
  CHECK_FALSE(changed.signed_by(key.public_key()));
  changed = c;
  changed.store_id.clear();
  CHECK_FALSE(changed.signed_by(key.public_key()));

  for (std::size_t i = 0; i < c.signature.size(); i += 7) {
    changed = c;
    changed.signature[i] ^= std::byte{0x40};
    CHECK_FALSE(changed.signed_by(key.public_key()));
  }
}

TEST_CASE("a store id and its seq cannot trade bytes", "[audit][checkpoint]") {
  // The length prefix keeps ("ab", seq) and ("a", seq') from signing the same bytes.
  const auto key = fixed_key(0x30);
  const Checkpoint c = make_checkpoint(key, "ab", 1, head_of(0), at_seconds(0));
  Checkpoint shifted = c;
  shifted.store_id = "a";
  CHECK_FALSE(shifted.signed_by(key.public_key()));
}

TEST_CASE("make_checkpoint keeps whole seconds, truncated", "[audit][checkpoint]") {
  const auto key = fixed_key(0x31);
  const TimePoint at = at_seconds(1767225600) + std::chrono::milliseconds(999);
  const Checkpoint c = make_checkpoint(key, "s", 3, head_of(1), at);
  CHECK(c.at == at_seconds(1767225600));
  CHECK(c.signed_by(key.public_key()));
  // Before 1970 too: the line carries a negative time.
  const Checkpoint old = make_checkpoint(key, "s", 3, head_of(1), at_seconds(-86400));
  CHECK(old.signed_by(key.public_key()));
  const Checkpoint back = Checkpoint::from_line(old.to_line());
  CHECK(back.at == old.at);
  CHECK(back.signed_by(key.public_key()));
}

TEST_CASE("make_checkpoint refuses store ids a line cannot carry", "[audit][checkpoint]") {
  const auto key = fixed_key(0x32);
  for (const std::string& bad :
       {std::string(), std::string(129, 'a'), std::string("a b"), std::string("a\tb"),
        std::string("ab\n"), std::string("a\rb"), std::string("a\0b", 3), std::string("a\x7f"),
        std::string("caf\xc3\xa9")}) {
    REQUIRE_AMANAH_ERROR((void)make_checkpoint(key, bad, 1, head_of(0), at_seconds(0)),
                         ErrorCode::InvalidArgument);
  }
  CHECK(make_checkpoint(key, std::string(128, 'f'), 1, head_of(0), at_seconds(0))
            .signed_by(key.public_key()));
}

TEST_CASE("a signed checkpoint survives its line", "[audit][checkpoint]") {
  const auto key = fixed_key(0x33);
  const Checkpoint c = sample(key);
  const std::string line = c.to_line();
  CHECK(line == "amanah-checkpoint 1 0123456789abcdef 10000 1767225600 " + crypto::to_hex(c.head) +
                    " " + crypto::to_hex(c.signature));
  const Checkpoint back = Checkpoint::from_line(line);
  CHECK(back.store_id == c.store_id);
  CHECK(back.seq == c.seq);
  CHECK(back.head == c.head);
  CHECK(back.at == c.at);
  CHECK(back.signature == c.signature);
  CHECK(back.signed_by(key.public_key()));
  CHECK(back.to_line() == line);

  const Checkpoint big =
      make_checkpoint(key, "x", UINT64_MAX, head_of(0xf0), at_seconds(9'000'000'000));  // year 2255
  const Checkpoint big_back = Checkpoint::from_line(big.to_line());
  CHECK(big_back.seq == UINT64_MAX);
  CHECK(big_back.signed_by(key.public_key()));
}

// One audit entry and how it is hashed into the chain. The encoding is the log's format: change
// it only with a new version byte (verify() must keep reading old entries).
//
//   header  = 0x01 ‖ seq (u64 BE) ‖ at (i64 BE) ‖ allowed (u8) ‖ len8 ‖ action ‖ len8 ‖ subject
//   payload = 0x01 ‖ len32 ‖ actor ‖ len32 ‖ roles ‖ len32 ‖ purpose ‖ len32 ‖ fields
//             ‖ len32 ‖ rules
//   leaf_i  = SHA-256(header_i ‖ SHA-256(payload_i))
//   chain_i = SHA-256(chain_{i-1} ‖ leaf_i), chain_0 = SHA-256("amanah audit v1" ‖ store id)
//
// The header holds what the log is searched by (time, action, decision, subject pseudonym); the
// payload the rest, so that a later issue can erase a payload (keeping its hash) without breaking
// the chain. Roles, fields and rules are comma-joined names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace amanah::detail::audit {

using Hash = std::array<std::byte, 32>;
inline constexpr std::size_t kPseudonymSize = 16;  // bytes of the subject's HMAC kept

// An entry's payload: names only. Entries that repeat one share it (a service asks the same
// questions over and over), built once with the hash of its bytes.
struct Payload {
  std::string actor, roles, purpose, fields, rules;
  Hash hash{};  // SHA-256(payload_bytes)
};
[[nodiscard]] std::shared_ptr<const Payload> make_payload(std::string actor, std::string roles,
                                                          std::string purpose, std::string fields,
                                                          std::string rules);

struct Entry {
  std::uint64_t seq = 0;  // assigned when written
  std::int64_t at = 0;    // unix seconds, the store's clock
  std::string action;     // "read", "create", ...
  bool allowed = true;
  bool has_subject = false;  // about one customer
  std::array<char, kPseudonymSize> subject{};
  std::shared_ptr<const Payload> payload;

  [[nodiscard]] std::string_view subject_bytes() const noexcept {
    return has_subject ? std::string_view(subject.data(), subject.size()) : std::string_view();
  }
};

// The chain value before the first entry of store `store_id`.
[[nodiscard]] Hash genesis(std::string_view store_id);

// The bytes of a payload (the header's are written inside leaf()).
[[nodiscard]] std::string payload_bytes(const Payload& p);

// leaf = SHA-256(header ‖ payload_hash)
// The same from the header's parts, with no allocation (verify() calls it for every entry).
[[nodiscard]] Hash leaf(std::uint64_t seq, std::int64_t at, bool allowed, std::string_view action,
                        std::string_view subject, const Hash& payload_hash);
[[nodiscard]] Hash leaf(const Entry& e);
// chain_i = SHA-256(previous ‖ leaf)
[[nodiscard]] Hash link(const Hash& previous, const Hash& leaf);

// amanah_meta 'audit_seq' (how far the log reached) as written: decimal digits only. Nothing for
// a damaged value, which must not be mistaken for a length.
[[nodiscard]] std::optional<std::uint64_t> parse_seq(std::string_view text) noexcept;

}  // namespace amanah::detail::audit

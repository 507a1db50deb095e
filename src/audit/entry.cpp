#include "audit/entry.hpp"

#include <charconv>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"

namespace amanah::detail::audit {
namespace {

constexpr char kVersion = 1;

void put_long(std::string& out, std::string_view s) {
  const auto n = static_cast<std::uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((n >> shift) & 0xff);
  out += s;
}

crypto::ByteView bytes(const std::string& s) {
  return crypto::as_bytes(s);
}

}  // namespace

Hash genesis(std::string_view store_id) {
  return crypto::sha256(crypto::as_bytes("amanah audit v1"), crypto::as_bytes(store_id));
}

std::string payload_bytes(const Payload& e) {
  std::string out;
  out.reserve(1 + 20 + e.actor.size() + e.roles.size() + e.purpose.size() + e.fields.size() +
              e.rules.size());
  out += kVersion;
  put_long(out, e.actor);
  put_long(out, e.roles);
  put_long(out, e.purpose);
  put_long(out, e.fields);
  put_long(out, e.rules);
  return out;
}

std::shared_ptr<const Payload> make_payload(std::string actor, std::string roles,
                                            std::string purpose, std::string fields,
                                            std::string rules) {
  auto p = std::make_shared<Payload>(Payload{.actor = std::move(actor),
                                             .roles = std::move(roles),
                                             .purpose = std::move(purpose),
                                             .fields = std::move(fields),
                                             .rules = std::move(rules)});
  p->hash = crypto::sha256(bytes(payload_bytes(*p)), {});
  return p;
}

Hash leaf(std::uint64_t seq, std::int64_t at, bool allowed, std::string_view action,
          std::string_view subject, const Hash& payload_hash) {
  // The header (entry.hpp), written on the stack: verify() hashes millions. Actions are library
  // names and subjects kPseudonymSize bytes: both far below 256.
  if (action.size() > 255 || subject.size() > 255)
    throw Error(ErrorCode::Internal, "audit header part longer than 255 bytes");
  std::array<std::byte, 1 + 8 + 8 + 1 + 1 + 255 + 1 + 255> buf;
  std::size_t n = 0;
  auto put = [&](std::uint64_t v, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
      buf[n++] = static_cast<std::byte>((v >> shift) & 0xff);
  };
  auto put_text = [&](std::string_view t) {
    put(t.size(), 1);
    for (char c : t)
      buf[n++] = static_cast<std::byte>(c);
  };
  put(static_cast<std::uint64_t>(kVersion), 1);
  put(seq, 8);
  put(static_cast<std::uint64_t>(at), 8);
  put(allowed ? 1 : 0, 1);
  put_text(action);
  put_text(subject);
  return crypto::sha256(std::span<const std::byte>(buf.data(), n), payload_hash);
}

Hash leaf(const Entry& e) {
  return leaf(e.seq, e.at, e.allowed, e.action, e.subject_bytes(), e.payload->hash);
}

Hash link(const Hash& previous, const Hash& leaf) {
  return crypto::sha256(previous, leaf);
}

std::optional<std::uint64_t> parse_seq(std::string_view text) noexcept {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

}  // namespace amanah::detail::audit

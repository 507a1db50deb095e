#include "keys/typed.hpp"

#include <algorithm>
#include <cstring>

#include <amanah/error.hpp>

namespace amanah::detail::keys {

Aead::Aead(SecretBytes key) : key_(std::move(key)) {
  if (key_.size() != crypto::kKeySize)
    throw Error(ErrorCode::Internal, "an AEAD key must be 32 bytes");
}

crypto::Bytes Aead::seal(crypto::ByteView plaintext, crypto::ByteView aad) const {
  return crypto::seal(key_, plaintext, aad);
}

bool Aead::open_into(crypto::ByteView box, crypto::ByteView aad, std::span<std::byte> out) const {
  return crypto::open_into(key_, box, aad, out);
}

SubjectKey::SubjectKey(std::span<const std::byte> bytes) {
  if (bytes.size() != kSize) throw Error(ErrorCode::Internal, "a subject key must be 32 bytes");
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

SubjectKey::~SubjectKey() {
  crypto::wipe(bytes_);
}

SubjectKey::SubjectKey(SubjectKey&& other) noexcept : bytes_(other.bytes_) {
  crypto::wipe(other.bytes_);
}

SubjectKey& SubjectKey::operator=(SubjectKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    crypto::wipe(other.bytes_);
  }
  return *this;
}

crypto::Bytes SubjectKey::seal(crypto::ByteView plaintext, crypto::ByteView aad) const {
  return crypto::seal(crypto::ByteView(bytes_), plaintext, aad);
}

bool SubjectKey::open(crypto::ByteView box, crypto::ByteView aad, crypto::Bytes& out) const {
  return crypto::open(crypto::ByteView(bytes_), box, aad, out);
}

std::int64_t IndexKey::tag(std::string_view form, std::uint32_t bits) const {
  const auto mac = mac_(crypto::as_bytes(form));
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | std::to_integer<std::uint32_t>(mac[i]);
  bits = std::clamp<std::uint32_t>(bits, 8, 32);
  return static_cast<std::int64_t>(bits == 32 ? v : v >> (32 - bits));
}

std::array<char, 16> AuditKey::pseudonym(std::string_view subject_id) const {
  const auto mac = mac_(crypto::as_bytes(subject_id));
  std::array<char, 16> out;
  std::memcpy(out.data(), mac.data(), out.size());
  return out;
}

std::string AuditKey::pseudonym_bytes(std::string_view subject_id) const {
  const auto p = pseudonym(subject_id);
  return {p.data(), p.size()};
}

std::array<std::byte, 32> LedgerKey::mac(std::string_view message) const {
  return crypto::hmac_sha256(key_.view(), crypto::as_bytes(message));
}

}  // namespace amanah::detail::keys

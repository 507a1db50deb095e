// Keys typed by purpose (Tink's habit): an index key cannot be passed where a subject key or an
// audit key belongs. Each is built only by the key hierarchy (hierarchy.hpp) or, for subject
// keys, by the subject-key service (subject_keys.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <amanah/secret.hpp>

#include "crypto/crypto.hpp"

namespace amanah::detail::keys {

// AES-256-GCM under a key kept in locked memory.
class Aead {
 public:
  Aead() = default;
  explicit Aead(SecretBytes key);
  [[nodiscard]] crypto::Bytes seal(crypto::ByteView plaintext, crypto::ByteView aad) const;
  // Opens straight into `out` (exactly the plaintext's size); false, `out` wiped, on failure.
  [[nodiscard]] bool open_into(crypto::ByteView box, crypto::ByteView aad,
                               std::span<std::byte> out) const;
  [[nodiscard]] bool empty() const noexcept { return key_.empty(); }

 private:
  SecretBytes key_;
};

// One subject's key, copied out of the key cache for one operation and wiped when it goes:
// never a view into a cache that a later call may change.
class SubjectKey {
 public:
  static constexpr std::size_t kSize = 32;
  SubjectKey() = default;
  explicit SubjectKey(std::span<const std::byte> bytes);
  ~SubjectKey();
  SubjectKey(SubjectKey&& other) noexcept;
  SubjectKey& operator=(SubjectKey&& other) noexcept;
  SubjectKey(const SubjectKey&) = delete;
  SubjectKey& operator=(const SubjectKey&) = delete;
  [[nodiscard]] crypto::Bytes seal(crypto::ByteView plaintext, crypto::ByteView aad) const;
  [[nodiscard]] bool open(crypto::ByteView box, crypto::ByteView aad, crypto::Bytes& out) const;

 private:
  friend class SubjectKeys;
  std::array<std::byte, kSize> bytes_{};
};

// The key-encryption key of one KEK epoch: wraps subject keys.
class Kek {
 public:
  Kek() = default;
  Kek(SecretBytes key, std::uint64_t epoch) : aead_(std::move(key)), epoch_(epoch) {}
  [[nodiscard]] const Aead& aead() const noexcept { return aead_; }
  [[nodiscard]] std::uint64_t epoch() const noexcept { return epoch_; }

 private:
  Aead aead_;
  std::uint64_t epoch_ = 0;
};

// The blind-index key of one lookup field: keyed tags of normalized values.
class IndexKey {
 public:
  explicit IndexKey(const SecretBytes& key) : mac_(key.view()) {}
  // HMAC-SHA256 of `form`, truncated to `bits` (8..32) as a non-negative integer.
  [[nodiscard]] std::int64_t tag(std::string_view form, std::uint32_t bits) const;

 private:
  crypto::HmacSha256 mac_;
};

// The key of one field's keyed-hash mask (Mask::hash).
class MaskKey {
 public:
  explicit MaskKey(SecretBytes key) : key_(std::move(key)) {}
  [[nodiscard]] std::span<const std::byte> view() const noexcept { return key_.view(); }

 private:
  SecretBytes key_;
};

// The audit key: keyed pseudonyms of subjects, so the log alone does not name customers.
class AuditKey {
 public:
  AuditKey() = default;
  explicit AuditKey(const SecretBytes& key) : mac_(key.view()) {}
  // The first 16 bytes of HMAC-SHA256(audit key, subject id): names a customer in the audit log
  // without naming them to whoever reads the log alone.
  [[nodiscard]] std::string pseudonym_bytes(std::string_view subject_id) const;
  [[nodiscard]] std::array<char, 16> pseudonym(std::string_view subject_id) const;  // the same

 private:
  crypto::HmacSha256 mac_;
};

// The erasure-ledger key: a MAC on each line the store hands to its ledger sink, so a restore
// replays only erasures this store wrote (a forged or edited line does not verify).
class LedgerKey {
 public:
  LedgerKey() = default;
  explicit LedgerKey(SecretBytes key) : key_(std::move(key)) {}
  [[nodiscard]] std::array<std::byte, 32> mac(std::string_view message) const;

 private:
  SecretBytes key_;
};

}  // namespace amanah::detail::keys

// The key hierarchy below the root key (docs/ARCHITECTURE.md, keys/). Every derived key is bound
// to the store id, so the same root in two stores would still give different keys.
#pragma once

#include <cstdint>
#include <string_view>

#include <string>

#include <amanah/secret.hpp>

#include "keys/typed.hpp"

namespace amanah::detail::keys {

// HKDF-SHA256(root, salt = store, info = label): every key below the root.
[[nodiscard]] SecretBytes derive_key(const SecretBytes& root, std::string_view store_id,
                                     std::string_view label);

// SQLCipher raw keys of the two databases for key generation `gen` (rekey() = gen + 1).
[[nodiscard]] SecretBytes data_db_key(const SecretBytes& root, std::string_view store_id,
                                      std::uint64_t gen);
[[nodiscard]] SecretBytes keys_db_key(const SecretBytes& root, std::string_view store_id,
                                      std::uint64_t gen);
// Authenticates the keyslots file (detects a removed slot or a rolled-back generation).
[[nodiscard]] SecretBytes keyslots_mac_key(const SecretBytes& root, std::string_view store_id);
// Wraps the random KEK epochs kept in the keyslots file.
[[nodiscard]] SecretBytes kek_wrap_key(const SecretBytes& root, std::string_view store_id);
// Blind-index key of a lookup field; Mask::hash key of a field; audit pseudonym key.
[[nodiscard]] SecretBytes index_key(const SecretBytes& root, std::string_view store_id,
                                    std::string_view field);
[[nodiscard]] SecretBytes mask_hash_key(const SecretBytes& root, std::string_view store_id,
                                        std::string_view field);
[[nodiscard]] SecretBytes audit_key(const SecretBytes& root, std::string_view store_id);
// MACs the lines of the erasure ledger.
[[nodiscard]] SecretBytes ledger_key(const SecretBytes& root, std::string_view store_id);

// The root key of an open store and everything derived from it, typed by purpose.
class KeyHierarchy {
 public:
  KeyHierarchy() = default;
  KeyHierarchy(SecretBytes root, std::string store_id)
      : root_(std::move(root)), store_id_(std::move(store_id)) {}
  [[nodiscard]] const SecretBytes& root() const noexcept { return root_; }
  [[nodiscard]] const std::string& store_id() const noexcept { return store_id_; }
  [[nodiscard]] SecretBytes data_db(std::uint64_t gen) const {
    return data_db_key(root_, store_id_, gen);
  }
  [[nodiscard]] SecretBytes keys_db(std::uint64_t gen) const {
    return keys_db_key(root_, store_id_, gen);
  }
  [[nodiscard]] IndexKey index(std::string_view field) const {
    return IndexKey(index_key(root_, store_id_, field));
  }
  [[nodiscard]] MaskKey mask(std::string_view field) const {
    return MaskKey(mask_hash_key(root_, store_id_, field));
  }
  [[nodiscard]] AuditKey audit() const { return AuditKey(audit_key(root_, store_id_)); }
  [[nodiscard]] LedgerKey ledger() const { return LedgerKey(ledger_key(root_, store_id_)); }
  void clear() noexcept { root_.clear(); }

 private:
  SecretBytes root_;
  std::string store_id_;
};

}  // namespace amanah::detail::keys

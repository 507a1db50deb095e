// The key hierarchy below the root key (DESIGN.md, "Keys"). Every derived key is bound to the
// store id, so the same root in two stores would still give different keys.
#pragma once

#include <cstdint>
#include <string_view>

#include <amanah/secret.hpp>

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

}  // namespace amanah::detail::keys

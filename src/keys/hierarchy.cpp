#include "keys/hierarchy.hpp"

#include <string>

#include "crypto/crypto.hpp"

namespace amanah::detail::keys {
SecretBytes derive_key(const SecretBytes& root, std::string_view store_id, std::string_view label) {
  const std::string salt = "amanah/v1/store/" + std::string(store_id);
  return crypto::hkdf_sha256(root.view(), crypto::as_bytes(salt), crypto::as_bytes(label),
                             crypto::kKeySize);
}

SecretBytes data_db_key(const SecretBytes& root, std::string_view store_id, std::uint64_t gen) {
  return derive_key(root, store_id, "amanah/v1/data-db/" + std::to_string(gen));
}

SecretBytes keys_db_key(const SecretBytes& root, std::string_view store_id, std::uint64_t gen) {
  return derive_key(root, store_id, "amanah/v1/keys-db/" + std::to_string(gen));
}

SecretBytes keyslots_mac_key(const SecretBytes& root, std::string_view store_id) {
  return derive_key(root, store_id, "amanah/v1/keyslots-mac");
}

SecretBytes kek_wrap_key(const SecretBytes& root, std::string_view store_id) {
  return derive_key(root, store_id, "amanah/v1/kek-wrap");
}

SecretBytes index_key(const SecretBytes& root, std::string_view store_id, std::string_view field) {
  return derive_key(root, store_id, "amanah/v1/index/" + std::string(field));
}

SecretBytes mask_hash_key(const SecretBytes& root, std::string_view store_id,
                          std::string_view field) {
  return derive_key(root, store_id, "amanah/v1/mask-hash/" + std::string(field));
}

SecretBytes audit_key(const SecretBytes& root, std::string_view store_id) {
  return derive_key(root, store_id, "amanah/v1/audit");
}

SecretBytes ledger_key(const SecretBytes& root, std::string_view store_id) {
  return derive_key(root, store_id, "amanah/v1/erasure-ledger");
}

}  // namespace amanah::detail::keys

// amanah — unlocking a store. A store has a random root key; each unlock method ("keyslot")
// holds that root key wrapped by one KeyProvider. Adding or removing a method re-encrypts nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <amanah/export.hpp>
#include <amanah/secret.hpp>

namespace amanah {

// What a provider stores in a keyslot. Nothing here is secret: the root key is encrypted.
struct WrappedKey {
  std::string kind{};    // the provider's kind(), e.g. "passphrase"
  std::string params{};  // provider-defined, non-secret (KDF parameters, KMS key id)
  std::vector<std::byte> ciphertext{};
};

// Plug-in point for KMS, HSM or an OS keyring: wrap and unwrap the store's root key.
// `context` identifies the store and the slot; bind it as associated data so a wrapped key
// copied into another store or slot does not unwrap.
class AMANAH_EXPORT KeyProvider {
 public:
  virtual ~KeyProvider();
  // Slots are only offered to providers of the same kind.
  [[nodiscard]] virtual std::string kind() const = 0;
  [[nodiscard]] virtual WrappedKey wrap(std::span<const std::byte> root_key,
                                        std::span<const std::byte> context) const = 0;
  // std::nullopt when this key does not open the slot (wrong passphrase or key). Throw
  // amanah::Error for anything else (slot parameters malformed, KMS unreachable).
  [[nodiscard]] virtual std::optional<SecretBytes> unwrap(
      const WrappedKey& slot, std::span<const std::byte> context) const = 0;
};

// Argon2id cost. Defaults follow RFC 9106's second recommendation; below m = 19 MiB, t = 2
// (OWASP's floor) passphrase_key refuses with InvalidArgument.
struct Argon2Params {
  std::uint32_t memory_kib = 64 * 1024;
  std::uint32_t iterations = 3;
  std::uint32_t parallelism = 4;
};

// A passphrase stretched with Argon2id (parameters and a random salt are kept in the slot).
[[nodiscard]] AMANAH_EXPORT std::unique_ptr<KeyProvider> passphrase_key(SecretBytes passphrase,
                                                                        Argon2Params params = {});
// 32 random bytes the application holds (e.g. from its own secret store).
[[nodiscard]] AMANAH_EXPORT std::unique_ptr<KeyProvider> raw_key(SecretBytes key);

// Helpers: a passphrase from an environment variable or a file (one trailing newline dropped).
[[nodiscard]] AMANAH_EXPORT std::unique_ptr<KeyProvider> passphrase_from_env(
    const char* variable, Argon2Params params = {});
[[nodiscard]] AMANAH_EXPORT std::unique_ptr<KeyProvider> passphrase_from_file(
    const std::filesystem::path& path, Argon2Params params = {});
// A raw key from an environment variable (64 hex digits) or a file (32 bytes, or 64 hex digits).
[[nodiscard]] AMANAH_EXPORT std::unique_ptr<KeyProvider> raw_key_from_env(const char* variable);
[[nodiscard]] AMANAH_EXPORT std::unique_ptr<KeyProvider> raw_key_from_file(
    const std::filesystem::path& path);

// A recovery key is a random 256-bit key printed for a person to keep offline, as 14 groups of
// four characters (Crockford base32 with a check group). Case, spaces and dashes are ignored
// when it is typed back; a mistyped key gives InvalidArgument, a wrong one WrongKey.
[[nodiscard]] AMANAH_EXPORT SecretBytes generate_recovery_key();
[[nodiscard]] AMANAH_EXPORT std::unique_ptr<KeyProvider> recovery_key(SecretBytes printed);

}  // namespace amanah

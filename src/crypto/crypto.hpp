// Internal crypto primitives. The only headers of amanah that use OpenSSL or libargon2 are the
// .cpp files of this folder; everything above calls these functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/secret.hpp>

namespace amanah::detail::crypto {

using Bytes = std::vector<std::byte>;
using ByteView = std::span<const std::byte>;

inline constexpr std::size_t kKeySize = 32;    // AES-256, HMAC/HKDF-SHA256 keys
inline constexpr std::size_t kNonceSize = 12;  // AES-GCM nonce
inline constexpr std::size_t kTagSize = 16;    // AES-GCM tag

// View of text as bytes (for labels and associated data; never for secrets held in strings).
inline ByteView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// CSPRNG (OpenSSL RAND_bytes). Throws Error(Internal) if the generator fails.
void random_bytes(std::span<std::byte> out);
[[nodiscard]] Bytes random_bytes(std::size_t n);

// AES-256-GCM with a random 96-bit nonce chosen here. Output: nonce | ciphertext | tag.
[[nodiscard]] Bytes seal(const SecretBytes& key, ByteView plaintext, ByteView aad);
// Opens a sealed box; returns false (and leaves `out` empty) when authentication fails.
// Throws Error(InvalidArgument) if the key is not 32 bytes.
[[nodiscard]] bool open(const SecretBytes& key, ByteView sealed, ByteView aad, SecretBytes& out);
// Same, for non-secret plaintext.
[[nodiscard]] bool open(const SecretBytes& key, ByteView sealed, ByteView aad, Bytes& out);
// Key given as a view (e.g. a slot of a locked key arena); same semantics as above.
[[nodiscard]] Bytes seal(ByteView key, ByteView plaintext, ByteView aad);
[[nodiscard]] bool open(ByteView key, ByteView sealed, ByteView aad, Bytes& out);
// Opens straight into `out`, which must be exactly the plaintext's size (e.g. an arena slot).
// False, with `out` wiped, when authentication fails or the size does not match.
[[nodiscard]] bool open_into(const SecretBytes& key, ByteView sealed, ByteView aad,
                             std::span<std::byte> out);

namespace testing {
// Known-answer tests need a fixed nonce; production code never calls this.
[[nodiscard]] Bytes gcm_encrypt_with_nonce(ByteView key, ByteView nonce, ByteView plaintext,
                                           ByteView aad);  // ciphertext | tag (16)
}  // namespace testing

// HKDF-SHA256 (RFC 5869), extract + expand.
[[nodiscard]] SecretBytes hkdf_sha256(ByteView ikm, ByteView salt, ByteView info,
                                      std::size_t length);
// HMAC-SHA256 (RFC 2104).
[[nodiscard]] std::array<std::byte, 32> hmac_sha256(ByteView key, ByteView message);
// HMAC-SHA256 under one key, many messages: the key's inner and outer pad states are computed
// once (and wiped on destruction), so each message costs two SHA-256 passes and no setup.
class HmacSha256 {
 public:
  HmacSha256() noexcept;
  explicit HmacSha256(ByteView key);
  ~HmacSha256();
  HmacSha256(HmacSha256&& other) noexcept;
  HmacSha256& operator=(HmacSha256&& other) noexcept;
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  [[nodiscard]] std::array<std::byte, 32> operator()(ByteView message) const;
  [[nodiscard]] bool empty() const noexcept { return inner_ == nullptr; }

 private:
  void* inner_ = nullptr;  // SHA256_CTX* after absorbing key ^ ipad
  void* outer_ = nullptr;  // SHA256_CTX* after absorbing key ^ opad
};

// SHA-256.
[[nodiscard]] std::array<std::byte, 32> sha256(ByteView message);
// SHA-256 of a ‖ b without joining them, with no allocation: the audit chain hashes millions of
// short messages.
[[nodiscard]] std::array<std::byte, 32> sha256(ByteView a, ByteView b);
// Constant-time equality of equal-length buffers (false if lengths differ).
[[nodiscard]] bool equal_ct(ByteView a, ByteView b) noexcept;
// Wipes memory (OPENSSL_cleanse).
void wipe(std::span<std::byte> memory) noexcept;

// Argon2id (RFC 9106, version 0x13). `secret` and `ad` are the optional K and X inputs.
struct Argon2idInput {
  ByteView password;
  ByteView salt;
  ByteView secret = {};
  ByteView ad = {};
  std::uint32_t memory_kib = 0;
  std::uint32_t iterations = 0;
  std::uint32_t parallelism = 0;
  std::size_t length = kKeySize;
};
[[nodiscard]] SecretBytes argon2id(const Argon2idInput& in);

// Encodings (non-secret data).
[[nodiscard]] std::string to_hex(ByteView bytes);
[[nodiscard]] bool from_hex(std::string_view hex, Bytes& out);  // false on bad input
[[nodiscard]] std::string to_base64(ByteView bytes);
[[nodiscard]] bool from_base64(std::string_view text, Bytes& out);  // false on bad input
// Hex of secret bytes into a SecretBytes (lower case), e.g. to build a SQLCipher key string.
[[nodiscard]] SecretBytes to_hex_secret(const SecretBytes& bytes);
// Hex digits held as a secret (e.g. a key typed into a file) into bytes, in wiped memory only.
// False (and `out` empty) on odd length or a non-hex character.
[[nodiscard]] bool from_hex_secret(std::span<const std::byte> hex, SecretBytes& out);

// Ed25519 (RFC 8032, pure). Private keys are the 32-byte seed; InvalidArgument if not 32 bytes.
[[nodiscard]] std::array<std::byte, 32> ed25519_public_key(const SecretBytes& private_key);
[[nodiscard]] std::array<std::byte, 64> ed25519_sign(const SecretBytes& private_key,
                                                     ByteView message);
// False on a wrong signature and on any other failure (never throws).
[[nodiscard]] bool ed25519_verify(std::span<const std::byte, 32> public_key, ByteView message,
                                  std::span<const std::byte, 64> signature) noexcept;

}  // namespace amanah::detail::crypto

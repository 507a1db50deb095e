// HKDF-SHA256, HMAC-SHA256 and SHA-256 through OpenSSL 3's EVP_KDF / EVP_MAC / EVP_Digest, plus
// constant-time comparison and wiping.
#include "crypto/crypto.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

// SHA-256 of short messages (the audit chain) and HMAC-SHA256 (pseudonyms, blind index tags) use
// the low-level SHA256_* calls, deprecated in OpenSSL 3 but kept: a context on the stack needs no
// allocation and no provider lookup, and holds no static or thread-local state that a store
// closed during static destruction could outlive.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <amanah/error.hpp>

namespace amanah::detail::crypto {
namespace {

struct KdfFree {
  void operator()(EVP_KDF* p) const noexcept { EVP_KDF_free(p); }
  void operator()(EVP_KDF_CTX* p) const noexcept { EVP_KDF_CTX_free(p); }
};
struct MacFree {
  void operator()(EVP_MAC* p) const noexcept { EVP_MAC_free(p); }
  void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};

constexpr std::size_t kSha256Size = 32;
constexpr std::size_t kHkdfMaxLength = 255 * kSha256Size;  // RFC 5869 section 2.3

// OSSL_PARAM wants a non-const pointer even for inputs it only reads. Empty inputs get a valid
// pointer because OpenSSL treats a null one as "absent" or as an error.
void* param_ptr(ByteView v) noexcept {
  static std::byte empty{};
  return v.empty() ? &empty : const_cast<std::byte*>(v.data());
}

char* param_str(const char* s) noexcept {
  return const_cast<char*>(s);
}

[[noreturn]] void fail(const std::string& what) {
  throw Error(ErrorCode::Internal, what + " failed");
}

}  // namespace

SecretBytes hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length) {
  if (length == 0 || length > kHkdfMaxLength)
    throw Error(ErrorCode::InvalidArgument, "HKDF-SHA256 output length must be 1 to 8160 bytes");
  // Fetched once: a provider lookup costs more than the derivation itself.
  static const std::unique_ptr<EVP_KDF, KdfFree> kdf(
      EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr));
  if (!kdf) fail("HKDF lookup");
  std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) fail("HKDF context allocation");

  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, param_str("SHA256"), 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, param_ptr(ikm), ikm.size());
  // An absent salt means HashLen zero bytes, as RFC 5869 specifies for an empty one.
  if (!salt.empty())
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_ptr(salt), salt.size());
  if (!info.empty())
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, param_ptr(info), info.size());
  params[n] = OSSL_PARAM_construct_end();

  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) !=
      1)
    fail("HKDF-SHA256 derivation");
  return out;  // the context (holding the IKM copy and PRK) is cleansed when freed
}

std::array<std::byte, 32> hmac_sha256(ByteView key, ByteView message) {
  // Fetched once: blind indexes and pseudonyms call this on every lookup.
  static const std::unique_ptr<EVP_MAC, MacFree> mac(
      EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
  if (!mac) fail("HMAC lookup");
  std::unique_ptr<EVP_MAC_CTX, MacFree> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) fail("HMAC context allocation");
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, param_str("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), static_cast<const unsigned char*>(param_ptr(key)), key.size(),
                   params) != 1)
    fail("HMAC-SHA256 setup");
  if (!message.empty() &&
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1)
    fail("HMAC-SHA256 update");
  std::array<std::byte, 32> out{};
  std::size_t out_len = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len,
                    out.size()) != 1 ||
      out_len != out.size())
    fail("HMAC-SHA256 finalisation");
  return out;
}

std::array<std::byte, 32> sha256(ByteView message) {
  std::array<std::byte, 32> out{};
  unsigned int out_len = 0;
  if (EVP_Digest(param_ptr(message), message.size(), reinterpret_cast<unsigned char*>(out.data()),
                 &out_len, EVP_sha256(), nullptr) != 1 ||
      out_len != out.size())
    fail("SHA-256");
  return out;
}

std::array<std::byte, 32> sha256(ByteView a, ByteView b) {
  std::array<std::byte, 32> out{};
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, a.data(), a.size()) != 1 ||
      SHA256_Update(&ctx, b.data(), b.size()) != 1 ||
      SHA256_Final(reinterpret_cast<unsigned char*>(out.data()), &ctx) != 1)
    fail("SHA-256");
  return out;
}

bool equal_ct(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(std::span<std::byte> memory) noexcept {
  if (!memory.empty()) OPENSSL_cleanse(memory.data(), memory.size());
}

HmacSha256::HmacSha256() noexcept = default;

// The key's pads are absorbed once; each MAC copies the two contexts (on the stack, no allocation:
// the audit log and the blind index compute one per call).
HmacSha256::HmacSha256(ByteView key) {
  constexpr std::size_t kBlock = 64;
  std::array<std::byte, kBlock> k{};
  if (key.size() > kBlock) {
    const auto d = sha256(key);
    std::copy(d.begin(), d.end(), k.begin());
  } else {
    std::copy(key.begin(), key.end(), k.begin());
  }
  auto inner = std::make_unique<SHA256_CTX>();
  auto outer = std::make_unique<SHA256_CTX>();
  std::array<std::byte, kBlock> pad{};
  for (std::size_t i = 0; i < kBlock; ++i)
    pad[i] = k[i] ^ std::byte{0x36};
  bool ok = SHA256_Init(inner.get()) == 1 && SHA256_Update(inner.get(), pad.data(), kBlock) == 1;
  for (std::size_t i = 0; i < kBlock; ++i)
    pad[i] = k[i] ^ std::byte{0x5c};
  ok = ok && SHA256_Init(outer.get()) == 1 && SHA256_Update(outer.get(), pad.data(), kBlock) == 1;
  wipe(pad);
  wipe(k);
  if (!ok) {
    OPENSSL_cleanse(inner.get(), sizeof(SHA256_CTX));
    OPENSSL_cleanse(outer.get(), sizeof(SHA256_CTX));
    fail("HMAC-SHA256 key");
  }
  inner_ = inner.release();
  outer_ = outer.release();
}

HmacSha256::~HmacSha256() {
  for (void* p : {inner_, outer_}) {
    if (p == nullptr) continue;
    OPENSSL_cleanse(p, sizeof(SHA256_CTX));  // the absorbed pads are key material
    delete static_cast<SHA256_CTX*>(p);
  }
}

HmacSha256::HmacSha256(HmacSha256&& other) noexcept
    : inner_(std::exchange(other.inner_, nullptr)), outer_(std::exchange(other.outer_, nullptr)) {}

HmacSha256& HmacSha256::operator=(HmacSha256&& other) noexcept {
  if (this != &other) {
    HmacSha256 old(std::move(*this));
    inner_ = std::exchange(other.inner_, nullptr);
    outer_ = std::exchange(other.outer_, nullptr);
  }
  return *this;
}

std::array<std::byte, 32> HmacSha256::operator()(ByteView message) const {
  if (inner_ == nullptr) throw Error(ErrorCode::Internal, "HMAC-SHA256 used without a key");
  std::array<std::byte, 32> inner_hash{}, out{};
  SHA256_CTX c = *static_cast<const SHA256_CTX*>(inner_);
  bool ok = SHA256_Update(&c, message.data(), message.size()) == 1 &&
            SHA256_Final(reinterpret_cast<unsigned char*>(inner_hash.data()), &c) == 1;
  c = *static_cast<const SHA256_CTX*>(outer_);
  ok = ok && SHA256_Update(&c, inner_hash.data(), inner_hash.size()) == 1 &&
       SHA256_Final(reinterpret_cast<unsigned char*>(out.data()), &c) == 1;
  OPENSSL_cleanse(&c, sizeof(c));
  wipe(inner_hash);
  if (!ok) fail("HMAC-SHA256");
  return out;
}

}  // namespace amanah::detail::crypto

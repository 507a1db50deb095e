// Ed25519 (RFC 8032, pure: no pre-hash, no context) through OpenSSL 3's EVP_PKEY interface.
#include "crypto/crypto.hpp"

#include <memory>
#include <string>

#include <openssl/err.h>
#include <openssl/evp.h>

#include <amanah/error.hpp>

namespace amanah::detail::crypto {
namespace {

constexpr std::size_t kPrivateKeySize = 32;
constexpr std::size_t kPublicKeySize = 32;
constexpr std::size_t kSignatureSize = 64;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const unsigned char* u8(ByteView v) noexcept {
  // OpenSSL may treat a null input as an error even with length 0 (the empty message).
  static const unsigned char empty = 0;
  return v.empty() ? &empty : reinterpret_cast<const unsigned char*>(v.data());
}

[[noreturn]] void fail(const char* what) {
  ERR_clear_error();
  throw Error(ErrorCode::Internal, std::string("Ed25519: ") + what + " failed");
}

// The private key as an EVP_PKEY (which keeps its own copy and cleanses it when freed).
Pkey private_pkey(const SecretBytes& private_key) {
  if (private_key.size() != kPrivateKeySize)
    throw Error(ErrorCode::InvalidArgument, "Ed25519 needs a 32-byte private key");
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, u8(private_key.view()),
                                        private_key.size()));
  if (!key) fail("private key setup");
  return key;
}

MdCtx new_ctx() {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) fail("context allocation");
  return ctx;
}

}  // namespace

std::array<std::byte, 32> ed25519_public_key(const SecretBytes& private_key) {
  const Pkey key = private_pkey(private_key);
  std::array<std::byte, kPublicKeySize> out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(out.data()), &len) !=
          1 ||
      len != out.size())
    fail("public key derivation");
  return out;
}

std::array<std::byte, 64> ed25519_sign(const SecretBytes& private_key, ByteView message) {
  const Pkey key = private_pkey(private_key);
  const MdCtx ctx = new_ctx();
  // Ed25519 hashes internally: the digest must be NULL.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    fail("signing setup");
  std::array<std::byte, kSignatureSize> out{};
  std::size_t len = out.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u8(message),
                     message.size()) != 1 ||
      len != out.size())
    fail("signing");
  return out;
}

bool ed25519_verify(std::span<const std::byte, 32> public_key, ByteView message,
                    std::span<const std::byte, 64> signature) noexcept {
  const Pkey key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, u8(public_key), public_key.size()));
  MdCtx ctx(key ? EVP_MD_CTX_new() : nullptr);
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), u8(signature), signature.size(), u8(message), message.size()) ==
          1;
  // A rejected signature or key may leave entries in this thread's OpenSSL error queue.
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace amanah::detail::crypto

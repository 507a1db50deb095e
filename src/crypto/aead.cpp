// AES-256-GCM through OpenSSL's EVP interface.
#include "crypto/crypto.hpp"

#include <climits>
#include <memory>
#include <string>
#include <utility>

#include <openssl/evp.h>

#include <amanah/error.hpp>

namespace amanah::detail::crypto {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* u8(ByteView v) noexcept {
  return reinterpret_cast<const unsigned char*>(v.data());
}
unsigned char* u8(std::span<std::byte> v) noexcept {
  return reinterpret_cast<unsigned char*>(v.data());
}

void check_key(std::size_t size) {
  if (size != kKeySize) throw Error(ErrorCode::InvalidArgument, "AES-256-GCM needs a 32-byte key");
}

// EVP lengths are ints.
int int_length(std::size_t size) {
  if (size > static_cast<std::size_t>(INT_MAX) - kTagSize)
    throw Error(ErrorCode::InvalidArgument, "AES-256-GCM input is too large");
  return static_cast<int>(size);
}

[[noreturn]] void fail(const char* what) {
  throw Error(ErrorCode::Internal, std::string("AES-256-GCM: ") + what + " failed");
}

// Fetched once: EVP_aes_256_gcm() would be fetched again from the provider on every init.
const EVP_CIPHER* aes_256_gcm() {
  static const std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), &EVP_CIPHER_free);
  if (!cipher) fail("cipher lookup");
  return cipher.get();
}

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) fail("context allocation");
  return ctx;
}

// Writes ciphertext | tag into `out` (plaintext.size() + kTagSize bytes).
void gcm_encrypt(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad,
                 std::span<std::byte> out) {
  const int pt_len = int_length(plaintext.size());
  const int aad_len = int_length(aad.size());
  CipherCtx ctx = new_ctx();
  if (EVP_EncryptInit_ex2(ctx.get(), aes_256_gcm(), u8(key), u8(nonce), nullptr) != 1)
    fail("encryption setup");
  int len = 0;
  if (aad_len > 0 && EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(aad), aad_len) != 1)
    fail("associated data");
  if (pt_len > 0 && EVP_EncryptUpdate(ctx.get(), u8(out), &len, u8(plaintext), pt_len) != 1)
    fail("encryption");
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), u8(out) + pt_len, &final_len) != 1) fail("encryption");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          u8(out) + pt_len) != 1)
    fail("tag computation");
}

// Decrypts `sealed` (nonce | ciphertext | tag) into `out` (ciphertext size). False when the tag
// does not verify; `out` then holds unauthenticated data the caller must discard.
bool gcm_decrypt(ByteView key, ByteView sealed, ByteView aad, std::span<std::byte> out) {
  const ByteView nonce = sealed.first(kNonceSize);
  const ByteView ciphertext = sealed.subspan(kNonceSize, sealed.size() - kNonceSize - kTagSize);
  const ByteView tag = sealed.last(kTagSize);
  const int ct_len = int_length(ciphertext.size());
  const int aad_len = int_length(aad.size());
  CipherCtx ctx = new_ctx();
  if (EVP_DecryptInit_ex2(ctx.get(), aes_256_gcm(), u8(key), u8(nonce), nullptr) != 1)
    fail("decryption setup");
  // The ctrl interface takes a non-const pointer but only reads the expected tag.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          const_cast<unsigned char*>(u8(tag))) != 1)
    fail("tag setup");
  int len = 0;
  if (aad_len > 0 && EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(aad), aad_len) != 1)
    fail("associated data");
  if (ct_len > 0 && EVP_DecryptUpdate(ctx.get(), u8(out), &len, u8(ciphertext), ct_len) != 1)
    fail("decryption");
  int final_len = 0;
  return EVP_DecryptFinal_ex(ctx.get(), u8(out) + ct_len, &final_len) == 1;
}

// Whether `sealed` can be a box seal() made; anything else fails to open rather than throwing.
bool plausible_box(ByteView sealed) noexcept {
  return sealed.size() >= kNonceSize + kTagSize &&
         sealed.size() - kNonceSize - kTagSize <= static_cast<std::size_t>(INT_MAX) - kTagSize;
}

}  // namespace

Bytes seal(ByteView key, ByteView plaintext, ByteView aad) {
  check_key(key.size());
  (void)int_length(plaintext.size());
  Bytes out(kNonceSize + plaintext.size() + kTagSize);
  const std::span<std::byte> all(out);
  random_bytes(all.first(kNonceSize));
  gcm_encrypt(key, all.first(kNonceSize), plaintext, aad, all.subspan(kNonceSize));
  return out;
}

Bytes seal(const SecretBytes& key, ByteView plaintext, ByteView aad) {
  return seal(key.view(), plaintext, aad);
}

bool open_into(const SecretBytes& key, ByteView sealed, ByteView aad, std::span<std::byte> out) {
  check_key(key.size());
  if (!plausible_box(sealed) || sealed.size() - kNonceSize - kTagSize != out.size()) {
    wipe(out);
    return false;
  }
  if (gcm_decrypt(key.view(), sealed, aad, out)) return true;
  wipe(out);  // unauthenticated output is never handed out
  return false;
}

bool open(const SecretBytes& key, ByteView sealed, ByteView aad, SecretBytes& out) {
  check_key(key.size());
  // `out` is replaced only at the end: `key` or `sealed` may live in it.
  if (!plausible_box(sealed)) {
    out.clear();
    return false;
  }
  // Decrypt straight into locked memory; on failure its destructor wipes the partial output.
  SecretBytes plain(sealed.size() - kNonceSize - kTagSize);
  const bool ok = gcm_decrypt(key.view(), sealed, aad, plain.mutable_view());
  if (ok) {
    out = std::move(plain);
  } else {
    out.clear();
  }
  return ok;
}

bool open(ByteView key, ByteView sealed, ByteView aad, Bytes& out) {
  check_key(key.size());
  // `out` is replaced only at the end: `sealed` may live in it.
  if (!plausible_box(sealed)) {
    out.clear();
    return false;
  }
  Bytes plain(sealed.size() - kNonceSize - kTagSize);
  const bool ok = gcm_decrypt(key, sealed, aad, plain);
  if (ok) {
    out = std::move(plain);
  } else {
    wipe(plain);  // unauthenticated output is never handed out
    out.clear();
  }
  return ok;
}

bool open(const SecretBytes& key, ByteView sealed, ByteView aad, Bytes& out) {
  return open(key.view(), sealed, aad, out);
}

namespace testing {

Bytes gcm_encrypt_with_nonce(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad) {
  check_key(key.size());
  if (nonce.size() != kNonceSize)
    throw Error(ErrorCode::InvalidArgument, "AES-256-GCM needs a 12-byte nonce");
  (void)int_length(plaintext.size());
  Bytes out(plaintext.size() + kTagSize);
  gcm_encrypt(key, nonce, plaintext, aad, out);
  return out;
}

}  // namespace testing
}  // namespace amanah::detail::crypto

// Argon2id (RFC 9106, version 0x13) through libargon2's argon2_ctx, which unlike the
// argon2id_hash_raw shortcut accepts the secret K and associated data X.
#include "crypto/crypto.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include <argon2.h>

#include <amanah/error.hpp>

namespace amanah::detail::crypto {
namespace {

std::uint32_t length32(std::size_t size, const char* what) {
  if (size > std::numeric_limits<std::uint32_t>::max())
    throw Error(ErrorCode::InvalidArgument, std::string("Argon2id ") + what + " is too long");
  return static_cast<std::uint32_t>(size);
}

// libargon2 takes non-const pointers; without the CLEAR flags it only reads the inputs.
std::uint8_t* input(ByteView v) noexcept {
  return reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(v.data()));
}

// Parameters out of range are the caller's; anything else is a failure of ours or the system's.
ErrorCode code_for(int rc) noexcept {
  switch (rc) {
    case ARGON2_OUTPUT_TOO_SHORT:
    case ARGON2_OUTPUT_TOO_LONG:
    case ARGON2_PWD_TOO_SHORT:
    case ARGON2_PWD_TOO_LONG:
    case ARGON2_SALT_TOO_SHORT:
    case ARGON2_SALT_TOO_LONG:
    case ARGON2_AD_TOO_SHORT:
    case ARGON2_AD_TOO_LONG:
    case ARGON2_SECRET_TOO_SHORT:
    case ARGON2_SECRET_TOO_LONG:
    case ARGON2_TIME_TOO_SMALL:
    case ARGON2_TIME_TOO_LARGE:
    case ARGON2_MEMORY_TOO_LITTLE:
    case ARGON2_MEMORY_TOO_MUCH:
    case ARGON2_LANES_TOO_FEW:
    case ARGON2_LANES_TOO_MANY:
    case ARGON2_THREADS_TOO_FEW:
    case ARGON2_THREADS_TOO_MANY:
      return ErrorCode::InvalidArgument;
    default:
      return ErrorCode::Internal;
  }
}

}  // namespace

SecretBytes argon2id(const Argon2idInput& in) {
  SecretBytes out(in.length);
  argon2_context ctx{};
  ctx.out = reinterpret_cast<std::uint8_t*>(out.data());
  ctx.outlen = length32(in.length, "output");
  ctx.pwd = input(in.password);
  ctx.pwdlen = length32(in.password.size(), "password");
  ctx.salt = input(in.salt);
  ctx.saltlen = length32(in.salt.size(), "salt");
  ctx.secret = input(in.secret);
  ctx.secretlen = length32(in.secret.size(), "secret");
  ctx.ad = input(in.ad);
  ctx.adlen = length32(in.ad.size(), "associated data");
  ctx.t_cost = in.iterations;
  ctx.m_cost = in.memory_kib;
  ctx.lanes = in.parallelism;
  ctx.threads = in.parallelism;
  ctx.version = ARGON2_VERSION_13;
  ctx.allocate_cbk = nullptr;  // libargon2's allocator wipes its blocks before freeing them
  ctx.free_cbk = nullptr;
  ctx.flags = ARGON2_DEFAULT_FLAGS;  // never clear the caller's password or secret

  const int rc = argon2_ctx(&ctx, Argon2_id);
  if (rc != ARGON2_OK)
    throw Error(code_for(rc), std::string("Argon2id failed: ") + argon2_error_message(rc));
  return out;  // on failure `out` is wiped by its destructor
}

}  // namespace amanah::detail::crypto

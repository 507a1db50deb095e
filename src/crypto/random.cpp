// CSPRNG: OpenSSL's RAND_bytes (the default DRBG, seeded from the OS).
#include "crypto/crypto.hpp"

#include <algorithm>
#include <climits>

#include <openssl/rand.h>

#include <amanah/error.hpp>

namespace amanah::detail::crypto {

void random_bytes(std::span<std::byte> out) {
  // RAND_bytes takes an int length, so very large requests go in chunks.
  while (!out.empty()) {
    const std::size_t n = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
      throw Error(ErrorCode::Internal, "the random number generator failed");
    out = out.subspan(n);
  }
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  random_bytes(out);
  return out;
}

}  // namespace amanah::detail::crypto

// Hex and base64 (RFC 4648, standard alphabet, padded). Decoders are strict: they accept exactly
// what the encoders produce, plus upper-case hex.
#include "crypto/crypto.hpp"

#include <utility>

namespace amanah::detail::crypto {
namespace {

// Branch-free and table-free, so to_hex_secret leaks nothing through timing or the cache.
char hex_digit(unsigned nibble) noexcept {
  const int n = static_cast<int>(nibble);
  return static_cast<char>(n + '0' + (((9 - n) >> 8) & ('a' - '0' - 10)));
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string to_hex(ByteView bytes) {
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = std::to_integer<unsigned>(bytes[i]);
    out[2 * i] = hex_digit(b >> 4);
    out[2 * i + 1] = hex_digit(b & 0xfu);
  }
  return out;
}

bool from_hex(std::string_view hex, Bytes& out) {
  if (hex.size() % 2 != 0) {
    out.clear();
    return false;
  }
  Bytes result(hex.size() / 2);
  for (std::size_t i = 0; i < result.size(); ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      out.clear();
      return false;
    }
    result[i] = static_cast<std::byte>((hi << 4) | lo);
  }
  out = std::move(result);
  return true;
}

std::string to_base64(ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = std::to_integer<unsigned>(bytes[i]) << 16 |
                       std::to_integer<unsigned>(bytes[i + 1]) << 8 |
                       std::to_integer<unsigned>(bytes[i + 2]);
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned v = std::to_integer<unsigned>(bytes[i]) << 16;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const unsigned v =
        std::to_integer<unsigned>(bytes[i]) << 16 | std::to_integer<unsigned>(bytes[i + 1]) << 8;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool from_base64(std::string_view text, Bytes& out) {
  const auto reject = [&out] {
    out.clear();
    return false;
  };
  if (text.size() % 4 != 0) return reject();
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  Bytes result;
  result.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t data_chars = last ? 4 - pad : 4;
    unsigned v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      int d = 0;
      if (j < data_chars) {
        d = base64_value(text[i + j]);
        if (d < 0) return reject();  // includes '=' anywhere but the end
      }
      v = v << 6 | static_cast<unsigned>(d);
    }
    // Bits below the last full byte must be zero, so each byte string has one encoding.
    if ((pad == 1 && last && (v & 0xffu) != 0) || (pad == 2 && last && (v & 0xffffu) != 0))
      return reject();
    result.push_back(static_cast<std::byte>(v >> 16));
    if (data_chars >= 3) result.push_back(static_cast<std::byte>((v >> 8) & 0xffu));
    if (data_chars == 4) result.push_back(static_cast<std::byte>(v & 0xffu));
  }
  out = std::move(result);
  return true;
}

bool from_hex_secret(std::span<const std::byte> hex, SecretBytes& out) {
  out.clear();
  if (hex.size() % 2 != 0) return false;
  SecretBytes result(hex.size() / 2);
  for (std::size_t i = 0; i < result.size(); ++i) {
    const int hi = hex_value(static_cast<char>(hex[2 * i]));
    const int lo = hex_value(static_cast<char>(hex[2 * i + 1]));
    if (hi < 0 || lo < 0) return false;
    result.data()[i] = static_cast<std::byte>((hi << 4) | lo);
  }
  out = std::move(result);
  return true;
}

SecretBytes to_hex_secret(const SecretBytes& bytes) {
  SecretBytes out(bytes.size() * 2);
  const std::byte* in = bytes.data();
  std::byte* dst = out.data();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = std::to_integer<unsigned>(in[i]);
    dst[2 * i] = static_cast<std::byte>(hex_digit(b >> 4));
    dst[2 * i + 1] = static_cast<std::byte>(hex_digit(b & 0xfu));
  }
  return out;
}

}  // namespace amanah::detail::crypto

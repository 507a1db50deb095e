// Built-in key providers: passphrase (Argon2id), raw application key, recovery key.
#include <amanah/error.hpp>
#include <amanah/key_provider.hpp>

#include <nlohmann/json.hpp>

#include "crypto/crypto.hpp"

namespace amanah {

KeyProvider::~KeyProvider() = default;

namespace {

using detail::crypto::ByteView;
namespace crypto = detail::crypto;
using nlohmann::json;

// OWASP's floor for Argon2id; the ceiling keeps a tampered slot from exhausting memory.
constexpr std::uint32_t kMinMemoryKib = 19 * 1024;
constexpr std::uint32_t kMinIterations = 2;
constexpr std::uint32_t kMaxMemoryKib = 4u * 1024 * 1024;
constexpr std::uint32_t kMaxIterations = 64;
constexpr std::uint32_t kMaxParallelism = 64;
constexpr std::size_t kSaltSize = 16;

bool params_in_range(const Argon2Params& p) {
  return p.memory_kib >= kMinMemoryKib && p.memory_kib <= kMaxMemoryKib &&
         p.iterations >= kMinIterations && p.iterations <= kMaxIterations && p.parallelism >= 1 &&
         p.parallelism <= kMaxParallelism && p.memory_kib >= 8 * p.parallelism;
}

[[noreturn]] void bad_slot(const std::string& kind) {
  throw Error(ErrorCode::Corrupt, "keyslot parameters of kind '" + kind + "' are malformed");
}

// A parameter read before the MAC can be checked: an unsigned integer that fits, nothing else (a
// number too large reads as a double, whose conversion would be undefined behaviour).
std::uint32_t u32_at(const json& j, const char* key, const std::string& kind) {
  const json& v = j.at(key);
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 0xffffffffu) bad_slot(kind);
  return static_cast<std::uint32_t>(v.get<std::uint64_t>());
}

std::vector<std::byte> salt_from(const json& j, const std::string& kind) {
  std::vector<std::byte> salt;
  if (!j.contains("salt") || !j["salt"].is_string() ||
      !crypto::from_base64(j["salt"].get<std::string>(), salt) || salt.size() != kSaltSize)
    bad_slot(kind);
  return salt;
}

json parse_params(const WrappedKey& slot) {
  json j = json::parse(slot.params, nullptr, false);
  if (j.is_discarded() || !j.is_object()) bad_slot(slot.kind);
  return j;
}

std::optional<SecretBytes> open_root(const SecretBytes& kek, const WrappedKey& slot,
                                     ByteView context) {
  SecretBytes root;
  if (!crypto::open(kek, slot.ciphertext, context, root)) return std::nullopt;
  return root;
}

class PassphraseProvider final : public KeyProvider {
 public:
  PassphraseProvider(SecretBytes passphrase, Argon2Params params)
      : passphrase_(std::move(passphrase)), params_(params) {
    if (passphrase_.empty()) throw Error(ErrorCode::InvalidArgument, "the passphrase is empty");
    if (!params_in_range(params_))
      throw Error(ErrorCode::InvalidArgument,
                  "Argon2id parameters are outside the allowed range (at least m=19456 KiB, "
                  "t=2, p=1; at most m=4 GiB, t=64, p=64)");
  }
  std::string kind() const override { return "passphrase"; }

  WrappedKey wrap(ByteView root, ByteView context) const override {
    const auto salt = crypto::random_bytes(kSaltSize);
    const SecretBytes kek = stretch(salt, params_);
    json p = {{"alg", "argon2id"},        {"v", 19},
              {"m", params_.memory_kib},  {"t", params_.iterations},
              {"p", params_.parallelism}, {"salt", crypto::to_base64(salt)}};
    return {kind(), p.dump(), crypto::seal(kek, root, context)};
  }

  std::optional<SecretBytes> unwrap(const WrappedKey& slot, ByteView context) const override {
    const json j = parse_params(slot);
    Argon2Params p;
    try {
      if (j.at("alg") != "argon2id" || j.at("v") != 19) bad_slot(slot.kind);
      p.memory_kib = u32_at(j, "m", slot.kind);
      p.iterations = u32_at(j, "t", slot.kind);
      p.parallelism = u32_at(j, "p", slot.kind);
    } catch (const json::exception&) {
      bad_slot(slot.kind);
    }
    if (!params_in_range(p)) bad_slot(slot.kind);
    return open_root(stretch(salt_from(j, slot.kind), p), slot, context);
  }

 private:
  SecretBytes stretch(ByteView salt, const Argon2Params& p) const {
    crypto::Argon2idInput in;
    in.password = passphrase_.view();
    in.salt = salt;
    in.memory_kib = p.memory_kib;
    in.iterations = p.iterations;
    in.parallelism = p.parallelism;
    return crypto::argon2id(in);
  }
  SecretBytes passphrase_;
  Argon2Params params_;
};

// A 256-bit key held outside the store: the slot key is HKDF(key, salt, label).
class RawKeyProvider : public KeyProvider {
 public:
  RawKeyProvider(SecretBytes key, std::string kind) : key_(std::move(key)), kind_(std::move(kind)) {
    if (key_.size() != crypto::kKeySize)
      throw Error(ErrorCode::InvalidArgument, "a raw key must be exactly 32 bytes");
  }
  std::string kind() const override { return kind_; }

  WrappedKey wrap(ByteView root, ByteView context) const override {
    const auto salt = crypto::random_bytes(kSaltSize);
    json p = {{"alg", "hkdf-sha256"}, {"salt", crypto::to_base64(salt)}};
    return {kind_, p.dump(), crypto::seal(slot_key(salt), root, context)};
  }

  std::optional<SecretBytes> unwrap(const WrappedKey& slot, ByteView context) const override {
    const json j = parse_params(slot);
    if (j.value("alg", "") != "hkdf-sha256") bad_slot(slot.kind);
    return open_root(slot_key(salt_from(j, slot.kind)), slot, context);
  }

 private:
  SecretBytes slot_key(ByteView salt) const {
    const std::string info = "amanah/v1/keyslot/" + kind_;
    return crypto::hkdf_sha256(key_.view(), salt, crypto::as_bytes(info), crypto::kKeySize);
  }
  SecretBytes key_;
  std::string kind_;
};

// Decodes 64 hex digits (ignoring surrounding whitespace) or returns 32 raw bytes as they are.
SecretBytes raw_key_bytes(SecretBytes text) {
  if (text.size() == crypto::kKeySize) return text;
  std::size_t begin = 0, end = text.size();
  auto space = [&](std::size_t i) {
    const char c = static_cast<char>(text.data()[i]);
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  };
  while (begin < end && space(begin))
    ++begin;
  while (end > begin && space(end - 1))
    --end;
  SecretBytes key;
  if (end - begin != 2 * crypto::kKeySize ||
      !crypto::from_hex_secret(text.view().subspan(begin, end - begin), key))
    throw Error(ErrorCode::InvalidArgument, "a raw key must be 32 bytes or 64 hex digits");
  return key;
}

// Crockford base32 without I, L, O, U; a recovery key is 52 data characters (256 bits + 4 zero
// bits) and 4 check characters (20 bits of SHA-256), shown as 14 groups of 4.
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kDataChars = 52, kCheckChars = 4, kGroup = 4;
constexpr std::size_t kAllChars = kDataChars + kCheckChars;
constexpr std::size_t kPrintedSize = kAllChars + kAllChars / kGroup - 1;

int decode_char(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'O') c = '0';
  if (c == 'I' || c == 'L') c = '1';
  const auto pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

std::uint32_t check_value(const SecretBytes& key) {
  const auto d = crypto::hmac_sha256(crypto::as_bytes("amanah/v1/recovery-check"), key.view());
  return (static_cast<std::uint32_t>(d[0]) << 12) | (static_cast<std::uint32_t>(d[1]) << 4) |
         (static_cast<std::uint32_t>(d[2]) >> 4);
}

}  // namespace

std::unique_ptr<KeyProvider> passphrase_key(SecretBytes passphrase, Argon2Params params) {
  return std::make_unique<PassphraseProvider>(std::move(passphrase), params);
}

std::unique_ptr<KeyProvider> raw_key(SecretBytes key) {
  return std::make_unique<RawKeyProvider>(std::move(key), "raw");
}

std::unique_ptr<KeyProvider> passphrase_from_env(const char* variable, Argon2Params params) {
  return passphrase_key(SecretBytes::from_env(variable), params);
}

std::unique_ptr<KeyProvider> passphrase_from_file(const std::filesystem::path& path,
                                                  Argon2Params params) {
  return passphrase_key(SecretBytes::from_file(path), params);
}

std::unique_ptr<KeyProvider> raw_key_from_env(const char* variable) {
  return raw_key(raw_key_bytes(SecretBytes::from_env(variable)));
}

std::unique_ptr<KeyProvider> raw_key_from_file(const std::filesystem::path& path) {
  return raw_key(raw_key_bytes(SecretBytes::from_file(path)));
}

SecretBytes generate_recovery_key() {
  const SecretBytes key = SecretBytes::random(crypto::kKeySize);
  SecretBytes printed(kPrintedSize);
  std::size_t out = 0, chars = 0;
  auto put = [&](std::uint32_t v) {
    if (chars > 0 && chars % kGroup == 0) printed.data()[out++] = std::byte{'-'};
    printed.data()[out++] = static_cast<std::byte>(kAlphabet[v & 31u]);
    ++chars;
  };
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::byte b : key.view()) {
    acc = (acc << 8) | static_cast<std::uint32_t>(b);
    bits += 8;
    while (bits >= 5) {
      put(acc >> (bits - 5));
      bits -= 5;
    }
    acc &= (1u << bits) - 1;
  }
  put(acc << (5 - bits));  // 256 = 51*5 + 1: one bit left, padded with zeros
  const std::uint32_t check = check_value(key);
  for (int i = 3; i >= 0; --i)
    put(check >> (5 * i));
  return printed;
}

std::unique_ptr<KeyProvider> recovery_key(SecretBytes printed) {
  SecretBytes digits(kAllChars);
  std::size_t n = 0;
  for (std::byte b : printed.view()) {
    const char c = static_cast<char>(b);
    if (c == '-' || c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    const int v = decode_char(c);
    if (v < 0 || n == kAllChars)
      throw Error(ErrorCode::InvalidArgument, "the recovery key is mistyped");
    digits.data()[n++] = static_cast<std::byte>(v);
  }
  if (n != kAllChars) throw Error(ErrorCode::InvalidArgument, "the recovery key is mistyped");
  SecretBytes key(crypto::kKeySize);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t out = 0;
  for (std::size_t i = 0; i < kDataChars; ++i) {
    acc = (acc << 5) | static_cast<std::uint32_t>(digits.data()[i]);
    bits += 5;
    if (bits >= 8 && out < key.size()) {
      key.data()[out++] = static_cast<std::byte>((acc >> (bits - 8)) & 0xffu);
      bits -= 8;
    }
    acc &= (1u << bits) - 1;
  }
  std::uint32_t check = 0;
  for (std::size_t i = kDataChars; i < kAllChars; ++i)
    check = (check << 5) | static_cast<std::uint32_t>(digits.data()[i]);
  if (out != key.size() || acc != 0 || check != check_value(key))
    throw Error(ErrorCode::InvalidArgument, "the recovery key is mistyped");
  return std::make_unique<RawKeyProvider>(std::move(key), "recovery");
}

}  // namespace amanah

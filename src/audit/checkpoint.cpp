// Audit signing keys, checkpoints (their signed bytes and their line of text), and the file sink.
//
// The signed message of a checkpoint (format version 1):
//
//   "amanah audit checkpoint v1" ‖ 0x00        the ASCII domain tag and a zero byte
//   ‖ len (u16 BE) ‖ store_id                  the store id's bytes (1..128 of them)
//   ‖ seq (u64 BE)                             entries in the log
//   ‖ head (32 bytes)                          the chain value of entry `seq`
//   ‖ at (i64 BE)                              unix seconds (the TimePoint truncated to seconds)
//
// signed with Ed25519 (pure, RFC 8032). The line of text (one per checkpoint in a sink's file):
//
//   amanah-checkpoint 1 <store_id> <seq> <at> <head: 64 hex> <signature: 128 hex>
//
// single spaces between fields; seq and at in decimal without leading zeros (at may be negative),
// hex in lower case. A store id is printable ASCII without spaces, 1 to 128 bytes.
#include "audit/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "fs/fs.hpp"

namespace amanah {
namespace {

namespace crypto = detail::crypto;

constexpr std::string_view kDomain = "amanah audit checkpoint v1";  // then a 0x00 byte
constexpr std::string_view kLineTag = "amanah-checkpoint";
constexpr std::string_view kLineVersion = "1";
constexpr std::size_t kMaxStoreId = 128;
constexpr std::size_t kFields = 7;
// Longer than any line to_line() writes (17 + 1 + 1 + 1 + 128 + 1 + 20 + 1 + 20 + 1 + 64 + 1 +
// 128).
constexpr std::size_t kMaxLine = 512;

bool valid_store_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= kMaxStoreId &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

void check_store_id(std::string_view id) {
  if (!valid_store_id(id))
    throw Error(ErrorCode::InvalidArgument,
                "a checkpoint's store id must be 1 to 128 printable ASCII characters, no spaces");
}

std::int64_t unix_seconds(TimePoint t) noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The most seconds either side of the epoch a TimePoint can hold.
std::int64_t max_seconds() noexcept {
  return unix_seconds(TimePoint::max());
}

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}

// The bytes a checkpoint's signature covers (see the top of this file). The store id is valid.
std::string signed_message(const Checkpoint& c) {
  std::string m;
  m.reserve(kDomain.size() + 1 + 2 + c.store_id.size() + 8 + c.head.size() + 8);
  m.append(kDomain);
  m.push_back('\0');
  put_be(m, c.store_id.size(), 2);
  m.append(c.store_id);
  put_be(m, c.seq, 8);
  m.append(reinterpret_cast<const char*>(c.head.data()), c.head.size());
  put_be(m, static_cast<std::uint64_t>(unix_seconds(c.at)), 8);
  return m;
}

// Lower-case hex of exactly out.size() bytes.
bool parse_hex(std::string_view text, std::span<std::byte> out) {
  if (text.size() != 2 * out.size()) return false;
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return false;
  crypto::Bytes bytes;
  if (!crypto::from_hex(text, bytes) || bytes.size() != out.size()) return false;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return true;
}

// Decimal digits without a leading zero (other than "0" itself), within `max`.
bool parse_decimal(std::string_view text, std::uint64_t max, std::uint64_t& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// Parses one line (without its newline). On failure returns nothing and says why in `why`,
// never quoting the line.
std::optional<Checkpoint> parse_line(std::string_view line, std::string& why) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t space = line.find(' ', start);
    fields.push_back(line.substr(start, space == std::string_view::npos ? space : space - start));
    if (space == std::string_view::npos || fields.size() > kFields) break;
    start = space + 1;
  }
  if (fields.size() != kFields ||
      std::any_of(fields.begin(), fields.end(), [](std::string_view f) { return f.empty(); })) {
    why = "not 7 fields separated by single spaces";
    return std::nullopt;
  }
  if (fields[0] != kLineTag) {
    why = "not a checkpoint line";
    return std::nullopt;
  }
  if (fields[1] != kLineVersion) {
    why = "unknown checkpoint format version";
    return std::nullopt;
  }
  Checkpoint c;
  if (!valid_store_id(fields[2])) {
    why = "bad store id";
    return std::nullopt;
  }
  c.store_id = std::string(fields[2]);
  if (!parse_decimal(fields[3], std::numeric_limits<std::uint64_t>::max(), c.seq)) {
    why = "bad sequence number";
    return std::nullopt;
  }
  std::string_view at = fields[4];
  const bool negative = at.front() == '-';
  if (negative) at.remove_prefix(1);
  std::uint64_t seconds = 0;
  if (!parse_decimal(at, static_cast<std::uint64_t>(max_seconds()), seconds) ||
      (negative && seconds == 0)) {
    why = "bad time";
    return std::nullopt;
  }
  const auto signed_seconds =
      negative ? -static_cast<std::int64_t>(seconds) : static_cast<std::int64_t>(seconds);
  c.at = TimePoint(std::chrono::seconds(signed_seconds));
  if (!parse_hex(fields[5], c.head)) {
    why = "bad chain head (not 64 lower-case hex digits)";
    return std::nullopt;
  }
  if (!parse_hex(fields[6], c.signature)) {
    why = "bad signature (not 128 lower-case hex digits)";
    return std::nullopt;
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// File helpers (POSIX)

// `what` is a literal: nothing is allocated (which could change errno) before errno is read.

}  // namespace

// ---------------------------------------------------------------------------------------------
// Keys

std::string AuditPublicKey::hex() const {
  return crypto::to_hex(bytes);
}

AuditPublicKey AuditPublicKey::from_hex(std::string_view hex) {
  crypto::Bytes decoded;
  if (hex.size() != 64 || !crypto::from_hex(hex, decoded) || decoded.size() != 32)
    throw Error(ErrorCode::InvalidArgument, "an audit public key must be 64 hex digits");
  AuditPublicKey key;
  std::copy(decoded.begin(), decoded.end(), key.bytes.begin());
  return key;
}

AuditSigningKey::AuditSigningKey(SecretBytes private_key)
    : private_(std::move(private_key)), public_{crypto::ed25519_public_key(private_)} {}

AuditSigningKey AuditSigningKey::clone() const {
  return AuditSigningKey(private_.clone());
}

AuditSigningKey generate_audit_key() {
  SecretBytes seed(32);
  crypto::random_bytes(seed.mutable_view());
  return AuditSigningKey(std::move(seed));
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

bool Checkpoint::signed_by(const AuditPublicKey& key) const {
  // A store id make_checkpoint refuses cannot carry a good signature.
  if (!valid_store_id(store_id)) return false;
  return crypto::ed25519_verify(key.bytes, crypto::as_bytes(signed_message(*this)), signature);
}

std::string Checkpoint::to_line() const {
  check_store_id(store_id);
  std::string line;
  line.reserve(kMaxLine);
  line.append(kLineTag).append(" ").append(kLineVersion).append(" ");
  line.append(store_id).append(" ");
  line.append(std::to_string(seq)).append(" ");
  line.append(std::to_string(unix_seconds(at))).append(" ");
  line.append(crypto::to_hex(head)).append(" ");
  line.append(crypto::to_hex(signature));
  return line;
}

Checkpoint Checkpoint::from_line(std::string_view line) {
  std::string why;
  auto c = parse_line(line, why);
  if (!c) throw Error(ErrorCode::Corrupt, "malformed checkpoint line: " + why);
  return std::move(*c);
}

namespace detail::audit {

Checkpoint make_checkpoint(const AuditSigningKey& key, std::string store_id, std::uint64_t seq,
                           const std::array<std::byte, 32>& head, TimePoint at) {
  check_store_id(store_id);
  Checkpoint c;
  c.store_id = std::move(store_id);
  c.seq = seq;
  c.head = head;
  c.at = TimePoint(std::chrono::seconds(unix_seconds(at)));
  c.signature = crypto::ed25519_sign(key.private_key(), crypto::as_bytes(signed_message(c)));
  return c;
}

}  // namespace detail::audit

// ---------------------------------------------------------------------------------------------
// Sinks

CheckpointSink::~CheckpointSink() = default;

FileCheckpointSink::FileCheckpointSink(std::filesystem::path file) : file_(std::move(file)) {
  if (file_.empty()) throw Error(ErrorCode::InvalidArgument, "a checkpoint file needs a path");
}

void FileCheckpointSink::publish(const Checkpoint& checkpoint) {
  const std::lock_guard lock(mu_);
  detail::fs::append_line(file_, checkpoint.to_line(), kLineTag, kMaxLine);
}

std::vector<Checkpoint> FileCheckpointSink::read(const std::filesystem::path& file) {
  const std::vector<std::string> lines = detail::fs::read_lines(file);
  std::vector<Checkpoint> out;
  std::string why;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto c = parse_line(lines[i], why);
    if (!c)
      throw Error(ErrorCode::Corrupt,
                  file.string() + ": line " + std::to_string(i + 1) + ": " + why);
    out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace amanah

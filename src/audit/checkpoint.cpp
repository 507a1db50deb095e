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
[[noreturn]] void throw_io(const char* what, const std::filesystem::path& file, int err) {
  throw Error(ErrorCode::Io, std::string(what) + " " + file.string() + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

void require_regular(const Fd& fd, const std::filesystem::path& file, struct stat& st) {
  if (::fstat(fd.get(), &st) != 0) throw_io("cannot inspect", file, errno);
  if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::Io, file.string() + " is not a regular file");
}

void write_all(const Fd& fd, std::string_view data, const std::filesystem::path& file) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("cannot write", file, errno);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Up to out.size() bytes at `offset` (fewer only at the end of the file).
std::size_t read_at(const Fd& fd, std::span<char> out, off_t offset,
                    const std::filesystem::path& file) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd.get(), out.data() + done, out.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("cannot read", file, errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

// A crash while appending leaves a last line without its newline. read() skips it, but the next
// line appended would join it into a bad line in the middle. So before appending, such a tail is
// cut off, though only when it could be the start of a checkpoint line: a sink pointed at some
// other file refuses (Corrupt) rather than cutting into it. Returns the file's size after.
off_t drop_torn_tail(const Fd& fd, const std::filesystem::path& file, off_t size) {
  if (size == 0) return size;
  const auto window =
      static_cast<off_t>(std::min<std::uintmax_t>(static_cast<std::uintmax_t>(size), kMaxLine + 1));
  std::string tail(static_cast<std::size_t>(window), '\0');
  if (read_at(fd, tail, size - window, file) != tail.size())
    throw Error(ErrorCode::Io, "cannot read " + file.string() + ": it shrank while appending");
  if (tail.back() == '\n') return size;
  const std::size_t newline = tail.rfind('\n');
  const std::size_t piece_start = newline == std::string::npos ? 0 : newline + 1;
  const std::string_view piece = std::string_view(tail).substr(piece_start);
  const std::string_view prefix = std::string_view(kLineTag).substr(0, piece.size());
  if (piece.size() > kMaxLine || piece.substr(0, prefix.size()) != prefix)
    throw Error(ErrorCode::Corrupt,
                file.string() + ": ends in an incomplete line that is not a checkpoint");
  const off_t keep = size - window + static_cast<off_t>(piece_start);
  if (::ftruncate(fd.get(), keep) != 0) throw_io("cannot cut the torn last line of", file, errno);
  return keep;
}

void sync_parent(const std::filesystem::path& file) {
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw_io("cannot open the directory of", file, errno);
  if (::fsync(fd.get()) != 0) throw_io("cannot sync the directory of", file, errno);
}

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
  std::string line = checkpoint.to_line();
  line.push_back('\n');

  const std::lock_guard lock(mu_);
  bool created = false;
  int raw = ::open(file_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (raw < 0 && errno == ENOENT) {
    raw = ::open(file_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (raw < 0 && errno == EEXIST) {  // created by someone else meanwhile
      raw = ::open(file_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    } else {
      created = raw >= 0;
    }
  }
  if (raw < 0) throw_io("cannot open", file_, errno);
  const Fd fd(raw);
  struct stat st {};
  require_regular(fd, file_, st);
  const off_t size = drop_torn_tail(fd, file_, st.st_size);
  try {
    write_all(fd, line, file_);
  } catch (...) {
    // A part written is taken back where possible (else read() skips it as a torn line).
    if (::ftruncate(fd.get(), size) != 0) {
      // best effort only: the write's own error is the one to report
    }
    throw;
  }
  if (::fdatasync(fd.get()) != 0) throw_io("cannot sync", file_, errno);
  if (created) sync_parent(file_);
}

std::vector<Checkpoint> FileCheckpointSink::read(const std::filesystem::path& file) {
  const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return {};
    throw_io("cannot open", file, errno);
  }
  struct stat st {};
  require_regular(fd, file, st);
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("cannot read", file, errno);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }

  std::vector<Checkpoint> out;
  std::string_view rest = text;
  std::string why;
  for (std::size_t number = 1;; ++number) {
    const std::size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) break;  // nothing left, or a torn last line: skipped
    auto c = parse_line(rest.substr(0, newline), why);
    if (!c)
      throw Error(ErrorCode::Corrupt,
                  file.string() + ": line " + std::to_string(number) + ": " + why);
    out.push_back(std::move(*c));
    rest.remove_prefix(newline + 1);
  }
  return out;
}

}  // namespace amanah

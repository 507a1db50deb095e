// The erasure ledger's entries as lines of text, and the file sink (amanah/backup.hpp).
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/backup.hpp>
#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "fs/fs.hpp"
#include "retention/retention.hpp"
#include "store/time.hpp"

namespace amanah {
namespace {

constexpr std::string_view kTag = "amanah-erasure";
constexpr std::string_view kVersion = "1";
constexpr std::size_t kFields = 9;
constexpr std::size_t kMaxLine = 512;  // longer than any line to_line() writes

bool is_hex(std::string_view s, std::size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace

std::string LedgerEntry::to_line() const {
  return detail::retention::ledger_body(*this) + " " + mac;
}

LedgerEntry LedgerEntry::from_line(std::string_view line) {
  std::vector<std::string_view> f;
  while (!line.empty() && f.size() <= kFields) {
    const std::size_t space = line.find(' ');
    f.push_back(line.substr(0, space));
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  }
  const auto bad = [](std::string_view why) {
    return Error(ErrorCode::Corrupt, "malformed erasure ledger line: " + std::string(why));
  };
  if (f.size() != kFields || f[0] != kTag) throw bad("not an erasure ledger line");
  if (f[1] != kVersion) throw bad("unknown version");
  LedgerEntry e;
  e.store_id = std::string(f[2]);
  if (!is_hex(e.store_id, 32)) throw bad("bad store id");
  std::int64_t at = 0;
  if (!parse_number(f[3], e.tombstone.seq) || e.tombstone.seq == 0) throw bad("bad sequence");
  if (!is_hex(f[4], 32)) throw bad("bad subject");
  e.tombstone.subject = std::string(f[4]);
  if (!parse_number(f[5], at)) throw bad("bad time");
  e.tombstone.at = detail::store::time_point(at);
  const auto reason = detail::retention::parse_reason(f[6]);
  if (!reason) throw bad("bad reason");
  e.tombstone.reason = *reason;
  if (f[7] != "-") {
    std::int64_t until = 0;
    if (!parse_number(f[7], until)) throw bad("bad held-until time");
    e.tombstone.held_until = detail::store::time_point(until);
  }
  if (!is_hex(f[8], 64)) throw bad("bad MAC");
  e.mac = std::string(f[8]);
  return e;
}

ErasureLedgerSink::~ErasureLedgerSink() = default;

FileErasureLedger::FileErasureLedger(std::filesystem::path file) : file_(std::move(file)) {
  if (file_.empty()) throw Error(ErrorCode::InvalidArgument, "an erasure ledger needs a path");
  // Created now, so that a store without erasures yet still has a ledger a restore can read.
  std::error_code ec;
  if (std::filesystem::exists(file_, ec)) return;
  try {
    detail::fs::create_private_file(file_);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::AlreadyExists) throw;  // made by someone else meanwhile
    return;
  }
  const auto parent = file_.parent_path();
  detail::fs::sync_directory(parent.empty() ? std::filesystem::path(".") : parent);
}

void FileErasureLedger::append(const LedgerEntry& entry) {
  const std::lock_guard lock(mu_);
  detail::fs::append_line(file_, entry.to_line(), kTag, kMaxLine);
}

std::vector<LedgerEntry> FileErasureLedger::read(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    throw Error(ErrorCode::NotFound, "no erasure ledger at " + file.string());
  const std::vector<std::string> lines = detail::fs::read_lines(file);
  std::vector<LedgerEntry> out;
  out.reserve(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    try {
      out.push_back(LedgerEntry::from_line(lines[i]));
    } catch (const Error& e) {
      throw Error(ErrorCode::Corrupt,
                  file.string() + ": line " + std::to_string(i + 1) + ": " + e.message());
    }
  }
  return out;
}

namespace detail::retention {

std::string ledger_body(const LedgerEntry& e) {
  std::string line(kTag);
  line.append(" ").append(kVersion).append(" ").append(e.store_id);
  line.append(" ").append(std::to_string(e.tombstone.seq));
  line.append(" ").append(e.tombstone.subject);
  line.append(" ").append(std::to_string(store::unix_seconds(e.tombstone.at)));
  line.append(" ").append(to_string(e.tombstone.reason));
  line.append(" ").append(e.tombstone.held_until
                              ? std::to_string(store::unix_seconds(*e.tombstone.held_until))
                              : std::string("-"));
  return line;
}

}  // namespace detail::retention
}  // namespace amanah

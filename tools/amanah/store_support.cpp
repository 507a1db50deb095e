// amanah CLI — the erasure ledger, field=value input, new keys (store_support.hpp).
#include "store_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>

namespace amanah::cli {

std::string ledger_path(const std::string& option) {
  if (!option.empty()) return option;
  const char* v = std::getenv("AMANAH_LEDGER");
  return v != nullptr ? std::string(v) : std::string();
}

CustomerStore open_with_ledger(const Global& g, const std::filesystem::path& dir,
                               const std::string& ledger) {
  const auto key = unlock_key(g);
  OpenOptions options;
  if (!ledger.empty()) options.erasure_ledger = std::make_shared<FileErasureLedger>(ledger);
  return CustomerStore::open(dir, *key, options);
}

std::string require_ledger(const std::string& option, bool without_ledger) {
  std::string ledger = ledger_path(option);
  if (ledger.empty() && !without_ledger)
    throw Error(ErrorCode::InvalidArgument,
                "an erasure needs the erasure ledger (--ledger FILE or AMANAH_LEDGER), kept apart "
                "from the backups, so that a restore cannot bring the customer back; "
                "--without-ledger erases anyway (the store hands the ledger the erasure at its "
                "next open with one)");
  if (!ledger.empty() && without_ledger)
    throw Error(ErrorCode::InvalidArgument, "--ledger and --without-ledger exclude each other");
  return ledger;
}

namespace {

bool field_name(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  for (const char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

}  // namespace

std::vector<FieldLine> read_field_lines(std::istream& in) {
  std::vector<FieldLine> out;
  std::set<std::string, std::less<>> seen;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::size_t eq = line.find('=');
    const std::string where = "input line " + std::to_string(n);
    if (eq == std::string::npos || !field_name(std::string_view(line).substr(0, eq)))
      throw Error(ErrorCode::InvalidArgument, where + ": expected field=value with a field name");
    FieldLine f{line.substr(0, eq), line.substr(eq + 1)};
    if (!seen.insert(f.field).second)
      throw Error(ErrorCode::InvalidArgument, where + ": field " + f.field + " given twice");
    out.push_back(std::move(f));
  }
  if (in.bad()) throw Error(ErrorCode::Io, "could not read the input");
  return out;
}

std::vector<FieldLine> read_field_lines_from(const std::string& source) {
  if (source == "-") return read_field_lines(std::cin);
  std::ifstream in(source);
  if (!in) throw Error(ErrorCode::NotFound, "cannot read " + source);
  return read_field_lines(in);
}

std::unique_ptr<KeyProvider> new_key(const NewKeyOptions& o) {
  const int given =
      int(!o.key_file.empty()) + int(!o.passphrase_file.empty()) + int(!o.passphrase_env.empty());
  if (given > 1) throw Error(ErrorCode::InvalidArgument, "give one source for the new key");
  if (!o.key_file.empty()) return raw_key_from_file(o.key_file);
  Argon2Params params;
  params.memory_kib = o.argon2_memory_mib * 1024;
  params.iterations = o.argon2_iterations;
  if (!o.passphrase_file.empty()) return passphrase_from_file(o.passphrase_file, params);
  if (!o.passphrase_env.empty()) return passphrase_from_env(o.passphrase_env.c_str(), params);
  SecretBytes first = prompt_secret("new passphrase: ");
  const SecretBytes again = prompt_secret("new passphrase again: ");
  if (!first.equals(again)) throw Error(ErrorCode::InvalidArgument, "the two passphrases differ");
  if (first.empty()) throw Error(ErrorCode::InvalidArgument, "the passphrase is empty");
  return passphrase_key(std::move(first), params);
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    if (comma > at) out.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

void write_private_file(const std::filesystem::path& file, std::span<const std::byte> bytes) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) throw Error(ErrorCode::AlreadyExists, file.string() + " exists");
    throw Error(ErrorCode::Io, "cannot create " + file.string() + ": " + std::strerror(err));
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      ::close(fd);
      throw Error(ErrorCode::Io, "cannot write " + file.string());
    }
    done += static_cast<std::size_t>(w);
  }
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw Error(ErrorCode::Io, "cannot sync " + file.string());
}

}  // namespace amanah::cli

// amanah CLI — what the record, audit and operations subcommands share beyond common.hpp: the
// erasure ledger a store is opened with, field=value input, new keys, small formatting helpers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"

namespace amanah::cli {

// The erasure ledger (README "Erasure ledger"): `--ledger FILE` where a command offers it, else
// the AMANAH_LEDGER environment variable; empty when neither is set. A store opened with a ledger
// hands it every erasure, including those an earlier open without one left pending.
[[nodiscard]] std::string ledger_path(const std::string& option);
// Opens the store with the ledger (if any) as its erasure sink.
[[nodiscard]] CustomerStore open_with_ledger(const Global& g, const std::filesystem::path& dir,
                                             const std::string& ledger);
// For commands that erase (erase, sweep): the ledger, or InvalidArgument unless the operator
// said --without-ledger (an erasure the ledger never sees can come back with a restore).
[[nodiscard]] std::string require_ledger(const std::string& option, bool without_ledger);

// Reads `field=value` lines (a value may hold '='; "field=" is an empty value; blank lines and
// lines starting with '#' are skipped). Errors name the line number and, when it is a valid
// field name, the field: never the value.
struct FieldLine {
  std::string field;
  std::string value;
};
[[nodiscard]] std::vector<FieldLine> read_field_lines(std::istream& in);
// `source` is "-" (stdin) or a file.
[[nodiscard]] std::vector<FieldLine> read_field_lines_from(const std::string& source);

// A new unlock key for init and `keys add`: a raw key file, a passphrase from an environment
// variable or a file, or (none given) a passphrase asked twice on the terminal.
struct NewKeyOptions {
  std::string passphrase_env, passphrase_file, key_file;
  std::uint32_t argon2_memory_mib = 64;
  std::uint32_t argon2_iterations = 3;
};
[[nodiscard]] std::unique_ptr<KeyProvider> new_key(const NewKeyOptions& o);

[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
[[nodiscard]] std::vector<std::string> split_list(const std::string& text);  // "a,b"
// A file created new with mode 0600 (AlreadyExists if it exists), holding `bytes`; synced.
void write_private_file(const std::filesystem::path& file, std::span<const std::byte> bytes);

}  // namespace amanah::cli

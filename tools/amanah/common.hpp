// amanah CLI — what every subcommand shares: unlocking, who is asking, output, exit statuses.
// The tool uses amanah's public API only.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <amanah/amanah.hpp>
#include <nlohmann/json.hpp>

namespace amanah::cli {

// Options of the whole tool, filled by CLI11 (flags) and the environment.
struct Global {
  bool json = false;   // --json: one JSON document on stdout instead of text
  bool quiet = false;  // --quiet: no progress
  // Who is asking (--actor/--role/--purpose, or AMANAH_ACTOR/AMANAH_ROLE/AMANAH_PURPOSE).
  std::string actor, role, purpose;
  // The unlock secret: never on the command line. A passphrase from --passphrase-env VAR
  // (default AMANAH_PASSPHRASE), --passphrase-file F, or a prompt on the terminal without echo;
  // a raw key from --key-file F (or AMANAH_KEY_FILE); a recovery key from --recovery-key-file F.
  std::string passphrase_env, passphrase_file, key_file, recovery_key_file;
};

// Exit statuses: 0 success, 1 an unexpected failure, 2 a usage error, and 10 + the ErrorCode's
// value for each amanah::Error (README "Exit statuses" lists them).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
[[nodiscard]] int exit_status(ErrorCode code) noexcept;

// The key that unlocks a store, from Global's sources (InvalidArgument when none is given and
// stdin is not a terminal). `confirm` asks a prompted passphrase twice (init, keys add).
[[nodiscard]] std::unique_ptr<KeyProvider> unlock_key(const Global& g, bool confirm = false);
// A second key from explicit sources only (keys add, restore --offsite): `kind` is "passphrase"
// (env VAR, file, or prompt) or "raw" (file).
[[nodiscard]] std::unique_ptr<KeyProvider> key_from(std::string_view kind, const std::string& env,
                                                    const std::string& file, bool confirm);
// A passphrase typed on the terminal with echo off; InvalidArgument when there is no terminal.
[[nodiscard]] SecretBytes prompt_secret(const char* prompt);

// The caller as the policy and the audit log see them; InvalidArgument naming the missing part.
[[nodiscard]] AccessContext context(const Global& g);
[[nodiscard]] CustomerStore open_store(const Global& g, const std::filesystem::path& dir);
// Registers --actor/--role/--purpose on a subcommand that touches records.
void add_context_options(CLI::App& cmd, Global& g);
// Registers the unlock options on a subcommand that opens a store.
void add_key_options(CLI::App& cmd, Global& g);

[[nodiscard]] CustomerId parse_id(const std::string& text);   // InvalidArgument
[[nodiscard]] std::string iso_time(TimePoint t);              // "2026-12-02T17:30:00Z"
[[nodiscard]] TimePoint parse_time(const std::string& text);  // ISO 8601 (date or date+time, Z)

// Prints a result: the JSON document with --json, else `text` (which may be empty).
void emit(const Global& g, const nlohmann::json& doc, const std::string& text);

// Subcommand groups (one file each). Each adds its subcommands to `app`; a subcommand's
// callback returns its exit status through `status`.
using Status = int;
void add_manifest_commands(CLI::App& app, Global& g, Status& status);  // init, manifest, report
void add_import_command(CLI::App& app, Global& g, Status& status);     // import
void add_record_commands(CLI::App& app, Global& g, Status& status);    // get, find, export, ...
void add_audit_commands(CLI::App& app, Global& g, Status& status);     // audit ...
void add_ops_commands(CLI::App& app, Global& g, Status& status);       // check, backup, keys ...

}  // namespace amanah::cli

// amanah CLI — unlocking, the caller's context, output and exit statuses.
#include "common.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

namespace amanah::cli {

int exit_status(ErrorCode code) noexcept {
  return 10 + static_cast<int>(code);
}

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// Reads one line from the terminal with echo off into a SecretBytes (no std::string copy).
SecretBytes read_hidden_line(int fd) {
  termios old{};
  const bool tty = tcgetattr(fd, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  SecretBytes buf(1024);
  std::size_t n = 0;
  bool ok = true;
  for (;;) {
    char c = 0;
    const ssize_t r = ::read(fd, &c, 1);
    if (r <= 0 || c == '\n') {
      ok = r >= 0;
      break;
    }
    if (c == '\r') continue;
    if (n == buf.size()) {
      ok = false;
      break;
    }
    buf.data()[n++] = static_cast<std::byte>(c);
  }
  if (tty) {
    tcsetattr(fd, TCSAFLUSH, &old);
    std::fputc('\n', stderr);
  }
  if (!ok) throw Error(ErrorCode::InvalidArgument, "could not read the passphrase");
  return SecretBytes::copy_of(buf.view().first(n));
}

}  // namespace

SecretBytes prompt_secret(const char* prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0 || !isatty(fd)) {
    if (fd >= 0) ::close(fd);
    throw Error(ErrorCode::InvalidArgument,
                "no passphrase given and no terminal to ask on: set AMANAH_PASSPHRASE, or use "
                "--passphrase-file or --key-file");
  }
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  try {
    SecretBytes s = read_hidden_line(fd);
    ::close(fd);
    return s;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::unique_ptr<KeyProvider> key_from(std::string_view kind, const std::string& env_var,
                                      const std::string& file, bool confirm) {
  if (kind == "raw") {
    if (file.empty()) throw Error(ErrorCode::InvalidArgument, "a raw key comes from a file");
    return raw_key_from_file(file);
  }
  if (kind == "recovery") {
    if (file.empty()) throw Error(ErrorCode::InvalidArgument, "a recovery key comes from a file");
    return recovery_key(SecretBytes::from_file(file));
  }
  if (!file.empty()) return passphrase_from_file(file);
  if (!env_var.empty()) return passphrase_from_env(env_var.c_str());
  SecretBytes first = prompt_secret("passphrase: ");
  if (confirm) {
    const SecretBytes again = prompt_secret("passphrase again: ");
    if (!first.equals(again)) throw Error(ErrorCode::InvalidArgument, "the two passphrases differ");
  }
  if (first.empty()) throw Error(ErrorCode::InvalidArgument, "the passphrase is empty");
  return passphrase_key(std::move(first));
}

std::unique_ptr<KeyProvider> unlock_key(const Global& g, bool confirm) {
  if (!g.key_file.empty()) return key_from("raw", {}, g.key_file, false);
  if (!g.recovery_key_file.empty()) return key_from("recovery", {}, g.recovery_key_file, false);
  if (!g.passphrase_file.empty()) return key_from("passphrase", {}, g.passphrase_file, false);
  if (!g.passphrase_env.empty()) return key_from("passphrase", g.passphrase_env, {}, false);
  if (const char* f = env("AMANAH_KEY_FILE")) return key_from("raw", {}, f, false);
  if (env("AMANAH_PASSPHRASE") != nullptr)
    return key_from("passphrase", "AMANAH_PASSPHRASE", {}, false);
  return key_from("passphrase", {}, {}, confirm);
}

AccessContext context(const Global& g) {
  AccessContext ctx;
  ctx.actor = !g.actor.empty() ? g.actor : (env("AMANAH_ACTOR") ? env("AMANAH_ACTOR") : "");
  const std::string roles =
      !g.role.empty() ? g.role : (env("AMANAH_ROLE") ? env("AMANAH_ROLE") : "");
  ctx.purpose =
      !g.purpose.empty() ? g.purpose : (env("AMANAH_PURPOSE") ? env("AMANAH_PURPOSE") : "");
  for (std::size_t at = 0; at <= roles.size();) {  // "a,b": several roles
    const std::size_t comma = std::min(roles.find(',', at), roles.size());
    if (comma > at) ctx.roles.push_back(roles.substr(at, comma - at));
    at = comma + 1;
  }
  if (ctx.actor.empty())
    throw Error(ErrorCode::InvalidArgument, "who is asking: give --actor or set AMANAH_ACTOR");
  if (ctx.roles.empty())
    throw Error(ErrorCode::InvalidArgument, "in which role: give --role or set AMANAH_ROLE");
  if (ctx.purpose.empty())
    throw Error(ErrorCode::InvalidArgument,
                "for which purpose: give --purpose or set AMANAH_PURPOSE");
  return ctx;
}

CustomerStore open_store(const Global& g, const std::filesystem::path& dir) {
  const auto key = unlock_key(g);
  return CustomerStore::open(dir, *key);
}

void add_context_options(CLI::App& cmd, Global& g) {
  cmd.add_option("--actor", g.actor, "who is asking (or AMANAH_ACTOR)");
  cmd.add_option("--role", g.role, "the role(s) they act in, comma-separated (or AMANAH_ROLE)");
  cmd.add_option("--purpose", g.purpose, "the declared purpose (or AMANAH_PURPOSE)");
}

void add_key_options(CLI::App& cmd, Global& g) {
  cmd.add_option("--passphrase-env", g.passphrase_env,
                 "environment variable holding the passphrase (default AMANAH_PASSPHRASE)");
  cmd.add_option("--passphrase-file", g.passphrase_file, "file holding the passphrase");
  cmd.add_option("--key-file", g.key_file, "file holding a raw 32-byte key (or AMANAH_KEY_FILE)");
  cmd.add_option("--recovery-key-file", g.recovery_key_file, "file holding a recovery key");
}

CustomerId parse_id(const std::string& text) {
  return CustomerId::parse(text);
}

std::string iso_time(TimePoint t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

TimePoint parse_time(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    tm = {};
    end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  }
  if (end == nullptr || !(*end == '\0' || (end[0] == 'Z' && end[1] == '\0')))
    throw Error(ErrorCode::InvalidArgument, "a time is YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

void emit(const Global& g, const nlohmann::json& doc, const std::string& text) {
  if (g.json) {
    std::cout << doc.dump(2) << '\n';
  } else if (!text.empty()) {
    std::cout << text;
    if (text.back() != '\n') std::cout << '\n';
  }
  std::cout.flush();
}

}  // namespace amanah::cli

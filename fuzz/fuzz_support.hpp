// Helpers shared by the fuzz targets: how a target reports a broken property. A finding aborts
// (libFuzzer then saves the input as crash-*); the message names the property and the error
// code, never the input (which the crash file holds).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <random>
#include <string>
#include <string_view>

#include <amanah/error.hpp>

namespace amanah::fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "amanah fuzz: property broken: %s\n", what);
  std::abort();
}

inline void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

// An amanah::Error whose code is not among `allowed` is a finding.
inline void expect_code(const Error& e, std::initializer_list<ErrorCode> allowed,
                        const char* where) {
  for (const ErrorCode c : allowed) {
    if (e.code() == c) return;
  }
  const std::string_view code = to_string(e.code());
  std::fprintf(stderr, "amanah fuzz: %s: unexpected error code %.*s\n", where,
               static_cast<int>(code.size()), code.data());
  std::abort();
}

// Any exception other than amanah::Error is a finding: the library promises amanah::Error only.
// Call from a catch (...) handler.
[[noreturn]] inline void foreign_exception(const char* where) {
  try {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amanah fuzz: %s: a non-amanah exception escaped: %s\n", where, e.what());
  } catch (...) {
    std::fprintf(stderr, "amanah fuzz: %s: an unknown exception escaped\n", where);
  }
  std::abort();
}

// A directory for one fuzzing process, under $AMANAH_FUZZ_TMP, else /dev/shm (the targets that
// write files run faster on tmpfs), else the system temp dir; removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::filesystem::path root;
    if (const char* base = std::getenv("AMANAH_FUZZ_TMP"))
      root = base;
    else if (std::filesystem::is_directory("/dev/shm"))
      root = "/dev/shm";
    else
      root = std::filesystem::temp_directory_path();
    std::filesystem::create_directories(root);
    std::random_device rd;
    do {
      path_ = root / ("amanah-fuzz-" + std::to_string(rd()) + std::to_string(rd()));
    } while (!std::filesystem::create_directory(path_));
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.flush()) fail("cannot write a scratch file");
}

}  // namespace amanah::fuzz

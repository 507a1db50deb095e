// Test helpers: temporary directories, file scanning, error assertions.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/clock.hpp>
#include <amanah/error.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>

namespace amanah::test {

// A fresh directory under $AMANAH_TEST_TMP (or the system temp dir), removed on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("AMANAH_TEST_TMP");
    std::filesystem::path root = base ? base : std::filesystem::temp_directory_path();
    std::filesystem::create_directories(root);
    std::random_device rd;
    for (;;) {
      path_ = root / ("t-" + std::to_string(rd()) + std::to_string(rd()));
      if (std::filesystem::create_directory(path_)) break;
    }
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Every regular file below dir (recursively).
inline std::vector<std::filesystem::path> files_below(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  return out;
}

// Every regular file below dir with its contents, by path relative to dir.
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& f : files_below(dir))
    out.emplace(std::filesystem::relative(f, dir).string(), read_file(f));
  return out;
}

// A clock the test moves by hand (unix seconds).
class ManualClock final : public amanah::Clock {
 public:
  explicit ManualClock(std::int64_t at = 1'767'225'600) : at_(at) {}  // 2026-01-01T00:00:00Z
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(at_.load()));
  }
  void set(std::int64_t at) { at_ = at; }
  void advance(std::int64_t seconds) { at_ += seconds; }
  std::int64_t seconds() const { return at_.load(); }

 private:
  std::atomic<std::int64_t> at_;
};

// Matches an amanah::Error with the given code.
struct ErrorCodeIs : Catch::Matchers::MatcherBase<amanah::Error> {
  explicit ErrorCodeIs(amanah::ErrorCode c) : code(c) {}
  bool match(const amanah::Error& e) const override { return e.code() == code; }
  std::string describe() const override {
    return "has code " + std::string(amanah::to_string(code));
  }
  amanah::ErrorCode code;
};

// The message of the amanah::Error that `fn` throws, which must carry `expected` (a test failure
// if it carries another code or nothing is thrown).
inline std::string error_message(const std::function<void()>& fn, amanah::ErrorCode expected) {
  try {
    fn();
  } catch (const amanah::Error& e) {
    CHECK(e.code() == expected);
    return e.message();
  }
  FAIL("no error was thrown");
  return {};
}

}  // namespace amanah::test

#define REQUIRE_AMANAH_ERROR(expr, ecode) \
  REQUIRE_THROWS_MATCHES(expr, amanah::Error, ::amanah::test::ErrorCodeIs(ecode))

// The differential policy check of fuzz/policy/ (the libFuzzer target's property) over seeded
// random inputs, so that it runs in every preset's ctest and not only under the fuzzer.
#include <catch2/catch_test_macros.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "policy_differential.hpp"

namespace {

// Fewer under the sanitizers (ASan makes each case several times slower); the fuzzer runs more.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kCases = 1000;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr int kCases = 1000;
#else
constexpr int kCases = 4000;
#endif
#else
constexpr int kCases = 4000;
#endif

}  // namespace

TEST_CASE("property: the policy agrees with the reference model on random rule sets and requests",
          "[policy][property][differential]") {
  std::mt19937 rng(20261202U);  // fixed: a failure reproduces
  std::uniform_int_distribution<int> length(16, 400);
  std::uniform_int_distribution<int> byte(0, 255);
  std::size_t built = 0, decisions = 0, allowed = 0;
  for (int i = 0; i < kCases; ++i) {
    std::vector<std::uint8_t> input(static_cast<std::size_t>(length(rng)));
    for (auto& b : input)
      b = static_cast<std::uint8_t>(byte(rng));
    const auto out = amanah::policy_model::run_case(input.data(), input.size());
    if (out.mismatch) {
      INFO("case " << i << "\n" << *out.mismatch);
      FAIL("the engine and the reference model disagree");
    }
    built += out.built ? 1 : 0;
    decisions += out.decisions;
    allowed += out.allowed;
  }
  // Not vacuous: most manifests build, and both allows and denies are compared.
  CHECK(built > kCases * 3 / 4);
  CHECK(decisions > static_cast<std::size_t>(kCases) * 5);
  CHECK(allowed > decisions / 20);
  CHECK(allowed < decisions);
}

TEST_CASE("the differential check decodes an empty input", "[policy][differential]") {
  // Every input decodes; the empty one is a one-purpose, one-field manifest without rules.
  const auto empty = amanah::policy_model::run_case(nullptr, 0);
  CHECK_FALSE(empty.mismatch);
  CHECK(empty.built);
}

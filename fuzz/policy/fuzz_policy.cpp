// libFuzzer target: the access policy against the reference model (differential). The input
// decodes into a random manifest and a list of requests (policy_differential.hpp); any
// difference aborts with the rule set and the request (synthetic names, no personal data).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "policy_differential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto out = amanah::policy_model::run_case(data, size);
  if (out.mismatch) {
    std::fprintf(stderr, "%s\n", out.mismatch->c_str());
    std::abort();
  }
  return 0;
}

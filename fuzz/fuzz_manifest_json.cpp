// Manifest::from_json (the form a store keeps) on arbitrary bytes: only Error(InvalidManifest),
// never a crash; what parses re-serializes to a canonical JSON that parses to the same manifest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <amanah/manifest.hpp>

#include "fuzz_manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace amanah;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Manifest m;
  try {
    m = Manifest::from_json(text);
  } catch (const Error& e) {
    fuzz::expect_code(e, {ErrorCode::InvalidManifest}, "from_json");
    return 0;
  } catch (...) {
    fuzz::foreign_exception("from_json");
  }
  fuzz::check_json_round_trip(m);
  return 0;
}

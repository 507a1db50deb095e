// Manifest::from_toml on arbitrary bytes: only Error(InvalidManifest), never a crash; a manifest
// that parses survives its canonical JSON: from_json(to_json(m)) == m, and to_json is stable.
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
    m = Manifest::from_toml(text, "fuzz.toml");
  } catch (const Error& e) {
    fuzz::expect_code(e, {ErrorCode::InvalidManifest}, "from_toml");
    return 0;
  } catch (...) {
    fuzz::foreign_exception("from_toml");
  }
  fuzz::check_json_round_trip(m);
  return 0;
}

// Manifest::from_json (the form a store keeps) on arbitrary bytes: only Error(InvalidManifest),
// never a crash; what parses re-serializes to a canonical JSON that parses to the same manifest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <amanah/manifest.hpp>

#include "fuzz_support.hpp"

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
  try {
    const std::string json = m.to_json();
    const Manifest back = Manifest::from_json(json);
    fuzz::check(back == m, "from_json(to_json(m)) == m");
    fuzz::check(back.to_json() == json, "to_json is canonical");
  } catch (const Error& e) {
    fuzz::expect_code(e, {}, "a parsed manifest's JSON does not parse back");
  } catch (...) {
    fuzz::foreign_exception("to_json/from_json");
  }
  return 0;
}

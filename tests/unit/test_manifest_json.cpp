// Manifest::from_json on malformed text: Error(InvalidManifest) only, and no part of the text in
// the message. Inputs found by fuzz/fuzz_manifest_json.
#include <string>

#include <amanah/error.hpp>
#include <amanah/manifest.hpp>
#include <catch2/catch_test_macros.hpp>

namespace {

// The code, and whether the message leaves the given digits out, of what from_json throws.
void check_refused(const std::string& text, const std::string& digits) {
  try {
    (void)amanah::Manifest::from_json(text);
    FAIL("from_json accepted malformed JSON");
  } catch (const amanah::Error& e) {
    CHECK(e.code() == amanah::ErrorCode::InvalidManifest);
    CHECK(std::string(e.what()).find(digits) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("manifest JSON with a number too large for a double is InvalidManifest", "[manifest]") {
  // nlohmann_json reports this overflow as out_of_range (406), not as a parse error.
  check_refused("18888888888888888889E7776", "1888888");
  check_refused(R"({"format": 1, "store_name": 1e999})", "1e999");
}

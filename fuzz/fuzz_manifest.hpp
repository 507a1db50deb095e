// The property both manifest targets check once a manifest parses: it survives its canonical
// JSON (from_json(to_json(m)) == m), and to_json is stable.
#pragma once

#include <string>

#include <amanah/manifest.hpp>

#include "fuzz_support.hpp"

namespace amanah::fuzz {

inline void check_json_round_trip(const Manifest& m) {
  try {
    const std::string json = m.to_json();
    const Manifest back = Manifest::from_json(json);
    check(back == m, "from_json(to_json(m)) == m");
    check(back.to_json() == json, "to_json is canonical");
  } catch (const Error& e) {
    expect_code(e, {}, "a parsed manifest's JSON does not parse back");
  } catch (...) {
    foreign_exception("to_json/from_json");
  }
}

}  // namespace amanah::fuzz

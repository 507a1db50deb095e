// The keyslots file carries a SHA-256 checksum over its body, checked before anything else is
// read: a mutated file almost never gets past it. Targets recompute it (as a careless editor
// or an attacker would), so the fuzzer reaches the fields behind it. Same construction as
// src/keys/keyslots.cpp: sha256(body + "\n" + mac), body = the JSON without mac and checksum,
// compact and key-sorted.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "crypto/crypto.hpp"

namespace amanah::fuzz {

// `text` with its checksum made to match, or unchanged when it is not a JSON object with a
// string "mac".
inline std::string with_valid_checksum(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("mac") || !j["mac"].is_string())
    return text;
  const std::string mac = j["mac"].get<std::string>();
  j.erase("mac");
  j.erase("checksum");
  const std::string body = j.dump();
  j["mac"] = mac;
  j["checksum"] =
      detail::crypto::to_hex(detail::crypto::sha256(detail::crypto::as_bytes(body + "\n" + mac)));
  return j.dump(2) + "\n";
}

}  // namespace amanah::fuzz

// Field values: validation and normalization by field type, and masks. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/manifest.hpp>

namespace amanah::detail::values {

struct Normalized {
  std::string value;                  // canonical form: what is stored and returned
  std::string index_form;             // what blind indexes, uniqueness and duplicates compare
  std::vector<std::string> warnings;  // structurally odd but possible input; never the value
  bool nik_like = false;              // an NPWP equal to a NIK: protect it like a NIK
};

// Validates and normalizes `input` as `type`. Throws Error(Validation) whose message says what
// is wrong ("not a valid email address") and never contains the input or any part of it.
// `max_length` applies to text (0 means 4096 bytes).
[[nodiscard]] Normalized normalize(FieldType type, std::string_view input,
                                   std::uint32_t max_length = 0);

// A canonical value seen through a mask; std::nullopt for Mask::nullify. `hash_key` (32 bytes)
// is used by Mask::hash only.
[[nodiscard]] std::optional<std::string> apply_mask(FieldType type, Mask mask,
                                                    std::string_view value,
                                                    std::span<const std::byte> hash_key);

}  // namespace amanah::detail::values

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

// The input path: a value as a caller wrote it (insert, update, validate, rectify, find's
// argument), read per `format` (the field's input format, perhaps merged with a per-import one)
// into a form `normalize` accepts, then normalized. Also reads, whatever the format, "Rp"/"Rp."
// as IDR and dates with month names (Indonesian or English). Stored canonical values never come
// through here: they are normalized as they are (`normalize`). Throws Error(Validation) like
// `normalize`, never with the input in the message.
[[nodiscard]] Normalized normalize_input(const Field& field, const InputFormat& format,
                                         std::string_view input);

// What is wrong with `format` for a field of `type`: the option's key ("currency") and the rule.
// The one check for the manifest and for a per-import format.
struct FormatProblem {
  std::string_view key;
  std::string_view what;
};
[[nodiscard]] std::optional<FormatProblem> check_input_format(FieldType type,
                                                              const InputFormat& format);

// `base` with each option that `over` sets replacing its own.
[[nodiscard]] InputFormat merge(const InputFormat& base, const InputFormat& over);

// A canonical value seen through a mask; std::nullopt for Mask::nullify. `hash_key` (32 bytes)
// is used by Mask::hash only.
[[nodiscard]] std::optional<std::string> apply_mask(FieldType type, Mask mask,
                                                    std::string_view value,
                                                    std::span<const std::byte> hash_key);

}  // namespace amanah::detail::values

// Field values (src/values): the first byte picks the field type, the second the input format,
// max_length and mask; the rest is the value. Properties:
//   - normalize and normalize_input throw only Error(Validation), never crash;
//   - the canonical form is a fixed point: normalize(canonical) gives the same value and the same
//     index form (records recompute blind indexes from stored canonical values), cards excepted
//     (kept as brand and last 4 digits);
//   - what normalize_input accepts is canonical in the same sense;
//   - every mask applies to a canonical value without throwing; nullify yields nothing, the
//     others valid UTF-8 (masks never split a code point).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <amanah/manifest.hpp>

#include "fuzz_support.hpp"
#include "values/internal.hpp"
#include "values/values.hpp"

namespace {

using namespace amanah;
namespace values = amanah::detail::values;

constexpr std::array kTypes = {FieldType::text, FieldType::integer, FieldType::money,
                               FieldType::date, FieldType::email,   FieldType::phone,
                               FieldType::nik,  FieldType::npwp,    FieldType::card};
constexpr std::array kMasks = {Mask::none, Mask::last4,  Mask::first_last, Mask::year_only,
                               Mask::hash, Mask::redact, Mask::nullify};

// A few formats per option; one that does not fit the type is replaced by the empty format
// (the manifest refuses it, so normalize_input never sees it).
InputFormat pick_format(unsigned k) {
  switch (k % 10) {
    case 1:
      return {.numbers = NumberStyle::indonesian};
    case 2:
      return {.numbers = NumberStyle::international};
    case 3:
      return {.numbers = NumberStyle::indonesian, .currency = "IDR"};
    case 4:
      return {.currency = "USD"};
    case 5:
      return {.currency = "KWD"};  // three minor digits
    case 6:
      return {.date = "DD/MM/YYYY"};
    case 7:
      return {.date = "YYYY.MM.DD"};
    case 8:
      return {.phone_country = "62"};
    case 9:
      return {.phone_country = "1"};
    default:
      return {};
  }
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = values::internal::utf8_sequence(s, i, cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// The canonical value `n` (from either path) is a fixed point of normalize, and masks apply.
void check_canonical(const Field& field, const values::Normalized& n) {
  // Cards are the exception records.cpp makes too: only brand and last 4 are kept, no longer a
  // card number.
  if (field.type != FieldType::card) {
    values::Normalized again;
    try {
      again = values::normalize(field.type, n.value, field.max_length);
    } catch (const Error& e) {
      fuzz::expect_code(e, {}, "normalize refuses a canonical value");
    }
    fuzz::check(again.value == n.value, "normalize is idempotent on the value");
    fuzz::check(again.index_form == n.index_form,
                "the index form is stable on the canonical value");
  }
  fuzz::check(field.type != FieldType::text || valid_utf8(n.value), "text is valid UTF-8");

  static const std::array<std::byte, 32> kHashKey{};
  for (const Mask m : kMasks) {
    std::optional<std::string> shown;
    try {
      shown = values::apply_mask(field.type, m, n.value, kHashKey);
    } catch (const Error& e) {
      fuzz::expect_code(e, {}, "apply_mask");
    }
    fuzz::check(shown.has_value() == (m != Mask::nullify), "nullify and only nullify hides");
    if (shown && valid_utf8(n.value)) fuzz::check(valid_utf8(*shown), "a mask keeps UTF-8 whole");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Field field;
  field.name = "f";
  field.type = kTypes[data[0] % kTypes.size()];
  const unsigned knobs = data[1];
  field.max_length = (knobs & 0x80) != 0 ? 16 : 0;
  InputFormat format = pick_format(knobs & 0x7F);
  if (values::check_input_format(field.type, format)) format = {};
  field.input = format;
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

  try {
    check_canonical(field, values::normalize(field.type, input, field.max_length));
  } catch (const Error& e) {
    fuzz::expect_code(e, {ErrorCode::Validation}, "normalize");
  } catch (...) {
    fuzz::foreign_exception("normalize");
  }
  try {
    check_canonical(field, values::normalize_input(field, format, input));
  } catch (const Error& e) {
    fuzz::expect_code(e, {ErrorCode::Validation}, "normalize_input");
  } catch (...) {
    fuzz::foreign_exception("normalize_input");
  }
  return 0;
}

// Helpers shared by the field-type normalizers of this folder. Not part of any interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "values/values.hpp"

namespace amanah::detail::values::internal {

// Inputs of the structured types are short; anything longer is rejected before it is scanned.
inline constexpr std::size_t kMaxStructuredInput = 1024;

// Wipes a string holding digits that must not stay in freed memory (card numbers).
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& s) : s_(s) {}
  ~WipeOnExit() { crypto::wipe(std::as_writable_bytes(std::span(s_.data(), s_.size()))); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::string& s_;
};

// The message names what is wrong and never the input.
[[noreturn]] inline void reject(const char* what) {
  throw Error(ErrorCode::Validation, what);
}

inline bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
inline bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
inline char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
inline char to_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = to_lower(c);
  return out;
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Rejects oversized input, then trims it.
inline std::string_view bounded_trim(std::string_view input, const char* what) {
  if (input.size() > kMaxStructuredInput) reject(what);
  return trim(input);
}

inline bool all_digits(std::string_view s) noexcept {
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// Two ASCII digits at s[i], s[i + 1] (caller checked they are digits).
inline int two_digits(std::string_view s, std::size_t i) noexcept {
  return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

inline bool is_leap_year(int year) noexcept {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}
int days_in_month(int month, bool leap) noexcept;

// Length of the well-formed UTF-8 sequence at s[i] (Unicode Table 3-7: no overlongs, surrogates
// or code points above U+10FFFF), or 0 if there is none; its code point in `cp`.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) noexcept;

// Appends to `out` the digits of `input`, skipping the characters in `separators`; rejects
// anything else (letters, controls, non-ASCII digits). Used by NIK, NPWP and card.
void append_digits(std::string_view input, std::string_view separators, const char* what,
                   std::string& out);

// NIK structure shared with NPWP: the province code is known; the birth date (DD+40 for women,
// MM, YY) is a real date. `digits` holds exactly 16 ASCII digits.
bool known_province(int code) noexcept;
bool plausible_birth_date(std::string_view digits) noexcept;

// Unicode space separators as ASCII spaces, into `out`; false, and nothing copied, for ASCII.
bool ascii_spaces(std::string_view input, std::string& out);

Normalized normalize_money(std::string_view input);
Normalized normalize_email(std::string_view input);
Normalized normalize_phone(std::string_view input);
Normalized normalize_nik(std::string_view input);
Normalized normalize_npwp(std::string_view input);
Normalized normalize_card(std::string_view input);

// Input forms (input.cpp, money.cpp): a caller's form into one the canonical normalizers read.
[[nodiscard]] bool known_currency(std::string_view code) noexcept;
// Digits with grouping marks and perhaps a decimal mark, as plain digits and '.': per `style`,
// or when unset by the one reading the marks allow ("ambiguous number" when they allow two).
// `exponent`: the currency's minor digits; `integer`: no decimal mark allowed.
[[nodiscard]] std::string read_grouped_number(std::string_view amount,
                                              std::optional<NumberStyle> style, int exponent,
                                              bool integer);
[[nodiscard]] std::string read_money(std::string_view input, const InputFormat& format);

}  // namespace amanah::detail::values::internal

// Field values: dispatch, text, integer and date, and masks. The other types have their own files.
#include "values/values.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "values/internal.hpp"

namespace amanah::detail::values {

namespace internal {

int days_in_month(int month, bool leap) noexcept {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

void append_digits(std::string_view input, std::string_view separators, const char* what,
                   std::string& out) {
  out.reserve(out.size() + input.size());  // one allocation: no card digits left in freed memory
  for (char c : input) {
    if (is_digit(c))
      out.push_back(c);
    else if (separators.find(c) == std::string_view::npos)
      reject(what);
  }
}

std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  char32_t v = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    v = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    v = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    v = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < lo || b > hi) return 0;
    lo = 0x80;
    hi = 0xBF;
    v = (v << 6) | (b & 0x3Fu);
  }
  cp = v;
  return len;
}

// Unicode space separators (no-break, the typographic spaces, narrow no-break, ideographic: what
// text copied from web pages and chat holds) as ASCII spaces, into `out`. False, and nothing
// copied, if `input` is ASCII.
bool ascii_spaces(std::string_view input, std::string& out) {
  if (std::all_of(input.begin(), input.end(), [](char c) { return (c & 0x80) == 0; })) return false;
  out.reserve(input.size());
  for (std::size_t i = 0; i < input.size();) {
    char32_t cp = 0;
    const std::size_t len = utf8_sequence(input, i, cp);
    if (len == 0) {  // not UTF-8: left for the type to reject
      out.push_back(input[i++]);
      continue;
    }
    const bool space = cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
                       cp == 0x202F || cp == 0x205F || cp == 0x3000;
    if (space)
      out.push_back(' ');
    else
      out.append(input.substr(i, len));
    i += len;
  }
  return true;
}

}  // namespace internal

namespace {

using namespace internal;

constexpr std::size_t kDefaultTextCap = 4096;
constexpr std::string_view kRedacted = "[redacted]";

// Byte lengths of the code points of a value; a byte that starts no valid sequence counts as one,
// so a mask never splits a code point and never fails on odd input.
std::vector<std::size_t> code_points(std::string_view s) {
  std::vector<std::size_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    std::size_t len = utf8_sequence(s, i, cp);
    if (len == 0) len = 1;
    out.push_back(len);
    i += len;
  }
  return out;
}

// Unicode bidirectional formatting characters: embeddings and overrides (U+202A..U+202E),
// isolates (U+2066..U+2069), the LRM/RLM marks (U+200E, U+200F) and the Arabic letter mark
// (U+061C). They change the order in which text around them is shown ("Trojan Source").
bool bidi_control(char32_t cp) noexcept {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
         cp == 0x200F || cp == 0x061C;
}

bool text_whitespace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Normalized normalize_text(std::string_view input, std::uint32_t max_length) {
  const std::size_t cap = max_length == 0 ? kDefaultTextCap : max_length;
  if (input.size() > cap) reject("text is longer than the field allows");
  for (std::size_t i = 0; i < input.size();) {
    char32_t cp = 0;
    const std::size_t len = utf8_sequence(input, i, cp);
    if (len == 0) reject("text is not valid UTF-8");
    // C0 except tab and newline (LF, or CR only as part of CRLF), DEL and C1: no use in stored
    // text, and a terminal/log injection risk (a lone CR returns over what was shown).
    const bool newline = cp == '\n' || (cp == '\r' && i + 1 < input.size() && input[i + 1] == '\n');
    const bool control =
        (cp < 0x20 && cp != '\t' && !newline) || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
    if (control) reject("text contains a control character");
    if (bidi_control(cp)) reject("text contains a bidirectional formatting character");
    i += len;
  }
  Normalized n;
  n.value = std::string(input);
  n.index_form.reserve(input.size());
  bool pending_space = false;
  for (char c : input) {
    if (text_whitespace(c)) {
      pending_space = !n.index_form.empty();
      continue;
    }
    if (pending_space) n.index_form.push_back(' ');
    pending_space = false;
    n.index_form.push_back(to_lower(c));
  }
  return n;
}

Normalized normalize_integer(std::string_view input) {
  constexpr const char* kBad = "not a valid integer";
  std::string_view s = bounded_trim(input, kBad);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !all_digits(s)) reject(kBad);
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  std::uint64_t magnitude = 0;
  for (char c : s) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (magnitude > (limit - d) / 10) reject("integer is out of range");
    magnitude = magnitude * 10 + d;
  }
  Normalized n;
  // Appended, not "-" + ...: GCC 12 at -O3 warns a false -Wrestrict on the concatenation.
  if (negative && magnitude != 0) n.value = "-";
  n.value += std::to_string(magnitude);
  n.index_form = n.value;
  return n;
}

Normalized normalize_date(std::string_view input) {
  constexpr const char* kBad = "not a valid date (expected YYYY-MM-DD)";
  const std::string_view s = bounded_trim(input, kBad);
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s.substr(0, 4)) ||
      !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2)))
    reject(kBad);
  const int year = two_digits(s, 0) * 100 + two_digits(s, 2);
  const int month = two_digits(s, 5);
  const int day = two_digits(s, 8);
  if (year < 1000) reject("date year is out of range");
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(month, is_leap_year(year)))
    reject("not a real calendar date");
  Normalized n;
  n.value = std::string(s);
  n.index_form = n.value;
  return n;
}

std::string mask_last4(FieldType type, std::string_view value) {
  std::string out;
  if (type == FieldType::phone && !value.empty() && value.front() == '+') {
    out.push_back('+');
    value.remove_prefix(1);
  }
  const std::vector<std::size_t> cps = code_points(value);
  if (cps.size() <= 4) return out.append(cps.size(), '*');
  std::size_t hidden_bytes = 0;
  for (std::size_t i = 0; i < cps.size() - 4; ++i)
    hidden_bytes += cps[i];
  out.append(cps.size() - 4, '*');
  out.append(value.substr(hidden_bytes));
  return out;
}

std::string mask_first_last(std::string_view value) {
  const std::vector<std::size_t> cps = code_points(value);
  // Two code points or fewer would be shown whole.
  if (cps.size() <= 2) return std::string(cps.size(), '*');
  std::string out(value.substr(0, cps.front()));
  out.append(cps.size() - 2, '*');
  out.append(value.substr(value.size() - cps.back()));
  return out;
}

}  // namespace

Normalized normalize(FieldType type, std::string_view input, std::uint32_t max_length) {
  if (type == FieldType::text) return normalize_text(input, max_length);  // kept as given
  // The structured types read Unicode spaces as spaces (oversized input is left for the type to
  // reject unscanned).
  std::string spaced;
  const WipeOnExit wipe(spaced);  // may hold a card number
  if (input.size() <= kMaxStructuredInput && ascii_spaces(input, spaced)) input = spaced;
  switch (type) {
    case FieldType::text:
      return normalize_text(input, max_length);
    case FieldType::integer:
      return normalize_integer(input);
    case FieldType::money:
      return normalize_money(input);
    case FieldType::date:
      return normalize_date(input);
    case FieldType::email:
      return normalize_email(input);
    case FieldType::phone:
      return normalize_phone(input);
    case FieldType::nik:
      return normalize_nik(input);
    case FieldType::npwp:
      return normalize_npwp(input);
    case FieldType::card:
      return normalize_card(input);
  }
  throw Error(ErrorCode::InvalidArgument, "unknown field type");
}

std::optional<std::string> apply_mask(FieldType type, Mask mask, std::string_view value,
                                      std::span<const std::byte> hash_key) {
  switch (mask) {
    case Mask::none:
      return std::string(value);
    case Mask::last4:
      return mask_last4(type, value);
    case Mask::first_last:
      return mask_first_last(value);
    case Mask::year_only:
      if (type == FieldType::date && value.size() >= 4 && all_digits(value.substr(0, 4)))
        return std::string(value.substr(0, 4));
      return std::string(kRedacted);
    case Mask::hash: {
      if (hash_key.size() != crypto::kKeySize)
        throw Error(ErrorCode::InvalidArgument, "the hash mask needs a 32-byte key");
      const auto mac = crypto::hmac_sha256(hash_key, crypto::as_bytes(value));
      return "h:" + crypto::to_hex(std::span(mac).first(8));
    }
    case Mask::redact:
      return std::string(kRedacted);
    case Mask::nullify:
      return std::nullopt;
  }
  throw Error(ErrorCode::InvalidArgument, "unknown mask");
}

}  // namespace amanah::detail::values

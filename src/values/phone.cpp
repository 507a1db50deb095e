// Phone numbers to E.164, with Indonesian national forms ("0812...", "62812...", "021-...").
#include <string>
#include <string_view>

#include "values/internal.hpp"

namespace amanah::detail::values::internal {

namespace {

constexpr const char* kBad = "not a valid phone number";
constexpr std::size_t kMaxPhoneInput = 64;  // generous for spaced-out numbers

// Indonesian national significant number (after "62"). Mobile: 8 + 8..11 digits; landline:
// area code (2-9...) + subscriber, 7..11 digits. A leading 0 is a trunk prefix left in, and a
// leading 1 is no area code (short codes and old international prefixes).
std::string indonesian(std::string_view nsn) {
  if (nsn.empty() || nsn.front() == '0' || nsn.front() == '1') reject(kBad);
  const bool mobile = nsn.front() == '8';
  const std::size_t lo = mobile ? 9 : 7, hi = mobile ? 12 : 11;
  if (nsn.size() < lo) reject("phone number is too short");
  if (nsn.size() > hi) reject("phone number is too long");
  return "+62" + std::string(nsn);
}

}  // namespace

Normalized normalize_phone(std::string_view input) {
  if (input.size() > kMaxPhoneInput) reject(kBad);
  const std::string_view s = trim(input);
  std::string digits;
  bool plus = false;
  int depth = 0;  // brackets: balanced and not nested
  for (char c : s) {
    if (is_digit(c)) {
      digits.push_back(c);
    } else if (c == '+') {
      if (plus || !digits.empty()) reject(kBad);  // "+" only before the first digit
      plus = true;
    } else if (c == '(') {
      if (++depth > 1) reject(kBad);
    } else if (c == ')') {
      if (--depth < 0) reject(kBad);
    } else if (c != ' ' && c != '.' && c != '-') {
      reject(kBad);
    }
  }
  if (depth != 0 || digits.empty()) reject(kBad);

  Normalized n;
  const std::string_view d = digits;
  if (d.starts_with("62")) {
    // "+62 0812...", "+62 (0)812...": the trunk 0 written after the country code, as people
    // copy a national number behind it; it is not part of the number.
    const std::string_view nsn = d.substr(2);
    n.value = indonesian(nsn.starts_with('0') ? nsn.substr(1) : nsn);
  } else if (plus) {
    if (d.front() == '0') reject(kBad);  // no country code starts with 0
    if (d.size() < 8) reject("phone number is too short");
    if (d.size() > 15) reject("phone number is too long");
    n.value = "+" + digits;
  } else if (d.front() == '0') {
    n.value = indonesian(d.substr(1));
  } else {
    reject("phone number needs a country code");
  }
  n.index_form = n.value;
  return n;
}

}  // namespace amanah::detail::values::internal

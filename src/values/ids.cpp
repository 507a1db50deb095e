// Identity numbers: NIK (KTP), NPWP, and payment cards (of which only brand and last 4 are kept).
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "crypto/crypto.hpp"
#include "values/internal.hpp"

namespace amanah::detail::values::internal {

namespace {

constexpr std::size_t kNikDigits = 16;

// Wipes a buffer that held a full card number when it goes out of scope.

bool luhn(std::string_view digits) noexcept {
  int sum = 0;
  bool twice = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

int prefix(std::string_view digits, std::size_t n) noexcept {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v = v * 10 + (digits[i] - '0');
  return v;
}

// Brand from the issuer identification number (the leading digits).
std::string_view card_brand(std::string_view d) noexcept {
  const int p2 = prefix(d, 2), p3 = prefix(d, 3), p4 = prefix(d, 4);
  if (d.front() == '4') return "VISA";
  if (p2 == 34 || p2 == 37) return "AMEX";
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return "MASTERCARD";
  if (p4 >= 3528 && p4 <= 3589) return "JCB";
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) return "DISCOVER";
  if (p2 == 62) return "UNIONPAY";
  return "CARD";
}

}  // namespace

// Kemendagri province codes, including the Papua provinces created in 2022: 93 Papua Selatan,
// 94 Papua Tengah, 95 Papua Pegunungan, 96 Papua Barat Daya.
bool known_province(int code) noexcept {
  return (code >= 11 && code <= 19) || code == 21 || (code >= 31 && code <= 36) ||
         (code >= 51 && code <= 53) || (code >= 61 && code <= 65) || (code >= 71 && code <= 76) ||
         code == 81 || code == 82 || (code >= 91 && code <= 96);
}

bool plausible_birth_date(std::string_view digits) noexcept {
  int day = two_digits(digits, 6);
  const int month = two_digits(digits, 8);
  const int yy = two_digits(digits, 10);
  if (day > 40) day -= 40;  // women
  // The century is unknown, so 29 February is allowed whenever either century makes it real.
  return day >= 1 && day <= days_in_month(month, yy % 4 == 0);
}

Normalized normalize_nik(std::string_view input) {
  constexpr const char* kBad = "not a valid NIK";
  std::string digits;
  append_digits(bounded_trim(input, kBad), " .-", kBad, digits);
  if (digits.size() != kNikDigits) reject("a NIK has 16 digits");
  if (!known_province(two_digits(digits, 0))) reject("NIK has an unknown province code");
  Normalized n;
  if (digits.compare(2, 2, "00") == 0) n.warnings.emplace_back("NIK regency code is 00");
  if (!plausible_birth_date(digits))
    n.warnings.emplace_back("NIK birth date digits are not a real date");
  if (digits.compare(12, 4, "0000") == 0) n.warnings.emplace_back("NIK serial number is 0000");
  n.value = digits;
  n.index_form = digits;
  return n;
}

Normalized normalize_npwp(std::string_view input) {
  constexpr const char* kBad = "not a valid NPWP";
  std::string digits;
  append_digits(bounded_trim(input, kBad), " .-", kBad, digits);
  Normalized n;
  if (digits.size() == 15) {
    // 99.999.999.9-999.999
    n.value = digits.substr(0, 2) + '.' + digits.substr(2, 3) + '.' + digits.substr(5, 3) + '.' +
              digits.substr(8, 1) + '-' + digits.substr(9, 3) + '.' + digits.substr(12, 3);
  } else if (digits.size() == kNikDigits) {
    n.value = digits;
    n.nik_like = known_province(two_digits(digits, 0)) && plausible_birth_date(digits);
  } else {
    reject("an NPWP has 15 or 16 digits");
  }
  // All zeros is the placeholder some tax forms use for "no NPWP".
  if (digits.find_first_not_of('0') == std::string::npos)
    n.warnings.emplace_back("NPWP is all zeros");
  // Since 2024 a legacy 15-digit NPWP is written with a leading 0 as 16 digits: both are the same
  // taxpayer, so they compare in the 16-digit form. Each keeps its value as given (a 16-digit one
  // not starting with 0 is a NIK used as NPWP). Stores written before this form are re-indexed
  // when opened (records/, Records::finish_reindex).
  n.index_form = digits.size() == 15 ? '0' + digits : digits;
  return n;
}

Normalized normalize_card(std::string_view input) {
  constexpr const char* kBad = "not a valid card number";
  std::string digits;
  const WipeOnExit wipe(digits);  // also when a check below throws
  append_digits(bounded_trim(input, kBad), " -", kBad, digits);
  if (digits.size() < 12 || digits.size() > 19) reject("a card number has 12 to 19 digits");
  if (!luhn(digits)) reject("card number fails the Luhn check");
  Normalized n;
  n.value = std::string(card_brand(digits)) + " ****" + digits.substr(digits.size() - 4);
  n.index_form = n.value;
  return n;
}

}  // namespace amanah::detail::values::internal

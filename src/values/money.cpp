// Money: an integer number of minor units and an ISO 4217 currency.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "values/internal.hpp"

namespace amanah::detail::values::internal {

namespace {

constexpr const char* kBad = "not a valid money amount";

struct Currency {
  std::string_view code;
  int exponent;  // ISO 4217 minor unit
};

// The currencies Indonesian businesses and their neighbours meet, with ISO 4217 minor units.
constexpr Currency kCurrencies[] = {
    {"AED", 2}, {"AUD", 2}, {"BDT", 2}, {"BHD", 3}, {"BND", 2}, {"BRL", 2}, {"CAD", 2},
    {"CHF", 2}, {"CNY", 2}, {"CZK", 2}, {"DKK", 2}, {"EGP", 2}, {"EUR", 2}, {"GBP", 2},
    {"HKD", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"ISK", 0}, {"JOD", 3},
    {"JPY", 0}, {"KHR", 2}, {"KRW", 0}, {"KWD", 3}, {"LAK", 2}, {"LKR", 2}, {"MMK", 2},
    {"MXN", 2}, {"MYR", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PGK", 2},
    {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"QAR", 2}, {"RUB", 2}, {"SAR", 2}, {"SEK", 2},
    {"SGD", 2}, {"THB", 2}, {"TRY", 2}, {"TWD", 2}, {"USD", 2}, {"VND", 0}, {"ZAR", 2},
};

const Currency* find_currency(std::string_view letters) noexcept {
  std::string code(letters);
  for (char& c : code)
    c = to_upper(c);
  for (const Currency& cur : kCurrencies)
    if (cur.code == code) return &cur;
  return nullptr;
}

bool is_letters3(std::string_view s) noexcept {
  return s.size() == 3 && is_alpha(s[0]) && is_alpha(s[1]) && is_alpha(s[2]);
}

// Integer part: plain digits, or 1-3 digits followed by ",ddd" groups.
bool valid_integer_part(std::string_view s) noexcept {
  if (s.empty()) return false;
  if (s.find(',') == std::string_view::npos) return all_digits(s);
  const std::size_t first = s.find(',');
  if (first == 0 || first > 3 || !all_digits(s.substr(0, first))) return false;
  for (std::size_t i = first; i < s.size(); i += 4)
    if (s[i] != ',' || s.size() - i < 4 || !all_digits(s.substr(i + 1, 3))) return false;
  return true;
}

}  // namespace

Normalized normalize_money(std::string_view input) {
  const std::string_view s = bounded_trim(input, kBad);
  std::string_view code, amount;
  if (s.size() >= 3 && is_letters3(s.substr(0, 3))) {
    code = s.substr(0, 3);
    amount = s.substr(3);
  } else if (s.size() >= 3 && is_letters3(s.substr(s.size() - 3))) {
    code = s.substr(s.size() - 3);
    amount = s.substr(0, s.size() - 3);
  } else {
    reject("money needs an ISO 4217 currency code");
  }
  const Currency* currency = find_currency(code);
  if (currency == nullptr) reject("unknown currency code");
  amount = trim(amount);

  bool negative = false;
  if (!amount.empty() && amount.front() == '-') {
    negative = true;
    amount.remove_prefix(1);
  }
  std::string_view whole = amount, fraction;
  const std::size_t dot = amount.find('.');
  if (dot != std::string_view::npos) {
    whole = amount.substr(0, dot);
    fraction = amount.substr(dot + 1);
    if (fraction.empty() || !all_digits(fraction)) reject(kBad);
  }
  if (!valid_integer_part(whole)) reject(kBad);
  if (fraction.size() > static_cast<std::size_t>(currency->exponent))
    reject("too many decimal places for the currency");

  // Minor units, with the fraction padded to the exponent.
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  std::uint64_t minor = 0;
  auto push = [&](char c) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (minor > (limit - d) / 10) reject("money amount is out of range");
    minor = minor * 10 + d;
  };
  for (char c : whole)
    if (c != ',') push(c);
  for (int i = 0; i < currency->exponent; ++i)
    push(static_cast<std::size_t>(i) < fraction.size() ? fraction[static_cast<std::size_t>(i)]
                                                       : '0');

  std::uint64_t scale = 1;
  for (int i = 0; i < currency->exponent; ++i)
    scale *= 10;
  Normalized n;
  n.value = std::string(currency->code) + ' ';
  if (negative && minor != 0) n.value += '-';
  n.value += std::to_string(minor / scale);
  if (currency->exponent > 0) {
    const std::string frac = std::to_string(minor % scale);
    n.value += '.';
    n.value.append(static_cast<std::size_t>(currency->exponent) - frac.size(), '0');
    n.value += frac;
  }
  n.index_form = n.value;
  return n;
}

}  // namespace amanah::detail::values::internal

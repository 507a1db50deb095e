// Money: an integer number of minor units and an ISO 4217 currency.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
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

// A caller's amount split into its currency designator and the rest.
struct Written {
  std::string code;  // upper case; empty when the amount names none
  std::string_view amount;
  bool negative = false;
  char decimal_hint = 0;  // the mark of a trailing ",-" or ".-": the decimal mark
};

bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (to_lower(s[i]) != prefix[i]) return false;
  return true;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = to_upper(c);
  return out;
}

// "Rp", "Rp." and a three-letter code, before or after the amount, in any case; a '-' before the
// designator or before the number.
Written split_designator(std::string_view s) {
  Written w;
  if (!s.empty() && s.front() == '-') {
    w.negative = true;
    s = trim(s.substr(1));
  }
  const auto letter_at = [&](std::size_t i) { return i < s.size() && is_alpha(s[i]); };
  if (starts_with_ci(s, "rp") && !letter_at(2)) {
    w.code = "IDR";
    s.remove_prefix(2);
    if (!s.empty() && s.front() == '.') s.remove_prefix(1);
  } else if (s.size() >= 3 && is_letters3(s.substr(0, 3)) && !letter_at(3)) {
    w.code = upper(s.substr(0, 3));
    s.remove_prefix(3);
  } else if (s.size() > 2 && starts_with_ci(s.substr(s.size() - 2), "rp") &&
             !is_alpha(s[s.size() - 3])) {
    w.code = "IDR";
    s.remove_suffix(2);
  } else if (s.size() > 3 && is_letters3(s.substr(s.size() - 3)) && !is_alpha(s[s.size() - 4])) {
    w.code = upper(s.substr(s.size() - 3));
    s.remove_suffix(3);
  }
  s = trim(s);
  if (!w.negative && !s.empty() && s.front() == '-') {
    w.negative = true;
    s = trim(s.substr(1));
  }
  // "Rp 15.000,-": no minor units.
  if (s.size() >= 2 && s.back() == '-' && (s[s.size() - 2] == ',' || s[s.size() - 2] == '.')) {
    w.decimal_hint = s[s.size() - 2];
    s.remove_suffix(2);
  }
  w.amount = s;
  return w;
}

// Digits grouped by `group`: 1-3 digits, then groups of exactly three; or plain digits.
bool grouped(std::string_view s, char group) noexcept {
  if (s.empty()) return false;
  const std::size_t first = s.find(group);
  if (first == std::string_view::npos) return all_digits(s);
  if (first == 0 || first > 3 || !all_digits(s.substr(0, first))) return false;
  for (std::size_t i = first; i < s.size(); i += 4)
    if (s[i] != group || s.size() - i < 4 || !all_digits(s.substr(i + 1, 3))) return false;
  return true;
}

}  // namespace

bool known_currency(std::string_view code) noexcept {
  for (const Currency& cur : kCurrencies)
    if (cur.code == code) return true;
  return false;
}

std::string read_grouped_number(std::string_view amount, std::optional<NumberStyle> style,
                                int exponent, bool integer) {
  const std::size_t dots = static_cast<std::size_t>(std::count(amount.begin(), amount.end(), '.'));
  const std::size_t commas =
      static_cast<std::size_t>(std::count(amount.begin(), amount.end(), ','));
  char group = ',', decimal = '.';
  if (style == NumberStyle::indonesian) {
    group = '.';
    decimal = ',';
    // The canonical form amanah returns ("IDR 1500000.00") is read back: a lone '.' followed
    // by exactly the currency's minor digits, which no grouping could be.
    const std::size_t dot = amount.find('.');
    if (!integer && commas == 0 && dots == 1 && exponent != 3 &&
        amount.size() - dot - 1 == static_cast<std::size_t>(exponent)) {
      group = ',';
      decimal = '.';
    }
  } else if (!style && dots + commas > 0) {
    if (dots > 0 && commas > 0) {
      // Both marks: the last one is the decimal mark.
      decimal = amount.find_last_of(".,") == amount.rfind('.') ? '.' : ',';
      group = decimal == '.' ? ',' : '.';
    } else {
      const char mark = dots > 0 ? '.' : ',';
      const std::size_t after = amount.size() - amount.find(mark) - 1;
      if (dots + commas > 1) {
        group = mark;  // repeated: only grouping repeats
      } else if (after == 3 && !(mark == '.' && exponent == 3)) {
        // "1.500" is 1500 in Indonesia and 1.5 elsewhere (the canonical form of a currency
        // with three minor digits, "KWD 1.500", keeps its reading).
        reject("ambiguous number: set the field's number style");
      } else {
        group = integer ? mark : (mark == '.' ? ',' : '.');
      }
      decimal = group == '.' ? ',' : '.';
    }
  }
  const char* bad = integer ? "not a valid integer" : kBad;
  std::string_view whole = amount, fraction;
  const std::size_t d = amount.find(decimal);
  if (d != std::string_view::npos) {
    if (integer) reject(bad);
    whole = amount.substr(0, d);
    fraction = amount.substr(d + 1);
    // Digits only: a grouping mark after the decimal mark is the wrong order for the style.
    if (fraction.empty() || !all_digits(fraction)) reject(bad);
  }
  if (!grouped(whole, group)) reject(bad);
  std::string out;
  out.reserve(amount.size());
  for (char c : whole)
    if (c != group) out.push_back(c);
  if (!fraction.empty()) {
    out.push_back('.');
    out.append(fraction);
  }
  return out;
}

std::string read_money(std::string_view input, const InputFormat& format) {
  const Written w = split_designator(bounded_trim(input, kBad));
  std::string code = w.code;
  if (code.empty()) code = format.currency;
  if (code.empty()) reject("money needs an ISO 4217 currency code");
  const Currency* currency = find_currency(code);
  if (currency == nullptr) reject("unknown currency code");
  if (w.amount.empty()) reject(kBad);
  for (char c : w.amount)
    if (!is_digit(c) && c != '.' && c != ',') reject(kBad);
  std::string out(currency->code);
  out += ' ';
  if (w.negative) out += '-';
  std::optional<NumberStyle> style = format.numbers;
  if (!style && w.decimal_hint != 0)
    style = w.decimal_hint == ',' ? NumberStyle::indonesian : NumberStyle::international;
  out += read_grouped_number(w.amount, style, currency->exponent, false);
  return out;
}

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

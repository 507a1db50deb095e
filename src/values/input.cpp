// The input path: values as callers write them (a spreadsheet's number style, date pattern,
// currency, phone numbers without their country code) read into the forms the canonical
// normalizers accept. Stored canonical values never come through here.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "values/internal.hpp"
#include "values/values.hpp"

namespace amanah::detail::values {

namespace {

using namespace internal;

constexpr const char* kBadDate = "not a valid date (expected YYYY-MM-DD)";

// A date pattern: where day, month and year stand, and the separator.
struct DatePattern {
  std::array<char, 3> order{};  // 'D', 'M', 'Y'
  char separator = 0;
};

std::optional<DatePattern> parse_date_pattern(std::string_view p) {
  DatePattern out;
  std::size_t i = 0;
  bool seen_d = false, seen_m = false, seen_y = false;
  for (std::size_t k = 0; k < 3; ++k) {
    if (k > 0) {
      if (i >= p.size()) return std::nullopt;
      const char sep = p[i++];
      if (sep != '/' && sep != '-' && sep != '.' && sep != ' ') return std::nullopt;
      if (k == 1) out.separator = sep;
      if (sep != out.separator) return std::nullopt;
    }
    const std::string_view rest = p.substr(i);
    if (rest.starts_with("DD") && !seen_d) {
      out.order[k] = 'D';
      seen_d = true;
      i += 2;
    } else if (rest.starts_with("MM") && !seen_m) {
      out.order[k] = 'M';
      seen_m = true;
      i += 2;
    } else if (rest.starts_with("YYYY") && !seen_y) {
      out.order[k] = 'Y';
      seen_y = true;
      i += 4;
    } else {
      return std::nullopt;
    }
  }
  // Year first or last: a year in the middle is no spreadsheet's convention.
  if (i != p.size() || out.order[1] == 'Y') return std::nullopt;
  return out;
}

std::string iso_date(int year, int month, int day) {
  std::string out = std::to_string(year);
  out += month < 10 ? "-0" : "-";
  out += std::to_string(month);
  out += day < 10 ? "-0" : "-";
  out += std::to_string(day);
  return out;
}

// 1-2 digit day or month; 4-digit year. -1 when malformed.
int small_number(std::string_view s) {
  if (s.empty() || s.size() > 2 || !all_digits(s)) return -1;
  return s.size() == 1 ? s[0] - '0' : two_digits(s, 0);
}
int year_number(std::string_view s) {
  if (s.size() != 4 || !all_digits(s)) return -1;
  return two_digits(s, 0) * 100 + two_digits(s, 2);
}

struct MonthName {
  std::string_view name;
  int month;
};
// Indonesian and English names and abbreviations, lower case (with the older Indonesian
// spellings "Pebruari" and "Nopember").
constexpr MonthName kMonths[] = {
    {"januari", 1},   {"january", 1},  {"jan", 1},       {"februari", 2},  {"pebruari", 2},
    {"february", 2},  {"feb", 2},      {"peb", 2},       {"maret", 3},     {"march", 3},
    {"mar", 3},       {"april", 4},    {"apr", 4},       {"mei", 5},       {"may", 5},
    {"juni", 6},      {"june", 6},     {"jun", 6},       {"juli", 7},      {"july", 7},
    {"jul", 7},       {"agustus", 8},  {"august", 8},    {"agu", 8},       {"agt", 8},
    {"ags", 8},       {"aug", 8},      {"september", 9}, {"sept", 9},      {"sep", 9},
    {"oktober", 10},  {"october", 10}, {"okt", 10},      {"oct", 10},      {"november", 11},
    {"nopember", 11}, {"nov", 11},     {"desember", 12}, {"december", 12}, {"des", 12},
    {"dec", 12},
};

int month_number(std::string_view word) {
  const std::string w = lower(word);
  for (const MonthName& m : kMonths)
    if (m.name == w) return m.month;
  return -1;
}

bool all_letters(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_alpha(c)) return false;
  return true;
}

// "17 Agustus 1945", "17-Agt-1945", "August 17, 1945": day, month name and year in either of
// the two orders people write, separated by spaces, '-', '/', '.' or ','.
std::string read_month_name_date(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() &&
           (s[i] == ' ' || s[i] == '-' || s[i] == '/' || s[i] == '.' || s[i] == ','))
      ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '-' && s[i] != '/' && s[i] != '.' && s[i] != ',')
      ++i;
    if (i > start) parts.push_back(s.substr(start, i - start));
  }
  if (parts.size() != 3) reject(kBadDate);
  int day = -1, month = -1;
  if (all_letters(parts[1])) {
    day = small_number(parts[0]);
    month = month_number(parts[1]);
  } else if (all_letters(parts[0])) {
    month = month_number(parts[0]);
    day = small_number(parts[1]);
  }
  const int year = year_number(parts[2]);
  if (day < 0 || month < 0 || year < 0) reject(kBadDate);
  return iso_date(year, month, day);
}

std::string read_date(std::string_view input, const std::string& pattern) {
  const std::string_view s = bounded_trim(input, kBadDate);
  // ISO 8601 always: unambiguous whatever the pattern.
  if (s.size() == 10 && s[4] == '-' && s[7] == '-' && all_digits(s.substr(0, 4)))
    return std::string(s);
  for (char c : s)
    if (is_alpha(c)) return read_month_name_date(s);
  const auto p = parse_date_pattern(pattern);
  if (!p) {
    // Three numbers: day-first or month-first is the field's to say, never a guess.
    const std::size_t sep = s.find_first_of("/-. ");
    if (sep != std::string_view::npos && s.find_first_of("/-. ", sep + 1) != std::string_view::npos)
      reject("date format not set: write YYYY-MM-DD or set the field's input date format");
    return std::string(s);
  }
  std::array<std::string_view, 3> parts{};
  std::size_t start = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    const std::size_t end = k < 2 ? s.find(p->separator, start) : s.size();
    if (end == std::string_view::npos) reject("date does not match the field's input date format");
    parts[k] = s.substr(start, end - start);
    start = end + 1;
  }
  int day = -1, month = -1, year = -1;
  for (std::size_t k = 0; k < 3; ++k) {
    if (p->order[k] == 'D') day = small_number(parts[k]);
    if (p->order[k] == 'M') month = small_number(parts[k]);
    if (p->order[k] == 'Y') year = year_number(parts[k]);
  }
  if (day < 0 || month < 0 || year < 0) reject("date does not match the field's input date format");
  return iso_date(year, month, day);
}

// A number written without '+' and without a trunk 0 gets the calling code. One that already
// starts with that code is refused as ambiguous (it may or may not carry it), except Indonesia's
// "62...", which is read with its country code as it is without the option.
std::string read_phone(std::string_view input, const std::string& country) {
  if (input.size() > kMaxStructuredInput) return std::string(input);  // the phone rule rejects it
  const std::string_view s = trim(input);
  if (country.empty() || s.find('+') != std::string_view::npos) return std::string(input);
  std::string digits;
  for (char c : s)
    if (is_digit(c)) digits.push_back(c);
  if (digits.empty() || digits.front() == '0') return std::string(input);
  if (digits.starts_with("62") && country == "62") return std::string(input);
  if (digits.starts_with(country))
    reject("phone number starts with the country code: write it with '+' or a trunk 0");
  return "+" + country + " " + std::string(s);
}

std::string read_integer(std::string_view input, std::optional<NumberStyle> style) {
  std::string_view s = bounded_trim(input, "not a valid integer");
  if (!style) return std::string(s);
  std::string out;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    out.push_back(s.front());
    s.remove_prefix(1);
  }
  return out + read_grouped_number(s, style, 0, true);
}

bool digits_only(std::string_view s) noexcept {
  return !s.empty() && all_digits(s);
}

}  // namespace

Normalized normalize_input(const Field& field, const InputFormat& format, std::string_view input) {
  switch (field.type) {
    case FieldType::integer:
    case FieldType::money:
    case FieldType::date:
    case FieldType::phone:
      break;
    default:
      return normalize(field.type, input, field.max_length);
  }
  std::string spaced;
  if (input.size() <= kMaxStructuredInput && ascii_spaces(input, spaced)) input = spaced;
  std::string read;
  if (field.type == FieldType::integer) read = read_integer(input, format.numbers);
  if (field.type == FieldType::money) read = read_money(input, format);
  if (field.type == FieldType::date) read = read_date(input, format.date);
  if (field.type == FieldType::phone) read = read_phone(input, format.phone_country);
  return normalize(field.type, read, field.max_length);
}

std::optional<FormatProblem> check_input_format(FieldType type, const InputFormat& format) {
  if (format.numbers) {
    if (type != FieldType::money && type != FieldType::integer)
      return FormatProblem{"numbers", "numbers applies to money and integer fields only"};
    if (*format.numbers != NumberStyle::international && *format.numbers != NumberStyle::indonesian)
      return FormatProblem{"numbers", "unknown number style (international or indonesian)"};
  }
  if (!format.currency.empty()) {
    if (type != FieldType::money)
      return FormatProblem{"currency", "currency applies to money fields only"};
    if (!known_currency(format.currency))
      return FormatProblem{"currency", "not a known ISO 4217 currency code (upper case)"};
  }
  if (!format.date.empty()) {
    if (type != FieldType::date) return FormatProblem{"date", "date applies to date fields only"};
    if (!parse_date_pattern(format.date))
      return FormatProblem{"date",
                           "unsupported date pattern (DD, MM and YYYY joined by one of / - . or "
                           "space, e.g. DD/MM/YYYY)"};
  }
  if (!format.phone_country.empty()) {
    if (type != FieldType::phone)
      return FormatProblem{"phone_country", "phone_country applies to phone fields only"};
    const std::string& c = format.phone_country;
    if (c.size() > 3 || !digits_only(c) || c.front() == '0')
      return FormatProblem{"phone_country",
                           "a calling code: 1 to 3 digits, not starting with 0 (e.g. 62)"};
  }
  return std::nullopt;
}

InputFormat merge(const InputFormat& base, const InputFormat& over) {
  InputFormat out = base;
  if (over.numbers) out.numbers = over.numbers;
  if (!over.currency.empty()) out.currency = over.currency;
  if (!over.date.empty()) out.date = over.date;
  if (!over.phone_country.empty()) out.phone_country = over.phone_country;
  return out;
}

}  // namespace amanah::detail::values

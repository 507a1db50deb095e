// Email: the practical subset of RFC 5321 that mail systems accept: no quoted local parts, no IP
// literals, an ASCII local part. Internationalized domains (IDNA) are accepted as U-labels or
// A-labels and compared as A-labels (punycode, RFC 3492), so "café.id" and "xn--caf-dma.id" are
// the same domain.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "values/internal.hpp"

namespace amanah::detail::values::internal {

namespace {

constexpr const char* kBad = "not a valid email address";
constexpr std::size_t kMaxAddress = 254;
constexpr std::size_t kMaxLocal = 64;
constexpr std::size_t kMaxDomain = 253;
constexpr std::size_t kMaxLabel = 63;

// RFC 5322 atext.
bool is_atext(char c) noexcept {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool valid_local(std::string_view local) noexcept {
  if (local.empty() || local.size() > kMaxLocal) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  for (std::size_t i = 0; i < local.size(); ++i) {
    const char c = local[i];
    if (c == '.') {
      if (local[i - 1] == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
  }
  return true;
}

bool valid_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > kMaxLabel) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label)
    if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
  return true;
}

bool valid_domain(std::string_view domain) noexcept {
  if (domain.empty() || domain.size() > kMaxDomain) return false;
  std::size_t labels = 0;
  std::string_view last;
  for (std::size_t start = 0;;) {
    const std::size_t dot = domain.find('.', start);
    last =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_label(last)) return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2 && !all_digits(last);
}

// Punycode (RFC 3492) of one label's code points: the basic ones, then deltas.
std::optional<std::string> punycode(const std::vector<char32_t>& in) {
  constexpr std::uint32_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;
  const auto adapt = [](std::uint32_t delta, std::uint32_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    std::uint32_t k = 0;
    while (delta > ((kBase - kTmin) * kTmax) / 2) {
      delta /= kBase - kTmin;
      k += kBase;
    }
    return k + (kBase - kTmin + 1) * delta / (delta + kSkew);
  };
  const auto digit = [](std::uint32_t d) {
    return static_cast<char>(d < 26 ? 'a' + d : '0' + d - 26);
  };
  std::string out;
  for (char32_t c : in)
    if (c < 0x80) out.push_back(static_cast<char>(c));
  const auto basic = static_cast<std::uint32_t>(out.size());
  if (basic > 0) out.push_back('-');
  std::uint32_t n = 0x80, delta = 0, bias = 72, h = basic;
  while (h < in.size()) {
    std::uint32_t m = 0x10FFFF + 1;
    for (char32_t c : in)
      if (c >= n && c < m) m = c;
    if ((m - n) > (0xFFFFFFFFu - delta) / (h + 1)) return std::nullopt;  // overflow
    delta += (m - n) * (h + 1);
    n = m;
    for (char32_t c : in) {
      if (c < n && ++delta == 0) return std::nullopt;
      if (c != n) continue;
      std::uint32_t q = delta;
      for (std::uint32_t k = kBase;; k += kBase) {
        const std::uint32_t t = k <= bias ? kTmin : (k >= bias + kTmax ? kTmax : k - bias);
        if (q < t) break;
        out.push_back(digit(t + (q - t) % (kBase - t)));
        q = (q - t) / (kBase - t);
      }
      out.push_back(digit(q));
      bias = adapt(delta, h + 1, h == basic);
      delta = 0;
      ++h;
    }
    ++delta;
    ++n;
  }
  return out;
}

// Lower case for the letters of the scripts a U-label is likely typed in with capitals (Latin-1,
// Latin Extended-A, Greek, Cyrillic); IDNA labels are lower case.
char32_t lower_letter(char32_t c) noexcept {
  if (c < 0x80) return static_cast<char32_t>(to_lower(static_cast<char>(c)));
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
      (c >= 0x410 && c <= 0x42F))
    return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (c == 0x178) return 0xFF;  // Y with diaeresis: its lower case is in Latin-1, not a pair
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
      c != 0x17F) {
    // Pairs: even upper, odd lower, except 0x139..0x148 and 0x179..0x17E, odd upper.
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
  }
  return c;
}

// A U-label domain in lower case (its ASCII and the letters lower_letter knows), as UTF-8.
std::string lower_domain(std::string_view domain) {
  std::string out;
  for (std::size_t i = 0; i < domain.size();) {
    char32_t cp = 0;
    const std::size_t len = utf8_sequence(domain, i, cp);
    const char32_t c = lower_letter(cp);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c == cp) {
      out.append(domain.substr(i, len));  // unchanged
    } else {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
    i += len;
  }
  return out;
}

// The domain with every label holding non-ASCII as its A-label; nullopt if it is not UTF-8 or a
// label holds a character no host name may (controls, spaces, symbols below U+00A0).
std::optional<std::string> ascii_domain(std::string_view domain) {
  std::string out;
  for (std::size_t start = 0; start <= domain.size();) {
    std::size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    const std::string_view label = domain.substr(start, dot - start);
    std::vector<char32_t> cps;
    bool wide = false;
    for (std::size_t i = 0; i < label.size();) {
      char32_t cp = 0;
      const std::size_t len = utf8_sequence(label, i, cp);
      // Not UTF-8; C1 controls and the no-break space; general punctuation (spaces, zero-width
      // characters, bidirectional controls); the ideographic space and the byte-order mark.
      if (len == 0 || (cp >= 0x80 && cp <= 0xA0) || (cp >= 0x2000 && cp <= 0x206F) ||
          cp == 0x3000 || cp == 0xFEFF)
        return std::nullopt;
      wide = wide || cp >= 0x80;
      cps.push_back(lower_letter(cp));
      i += len;
    }
    if (start > 0) out.push_back('.');
    if (wide) {
      for (char32_t c : cps)
        if (c < 0x80 && !is_alpha(static_cast<char>(c)) && !is_digit(static_cast<char>(c)) &&
            c != '-')
          return std::nullopt;
      const auto code = punycode(cps);
      if (!code) return std::nullopt;
      out.append("xn--").append(*code);
    } else {
      out.append(label);
    }
    start = dot + 1;
  }
  return out;
}

}  // namespace

Normalized normalize_email(std::string_view input) {
  const std::string_view s = bounded_trim(input, kBad);
  if (s.size() > kMaxAddress) reject(kBad);
  const std::size_t at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) reject(kBad);
  const std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  const auto ascii = ascii_domain(domain);
  if (!ascii || !valid_local(local) || !valid_domain(*ascii)) reject(kBad);
  Normalized n;
  // The domain as given (an internationalized one stays readable), in lower case; compared as
  // A-labels.
  n.value = std::string(local) + '@' + (*ascii == domain ? lower(domain) : lower_domain(domain));
  n.index_form = lower(local) + '@' + lower(*ascii);
  return n;
}

}  // namespace amanah::detail::values::internal

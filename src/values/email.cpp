// Email: the practical subset of RFC 5321 that mail systems accept. ASCII only: no quoted local
// parts, no IP literals, no internationalized (EAI / U-label) addresses; punycode A-labels pass.
#include <string>
#include <string_view>

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

}  // namespace

Normalized normalize_email(std::string_view input) {
  const std::string_view s = bounded_trim(input, kBad);
  if (s.size() > kMaxAddress) reject(kBad);
  const std::size_t at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) reject(kBad);
  const std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  if (!valid_local(local) || !valid_domain(domain)) reject(kBad);
  Normalized n;
  n.value = std::string(local) + '@' + lower(domain);
  n.index_form = lower(s);
  return n;
}

}  // namespace amanah::detail::values::internal

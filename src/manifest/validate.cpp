// The one validator: every way of making a Manifest ends here.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/model.hpp"
#include "values/values.hpp"

namespace amanah::detail::manifest {
namespace {

constexpr std::size_t kMaxIdBytes = 64;
constexpr std::size_t kMaxDurationDigits = 6;  // keeps every duration well inside int32 days
constexpr std::uint32_t kDefaultIndexBits = 16;

constexpr std::string_view kIdRule = "must match [a-z][a-z0-9_-]* and be at most 64 bytes";
constexpr std::string_view kFieldNameRule = "must match [a-z][a-z0-9_]* and be at most 64 bytes";
constexpr std::string_view kDurationRule =
    "must be a positive whole number of days, weeks, months or years (e.g. 365d, 52w, 6m, 10y)";

bool lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}

// <positive integer, no leading zero><d|w|m|y>
bool valid_duration(std::string_view s) {
  if (s.size() < 2 || s.size() > kMaxDurationDigits + 1) return false;
  const char unit = s.back();
  if (unit != 'd' && unit != 'w' && unit != 'm' && unit != 'y') return false;
  const auto n = s.substr(0, s.size() - 1);
  return n.front() != '0' && std::all_of(n.begin(), n.end(), digit);
}

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF): the JSON form needs it.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

template <class E>
bool known(E v, std::optional<E> (*parse)(std::string_view)) {
  return parse(to_string(v)).has_value();
}

class Checker {
 public:
  explicit Checker(Data& d) : d_(d) {}

  std::vector<Problem> run() {
    if (!valid_utf8(d_.store_name)) bad("store.name", "not valid UTF-8");
    purposes();
    roles();
    fields();
    retention();
    rules();
    alerts();
    return std::move(out_);
  }

 private:
  void bad(std::string path, std::string_view what) {
    out_.push_back(Problem{std::move(path), std::string(what)});
  }

  void purposes() {
    for (std::size_t i = 0; i < d_.purposes.size(); ++i) {
      const Purpose& p = d_.purposes[i];
      const auto path = segment("purposes", p.id, i);
      if (!valid_id(p.id, true))
        bad(path, kIdRule);
      else if (!purpose_ids_.insert(p.id).second)
        bad(path, "declared more than once");
      if (!known(p.basis, parse_basis)) bad(path + ".basis", "unknown legal basis");
      if (p.basis == LegalBasis::consent) consent_purposes_.insert(p.id);
      if (!valid_utf8(p.description)) bad(path + ".description", "not valid UTF-8");
    }
  }

  void roles() {
    if (!d_.roles_declared) {
      // The roles the rules name are the declared set; a bad id is reported at the rule.
      d_.roles.clear();
      for (const Rule& r : d_.rules)
        for (const auto& id : r.roles)
          if (valid_id(id, true) && role_ids_.insert(id).second) d_.roles.push_back(Role{id, {}});
      return;
    }
    for (std::size_t i = 0; i < d_.roles.size(); ++i) {
      const Role& r = d_.roles[i];
      const auto path = segment("roles", r.id, i);
      if (!valid_id(r.id, true))
        bad(path, kIdRule);
      else if (!role_ids_.insert(r.id).second)
        bad(path, "declared more than once");
      if (!valid_utf8(r.description)) bad(path + ".description", "not valid UTF-8");
    }
  }

  void fields() {
    // The categories a retention rule covers (a rule's own problems are reported at the rule).
    std::set<Category> kept;
    for (const RetentionRule& r : d_.retention)
      kept.insert(r.category);
    for (std::size_t i = 0; i < d_.fields.size(); ++i) {
      const Field& f = d_.fields[i];
      const auto path = segment("fields", f.name, i);
      if (!valid_id(f.name, false))
        bad(path, kFieldNameRule);
      else if (!field_names_.insert(f.name).second)
        bad(path, "declared more than once");
      if (!known(f.type, parse_type)) bad(path + ".type", "unknown field type");
      if (!known(f.category, parse_category)) bad(path + ".category", "unknown category");
      if (f.purposes.empty()) bad(path + ".purposes", "needs at least one purpose");
      names(f.purposes, path + ".purposes", &purpose_ids_, "undeclared purpose");
      if (f.lookup && f.type == FieldType::card)
        bad(path + ".lookup", "card fields keep only brand and last 4 digits: no lookup");
      if (f.unique && f.type == FieldType::card)
        bad(path + ".unique", "card fields keep only brand and last 4 digits: not unique");
      else if (f.unique && !f.lookup)
        bad(path + ".unique", "unique needs lookup = true");
      if (!known(f.mask, parse_mask))
        bad(path + ".mask", "unknown mask");
      else if (f.mask == Mask::year_only && f.type != FieldType::date)
        bad(path + ".mask", "year_only applies to date fields only");
      if (!f.retention.empty() && !valid_duration(f.retention))
        bad(path + ".retention", kDurationRule);
      if (f.retention_from) retention_from(f, path + ".retention_from", kept);
      if (f.max_length != 0 && f.type != FieldType::text)
        bad(path + ".max_length", "max_length applies to text fields only");
      if (f.index_bits < 8 || f.index_bits > 32)
        bad(path + ".index_bits", "must be between 8 and 32");
      else if (f.index_bits != kDefaultIndexBits && !f.lookup)
        bad(path + ".index_bits", "index_bits needs lookup = true");
      if (const auto p = values::check_input_format(f.type, f.input))
        bad(path + ".input." + std::string(p->key), p->what);
    }
  }

  // A field's own retention anchor: something to count (its own retention or its category's
  // rule), and for consent_withdrawal a purpose that rests on consent.
  void retention_from(const Field& f, const std::string& path, const std::set<Category>& kept) {
    if (!known(*f.retention_from, parse_retention_from))
      bad(path, kUnknownRetentionFrom);
    else if (f.retention.empty() && !kept.contains(f.category))
      bad(path,
          "needs the field's own retention or a retention rule for its category: "
          "there is nothing to count");
    else if (*f.retention_from == RetentionFrom::consent_withdrawal &&
             std::none_of(f.purposes.begin(), f.purposes.end(),
                          [&](const std::string& p) { return consent_purposes_.contains(p); }))
      bad(path, "consent_withdrawal needs a purpose of the field whose basis is consent");
  }

  void retention() {
    std::set<Category> seen;
    for (std::size_t i = 0; i < d_.retention.size(); ++i) {
      const RetentionRule& r = d_.retention[i];
      if (!known(r.category, parse_category)) {
        bad("retention[" + std::to_string(i) + "]", "unknown category");
        continue;
      }
      const auto path = "retention." + std::string(to_string(r.category));
      if (!seen.insert(r.category).second) bad(path, "category listed more than once");
      if (!valid_duration(r.keep)) bad(path + ".keep", kDurationRule);
      if (r.basis && !known(*r.basis, parse_basis)) bad(path + ".basis", "unknown legal basis");
      if (!known(r.from, parse_retention_from)) bad(path + ".from", kUnknownRetentionFrom);
    }
  }

  void rules() {
    std::set<std::string, std::less<>> ids;
    for (std::size_t i = 0; i < d_.rules.size(); ++i) {
      const Rule& r = d_.rules[i];
      const auto path = rule_path(d_.rules, i);
      if (!valid_id(r.id, true))
        bad(path + ".id", kIdRule);
      else if (!ids.insert(r.id).second)
        bad(path + ".id", "rule id used more than once (permit and forbid share ids)");
      // Without a roles section every well-formed role id is declared (see roles()).
      if (!d_.roles_declared)
        for (std::size_t k = 0; k < r.roles.size(); ++k)
          if (!valid_id(r.roles[k], true)) bad(path + ".roles[" + std::to_string(k) + "]", kIdRule);
      names(r.roles, path + ".roles", d_.roles_declared ? &role_ids_ : nullptr, "undeclared role");
      enums(r.actions, path + ".actions", parse_action, "unknown action");
      enums(r.categories, path + ".categories", parse_category, "unknown category");
      names(r.fields, path + ".fields", &field_names_, "undeclared field");
      names(r.purposes, path + ".purposes", &purpose_ids_, "undeclared purpose");
      if (r.mask && r.forbid)
        bad(path + ".mask", "forbid rules take no mask");
      else if (r.mask && !known(*r.mask, parse_mask))
        bad(path + ".mask", "unknown mask");
      if (r.restricted && r.forbid)
        bad(path + ".restricted",
            "forbid rules take no restricted (a forbid applies to every customer anyway)");
    }
  }

  void alerts() {
    for (const AlertKey& key : kAlertKeys) {
      const auto& limit = d_.alerts.*key.limit;
      if (limit && (*limit < 1 || *limit > kMaxAlertLimit))
        bad("alerts." + std::string(key.name), kAlertLimitRule);
    }
  }

  // Each name listed once and, when `declared` is given, declared.
  void names(const std::vector<std::string>& list, const std::string& path,
             const std::set<std::string, std::less<>>* declared, std::string_view undeclared) {
    std::set<std::string_view> seen;
    for (std::size_t k = 0; k < list.size(); ++k) {
      const auto item = path + "[" + std::to_string(k) + "]";
      if (!seen.insert(list[k]).second)
        bad(item, "listed more than once");
      else if (declared && !declared->contains(list[k]))
        bad(item, undeclared);
    }
  }

  template <class E>
  void enums(const std::vector<E>& list, const std::string& path,
             std::optional<E> (*parse)(std::string_view), std::string_view unknown) {
    std::set<E> seen;
    for (std::size_t k = 0; k < list.size(); ++k) {
      const auto item = path + "[" + std::to_string(k) + "]";
      if (!known(list[k], parse))
        bad(item, unknown);
      else if (!seen.insert(list[k]).second)
        bad(item, "listed more than once");
    }
  }

  Data& d_;
  std::vector<Problem> out_;
  std::set<std::string, std::less<>> purpose_ids_;
  std::set<std::string, std::less<>> consent_purposes_;
  std::set<std::string, std::less<>> role_ids_;
  std::set<std::string, std::less<>> field_names_;
};

}  // namespace

bool valid_id(std::string_view s, bool allow_dash) {
  if (s.empty() || s.size() > kMaxIdBytes || !lower(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return lower(c) || digit(c) || c == '_' || (allow_dash && c == '-');
  });
}

std::vector<Problem> check(Data& data) {
  return Checker(data).run();
}

}  // namespace amanah::detail::manifest

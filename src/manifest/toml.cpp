// The TOML form of the manifest. Reads structure and types here, then hands the model to the
// shared validator; positions recorded on the way turn its key paths into line:column.
#ifndef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 0  // link the compiled toml++ (Debian ships it as a library)
#endif
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "manifest/model.hpp"

namespace amanah::detail::manifest {
namespace {

struct Pos {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  bool operator<(const Pos& o) const { return line != o.line ? line < o.line : column < o.column; }
};

Pos pos_of(const toml::source_region& r) {
  return Pos{r.begin.line, r.begin.column};
}

// A recorded key path: where it is, and how to name it when that differs from the model path.
struct Spot {
  Pos pos;
  std::string display;
};

// toml++ descriptions may quote the offending text. Keep the grammar ("expected ']'"), drop
// what was seen ("saw 'x'") and cut at the first quote that is not a short punctuation token.
std::string describe(std::string_view d) {
  d = d.substr(0, d.find(", saw"));
  std::string out;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const char c = d[i];
    if (c == '\'' || c == '"') {
      const auto close = d.find(c, i + 1);
      const auto token = d.substr(i + 1, close == std::string_view::npos ? 0 : close - i - 1);
      const bool grammar = !token.empty() && token.size() <= 3 &&
                           token.find_first_not_of("[]{}=,.#:\\") == std::string_view::npos;
      if (!grammar) break;
      out.append(d.substr(i, token.size() + 2));
      i = close;
    } else if (c >= 0x20 && c < 0x7f) {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ',' || out.back() == ':'))
    out.pop_back();
  return out.empty() ? "syntax error" : out;
}

using Entry = std::pair<const toml::key*, const toml::node*>;

// A table's entries in document order (toml::table iterates in key order).
std::vector<Entry> ordered(const toml::table& t) {
  std::vector<Entry> out;
  for (auto&& [k, v] : t)
    out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return pos_of(a.first->source()) < pos_of(b.first->source());
  });
  return out;
}

enum class Section { store, purposes, fields, roles, retention, alerts, permit, forbid };

// One unit of work: a second-level entry ([fields.email], ...) or a rule table.
struct Item {
  Pos pos;
  Section section;
  const toml::key* key = nullptr;  // absent for rules
  const toml::node* node = nullptr;
  std::size_t index = 0;  // rules: index within their array
};

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Data read(const toml::table& root) {
    std::vector<Item> items;
    for (const auto& [key, node] : ordered(root)) {
      const std::string name(key->str());
      Section section{};
      if (name == "store") {
        section = Section::store;
      } else if (name == "purposes") {
        section = Section::purposes;
      } else if (name == "fields") {
        section = Section::fields;
      } else if (name == "roles") {
        section = Section::roles;
        data_.roles_declared = true;
      } else if (name == "retention") {
        section = Section::retention;
      } else if (name == "alerts") {
        section = Section::alerts;
      } else if (name == "permit" || name == "forbid") {
        const auto* arr = node->as_array();
        if (!arr) fail_at(at(*node, *key), name, "expected an array of tables ([[" + name + "]])");
        for (std::size_t i = 0; i < arr->size(); ++i) {
          const toml::node& el = *arr->get(i);
          if (!el.is_table())
            fail_at(pos_of(el.source()), name + "[" + std::to_string(i) + "]", "expected a table");
          items.push_back(Item{at(el, *key), name == "permit" ? Section::permit : Section::forbid,
                               nullptr, &el, i});
        }
        continue;
      } else {
        fail_at(pos_of(key->source()), key_text(name), "unknown key");
      }
      const auto* table = node->as_table();
      if (!table) fail_at(at(*node, *key), name, "expected a table");
      for (const auto& [k, v] : ordered(*table))
        items.push_back(Item{pos_of(k->source()), section, k, v, 0});
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.pos < b.pos; });
    for (const Item& item : items)
      read_item(item);

    auto problems = check(data_);
    if (problems.empty()) return std::move(data_);
    // Report the first problem in document order.
    const Problem* first = nullptr;
    Spot first_spot;
    for (const Problem& p : problems) {
      Spot s = locate(p.path);
      if (!first || s.pos < first_spot.pos) {
        first = &p;
        first_spot = std::move(s);
      }
    }
    fail_at(first_spot.pos, first_spot.display, first->what);
  }

 private:
  [[noreturn]] void fail_at(Pos pos, std::string_view path, std::string_view what) const {
    fail(source_ + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column), path, what);
  }

  // A node's position, or its key's when the node has none (implicit tables).
  static Pos at(const toml::node& n, const toml::key& k) {
    const Pos p = pos_of(n.source());
    return p.line != 0 ? p : pos_of(k.source());
  }

  void note(const std::string& path, Pos pos, std::string display = {}) {
    spots_[path] = Spot{pos, std::move(display)};
  }

  // The recorded spot of a model path or of its nearest recorded ancestor.
  Spot locate(const std::string& path) const {
    std::string_view p = path;
    while (!p.empty()) {
      if (auto it = spots_.find(p); it != spots_.end()) {
        const auto& spot = it->second;
        const std::string display =
            (spot.display.empty() ? std::string(p) : spot.display) + path.substr(p.size());
        return Spot{spot.pos, display};
      }
      const auto cut = p.find_last_of(".[");
      if (cut == std::string_view::npos) break;
      p = p.substr(0, cut);
    }
    return Spot{Pos{std::numeric_limits<std::uint32_t>::max(), 0}, path};
  }

  void read_item(const Item& item) {
    switch (item.section) {
      case Section::store:
        return read_store(item);
      case Section::purposes:
        return read_purpose(item);
      case Section::fields:
        return read_field(item);
      case Section::roles:
        return read_role(item);
      case Section::retention:
        return read_retention(item);
      case Section::alerts:
        return read_alert(item);
      case Section::permit:
      case Section::forbid:
        return read_rule(item);
    }
  }

  const toml::table& table_of(const Item& item, const std::string& path) {
    const auto* t = item.node->as_table();
    if (!t) fail_at(item.pos, path, "expected a table");
    return *t;
  }

  std::string string_of(const toml::node& n, const std::string& path) {
    const auto* v = n.as_string();
    if (!v) fail_at(pos_of(n.source()), path, "expected a string");
    note(path, pos_of(n.source()));
    return v->get();
  }

  bool bool_of(const toml::node& n, const std::string& path) {
    const auto* v = n.as_boolean();
    if (!v) fail_at(pos_of(n.source()), path, "expected a boolean (true or false)");
    note(path, pos_of(n.source()));
    return v->get();
  }

  std::uint32_t u32_of(const toml::node& n, const std::string& path, std::string_view range) {
    const auto* v = n.as_integer();
    if (!v) fail_at(pos_of(n.source()), path, "expected an integer");
    const std::int64_t x = v->get();
    if (x < 0 || x > std::numeric_limits<std::uint32_t>::max())
      fail_at(pos_of(n.source()), path, range);
    note(path, pos_of(n.source()));
    return static_cast<std::uint32_t>(x);
  }

  std::vector<std::string> strings_of(const toml::node& n, const std::string& path) {
    const auto* arr = n.as_array();
    if (!arr) fail_at(pos_of(n.source()), path, "expected an array of strings");
    note(path, pos_of(n.source()));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      const auto item = path + "[" + std::to_string(i) + "]";
      const auto* s = el.as_string();
      if (!s) fail_at(pos_of(el.source()), item, "expected a string");
      note(item, pos_of(el.source()));
      out.push_back(s->get());
    }
    return out;
  }

  template <class E>
  E enum_of(const toml::node& n, const std::string& path,
            std::optional<E> (*parse)(std::string_view), std::string_view unknown) {
    const auto v = parse(string_of(n, path));
    if (!v) fail_at(pos_of(n.source()), path, unknown);
    return *v;
  }

  template <class E>
  std::vector<E> enums_of(const toml::node& n, const std::string& path,
                          std::optional<E> (*parse)(std::string_view), std::string_view unknown) {
    const auto names = strings_of(n, path);
    const auto* arr = n.as_array();
    std::vector<E> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto v = parse(names[i]);
      if (!v) fail_at(pos_of(arr->get(i)->source()), path + "[" + std::to_string(i) + "]", unknown);
      out.push_back(*v);
    }
    return out;
  }

  [[noreturn]] void unknown_key(const std::string& path, const toml::key& k) const {
    fail_at(pos_of(k.source()), path + "." + key_text(k.str()), "unknown key");
  }

  void require(bool present, const std::string& path, Pos pos) const {
    if (!present) fail_at(pos, path, "required key is missing");
  }

  void read_store(const Item& item) {
    const std::string path = "store." + key_text(item.key->str());
    if (item.key->str() != "name") fail_at(item.pos, path, "unknown key");
    data_.store_name = string_of(*item.node, path);
  }

  void read_purpose(const Item& item) {
    Purpose p;
    p.id = item.key->str();
    const auto path = segment("purposes", p.id, data_.purposes.size());
    note(path, item.pos);
    bool has_basis = false;
    for (const auto& [k, v] : ordered(table_of(item, path))) {
      const std::string name(k->str());
      if (name == "basis") {
        p.basis = enum_of(*v, path + ".basis", parse_basis, "unknown legal basis");
        has_basis = true;
      } else if (name == "description") {
        p.description = string_of(*v, path + ".description");
      } else {
        unknown_key(path, *k);
      }
    }
    require(has_basis, path + ".basis", item.pos);
    data_.purposes.push_back(std::move(p));
  }

  void read_role(const Item& item) {
    Role r;
    r.id = item.key->str();
    const auto path = segment("roles", r.id, data_.roles.size());
    note(path, item.pos);
    for (const auto& [k, v] : ordered(table_of(item, path))) {
      if (k->str() == "description")
        r.description = string_of(*v, path + ".description");
      else
        unknown_key(path, *k);
    }
    data_.roles.push_back(std::move(r));
  }

  void read_field(const Item& item) {
    Field f;
    f.name = item.key->str();
    const auto path = segment("fields", f.name, data_.fields.size());
    note(path, item.pos);
    bool has_type = false, has_category = false, has_purposes = false;
    for (const auto& [k, v] : ordered(table_of(item, path))) {
      const std::string name(k->str());
      const auto member = path + "." + name;
      if (name == "type") {
        f.type = enum_of(*v, member, parse_type, "unknown field type");
        has_type = true;
      } else if (name == "category") {
        f.category = enum_of(*v, member, parse_category, "unknown category");
        has_category = true;
      } else if (name == "purposes") {
        f.purposes = strings_of(*v, member);
        has_purposes = true;
      } else if (name == "lookup") {
        f.lookup = bool_of(*v, member);
      } else if (name == "unique") {
        f.unique = bool_of(*v, member);
      } else if (name == "encrypt") {
        f.encrypt = bool_of(*v, member);
      } else if (name == "mask") {
        f.mask = enum_of(*v, member, parse_mask, "unknown mask");
      } else if (name == "retention") {
        f.retention = string_of(*v, member);
        // An empty string would read as "no retention of its own": say so explicitly instead.
        if (f.retention.empty()) fail_at(pos_of(v->source()), member, "empty duration");
      } else if (name == "retention_from") {
        f.retention_from = enum_of(*v, member, parse_retention_from, kUnknownRetentionFrom);
      } else if (name == "max_length") {
        f.max_length = u32_of(*v, member, "must be between 0 and 4294967295");
      } else if (name == "index_bits") {
        f.index_bits = u32_of(*v, member, "must be between 8 and 32");
      } else if (name == "input") {
        f.input = input_of(*v, member);
      } else {
        unknown_key(path, *k);
      }
    }
    require(has_type, path + ".type", item.pos);
    require(has_category, path + ".category", item.pos);
    require(has_purposes, path + ".purposes", item.pos);
    data_.fields.push_back(std::move(f));
  }

  // A field's `input` table, inline (`input = { date = "DD/MM/YYYY" }`) or [fields.x.input].
  InputFormat input_of(const toml::node& n, const std::string& path) {
    const auto* t = n.as_table();
    if (!t) fail_at(pos_of(n.source()), path, "expected a table");
    note(path, pos_of(n.source()));
    InputFormat in;
    for (const auto& [k, v] : ordered(*t)) {
      const std::string name(k->str());
      const auto member = path + "." + name;
      if (name == "numbers") {
        in.numbers = enum_of(*v, member, parse_number_style, kUnknownNumberStyle);
      } else if (name == "currency") {
        in.currency = string_of(*v, member);
      } else if (name == "date") {
        in.date = string_of(*v, member);
      } else if (name == "phone_country") {
        in.phone_country = string_of(*v, member);
      } else {
        unknown_key(path, *k);
      }
      // An empty option would read as unset: say so instead.
      if (name != "numbers" && v->as_string() && v->as_string()->get().empty())
        fail_at(pos_of(v->source()), member, "empty value");
    }
    return in;
  }

  void read_retention(const Item& item) {
    const std::string name(item.key->str());
    const auto path = "retention." + key_text(name);
    const auto category = parse_category(name);
    if (!category) fail_at(item.pos, path, "unknown category");
    note(path, item.pos);
    RetentionRule r;
    r.category = *category;
    if (item.node->is_string()) {
      // `behavioral = "365d"`: the value is the keep duration.
      r.keep = string_of(*item.node, path);
      note(path + ".keep", pos_of(item.node->source()), path);
    } else if (const auto* t = item.node->as_table()) {
      bool has_keep = false;
      for (const auto& [k, v] : ordered(*t)) {
        if (k->str() == "keep") {
          r.keep = string_of(*v, path + ".keep");
          has_keep = true;
        } else if (k->str() == "basis") {
          r.basis = enum_of(*v, path + ".basis", parse_basis, "unknown legal basis");
        } else if (k->str() == "from") {
          r.from = enum_of(*v, path + ".from", parse_retention_from, kUnknownRetentionFrom);
        } else {
          unknown_key(path, *k);
        }
      }
      require(has_keep, path + ".keep", item.pos);
    } else {
      fail_at(item.pos, path, "expected a duration string or a table with keep, basis and from");
    }
    data_.retention.push_back(std::move(r));
  }

  // `subjects_read_per_minute = 100`: the range is the validator's; a negative integer has no
  // place in the model, so it is refused here with the same words.
  void read_alert(const Item& item) {
    const std::string name(item.key->str());
    const auto path = "alerts." + key_text(name);
    const auto key = std::find_if(kAlertKeys.begin(), kAlertKeys.end(),
                                  [&](const AlertKey& k) { return k.name == name; });
    if (key == kAlertKeys.end()) fail_at(item.pos, path, "unknown key");
    const Pos pos = pos_of(item.node->source());
    const auto* v = item.node->as_integer();
    if (!v) fail_at(pos, path, "expected an integer");
    if (v->get() < 0) fail_at(pos, path, kAlertLimitRule);
    note(path, pos);
    data_.alerts.*(key->limit) = static_cast<std::uint64_t>(v->get());
  }

  void read_rule(const Item& item) {
    Rule r;
    r.forbid = item.section == Section::forbid;
    const auto path =
        std::string(r.forbid ? "forbid[" : "permit[") + std::to_string(item.index) + "]";
    note(path, item.pos);
    bool has_id = false;
    for (const auto& [k, v] : ordered(*item.node->as_table())) {
      const std::string name(k->str());
      const auto member = path + "." + name;
      if (name == "id") {
        r.id = string_of(*v, member);
        has_id = true;
      } else if (name == "roles") {
        r.roles = strings_of(*v, member);
      } else if (name == "actions") {
        r.actions = enums_of(*v, member, parse_action, "unknown action");
      } else if (name == "categories") {
        r.categories = enums_of(*v, member, parse_category, "unknown category");
      } else if (name == "fields") {
        r.fields = strings_of(*v, member);
      } else if (name == "purposes") {
        r.purposes = strings_of(*v, member);
      } else if (name == "mask") {
        r.mask = enum_of(*v, member, parse_mask, "unknown mask");
      } else if (name == "restricted") {
        r.restricted = bool_of(*v, member);
      } else {
        unknown_key(path, *k);
      }
    }
    require(has_id, path + ".id", item.pos);
    data_.rules.push_back(std::move(r));
  }

  std::string source_;
  Data data_;
  std::map<std::string, Spot, std::less<>> spots_;
};

}  // namespace

Data read_toml(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    fail(std::string(source) + ":" + std::to_string(b.line) + ":" + std::to_string(b.column), {},
         "invalid TOML: " + describe(e.description()));
  }
  return Reader(source).read(root);
}

}  // namespace amanah::detail::manifest

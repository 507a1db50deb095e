// The canonical JSON form kept inside a store: every key always present, keys sorted (nlohmann's
// default object is a std::map), lists in model order, compact. Read back strictly. The exceptions
// are keys added later, each left out while it holds its default, so that a manifest stored before
// it existed reads back and writes out byte for byte as it was: "alerts" (while every limit is
// empty; when present it holds all three limits, null for an empty one), a rule's "restricted"
// (while false), a field's "retention_from" (while empty), a field's "input" (while every option
// is unset; when present it holds the options set) and a retention rule's "from" (while
// "collection").
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/model.hpp"

namespace amanah::detail::manifest {
namespace {

using nlohmann::json;

constexpr int kFormat = 1;

template <class E>
json names(const std::vector<E>& list) {
  json out = json::array();
  for (E v : list)
    out.push_back(std::string(to_string(v)));
  return out;
}

[[noreturn]] void bad(std::string_view path, std::string_view what) {
  fail(kJsonSource, path, what);
}

std::string at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string at(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// An object with exactly these keys, and perhaps some of `optional`.
const json& object(const json& j, const std::string& path,
                   std::initializer_list<std::string_view> keys,
                   std::initializer_list<std::string_view> optional = {}) {
  if (!j.is_object()) bad(path, "expected an object");
  for (const auto& [k, v] : j.items()) {
    bool known = false;
    for (auto key : keys)
      known = known || k == key;
    for (auto key : optional)
      known = known || k == key;
    if (!known) bad(at(path, key_text(k)), "unknown key");
  }
  for (auto key : keys)
    if (!j.contains(key)) bad(at(path, key), "required key is missing");
  return j;
}

const json& array(const json& j, const std::string& path) {
  if (!j.is_array()) bad(path, "expected an array");
  return j;
}

std::string string(const json& j, const std::string& path) {
  if (!j.is_string()) bad(path, "expected a string");
  return j.get<std::string>();
}

bool boolean(const json& j, const std::string& path) {
  if (!j.is_boolean()) bad(path, "expected a boolean");
  return j.get<bool>();
}

std::uint32_t u32(const json& j, const std::string& path) {
  if (!j.is_number_unsigned() || j.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
    bad(path, "expected an integer between 0 and 4294967295");
  return static_cast<std::uint32_t>(j.get<std::uint64_t>());
}

std::vector<std::string> strings(const json& j, const std::string& path) {
  std::vector<std::string> out;
  const auto& arr = array(j, path);
  for (std::size_t i = 0; i < arr.size(); ++i)
    out.push_back(string(arr[i], at(path, i)));
  return out;
}

template <class E>
E enum_of(const json& j, const std::string& path, std::optional<E> (*parse)(std::string_view)) {
  const auto v = parse(string(j, path));
  if (!v) bad(path, "unknown name");
  return *v;
}

template <class E>
std::optional<E> optional_enum(const json& j, const std::string& path,
                               std::optional<E> (*parse)(std::string_view)) {
  if (j.is_null()) return std::nullopt;
  return enum_of(j, path, parse);
}

// An alert limit: null when empty; the range is the validator's.
std::optional<std::uint64_t> limit(const json& j, const std::string& path) {
  if (j.is_null()) return std::nullopt;
  if (!j.is_number_unsigned()) bad(path, "expected null or an integer between 1 and 1000000000");
  return j.get<std::uint64_t>();
}

template <class E>
std::vector<E> enums(const json& j, const std::string& path,
                     std::optional<E> (*parse)(std::string_view)) {
  std::vector<E> out;
  const auto& arr = array(j, path);
  for (std::size_t i = 0; i < arr.size(); ++i)
    out.push_back(enum_of(arr[i], at(path, i), parse));
  return out;
}

}  // namespace

std::string write_json(const Manifest& m) {
  json j = json::object();
  j["format"] = kFormat;
  j["store_name"] = m.store_name();
  json purposes = json::array();
  for (const auto& p : m.purposes())
    purposes.push_back(
        {{"id", p.id}, {"basis", std::string(to_string(p.basis))}, {"description", p.description}});
  j["purposes"] = std::move(purposes);
  json fields = json::array();
  for (const auto& f : m.fields()) {
    json field = {{"name", f.name},
                  {"type", std::string(to_string(f.type))},
                  {"category", std::string(to_string(f.category))},
                  {"purposes", f.purposes},
                  {"lookup", f.lookup},
                  {"unique", f.unique},
                  {"encrypt", f.encrypt},
                  {"mask", std::string(to_string(f.mask))},
                  {"retention", f.retention},
                  {"max_length", f.max_length},
                  {"index_bits", f.index_bits}};
    if (f.retention_from) field["retention_from"] = std::string(to_string(*f.retention_from));
    if (f.input != InputFormat{}) {
      json input = json::object();
      if (f.input.numbers) input["numbers"] = std::string(number_style_name(*f.input.numbers));
      if (!f.input.currency.empty()) input["currency"] = f.input.currency;
      if (!f.input.date.empty()) input["date"] = f.input.date;
      if (!f.input.phone_country.empty()) input["phone_country"] = f.input.phone_country;
      field["input"] = std::move(input);
    }
    fields.push_back(std::move(field));
  }
  j["fields"] = std::move(fields);
  json roles = json::array();
  for (const auto& r : m.roles())
    roles.push_back({{"id", r.id}, {"description", r.description}});
  j["roles"] = std::move(roles);
  json rules = json::array();
  for (const auto& r : m.rules()) {
    json rule = {{"id", r.id},
                 {"effect", r.forbid ? "forbid" : "permit"},
                 {"roles", r.roles},
                 {"actions", names(r.actions)},
                 {"categories", names(r.categories)},
                 {"fields", r.fields},
                 {"purposes", r.purposes},
                 {"mask", r.mask ? json(std::string(to_string(*r.mask))) : json(nullptr)}};
    if (r.restricted) rule["restricted"] = true;
    rules.push_back(std::move(rule));
  }
  j["rules"] = std::move(rules);
  json retention = json::array();
  for (const auto& r : m.retention()) {
    json rule = {{"category", std::string(to_string(r.category))},
                 {"keep", r.keep},
                 {"basis", r.basis ? json(std::string(to_string(*r.basis))) : json(nullptr)}};
    if (r.from != RetentionFrom::collection) rule["from"] = std::string(to_string(r.from));
    retention.push_back(std::move(rule));
  }
  j["retention"] = std::move(retention);
  if (m.alerts() != AlertLimits{}) {
    json alerts = json::object();
    for (const AlertKey& key : kAlertKeys) {
      const auto& v = m.alerts().*key.limit;
      alerts[std::string(key.name)] = v ? json(*v) : json(nullptr);
    }
    j["alerts"] = std::move(alerts);
  }
  return j.dump();
}

Data read_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // e.what() quotes the text it choked on: give only the offset.
    bad({}, "not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {
    // A number too large for a double is out_of_range (406), not a parse_error; its what()
    // quotes the number.
    bad({}, "not valid JSON (a number out of range)");
  }
  const std::string root;
  object(j, root, {"format", "store_name", "purposes", "fields", "roles", "rules", "retention"},
         {"alerts"});
  if (!j["format"].is_number_integer() || j["format"].get<std::int64_t>() != kFormat)
    bad("format", "unsupported manifest format");

  Data d;
  d.store_name = string(j["store_name"], "store_name");

  const auto& purposes = array(j["purposes"], "purposes");
  for (std::size_t i = 0; i < purposes.size(); ++i) {
    const auto path = at("purposes", i);
    const auto& p = object(purposes[i], path, {"id", "basis", "description"});
    d.purposes.push_back(Purpose{string(p["id"], path + ".id"),
                                 enum_of(p["basis"], path + ".basis", parse_basis),
                                 string(p["description"], path + ".description")});
  }

  const auto& fields = array(j["fields"], "fields");
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto path = at("fields", i);
    const auto& f = object(fields[i], path,
                           {"name", "type", "category", "purposes", "lookup", "unique", "encrypt",
                            "mask", "retention", "max_length", "index_bits"},
                           {"retention_from", "input"});
    Field field;
    field.name = string(f["name"], path + ".name");
    field.type = enum_of(f["type"], path + ".type", parse_type);
    field.category = enum_of(f["category"], path + ".category", parse_category);
    field.purposes = strings(f["purposes"], path + ".purposes");
    field.lookup = boolean(f["lookup"], path + ".lookup");
    field.unique = boolean(f["unique"], path + ".unique");
    field.encrypt = boolean(f["encrypt"], path + ".encrypt");
    field.mask = enum_of(f["mask"], path + ".mask", parse_mask);
    field.retention = string(f["retention"], path + ".retention");
    field.max_length = u32(f["max_length"], path + ".max_length");
    field.index_bits = u32(f["index_bits"], path + ".index_bits");
    if (f.contains("retention_from"))
      field.retention_from =
          enum_of(f["retention_from"], path + ".retention_from", parse_retention_from);
    if (f.contains("input")) {
      const auto ipath = path + ".input";
      const auto& in =
          object(f["input"], ipath, {}, {"numbers", "currency", "date", "phone_country"});
      if (in.contains("numbers"))
        field.input.numbers = enum_of(in["numbers"], ipath + ".numbers", parse_number_style);
      if (in.contains("currency"))
        field.input.currency = string(in["currency"], ipath + ".currency");
      if (in.contains("date")) field.input.date = string(in["date"], ipath + ".date");
      if (in.contains("phone_country"))
        field.input.phone_country = string(in["phone_country"], ipath + ".phone_country");
    }
    d.fields.push_back(std::move(field));
  }

  const auto& roles = array(j["roles"], "roles");
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const auto path = at("roles", i);
    const auto& r = object(roles[i], path, {"id", "description"});
    d.roles.push_back(
        Role{string(r["id"], path + ".id"), string(r["description"], path + ".description")});
  }
  // A manifest whose roles came from its rules stores them; either way the set is the same.
  d.roles_declared = !d.roles.empty();

  const auto& rules = array(j["rules"], "rules");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto path = at("rules", i);
    const auto& r =
        object(rules[i], path,
               {"id", "effect", "roles", "actions", "categories", "fields", "purposes", "mask"},
               {"restricted"});
    Rule rule;
    rule.id = string(r["id"], path + ".id");
    const auto effect = string(r["effect"], path + ".effect");
    if (effect != "permit" && effect != "forbid") bad(path + ".effect", "unknown effect");
    rule.forbid = effect == "forbid";
    rule.roles = strings(r["roles"], path + ".roles");
    rule.actions = enums(r["actions"], path + ".actions", parse_action);
    rule.categories = enums(r["categories"], path + ".categories", parse_category);
    rule.fields = strings(r["fields"], path + ".fields");
    rule.purposes = strings(r["purposes"], path + ".purposes");
    rule.mask = optional_enum(r["mask"], path + ".mask", parse_mask);
    if (r.contains("restricted")) rule.restricted = boolean(r["restricted"], path + ".restricted");
    d.rules.push_back(std::move(rule));
  }

  const auto& retention = array(j["retention"], "retention");
  for (std::size_t i = 0; i < retention.size(); ++i) {
    const auto path = at("retention", i);
    const auto& r = object(retention[i], path, {"category", "keep", "basis"}, {"from"});
    RetentionRule rule{enum_of(r["category"], path + ".category", parse_category),
                       string(r["keep"], path + ".keep"),
                       optional_enum(r["basis"], path + ".basis", parse_basis)};
    if (r.contains("from")) rule.from = enum_of(r["from"], path + ".from", parse_retention_from);
    d.retention.push_back(std::move(rule));
  }

  if (j.contains("alerts")) {
    const auto& a =
        object(j["alerts"], "alerts", {kAlertKeys[0].name, kAlertKeys[1].name, kAlertKeys[2].name});
    for (const AlertKey& key : kAlertKeys)
      d.alerts.*key.limit = limit(a[std::string(key.name)], at("alerts", key.name));
  }

  validate_or_throw(d, kJsonSource);
  return d;
}

}  // namespace amanah::detail::manifest

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <utility>

#include <amanah/error.hpp>
#include <amanah/manifest.hpp>

#include "manifest/model.hpp"

namespace amanah {

std::string_view to_string(LegalBasis v) noexcept {
  switch (v) {
    case LegalBasis::contract:
      return "contract";
    case LegalBasis::consent:
      return "consent";
    case LegalBasis::legal_obligation:
      return "legal_obligation";
    case LegalBasis::legitimate_interest:
      return "legitimate_interest";
    case LegalBasis::vital_interest:
      return "vital_interest";
    case LegalBasis::public_task:
      return "public_task";
  }
  return "unknown";
}

std::string_view to_string(FieldType v) noexcept {
  switch (v) {
    case FieldType::text:
      return "text";
    case FieldType::integer:
      return "integer";
    case FieldType::money:
      return "money";
    case FieldType::date:
      return "date";
    case FieldType::email:
      return "email";
    case FieldType::phone:
      return "phone";
    case FieldType::nik:
      return "nik";
    case FieldType::npwp:
      return "npwp";
    case FieldType::card:
      return "card";
  }
  return "unknown";
}

std::string_view to_string(Category v) noexcept {
  switch (v) {
    case Category::identity:
      return "identity";
    case Category::contact:
      return "contact";
    case Category::transaction:
      return "transaction";
    case Category::account:
      return "account";
    case Category::behavioral:
      return "behavioral";
    case Category::sensitive:
      return "sensitive";
  }
  return "unknown";
}

std::string_view to_string(Mask v) noexcept {
  switch (v) {
    case Mask::none:
      return "none";
    case Mask::last4:
      return "last4";
    case Mask::first_last:
      return "first_last";
    case Mask::year_only:
      return "year_only";
    case Mask::hash:
      return "hash";
    case Mask::redact:
      return "redact";
    case Mask::nullify:
      return "nullify";
  }
  return "unknown";
}

std::string_view to_string(Action v) noexcept {
  switch (v) {
    case Action::read:
      return "read";
    case Action::create:
      return "create";
    case Action::update:
      return "update";
    case Action::erase:
      return "erase";
    case Action::export_data:
      return "export";
    case Action::manage_consent:
      return "manage_consent";
    case Action::manage_manifest:
      return "manage_manifest";
    case Action::read_audit:
      return "read_audit";
    case Action::rectify:
      return "rectify";
    case Action::restrict:
      return "restrict";
    case Action::object:
      return "object";
    case Action::manage_retention:
      return "manage_retention";
    case Action::backup:
      return "backup";
    case Action::disclose_keys:
      return "disclose_keys";
  }
  return "unknown";
}

std::string_view to_string(RetentionFrom v) noexcept {
  switch (v) {
    case RetentionFrom::collection:
      return "collection";
    case RetentionFrom::last_activity:
      return "last_activity";
    case RetentionFrom::relationship_end:
      return "relationship_end";
    case RetentionFrom::consent_withdrawal:
      return "consent_withdrawal";
  }
  return "unknown";
}

namespace detail::manifest {
namespace {

template <class E, std::size_t N>
std::optional<E> parse_name(const std::array<E, N>& all, std::string_view s) {
  for (E v : all)
    if (to_string(v) == s) return v;
  return std::nullopt;
}

bool plain_key(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

}  // namespace

std::optional<LegalBasis> parse_basis(std::string_view s) {
  using enum LegalBasis;
  return parse_name(std::array{contract, consent, legal_obligation, legitimate_interest,
                               vital_interest, public_task},
                    s);
}

std::optional<FieldType> parse_type(std::string_view s) {
  using enum FieldType;
  return parse_name(std::array{text, integer, money, date, email, phone, nik, npwp, card}, s);
}

std::optional<Category> parse_category(std::string_view s) {
  using enum Category;
  return parse_name(std::array{identity, contact, transaction, account, behavioral, sensitive}, s);
}

std::optional<Mask> parse_mask(std::string_view s) {
  using enum Mask;
  return parse_name(std::array{none, last4, first_last, year_only, hash, redact, nullify}, s);
}

std::optional<Action> parse_action(std::string_view s) {
  using enum Action;
  return parse_name(
      std::array{read, create, update, erase, export_data, manage_consent, manage_manifest,
                 read_audit, rectify, restrict, object, manage_retention, backup, disclose_keys},
      s);
}

std::optional<RetentionFrom> parse_retention_from(std::string_view s) {
  using enum RetentionFrom;
  return parse_name(std::array{collection, last_activity, relationship_end, consent_withdrawal}, s);
}

std::optional<NumberStyle> parse_number_style(std::string_view s) {
  if (s == "international") return NumberStyle::international;
  if (s == "indonesian") return NumberStyle::indonesian;
  return std::nullopt;
}

std::string_view number_style_name(NumberStyle v) noexcept {
  return v == NumberStyle::indonesian ? "indonesian" : "international";
}

std::string key_text(std::string_view key) {
  return plain_key(key) ? std::string(key) : "?";
}

std::string segment(std::string_view prefix, std::string_view name, std::size_t index) {
  std::string out(prefix);
  if (plain_key(name)) {
    out += '.';
    out += name;
  } else {
    out += '[' + std::to_string(index) + ']';
  }
  return out;
}

std::string rule_path(const std::vector<Rule>& rules, std::size_t i) {
  const bool forbid = rules[i].forbid;
  const auto same = std::count_if(rules.begin(), rules.begin() + static_cast<std::ptrdiff_t>(i),
                                  [&](const Rule& r) { return r.forbid == forbid; });
  return std::string(forbid ? "forbid[" : "permit[") + std::to_string(same) + "]";
}

void fail(std::string_view location, std::string_view path, std::string_view what) {
  std::string msg(location);
  msg += ": ";
  if (!path.empty()) {
    msg += path;
    msg += ": ";
  }
  msg += what;
  throw Error(ErrorCode::InvalidManifest, msg);
}

void validate_or_throw(Data& data, std::string_view source) {
  const auto problems = check(data);
  if (!problems.empty()) fail(source, problems.front().path, problems.front().what);
}

}  // namespace detail::manifest

namespace {

namespace dm = detail::manifest;

bool same(const Purpose& a, const Purpose& b) {
  return a.id == b.id && a.basis == b.basis && a.description == b.description;
}
bool same(const Field& a, const Field& b) {
  return a.name == b.name && a.type == b.type && a.category == b.category &&
         a.purposes == b.purposes && a.lookup == b.lookup && a.unique == b.unique &&
         a.encrypt == b.encrypt && a.mask == b.mask && a.retention == b.retention &&
         a.retention_from == b.retention_from && a.max_length == b.max_length &&
         a.index_bits == b.index_bits && a.input == b.input;
}
bool same(const Role& a, const Role& b) {
  return a.id == b.id && a.description == b.description;
}
bool same(const Rule& a, const Rule& b) {
  return a.id == b.id && a.forbid == b.forbid && a.roles == b.roles && a.actions == b.actions &&
         a.categories == b.categories && a.fields == b.fields && a.purposes == b.purposes &&
         a.mask == b.mask && a.restricted == b.restricted;
}
bool same(const RetentionRule& a, const RetentionRule& b) {
  return a.category == b.category && a.keep == b.keep && a.basis == b.basis && a.from == b.from;
}

template <class T>
bool same_all(const std::vector<T>& a, const std::vector<T>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const T& x, const T& y) { return same(x, y); });
}

template <class T>
const T* find_by(const std::vector<T>& items, std::string T::*key, std::string_view id) {
  for (const T& item : items)
    if (item.*key == id) return &item;
  return nullptr;
}

}  // namespace

const Purpose* Manifest::purpose(std::string_view id) const noexcept {
  return find_by(purposes_, &Purpose::id, id);
}
const Field* Manifest::field(std::string_view name) const noexcept {
  return find_by(fields_, &Field::name, name);
}
const Role* Manifest::role(std::string_view id) const noexcept {
  return find_by(roles_, &Role::id, id);
}

bool operator==(const Manifest& a, const Manifest& b) {
  return a.store_name_ == b.store_name_ && same_all(a.purposes_, b.purposes_) &&
         same_all(a.fields_, b.fields_) && same_all(a.roles_, b.roles_) &&
         same_all(a.rules_, b.rules_) && same_all(a.retention_, b.retention_) &&
         a.alerts_ == b.alerts_;
}

Manifest Manifest::from_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    throw Error(ErrorCode::NotFound, path.string() + ": manifest file not found");
  if (ec) throw Error(ErrorCode::Io, path.string() + ": cannot read manifest: " + ec.message());
  if (std::filesystem::is_directory(status))
    throw Error(ErrorCode::Io, path.string() + ": cannot read manifest: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, path.string() + ": cannot open manifest");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad() || text.bad()) throw Error(ErrorCode::Io, path.string() + ": cannot read manifest");
  return from_toml(text.str(), path.string());
}

Manifest Manifest::from_toml(std::string_view toml, std::string_view source) {
  dm::Data d = dm::read_toml(toml, source);
  Manifest m;
  m.store_name_ = std::move(d.store_name);
  m.purposes_ = std::move(d.purposes);
  m.fields_ = std::move(d.fields);
  m.roles_ = std::move(d.roles);
  m.rules_ = std::move(d.rules);
  m.retention_ = std::move(d.retention);
  m.alerts_ = d.alerts;
  return m;
}

std::string Manifest::to_json() const {
  return dm::write_json(*this);
}

Manifest Manifest::from_json(std::string_view json) {
  dm::Data d = dm::read_json(json);
  Manifest m;
  m.store_name_ = std::move(d.store_name);
  m.purposes_ = std::move(d.purposes);
  m.fields_ = std::move(d.fields);
  m.roles_ = std::move(d.roles);
  m.rules_ = std::move(d.rules);
  m.retention_ = std::move(d.retention);
  m.alerts_ = d.alerts;
  return m;
}

Manifest::Builder Manifest::builder() {
  return Builder{};
}

Manifest::Builder& Manifest::Builder::name(std::string store_name) {
  m_.store_name_ = std::move(store_name);
  return *this;
}

Manifest::Builder& Manifest::Builder::purpose(std::string id, LegalBasis basis,
                                              std::string description) {
  m_.purposes_.push_back(Purpose{std::move(id), basis, std::move(description)});
  return *this;
}

Manifest::Builder& Manifest::Builder::field(Field field) {
  m_.fields_.push_back(std::move(field));
  return *this;
}

Manifest::Builder& Manifest::Builder::role(std::string id, std::string description) {
  m_.roles_.push_back(Role{std::move(id), std::move(description)});
  return *this;
}

Manifest::Builder& Manifest::Builder::permit(Rule rule) {
  rule.forbid = false;
  m_.rules_.push_back(std::move(rule));
  return *this;
}

Manifest::Builder& Manifest::Builder::forbid(Rule rule) {
  rule.forbid = true;
  m_.rules_.push_back(std::move(rule));
  return *this;
}

Manifest::Builder& Manifest::Builder::retention(Category category, std::string keep,
                                                std::optional<LegalBasis> basis,
                                                RetentionFrom from) {
  m_.retention_.push_back(RetentionRule{category, std::move(keep), basis, from});
  return *this;
}

Manifest::Builder& Manifest::Builder::alerts(AlertLimits limits) {
  m_.alerts_ = limits;
  return *this;
}

Manifest Manifest::Builder::build() const {
  dm::Data d{m_.store_name_, m_.purposes_,  m_.fields_, m_.roles_,
             m_.rules_,      m_.retention_, m_.alerts_, !m_.roles_.empty()};
  dm::validate_or_throw(d, dm::kBuilderSource);
  Manifest m;
  m.store_name_ = std::move(d.store_name);
  m.purposes_ = std::move(d.purposes);
  m.fields_ = std::move(d.fields);
  m.roles_ = std::move(d.roles);
  m.rules_ = std::move(d.rules);
  m.retention_ = std::move(d.retention);
  m.alerts_ = d.alerts;
  return m;
}

}  // namespace amanah

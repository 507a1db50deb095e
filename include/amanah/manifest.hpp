// amanah — the privacy manifest: what a store may collect, why, for how long, and who may see it.
// Loaded from TOML (Manifest::from_file / from_toml) or built in C++ (Manifest::builder()); the
// model is the same either way. An invalid manifest is an Error(InvalidManifest) naming the
// file, line, column and key, never a value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/export.hpp>

namespace amanah {

enum class LegalBasis {
  contract,
  consent,
  legal_obligation,
  legitimate_interest,
  vital_interest,
  public_task,
};

enum class FieldType { text, integer, money, date, email, phone, nik, npwp, card };

enum class Category { identity, contact, transaction, account, behavioral, sensitive };

// Ordered from least to most restrictive; when several apply, the most restrictive wins.
enum class Mask {
  none,        // the value as stored
  last4,       // "********7890"
  first_last,  // first and last character: "S********a"
  year_only,   // dates: "1990"
  hash,        // a keyed pseudonym (HMAC), stable per store and field
  redact,      // "[redacted]"
  nullify,     // the field is left out
};

// What a request does. manage_consent (granting or withdrawing a consent), manage_manifest
// (changing the manifest of an open store), read_audit, restrict, object, manage_retention, backup
// and disclose_keys act on the store as a whole: only rules that name no field and no category
// decide them. The others are decided per field.
enum class Action {
  read,
  create,
  update,
  erase,
  export_data,
  manage_consent,
  manage_manifest,
  read_audit,        // query the audit log (trail, accesses, breach scope)
  rectify,           // correct a customer's fields at their request (per field, like update)
  restrict,          // restrict a customer's processing, and lift the restriction
  object,            // record a customer's objection to a purpose
  manage_retention,  // legal holds, retention sweeps, the end of a customer relationship
  backup,            // copy the whole store (CustomerStore::backup)
  disclose_keys,     // hand out the databases' SQLCipher keys (disclose_database_keys)
};

// Where a retention period counts from.
enum class RetentionFrom {
  collection,          // when the value was collected (inserted or last changed): the default
  last_activity,       // the customer's last activity: the record's last change
  relationship_end,    // the end of the customer relationship (end_relationship()); never before
  consent_withdrawal,  // the withdrawal of the last live consent among the field's consent purposes
};

// Names as written in TOML ("legal_obligation", "email", "last4", "export", ...).
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(LegalBasis v) noexcept;
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(FieldType v) noexcept;
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(Category v) noexcept;
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(Mask v) noexcept;
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(Action v) noexcept;
[[nodiscard]] AMANAH_EXPORT std::string_view to_string(RetentionFrom v) noexcept;

// How numbers are written: "1,500,000.50" (international) or "1.500.000,50" (indonesian).
enum class NumberStyle { international, indonesian };

// How a field's values are written where they come from (a spreadsheet's conventions). Applies
// to values handed to insert, insert_many, validate, update, rectify and find; stored values are
// canonical whatever the input was. An empty option reads as without it. Each option applies to
// its type only (the manifest refuses it elsewhere).
struct InputFormat {
  // money and integer: grouping and decimal marks. Unset: a form whose marks have only one
  // reading is read ("1.500.000,50", "1,500,000.50"); a single mark followed by exactly three
  // digits ("1.500", "1,500") is refused as ambiguous.
  std::optional<NumberStyle> numbers{};
  std::string currency{};  // money: ISO 4217 code assumed when an amount names none ("IDR")
  // date: "DD/MM/YYYY", "MM/DD/YYYY", "YYYY/MM/DD": the tokens DD, MM and YYYY once each, joined
  // by one separator among '/', '-', '.' and ' '. ISO YYYY-MM-DD and month names are always read.
  std::string date{};
  // phone: calling code ("62") for numbers written without '+' and without a trunk 0.
  std::string phone_country{};
  friend bool operator==(const InputFormat&, const InputFormat&) = default;
};

// Per import: field name -> format. An option set here overrides the field's own; an unset one
// falls back to the manifest's.
using InputFormats = std::map<std::string, InputFormat, std::less<>>;

struct Purpose {
  std::string id{};
  LegalBasis basis = LegalBasis::contract;
  std::string description{};
};

struct Field {
  std::string name{};  // [a-z][a-z0-9_]*, at most 64 bytes
  FieldType type = FieldType::text;
  Category category = Category::identity;
  std::vector<std::string> purposes{};  // ids of declared purposes; at least one
  bool lookup = false;                  // find() by a keyed blind index
  bool unique = false;                  // at most one subject per normalized value (needs lookup)
  bool encrypt = false;                 // per-subject AES-256-GCM even if not `sensitive`
  Mask mask = Mask::none;               // default mask
  std::string retention{};              // e.g. "365d", "10y"; empty: the category's rule
  // Where the retention counts from; overrides the category rule's anchor. Empty: the rule's.
  std::optional<RetentionFrom> retention_from{};
  std::uint32_t max_length = 0;   // text only: byte cap; 0 means 4096
  std::uint32_t index_bits = 16;  // blind-index width, 8..32 (CipherSweet-style truncation)
  InputFormat input{};            // how values are written where they come from

  // Sensitive fields (and those marked encrypt) are sealed under the subject's own key.
  [[nodiscard]] bool encrypted() const noexcept {
    return encrypt || category == Category::sensitive;
  }
};

struct Role {
  std::string id{};
  std::string description{};
};

// A permit or forbid rule (parsed and validated now; enforced by AccessPolicy).
// Empty lists mean "any".
struct Rule {
  std::string id{};
  bool forbid = false;
  std::vector<std::string> roles{};
  std::vector<Action> actions{};
  std::vector<Category> categories{};
  std::vector<std::string> fields{};
  std::vector<std::string> purposes{};
  std::optional<Mask> mask{};  // permit only: mask applied to what it allows
  bool restricted = false;     // permit only: also reaches customers whose processing is restricted
};

struct RetentionRule {
  Category category = Category::behavioral;
  std::string keep{};                 // "365d", "10y", "6m", "52w"
  std::optional<LegalBasis> basis{};  // e.g. legal_obligation: a legal hold against erasure
  RetentionFrom from = RetentionFrom::collection;  // where `keep` counts from
};

// Alert limits per actor (the manifest's [alerts]; AuditOptions::alerts overrides each one set).
// An empty limit raises no alert of that kind.
struct AlertLimits {
  std::optional<std::uint64_t> subjects_read_per_minute{};  // distinct customers read
  std::optional<std::uint64_t> exports_per_hour{};          // scans and exports
  std::optional<std::uint64_t> denials_per_minute{};        // denied requests
  friend bool operator==(const AlertLimits&, const AlertLimits&) = default;
};

class AMANAH_EXPORT Manifest {
 public:
  class Builder;

  Manifest() = default;  // empty: no purposes, no fields
  [[nodiscard]] static Manifest from_file(const std::filesystem::path& path);
  // `source` names the text in error messages ("privacy.toml").
  [[nodiscard]] static Manifest from_toml(std::string_view toml,
                                          std::string_view source = "<toml>");
  [[nodiscard]] static Builder builder();

  [[nodiscard]] const std::string& store_name() const noexcept { return store_name_; }
  [[nodiscard]] const std::vector<Purpose>& purposes() const noexcept { return purposes_; }
  [[nodiscard]] const std::vector<Field>& fields() const noexcept { return fields_; }
  [[nodiscard]] const std::vector<Role>& roles() const noexcept { return roles_; }
  [[nodiscard]] const std::vector<Rule>& rules() const noexcept { return rules_; }
  [[nodiscard]] const std::vector<RetentionRule>& retention() const noexcept { return retention_; }
  // The [alerts] section: all limits empty when it is absent.
  [[nodiscard]] const AlertLimits& alerts() const noexcept { return alerts_; }

  // nullptr when not declared.
  [[nodiscard]] const Purpose* purpose(std::string_view id) const noexcept;
  [[nodiscard]] const Field* field(std::string_view name) const noexcept;
  [[nodiscard]] const Role* role(std::string_view id) const noexcept;

  // Canonical JSON (the form kept inside a store), and back. from_json validates like from_toml.
  [[nodiscard]] std::string to_json() const;
  [[nodiscard]] static Manifest from_json(std::string_view json);

  // Exported explicitly: the class attribute does not cover friend functions.
  friend AMANAH_EXPORT bool operator==(const Manifest&, const Manifest&);

 private:
  friend class Builder;
  std::string store_name_{};
  std::vector<Purpose> purposes_{};
  std::vector<Field> fields_{};
  std::vector<Role> roles_{};
  std::vector<Rule> rules_{};
  std::vector<RetentionRule> retention_{};
  AlertLimits alerts_{};
};

// Builds the same model in C++. build() validates and throws Error(InvalidManifest).
class AMANAH_EXPORT Manifest::Builder {
 public:
  Builder& name(std::string store_name);
  Builder& purpose(std::string id, LegalBasis basis, std::string description = {});
  Builder& field(Field field);
  Builder& role(std::string id, std::string description = {});
  Builder& permit(Rule rule);  // rule.forbid is set to false
  Builder& forbid(Rule rule);  // rule.forbid is set to true
  Builder& retention(Category category, std::string keep,
                     std::optional<LegalBasis> basis = std::nullopt,
                     RetentionFrom from = RetentionFrom::collection);
  Builder& alerts(AlertLimits limits);  // each set limit 1..1'000'000'000
  [[nodiscard]] Manifest build() const;

 private:
  Manifest m_;
};

}  // namespace amanah

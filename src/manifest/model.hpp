// Internals shared by the manifest's TOML reader, JSON codec, builder and validator.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/manifest.hpp>

namespace amanah::detail::manifest {

// Whether `s` has the shape of a manifest name: [a-z][a-z0-9_]* (with `allow_dash`, also '-'),
// at most 64 bytes. Checked before a caller's name is quoted in a message.
[[nodiscard]] bool valid_id(std::string_view s, bool allow_dash);

// The model as read, before it becomes a Manifest.
struct Data {
  std::string store_name;
  std::vector<Purpose> purposes;
  std::vector<Field> fields;
  std::vector<Role> roles;
  std::vector<Rule> rules;
  std::vector<RetentionRule> retention;
  AlertLimits alerts;
  // Whether a roles section exists; without one, the roles named by rules are the declared set.
  bool roles_declared = false;
};

// An alert limit is 1..kMaxAlertLimit (an empty one raises no alert).
inline constexpr std::uint64_t kMaxAlertLimit = 1'000'000'000;
inline constexpr std::string_view kAlertLimitRule = "must be an integer between 1 and 1000000000";
// The [alerts] keys, in the order the validator reports them (the JSON codec sorts its keys).
struct AlertKey {
  std::string_view name;
  std::optional<std::uint64_t> AlertLimits::*limit;
};
inline constexpr std::array<AlertKey, 3> kAlertKeys{{
    {"subjects_read_per_minute", &AlertLimits::subjects_read_per_minute},
    {"exports_per_hour", &AlertLimits::exports_per_hour},
    {"denials_per_minute", &AlertLimits::denials_per_minute},
}};

// Where a retention period counts from: the names, for a message about a name not among them.
inline constexpr std::string_view kUnknownRetentionFrom =
    "unknown retention start (collection, last_activity, relationship_end or consent_withdrawal)";

// One validation problem: a key path ("fields.email.unique") and what is wrong, never a value.
struct Problem {
  std::string path;
  std::string what;
};

// The one validator behind from_toml, from_json and Builder::build. Fills the implicit roles when
// none are declared, then returns every problem in model order (empty: valid).
[[nodiscard]] std::vector<Problem> check(Data& data);

// check() and throw Error(InvalidManifest, "<source>: <path>: <what>") for the first problem.
void validate_or_throw(Data& data, std::string_view source);

// "<source>: <path>: <what>" (path may be empty) as Error(InvalidManifest).
[[noreturn]] void fail(std::string_view location, std::string_view path, std::string_view what);

// "prefix.name" when the name is printable as a key path segment, else "prefix[index]".
[[nodiscard]] std::string segment(std::string_view prefix, std::string_view name,
                                  std::size_t index);
// A key as a path segment: itself if it is a plain key, else "?" (keys are not echoed raw).
[[nodiscard]] std::string key_text(std::string_view key);
// "permit[j]" or "forbid[k]": the rule's index within its own kind.
[[nodiscard]] std::string rule_path(const std::vector<Rule>& rules, std::size_t i);

// Names as written in TOML, back to values.
[[nodiscard]] std::optional<LegalBasis> parse_basis(std::string_view s);
[[nodiscard]] std::optional<FieldType> parse_type(std::string_view s);
[[nodiscard]] std::optional<Category> parse_category(std::string_view s);
[[nodiscard]] std::optional<Mask> parse_mask(std::string_view s);
[[nodiscard]] std::optional<Action> parse_action(std::string_view s);
[[nodiscard]] std::optional<RetentionFrom> parse_retention_from(std::string_view s);

// Number styles as written in TOML and JSON ("international", "indonesian").
[[nodiscard]] std::optional<NumberStyle> parse_number_style(std::string_view s);
[[nodiscard]] std::string_view number_style_name(NumberStyle v) noexcept;
inline constexpr std::string_view kUnknownNumberStyle =
    "unknown number style (international or indonesian)";

// Readers: validated Data, or Error(InvalidManifest).
[[nodiscard]] Data read_toml(std::string_view text, std::string_view source);
[[nodiscard]] Data read_json(std::string_view text);
[[nodiscard]] std::string write_json(const Manifest& m);

inline constexpr std::string_view kBuilderSource = "<builder>";
inline constexpr std::string_view kJsonSource = "<stored manifest>";

}  // namespace amanah::detail::manifest

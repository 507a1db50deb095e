// Internals shared by the manifest's TOML reader, JSON codec, builder and validator.
#pragma once

#include <cstddef>
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
  // Whether a roles section exists; without one, the roles named by rules are the declared set.
  bool roles_declared = false;
};

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

// Readers: validated Data, or Error(InvalidManifest).
[[nodiscard]] Data read_toml(std::string_view text, std::string_view source);
[[nodiscard]] Data read_json(std::string_view text);
[[nodiscard]] std::string write_json(const Manifest& m);

inline constexpr std::string_view kBuilderSource = "<builder>";
inline constexpr std::string_view kJsonSource = "<stored manifest>";

}  // namespace amanah::detail::manifest

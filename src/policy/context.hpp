// Names in messages, and declared fields: small checks the policy and its callers share. Pure.
#pragma once

#include <string>
#include <string_view>

#include <amanah/manifest.hpp>
#include <amanah/record.hpp>

namespace amanah::detail::policy {

// "'name'" when `name` has the shape of a manifest name, otherwise a description that does not
// repeat it: a caller who passes a value where a name belongs must not see it in a message.
[[nodiscard]] std::string quoted(std::string_view name, bool allow_dash = false);

// The declared field `name`; Error(UndeclaredField) otherwise.
[[nodiscard]] const Field& declared(const Manifest& manifest, std::string_view name);

}  // namespace amanah::detail::policy

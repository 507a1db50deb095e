// Who may ask: the checks every call's AccessContext passes before anything is read or written.
// Pure (no I/O). The rule engine (permit/forbid, masks per decision) grows here.
#pragma once

#include <string>
#include <string_view>

#include <amanah/manifest.hpp>
#include <amanah/record.hpp>

namespace amanah::detail::policy {

// Error(InvalidArgument) for a context that names no actor or role; Error(AccessDenied) for a
// role or purpose the manifest does not declare.
void check_context(const Manifest& manifest, const AccessContext& ctx);

// "'name'" when `name` has the shape of a manifest name, otherwise a description that does not
// repeat it: a caller who passes a value where a name belongs must not see it in a message.
[[nodiscard]] std::string quoted(std::string_view name, bool allow_dash = false);

// The declared field `name`; Error(UndeclaredField) otherwise.
[[nodiscard]] const Field& declared(const Manifest& manifest, std::string_view name);

}  // namespace amanah::detail::policy

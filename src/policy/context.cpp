#include "policy/context.hpp"

#include <amanah/error.hpp>

#include "manifest/model.hpp"

namespace amanah::detail::policy {

std::string quoted(std::string_view name, bool allow_dash) {
  if (!manifest::valid_id(name, allow_dash)) return "(a name that is not a valid manifest name)";
  std::string out = "'";
  out.append(name).append("'");
  return out;
}

void check_context(const Manifest& manifest, const AccessContext& ctx) {
  if (ctx.actor.empty())
    throw Error(ErrorCode::InvalidArgument, "the access context names no actor");
  if (ctx.roles.empty())
    throw Error(ErrorCode::InvalidArgument, "the access context names no role");
  for (const auto& r : ctx.roles)
    // Roles named only by rules are declared too: the manifest lists them in roles().
    if (manifest.role(r) == nullptr)
      throw Error(ErrorCode::AccessDenied,
                  "role " + quoted(r, true) + " is not declared in the manifest");
  if (manifest.purpose(ctx.purpose) == nullptr)
    throw Error(ErrorCode::AccessDenied,
                "purpose " + quoted(ctx.purpose, true) + " is not declared in the manifest");
}

const Field& declared(const Manifest& manifest, std::string_view name) {
  const Field* f = manifest.field(name);
  if (f == nullptr)
    throw Error(ErrorCode::UndeclaredField,
                "field " + quoted(name) + " is not declared in the manifest");
  return *f;
}

}  // namespace amanah::detail::policy

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

const Field& declared(const Manifest& manifest, std::string_view name) {
  const Field* f = manifest.field(name);
  if (f == nullptr)
    throw Error(ErrorCode::UndeclaredField,
                "field " + quoted(name) + " is not declared in the manifest");
  return *f;
}

}  // namespace amanah::detail::policy

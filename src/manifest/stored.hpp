// The manifest kept inside a store (data.db's manifest table).
#pragma once

#include <amanah/manifest.hpp>

#include "db/db.hpp"

namespace amanah::detail::manifest {

// The stored manifest (an empty one if none); Error(Corrupt) if it does not parse.
[[nodiscard]] Manifest load_stored(db::Connection& c);
// Inside the caller's transaction.
void store(db::Connection& c, const Manifest& m);

}  // namespace amanah::detail::manifest

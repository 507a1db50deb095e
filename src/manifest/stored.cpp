#include "manifest/stored.hpp"

#include <amanah/error.hpp>

namespace amanah::detail::manifest {

Manifest load_stored(db::Connection& c) {
  db::Statement st = c.prepare("SELECT body FROM manifest WHERE id = 1");
  const std::string body = st.step() ? st.column_text(0) : std::string();
  if (body.empty()) return Manifest{};
  try {
    return Manifest::from_json(body);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::InvalidManifest)
      throw Error(ErrorCode::Corrupt, "the manifest stored in data.db is damaged");
    throw;
  }
}

void store(db::Connection& c, const Manifest& m) {
  c.prepare("INSERT OR REPLACE INTO manifest(id, body) VALUES (1, ?1)").bind(1, m.to_json()).run();
}

}  // namespace amanah::detail::manifest

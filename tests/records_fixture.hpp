// A store with the example manifest, for record tests.
#pragma once

#include <amanah/amanah.hpp>

#include <string>

#include "db/db.hpp"
#include "facade/access.hpp"
#include "support.hpp"

namespace amanah::test {

inline constexpr const char* kManifestToml = R"toml(
[store]
name = "Toko Contoh"

[purposes.service]
basis = "contract"
description = "Run the customer account and deliver orders"
[purposes.marketing]
basis = "consent"

[roles.support]
[roles.marketing]
[roles.dpo]

[fields]
full_name  = { type = "text",  category = "identity",    purposes = ["service"] }
email      = { type = "email", category = "contact",     purposes = ["service", "marketing"], lookup = true, unique = true }
phone      = { type = "phone", category = "contact",     purposes = ["service"], lookup = true, mask = "last4" }
nik        = { type = "nik",   category = "sensitive",   purposes = ["service"], lookup = true, unique = true, mask = "last4" }
npwp       = { type = "npwp",  category = "account",     purposes = ["service"] }
birth_date = { type = "date",  category = "identity",    purposes = ["service"], mask = "year_only" }
balance    = { type = "money", category = "transaction", purposes = ["service"] }
card       = { type = "card",  category = "transaction", purposes = ["service"] }
notes      = { type = "text",  category = "behavioral",  purposes = ["service"], encrypt = true, max_length = 200 }

[[permit]]
id = "support-reads-contact"
roles = ["support"]
actions = ["read", "update", "create"]
categories = ["identity", "contact", "sensitive", "account", "transaction", "behavioral"]
purposes = ["service"]

[[forbid]]
id = "marketing-never-sees-sensitive"
roles = ["marketing"]
categories = ["sensitive"]
)toml";

inline Manifest example_manifest() {
  return Manifest::from_toml(kManifestToml, "example.toml");
}

inline const AccessContext kSupport{
    .actor = "agent-17", .roles = {"support"}, .purpose = "service"};

// Counts rows of a table in one of the store's databases.
inline std::int64_t count_rows(detail::db::Connection& c, const char* table) {
  auto st = c.prepare(std::string("SELECT count(*) FROM ") + table);
  REQUIRE(st.step());
  return st.column_int64(0);
}

struct Counts {
  std::int64_t subjects, index, keys, log;
  bool operator==(const Counts&) const = default;
};

inline Counts counts(CustomerStore& s) {
  auto& d = detail::StoreAccess::data_db(s);
  return {count_rows(d, "subjects"), count_rows(d, "blind_index"),
          count_rows(detail::StoreAccess::keys_db(s), "subject_keys"), count_rows(d, "access_log")};
}

}  // namespace amanah::test

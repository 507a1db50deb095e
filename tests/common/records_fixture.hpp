// A store with the example manifest, for record tests (public API only; the row counts that
// need internals are in unit/store_internals.hpp).
#pragma once

#include <amanah/amanah.hpp>

#include <memory>
#include <string>

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
[roles.break_glass]

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

[[permit]]
id = "support-records-consent"
roles = ["support"]
actions = ["manage_consent"]

[[permit]]
id = "marketing-reads-email"
roles = ["marketing"]
actions = ["read"]
fields = ["email"]
purposes = ["marketing"]

[[permit]]
id = "dpo-sees-all"
roles = ["dpo"]
mask = "none"

[[permit]]
id = "dpo-reads-audit"
roles = ["dpo"]
actions = ["read_audit"]

[[permit]]
id = "break-glass"
roles = ["break_glass"]
actions = ["read"]
mask = "none"

[[forbid]]
id = "marketing-never-sees-sensitive"
roles = ["marketing"]
categories = ["sensitive"]
)toml";

// For tests about records rather than policy: a rule that lets support and the DPO do
// everything, unmasked (a manifest that uses it declares both roles, or none).
inline constexpr const char* kPermitAllToml = R"toml(
[[permit]]
id = "test-permits-all"
roles = ["support", "dpo"]
mask = "none"
)toml";
inline Rule permit_all() {
  return {.id = "test-permits-all", .roles = {"support", "dpo"}, .mask = Mask::none};
}

inline Manifest example_manifest() {
  return Manifest::from_toml(kManifestToml, "example.toml");
}

// Customer `i` of the reader tests: every value distinct, the NIK sealed.
inline FieldValues customer(int i) {
  return {{"full_name", "Reader " + std::to_string(i)},
          {"email", "r" + std::to_string(i) + "@example.com"},
          {"phone", "+62812" + std::to_string(2000000 + i)},
          {"nik", "3171" + std::to_string(234567890000 + i)}};
}

// One raw application key per test program, so a test can reopen what it created.
inline std::unique_ptr<KeyProvider> app_key() {
  static const SecretBytes key = SecretBytes::random(32);
  return raw_key(key.clone());
}

// A customer with one value of most types (synthetic).
inline const FieldValues kSiti = {{"full_name", "Siti Rahma"},
                                  {"email", "siti@Example.CO.ID"},
                                  {"phone", "0812-3456-7890"},
                                  {"nik", "3171234567890123"},
                                  {"birth_date", "1990-05-17"}};

// Support agents: read and write every field for the service, through the fields' default masks.
inline const AccessContext kSupport{
    .actor = "agent-17", .roles = {"support"}, .purpose = "service"};
// The data-protection officer: everything, unmasked (what tests that compare stored values use).
inline const AccessContext kDpo{.actor = "dpo-1", .roles = {"dpo"}, .purpose = "service"};
// Marketing: the email of customers who consented to marketing, nothing else.
inline const AccessContext kMarketing{
    .actor = "campaign-svc", .roles = {"marketing"}, .purpose = "marketing"};

}  // namespace amanah::test

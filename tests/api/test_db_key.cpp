// disclose_database_keys(): the databases' SQLCipher keys, decided by the policy and recorded.
#include <amanah/amanah.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "support.hpp"

using namespace amanah;
using amanah::test::TempDir;

namespace {

constexpr const char* kToml = R"toml(
[store]
name = "db-key test"

[purposes.service]
basis = "contract"

[roles.support]
[roles.custodian]

[fields]
email = { type = "email", category = "contact", purposes = ["service"], lookup = true }

[[permit]]
id = "support-works"
roles = ["support"]
actions = ["read", "create", "read_audit"]

[[permit]]
id = "custodian-discloses"
roles = ["custodian"]
actions = ["disclose_keys", "read_audit"]
)toml";

const AccessContext kSupport{.actor = "agent-1", .roles = {"support"}, .purpose = "service"};
const AccessContext kCustodian{
    .actor = "key-custodian", .roles = {"custodian"}, .purpose = "service"};

std::vector<AuditEntry> entries_of(CustomerStore& store, const std::string& actor) {
  std::vector<AuditEntry> out;
  for (const auto& e : store.audit().accesses(kCustodian, actor))
    out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("disclose_database_keys needs disclose_keys, and is recorded either way", "[dbkey]") {
  TempDir tmp;
  const SecretBytes app_key = SecretBytes::random(32);
  auto store = CustomerStore::create(tmp / "s", *raw_key(app_key.clone()),
                                     Manifest::from_toml(kToml, "db-key.toml"));
  (void)store.insert(kSupport, {{"email", "siti@example.com"}});

  REQUIRE_AMANAH_ERROR((void)store.disclose_database_keys(kSupport), ErrorCode::AccessDenied);
  const auto denied = entries_of(store, "agent-1");
  REQUIRE(!denied.empty());
  CHECK(denied.back().action == "disclose_keys");
  CHECK_FALSE(denied.back().allowed);

  const DatabaseKeys keys = store.disclose_database_keys(kCustodian);
  CHECK(keys.data_db.size() == 32);
  CHECK(keys.keys_db.size() == 32);
  CHECK_FALSE(keys.data_db.equals(keys.keys_db));
  CHECK(keys.generation == store.key_generation());
  const auto allowed = entries_of(store, "key-custodian");
  REQUIRE(!allowed.empty());
  CHECK(allowed.back().action == "disclose_keys");
  CHECK(allowed.back().allowed);
  CHECK(allowed.back().rules == std::vector<std::string>{"custodian-discloses"});
  CHECK(store.audit().verify().ok());

  // The same keys while the generation stands; rekey() replaces them.
  CHECK(store.disclose_database_keys(kCustodian).data_db.equals(keys.data_db));
  store.rekey();
  const DatabaseKeys after = store.disclose_database_keys(kCustodian);
  CHECK(after.generation == keys.generation + 1);
  CHECK_FALSE(after.data_db.equals(keys.data_db));
  CHECK_FALSE(after.keys_db.equals(keys.keys_db));
}

TEST_CASE("a rule that lists other actions does not disclose the keys", "[dbkey]") {
  // The example shop's manifest: only the DPO's own permit names disclose_keys.
  const Manifest m = Manifest::from_file(AMANAH_EXAMPLE_MANIFEST);
  const AccessPolicy policy(m);
  const AccessContext operator_ctx{.actor = "job", .roles = {"operator"}, .purpose = "service"};
  const AccessContext dpo{.actor = "dpo", .roles = {"dpo"}, .purpose = "service"};
  const AccessContext support{.actor = "a", .roles = {"support"}, .purpose = "service"};
  CHECK_FALSE(policy.decide(operator_ctx, Action::disclose_keys).allowed());
  CHECK_FALSE(policy.decide(support, Action::disclose_keys).allowed());
  const Decision d = policy.decide(dpo, Action::disclose_keys);
  CHECK(d.allowed());
  CHECK(d.rules() == std::vector<std::string>{"dpo-discloses-database-keys"});
}

// data.db and keys.db are standard SQLCipher 4 databases: the sqlcipher shell reads them with
// the derived raw key, and reads nothing without it.
#include <amanah/amanah.hpp>

#include <cstdlib>
#include <string>

#include "crypto/crypto.hpp"
#include "db/db.hpp"
#include "facade/access.hpp"
#include "support.hpp"

using amanah::CustomerStore;
using amanah::SecretBytes;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;

namespace {

struct ShellResult {
  int status;
  std::string out;
};

// Runs the sqlcipher shell on `db` with `script` on stdin (kept in a 0600 file in the test dir).
ShellResult sqlcipher_shell(const TempDir& tmp, const std::filesystem::path& db,
                            const std::string& script) {
  const auto in = tmp / "script.sql";
  const auto out = tmp / "out.txt";
  amanah::test::write_file(in, script);
  std::filesystem::permissions(
      in, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string cmd = std::string(AMANAH_SQLCIPHER_SHELL) + " -batch '" + db.string() +
                          "' < '" + in.string() + "' > '" + out.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  return {status, amanah::test::read_file(out)};
}

}  // namespace

TEST_CASE("the sqlcipher shell reads data.db and keys.db with the derived key only", "[interop]") {
  REQUIRE(std::string(AMANAH_SQLCIPHER_SHELL).size() > 0);  // tools/setup.sh installs it
  TempDir tmp;
  const auto dir = tmp / "s";
  std::string data_hex, keys_hex;
  const SecretBytes app_key = SecretBytes::random(32);
  {
    auto store = CustomerStore::create(dir, *amanah::raw_key(app_key.clone()));
    auto& c = Access::data_db(store);
    c.exec("CREATE TABLE t(v TEXT)");
    c.prepare("INSERT INTO t VALUES (?1)").bind(1, "interop-value-4242").run();
    data_hex = amanah::detail::crypto::to_hex(Access::data_db_key(store).view());
    keys_hex = amanah::detail::crypto::to_hex(Access::keys_db_key(store).view());
  }

  const auto with_key = sqlcipher_shell(
      tmp, dir / "data.db", "PRAGMA key = \"x'" + data_hex + "'\";\nSELECT v FROM t;\n");
  CHECK(with_key.status == 0);
  CHECK(with_key.out.find("interop-value-4242") != std::string::npos);

  const auto keys_db =
      sqlcipher_shell(tmp, dir / "keys.db",
                      "PRAGMA key = \"x'" + keys_hex +
                          "'\";\nSELECT value FROM amanah_meta WHERE key='created_by';\n");
  CHECK(keys_db.out.find(AMANAH_VERSION_STRING) != std::string::npos);

  const auto no_key = sqlcipher_shell(tmp, dir / "data.db", "SELECT v FROM t;\n");
  CHECK(no_key.out.find("interop-value-4242") == std::string::npos);
  CHECK(no_key.out.find("not a database") != std::string::npos);

  const auto wrong_key = sqlcipher_shell(
      tmp, dir / "data.db", "PRAGMA key = \"x'" + keys_hex + "'\";\nSELECT v FROM t;\n");
  CHECK(wrong_key.out.find("interop-value-4242") == std::string::npos);
  CHECK(wrong_key.out.find("not a database") != std::string::npos);

  // Reading with the shell did not disturb the store.
  auto store = CustomerStore::open(dir, *amanah::raw_key(app_key.clone()));
  auto st = Access::data_db(store).prepare("SELECT v FROM t");
  REQUIRE(st.step());
  CHECK(st.column_text(0) == "interop-value-4242");
}

TEST_CASE("disclose_database_keys gives the keys the databases are keyed with",
          "[interop][dbkey]") {
  REQUIRE(std::string(AMANAH_SQLCIPHER_SHELL).size() > 0);
  TempDir tmp;
  const auto dir = tmp / "s";
  const auto manifest = amanah::Manifest::from_toml(R"toml(
[purposes.service]
basis = "contract"
[roles.custodian]
[fields]
note = { type = "text", category = "identity", purposes = ["service"] }
[[permit]]
id = "custodian"
roles = ["custodian"]
actions = ["disclose_keys", "create"]
)toml");
  const amanah::AccessContext ctx{.actor = "c", .roles = {"custodian"}, .purpose = "service"};
  std::string data_hex, keys_hex;
  {
    auto store = CustomerStore::create(dir, *amanah::raw_key(SecretBytes::random(32)), manifest);
    (void)store.insert(ctx, {{"note", "one"}});
    (void)store.insert(ctx, {{"note", "two"}});
    const auto keys = store.disclose_database_keys(ctx);
    CHECK(keys.data_db.equals(Access::data_db_key(store)));
    CHECK(keys.keys_db.equals(Access::keys_db_key(store)));
    data_hex = amanah::detail::crypto::to_hex(keys.data_db.view());
    keys_hex = amanah::detail::crypto::to_hex(keys.keys_db.view());
  }
  const auto data = sqlcipher_shell(
      tmp, dir / "data.db",
      "PRAGMA key = \"x'" + data_hex + "'\";\nSELECT 'n=' || count(*) FROM subjects;\n");
  CHECK(data.out.find("n=2") != std::string::npos);
  const auto keys = sqlcipher_shell(
      tmp, dir / "keys.db",
      "PRAGMA key = \"x'" + keys_hex + "'\";\nSELECT 'n=' || count(*) FROM subject_keys;\n");
  CHECK(keys.out.find("n=2") != std::string::npos);
}

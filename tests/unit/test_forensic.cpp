// Forensic scan: values written into a store must not appear in any byte of any file of it.
#include <amanah/amanah.hpp>

#include <string>

#include "db/db.hpp"
#include "facade/access.hpp"
#include "support.hpp"

using amanah::CustomerStore;
using amanah::SecretBytes;
using amanah::test::TempDir;
using Access = amanah::detail::StoreAccess;

namespace {

const std::vector<std::string> kMarkers = {"PLANTED-MARKER-Siti-Rahma-7731",
                                           "siti.rahma.planted@example.co.id", "3171234567890123",
                                           "+6281234567890", "planted-passphrase-forensic"};

// Every marker found in any file below dir, as "file: marker" lines.
std::vector<std::string> scan(const std::filesystem::path& dir) {
  std::vector<std::string> hits;
  for (const auto& f : amanah::test::files_below(dir)) {
    const std::string bytes = amanah::test::read_file(f);
    for (const auto& m : kMarkers)
      if (bytes.find(m) != std::string::npos) hits.push_back(f.filename().string() + ": " + m);
  }
  return hits;
}

std::vector<std::string> plain_sqlite_files(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& f : amanah::test::files_below(dir))
    if (amanah::test::read_file(f).rfind("SQLite format 3", 0) == 0)
      out.push_back(f.filename().string());
  return out;
}

void plant(amanah::detail::db::Connection& c, int rows) {
  c.exec("CREATE TABLE IF NOT EXISTS planted(v TEXT, b BLOB)");
  for (int i = 0; i < rows; ++i)
    for (const auto& m : kMarkers) {
      const std::string v = m + "#" + std::to_string(i);
      c.prepare("INSERT INTO planted(v, b) VALUES (?1, ?2)")
          .bind(1, v)
          .bind(2,
                std::span<const std::byte>(reinterpret_cast<const std::byte*>(m.data()), m.size()))
          .run();
    }
}

}  // namespace

TEST_CASE("the scanner finds a planted value in a plain file (control)", "[forensic]") {
  TempDir tmp;
  amanah::test::write_file(tmp / "plain.txt", "xx" + kMarkers[0] + "yy");
  CHECK(scan(tmp.path()).size() == 1);
}

TEST_CASE("no planted value and no SQLite header in any file of the store", "[forensic]") {
  TempDir tmp;
  const auto dir = tmp / "s";
  auto key = amanah::passphrase_key(SecretBytes::from_string(kMarkers[4]), {19 * 1024, 2, 1});
  auto store = CustomerStore::create(dir, *key);
  plant(Access::data_db(store), 200);
  plant(Access::keys_db(store), 50);

  // The values are really there: read back through the key.
  {
    auto st =
        Access::data_db(store).prepare("SELECT count(*) FROM planted WHERE v GLOB 'PLANTED-*'");
    REQUIRE(st.step());
    CHECK(st.column_int64(0) == 200);
  }

  // While open (pages in the WAL and -shm), after a rekey, and after close.
  CHECK(std::filesystem::exists(dir / "data.db-wal"));
  CHECK(scan(dir).empty());
  CHECK(plain_sqlite_files(dir).empty());
  store.rekey();
  plant(Access::data_db(store), 5);
  CHECK(scan(dir).empty());
  store.close();
  const auto hits = scan(dir);
  CHECK(hits.empty());
  CHECK(plain_sqlite_files(dir).empty());
  CHECK(amanah::test::files_below(dir).size() >= 3);
}

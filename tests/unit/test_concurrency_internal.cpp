// Concurrency seen from inside: what a reader may and may not wait for (run under
// ThreadSanitizer by tools/run.sh test, with the API's [concurrency] tests).
#include <amanah/amanah.hpp>

#include <chrono>
#include <future>
#include <mutex>
#include <tuple>

#include "db/db.hpp"
#include "facade/access.hpp"
#include "records_fixture.hpp"
#include "support.hpp"

using amanah::CustomerStore;
using amanah::SecretBytes;
using amanah::test::TempDir;

using amanah::test::customer;

TEST_CASE("reads do not wait for the writer's lock and see only committed data", "[concurrency]") {
  TempDir tmp;
  auto key = amanah::raw_key(SecretBytes::random(32));
  auto store = CustomerStore::create(tmp / "s", *key, amanah::test::example_manifest());
  const auto id = store.insert(amanah::test::kSupport, customer(1));
  auto& writer = amanah::detail::StoreAccess::data_db(store);

  // A writer holds the lock in the middle of an uncommitted change.
  std::unique_lock w(amanah::detail::StoreAccess::write_mutex(store));
  amanah::detail::db::Transaction tx(writer);
  writer.exec("DELETE FROM blind_index");
  writer.exec("DELETE FROM subjects");

  auto reader = std::async(std::launch::async, [&] {
    std::size_t scanned = 0;
    for (const auto& r : store.scan(amanah::test::kDpo))
      scanned += r.fields.empty() ? 0 : 1;
    return std::tuple{store.get(amanah::test::kDpo, id).fields.size(),
                      store.find(amanah::test::kSupport, "email", "r1@example.com").size(), scanned,
                      store.size()};
  });
  // Not a timing test: a reader that waited for the lock would never finish while it is held.
  REQUIRE(reader.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  const auto [fields, found, scanned, size] = reader.get();
  CHECK(fields == 4);
  CHECK(found == 1);
  CHECK(scanned == 1);
  CHECK(size == 1);
}

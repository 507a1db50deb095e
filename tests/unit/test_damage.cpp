// Damaged database files: every damage path reports Corrupt (never Database or StoreLocked), and a
// rekey that meets damage leaves a store that still opens.
#include <amanah/amanah.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <catch2/generators/catch_generators.hpp>

#include "keys/keyslots.hpp"
#include "records_fixture.hpp"

using amanah::CustomerStore;
using amanah::ErrorCode;
using amanah::SecretBytes;
using amanah::test::kSupport;
using amanah::test::TempDir;
namespace fsys = std::filesystem;

using amanah::test::app_key;

namespace {

constexpr std::size_t kPage = 4096;

// A closed store with enough records that data.db and keys.db span several pages.
void make_store(const fsys::path& dir) {
  auto store = CustomerStore::create(dir, *app_key(), amanah::test::example_manifest());
  for (int i = 0; i < 60; ++i) {
    const std::string n = std::to_string(1000 + i);
    (void)store.insert(kSupport, {{"full_name", "Customer " + n},
                                  {"email", "c" + n + "@example.co.id"},
                                  {"notes", std::string(150, 'x')}});
  }
}

// Flips `len` bytes of `file` from `offset` on.
void damage(const fsys::path& file, std::size_t offset, std::size_t len) {
  std::string d = amanah::test::read_file(file);
  REQUIRE(offset + len <= d.size());
  for (std::size_t i = offset; i < offset + len; ++i)
    d[i] = static_cast<char>(d[i] ^ 0x5a);
  amanah::test::write_file(file, d);
}

// Opens the store, reads every record and inserts one (a write reaches pages reads never do, such
// as the pointer map on page 2); the code of the first error, or nullopt if none.
std::optional<ErrorCode> open_and_read(const fsys::path& dir) {
  try {
    auto store = CustomerStore::open(dir, *app_key());
    std::size_t n = 0;
    for (const auto& r : store.scan(kSupport))
      n += r.fields.size();
    CHECK(n > 0);
    (void)store.size();
    (void)store.insert(kSupport, {{"full_name", "After Damage"}, {"notes", std::string(150, 'y')}});
    return std::nullopt;
  } catch (const amanah::Error& e) {
    UNSCOPED_INFO("error: " << e.what());
    return e.code();
  }
}

struct Spot {
  const char* name;
  const char* file;
  std::size_t offset;  // from the start, or from the last page when `from_end`
  bool from_end;
};

}  // namespace

TEST_CASE("damage anywhere in a store database is Corrupt, never Database or StoreLocked",
          "[store][damage]") {
  const Spot spot = GENERATE(Spot{"data.db page 1 after the salt", "data.db", 40, false},
                             Spot{"data.db page 1 header", "data.db", 100, false},
                             Spot{"data.db page 2", "data.db", kPage + 100, false},
                             Spot{"data.db page 2 tail", "data.db", 2 * kPage - 64, false},
                             Spot{"data.db last page", "data.db", 100, true},
                             Spot{"keys.db page 2", "keys.db", kPage + 100, false},
                             Spot{"keys.db last page", "keys.db", 100, true});
  CAPTURE(spot.name);
  TempDir tmp;
  const auto dir = tmp / "s";
  make_store(dir);
  const auto file = dir / spot.file;
  const std::size_t size = fsys::file_size(file);
  REQUIRE(size >= 3 * kPage);
  const std::size_t at = spot.from_end ? size - kPage + spot.offset : spot.offset;
  damage(file, at, 16);
  const auto code = open_and_read(dir);
  REQUIRE(code.has_value());
  CHECK(amanah::to_string(*code) == "Corrupt");
  // Asking again gives the same answer: damage never turns into a lock.
  const auto again = open_and_read(dir);
  REQUIRE(again.has_value());
  CHECK(amanah::to_string(*again) == "Corrupt");
}

TEST_CASE("a rekey that meets a damaged page is Corrupt and the store still opens, never locked",
          "[store][damage]") {
  const Spot spot = GENERATE(Spot{"data.db page 2", "data.db", kPage + 100, false},
                             Spot{"data.db last page", "data.db", 100, true},
                             Spot{"keys.db page 2", "keys.db", kPage + 100, false},
                             Spot{"keys.db last page", "keys.db", 100, true});
  CAPTURE(spot.name);
  TempDir tmp;
  const auto dir = tmp / "s";
  make_store(dir);
  const auto file = dir / spot.file;
  const std::size_t size = fsys::file_size(file);
  const std::size_t at = spot.from_end ? size - kPage + spot.offset : spot.offset;
  damage(file, at, 16);

  std::optional<ErrorCode> at_rekey;
  try {
    auto store = CustomerStore::open(dir, *app_key());
    store.rekey();
  } catch (const amanah::Error& e) {
    UNSCOPED_INFO("error: " << e.what());
    at_rekey = e.code();
  }
  REQUIRE(at_rekey.has_value());
  CHECK(amanah::to_string(*at_rekey) == "Corrupt");

  // The unfinishable rekey is undone: the store opens again, at the old generation, every time;
  // or, when the damaged page is one that opening reads (the audit log's head is on the last page
  // of data.db), opening is Corrupt again: never StoreLocked, never a half-done rekey.
  for (int i = 0; i < 2; ++i) {
    std::optional<ErrorCode> later;
    try {
      auto store = CustomerStore::open(dir, *app_key());
      CHECK(store.key_generation() == 1);
    } catch (const amanah::Error& e) {
      UNSCOPED_INFO("error: " << e.what());
      later = e.code();
    }
    if (later.has_value()) CHECK(amanah::to_string(*later) == "Corrupt");
    if (std::string(spot.file) == "keys.db") CHECK_FALSE(later.has_value());
  }
  CHECK_FALSE(amanah::detail::keys::read_keyslots(dir / "keyslots").rekey_to.has_value());
  // Reading everything still meets the damage, and says so.
  const auto read = open_and_read(dir);
  REQUIRE(read.has_value());
  CHECK(amanah::to_string(*read) == "Corrupt");
}

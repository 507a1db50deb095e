// The CLI's CSV reader (tools/amanah/csv_reader.*, compiled into this program): resources when
// a file is refused. Found by fuzz/fuzz_csv_import (a leak report on a malformed second row).
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include <amanah/error.hpp>
#include <catch2/catch_test_macros.hpp>

#include "csv_reader.hpp"
#include "support.hpp"

namespace {

using amanah::test::TempDir;
using amanah::test::write_file;

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

// Constructs readers of `file` that all fail in the constructor; the descriptors open after
// them, minus those open before.
std::size_t descriptors_left_by_refused_readers(const std::filesystem::path& file) {
  const std::size_t before = open_descriptors();
  for (int i = 0; i < 8; ++i) {
    try {
      amanah::cli::CsvReader reader(file, std::nullopt);
      FAIL("the reader accepted a file it must refuse");
    } catch (const amanah::Error& e) {
      CHECK(e.code() == amanah::ErrorCode::InvalidArgument);
    }
  }
  return open_descriptors() - before;
}

}  // namespace

TEST_CASE("csv reader: a file malformed in its first chunk closes the file", "[csv]") {
  TempDir dir;
  // The constructor parses the whole first chunk to find the header: the malformed second row
  // (a quote inside an unquoted cell, refused in strict mode) throws from it.
  write_file(dir / "bad.csv", "a;b\n\"x\"y;z\n");
  CHECK(descriptors_left_by_refused_readers(dir / "bad.csv") == 0);
}

TEST_CASE("csv reader: an empty file closes the file", "[csv]") {
  TempDir dir;
  write_file(dir / "empty.csv", "\n\n");
  CHECK(descriptors_left_by_refused_readers(dir / "empty.csv") == 0);
}

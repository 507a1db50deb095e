// Forensic helpers for unit tests: the decrypted pages of a store's database (free pages
// included) and byte strings searched for in files and pages, named without their bytes.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <amanah/secret.hpp>
#include <catch2/catch_test_macros.hpp>

#include "crypto/crypto.hpp"
#include "support.hpp"

namespace amanah::test {

// Every page of `file`, decrypted with `key` (free pages included): the sqlcipher shell reads them
// through sqlite_dbpage (compiled into the shell, not into the library).
inline std::string decrypted_pages(const std::filesystem::path& file, const SecretBytes& key) {
  const auto dir = file.parent_path();
  const auto in = dir / "pages.sql", out = dir / "pages.out";
  amanah::test::write_file(in, "PRAGMA key = \"x'" + amanah::detail::crypto::to_hex(key.view()) +
                                   "'\";\nSELECT hex(data) FROM sqlite_dbpage ORDER BY pgno;\n");
  const std::string cmd = std::string(AMANAH_SQLCIPHER_SHELL) + " -batch '" + file.string() +
                          "' < '" + in.string() + "' > '" + out.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  std::string text = amanah::test::read_file(out);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  REQUIRE(status == 0);
  std::string all;
  std::size_t pages = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line == "ok") continue;
    amanah::detail::crypto::Bytes bytes;
    REQUIRE(amanah::detail::crypto::from_hex(line, bytes));
    all.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    ++pages;
  }
  REQUIRE(pages >= 2);
  return all;
}

inline std::string as_text(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

struct Traces {
  std::vector<std::string> needles;  // byte strings that must not survive
  std::vector<std::string> names;    // what each is, for the failure message (never the bytes)
  void add(std::string bytes, std::string name) {
    needles.push_back(std::move(bytes));
    names.push_back(std::move(name));
  }
  // "where: what" for each needle found in `hay`.
  void find_in(const std::string& hay, const std::string& where,
               std::vector<std::string>& hits) const {
    for (std::size_t i = 0; i < needles.size(); ++i)
      if (hay.find(needles[i]) != std::string::npos) hits.push_back(where + ": " + names[i]);
  }
};

}  // namespace amanah::test

// Creates an amanah store with a random raw key in a fresh temporary directory and prints its id.
#include <amanah/amanah.hpp>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

int main() {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("amanah-test-package-" + std::to_string(std::random_device{}()));
  int rc = 1;
  try {
    auto key = amanah::raw_key(amanah::SecretBytes::random(32));
    auto store = amanah::CustomerStore::create(dir, *key);
    std::printf("amanah %s: created store %s\n", AMANAH_VERSION_STRING, store.store_id().c_str());
    store.close();
    rc = 0;
  } catch (const amanah::Error& e) {
    std::fprintf(stderr, "amanah test_package: %s\n", e.what());
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return rc;
}

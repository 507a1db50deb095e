// amanah quickstart: create (or open) an encrypted customer store and show what is on disk.
//
//   AMANAH_PASSPHRASE='correct horse battery staple' ./quickstart customers.amanah
//
// It grows as amanah does: records, consent, policy, export and erasure come in later releases.
#include <amanah/amanah.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace {

std::unique_ptr<amanah::KeyProvider> demo_key() {
  if (const char* p = std::getenv("AMANAH_PASSPHRASE"); p != nullptr && *p != '\0')
    return amanah::passphrase_from_env("AMANAH_PASSPHRASE");
  std::cout << "\n"
               "  !!! DEMO ONLY: AMANAH_PASSPHRASE is not set, so this store is locked with a\n"
               "  !!! built-in demo passphrase that anyone can read in this source file.\n"
               "  !!! Set AMANAH_PASSPHRASE for anything that holds real customer data.\n\n";
  return amanah::passphrase_key(amanah::SecretBytes::from_string("amanah-demo-passphrase"));
}

void show_files(const std::filesystem::path& dir) {
  std::cout << "files in " << dir.string() << ":\n";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    char head[16] = {};
    in.read(head, sizeof head);
    const bool plain_sqlite = std::string(head, 15) == "SQLite format 3";
    std::cout << "  " << e.path().filename().string() << "  " << e.file_size() << " bytes"
              << (e.path().extension() == ".db" ? (plain_sqlite ? "  PLAINTEXT SQLite header!"
                                                                : "  (encrypted, no SQLite header)")
                                                : "")
              << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "customers.amanah";
  try {
    std::cout << "amanah " << AMANAH_VERSION_STRING << " quickstart\n";
    auto key = demo_key();
    const bool exists = std::filesystem::exists(dir / "keyslots");
    if (!exists && dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path());
    auto store =
        exists ? amanah::CustomerStore::open(dir, *key) : amanah::CustomerStore::create(dir, *key);
    std::cout << (exists ? "opened" : "created") << " store " << store.store_id() << " at "
              << store.path().string() << "\n";
    std::cout << "database key generation: " << store.key_generation() << "\n";
    std::cout << "unlock methods:\n";
    for (const auto& m : store.unlock_methods())
      std::cout << "  " << m.id << "  " << m.kind << "  \"" << m.label << "\"\n";

    // A second open of the same store is refused while this one holds it.
    try {
      auto again = amanah::CustomerStore::open(dir, *key);
    } catch (const amanah::Error& e) {
      std::cout << "opening it a second time: " << amanah::to_string(e.code())
                << " (as intended)\n";
    }
    store.close();
    show_files(dir);
    std::cout << "run it again to open the same store; delete the directory to start over\n";
    return 0;
  } catch (const amanah::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

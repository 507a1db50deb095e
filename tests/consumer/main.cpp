// A consumer of the installed (or vendored) amanah: create, close, reopen, reject a wrong key.
#include <amanah/amanah.hpp>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path dir = argv[1];
  std::filesystem::remove_all(dir);
  auto key = amanah::raw_key(amanah::SecretBytes::random(32));
  std::string id;
  {
    auto store = amanah::CustomerStore::create(dir, *key);
    id = store.store_id();
  }
  auto store = amanah::CustomerStore::open(dir, *key);
  if (store.store_id() != id) return 1;
  store.close();
  try {
    auto other =
        amanah::CustomerStore::open(dir, *amanah::raw_key(amanah::SecretBytes::random(32)));
    return 1;
  } catch (const amanah::Error& e) {
    if (e.code() != amanah::ErrorCode::WrongKey) return 1;
  }
  std::filesystem::remove_all(dir);
  std::printf("consumer OK: amanah %s\n", AMANAH_VERSION_STRING);
  return 0;
}

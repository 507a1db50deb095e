// Opening a store whose files are damaged. A small store is created once per process (a raw key,
// a few customers); each input picks one of keyslots / data.db / keys.db and changes its bytes,
// then CustomerStore::open runs on it. The pristine files are put back before each input.
//
// Input: byte 0 picks the file (% 3); byte 1 the mutation (% 4):
//   0  overwrite: the rest is a list of (offset: 3 bytes LE, modulo the file size; length: 1
//      byte; bytes) patches
//   1  truncate: 3 bytes LE give the new size (modulo the file size)
//   2  replace: the rest is the whole file
//   3  keyslots only, else as 0: the rest replaces the keyslots file, its checksum fixed up
//      (keyslots_checksum.hpp) so the fields behind the checksum are reached
//
// Property: open either succeeds (then check() and audit().verify() run without crashing; they
// may report damage or throw amanah::Error) or throws amanah::Error with code
//   Corrupt      a damaged file: the keyslots checksum or HMAC, a database page's HMAC
//                (SQLITE_CORRUPT/NOTADB), a database that no longer opens with its keys
//                (open_db turns WrongKey into Corrupt), a missing schema or store id;
//   WrongKey     a keyslots file (checksum fixed) whose slots this key does not open;
//   Unsupported  a keyslots file claiming a newer format.
// NotAStore cannot happen (the keyslots file is always there); anything else (Database, Io,
// Internal, a foreign exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <amanah/amanah.hpp>

#include "fuzz_support.hpp"
#include "keyslots_checksum.hpp"

namespace {

using namespace amanah;

constexpr const char* kManifest = R"toml(
[purposes.service]
basis = "contract"
[roles.support]
[fields]
full_name = { type = "text",  category = "identity", purposes = ["service"] }
email     = { type = "email", category = "contact",  purposes = ["service"], lookup = true, unique = true }
nik       = { type = "nik",   category = "sensitive", purposes = ["service"], lookup = true, mask = "last4" }
[[permit]]
id = "support-all"
roles = ["support"]
mask = "none"
)toml";

const AccessContext kSupport{.actor = "fuzz", .roles = {"support"}, .purpose = "service"};
constexpr std::array<const char*, 3> kFiles = {"keyslots", "data.db", "keys.db"};

struct State {
  fuzz::ScratchDir dir;
  std::filesystem::path store = dir.path() / "store";
  std::unique_ptr<KeyProvider> key = raw_key(SecretBytes::random(32));
  std::array<std::string, 3> pristine;

  State() {
    {
      CustomerStore s = CustomerStore::create(store, *key, Manifest::from_toml(kManifest));
      (void)s.insert(kSupport, {{"full_name", "Siti Rahma"}, {"email", "siti@example.co.id"}});
      (void)s.insert(
          kSupport,
          {{"full_name", "Budi"}, {"email", "budi@example.com"}, {"nik", "3171234567890123"}});
      (void)s.insert(kSupport, {{"full_name", "Made"}});
    }
    for (std::size_t i = 0; i < kFiles.size(); ++i)
      pristine[i] = fuzz::read_bytes(store / kFiles[i]);
    restore();
  }

  // The store as created, and nothing else in its directory (no -wal or -shm left by a run).
  void restore() {
    for (const auto& e : std::filesystem::directory_iterator(store)) {
      const std::string name = e.path().filename().string();
      if (name != kFiles[0] && name != kFiles[1] && name != kFiles[2])
        std::filesystem::remove_all(e.path());
    }
    for (std::size_t i = 0; i < kFiles.size(); ++i)
      fuzz::write_bytes(store / kFiles[i], pristine[i]);
  }
};

State& state() {
  static State s;
  return s;
}

std::size_t u24(const std::uint8_t* p) {
  return std::size_t{p[0]} | std::size_t{p[1]} << 8 | std::size_t{p[2]} << 16;
}

std::string mutate(std::string file, unsigned how, const std::uint8_t* d, std::size_t n) {
  switch (how) {
    case 1:
      if (n >= 3 && !file.empty()) file.resize(u24(d) % file.size());
      return file;
    case 2:
      return {reinterpret_cast<const char*>(d), n};
    default:
      break;
  }
  while (n >= 4 && !file.empty()) {
    std::size_t at = u24(d) % file.size();
    std::size_t len = d[3];
    d += 4;
    n -= 4;
    len = std::min({len, n, file.size() - at});
    file.replace(at, len, reinterpret_cast<const char*>(d), len);
    d += len;
    n -= len;
  }
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  State& s = state();
  s.restore();
  const std::size_t which = data[0] % kFiles.size();
  const unsigned how = data[1] % 4u;
  std::string bytes;
  if (how == 3 && which == 0)
    bytes =
        fuzz::with_valid_checksum(std::string(reinterpret_cast<const char*>(data + 2), size - 2));
  else
    bytes = mutate(s.pristine[which], how == 3 ? 0 : how, data + 2, size - 2);
  fuzz::write_bytes(s.store / kFiles[which], bytes);

  std::optional<CustomerStore> store;
  try {
    store.emplace(CustomerStore::open(s.store, *s.key));
  } catch (const Error& e) {
    fuzz::expect_code(e, {ErrorCode::Corrupt, ErrorCode::WrongKey, ErrorCode::Unsupported},
                      "CustomerStore::open");
    return 0;
  } catch (...) {
    fuzz::foreign_exception("CustomerStore::open");
  }
  try {
    (void)store->check();
    (void)store->audit().verify();
  } catch (const Error&) {
    // Damage found after opening is reported, as it may be: the property is no crash.
  } catch (...) {
    fuzz::foreign_exception("check/verify");
  }
  return 0;
}

// The keyslots file parser (src/keys/keyslots.*). The first byte's low bit says whether to fix
// the checksum up first (keyslots_checksum.hpp); the rest is the file. Properties:
//   - read_keyslots throws only Error(Corrupt) or Error(Unsupported), never crashes;
//   - a file that parses does not unlock with a wrong raw key: WrongKey (or Corrupt for a slot
//     whose parameters are malformed), and its KEK does not open under a wrong root: Corrupt;
//   - what parses writes back (under any root) to a file that reads back the same.
#include <cstddef>
#include <cstdint>
#include <string>

#include <amanah/key_provider.hpp>
#include <amanah/secret.hpp>

#include "fuzz_support.hpp"
#include "keys/keyslots.hpp"
#include "keyslots_checksum.hpp"

namespace {

using namespace amanah;
namespace keys = amanah::detail::keys;

struct State {
  fuzz::ScratchDir dir;
  std::unique_ptr<KeyProvider> wrong_key = raw_key(SecretBytes::random(32));
  SecretBytes root = SecretBytes::random(32);
};

State& state() {
  static State s;
  return s;
}

bool same(const keys::Keyslots& a, const keys::Keyslots& b) {
  if (a.store_id != b.store_id || a.db_generation != b.db_generation || a.rekey_to != b.rekey_to ||
      a.kek_epoch != b.kek_epoch || a.kek_wrapped != b.kek_wrapped ||
      a.kek_next_epoch != b.kek_next_epoch || a.kek_next_wrapped != b.kek_next_wrapped ||
      a.slots.size() != b.slots.size())
    return false;
  for (std::size_t i = 0; i < a.slots.size(); ++i) {
    const keys::Slot& x = a.slots[i];
    const keys::Slot& y = b.slots[i];
    if (x.id != y.id || x.label != y.label || x.wrapped.kind != y.wrapped.kind ||
        x.wrapped.params != y.wrapped.params || x.wrapped.ciphertext != y.wrapped.ciphertext)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  State& s = state();
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) != 0) text = fuzz::with_valid_checksum(text);
  const auto file = s.dir.path() / "keyslots";
  fuzz::write_bytes(file, text);

  keys::Keyslots k;
  try {
    k = keys::read_keyslots(file);
  } catch (const Error& e) {
    fuzz::expect_code(e, {ErrorCode::Corrupt, ErrorCode::Unsupported}, "read_keyslots");
    return 0;
  } catch (...) {
    fuzz::foreign_exception("read_keyslots");
  }

  try {
    (void)keys::unlock(k, *s.wrong_key);
    fuzz::fail("a wrong key unlocks a fuzzed keyslots file");
  } catch (const Error& e) {
    fuzz::expect_code(e, {ErrorCode::WrongKey, ErrorCode::Corrupt}, "unlock with a wrong key");
  } catch (...) {
    fuzz::foreign_exception("unlock");
  }
  try {
    (void)keys::open_kek(k, s.root);
    fuzz::fail("a KEK opens under a wrong root");
  } catch (const Error& e) {
    fuzz::expect_code(e, {ErrorCode::Corrupt}, "open_kek under a wrong root");
  } catch (...) {
    fuzz::foreign_exception("open_kek");
  }

  try {
    const auto copy = s.dir.path() / "keyslots.rewritten";
    keys::write_keyslots(copy, k, s.root);
    fuzz::check(same(keys::read_keyslots(copy), k), "write_keyslots then read_keyslots");
  } catch (const Error& e) {
    fuzz::expect_code(e, {}, "rewriting a keyslots file that parsed");
  } catch (...) {
    fuzz::foreign_exception("write_keyslots");
  }
  return 0;
}

// The keyslots file: a plaintext JSON envelope holding the root key wrapped once per unlock
// method. Damage is told apart from a wrong key by a SHA-256 checksum over the whole file
// (checked before any slot is tried); deliberate edits by an HMAC under a root-derived key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/key_provider.hpp>
#include <amanah/secret.hpp>

namespace amanah::detail::keys {

inline constexpr int kKeyslotsFormatVersion = 1;

struct Slot {
  std::string id;  // 16 hex digits
  std::string label;
  WrappedKey wrapped;
};

struct Keyslots {
  std::string store_id;  // 32 hex digits
  std::uint64_t db_generation = 1;
  std::optional<std::uint64_t> rekey_to;  // set while a rekey is in progress
  std::uint64_t kek_epoch = 1;
  std::vector<std::byte> kek_wrapped;  // the current KEK epoch, sealed under kek_wrap_key
  // Set while a KEK rotation is in progress: the next epoch and its KEK, sealed like kek_wrapped.
  // Both or neither (a file with one alone is damaged).
  std::optional<std::uint64_t> kek_next_epoch;
  std::vector<std::byte> kek_next_wrapped;
  std::vector<Slot> slots;
  std::string mac;  // as read from the file; verified by unlock(), recomputed by write
};

// Error(Corrupt) if the file is damaged or malformed, Error(Unsupported) for a newer format.
[[nodiscard]] Keyslots read_keyslots(const std::filesystem::path& file);
// Writes atomically, with checksum and HMAC.
void write_keyslots(const std::filesystem::path& file, const Keyslots& slots,
                    const SecretBytes& root);

// Tries every slot of `key`'s kind. Error(WrongKey) if none opens. Then checks the file's HMAC
// under the unwrapped root: Error(Corrupt) if the file was modified.
[[nodiscard]] SecretBytes unlock(const Keyslots& slots, const KeyProvider& key);

// A new slot for `key` holding `root`; checks that the provider unwraps what it wrapped.
[[nodiscard]] Slot make_slot(const KeyProvider& key, const SecretBytes& root,
                             std::string_view store_id, std::string_view label);

// The context bound to a slot's wrapped key.
[[nodiscard]] std::vector<std::byte> slot_context(std::string_view store_id,
                                                  std::string_view slot_id);

// A fresh random KEK epoch, sealed for the keyslots file.
[[nodiscard]] std::vector<std::byte> seal_kek(const SecretBytes& kek, const SecretBytes& root,
                                              std::string_view store_id, std::uint64_t epoch);

// The KEK sealed by seal_kek; Error(Corrupt) if it does not open.
[[nodiscard]] SecretBytes open_kek(const Keyslots& slots, const SecretBytes& root);
// The next KEK of a rotation in progress (slots.kek_next_epoch set); Error(Corrupt) if it does
// not open.
[[nodiscard]] SecretBytes open_next_kek(const Keyslots& slots, const SecretBytes& root);

}  // namespace amanah::detail::keys

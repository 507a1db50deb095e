#include "keys/keyslots.hpp"

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "fs/fs.hpp"
#include "keys/hierarchy.hpp"

namespace amanah::detail::keys {
namespace {

using nlohmann::json;
constexpr std::string_view kFormat = "amanah-keyslots";
constexpr std::size_t kMaxFileSize = 1 << 20;

[[noreturn]] void corrupt(const std::string& why) {
  throw Error(ErrorCode::Corrupt, "keyslots file is damaged: " + why);
}

std::string b64(std::span<const std::byte> b) {
  return crypto::to_base64(b);
}

std::vector<std::byte> unb64(const json& j, const char* what) {
  std::vector<std::byte> out;
  if (!j.is_string() || !crypto::from_base64(j.get<std::string>(), out))
    corrupt(std::string("bad ") + what);
  return out;
}

// A counter (version, generation, epoch): a JSON unsigned integer only. A number too large for
// one reads as a double, whose conversion to an integer would be undefined behaviour.
std::uint64_t unsigned_at(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!v.is_number_unsigned()) corrupt(std::string("bad ") + key);
  return v.get<std::uint64_t>();
}

// Everything the MAC and checksum cover, in canonical (sorted-key, compact) form.
json body_of(const Keyslots& k) {
  json slots = json::array();
  for (const auto& s : k.slots)
    slots.push_back({{"id", s.id},
                     {"label", s.label},
                     {"kind", s.wrapped.kind},
                     {"params", s.wrapped.params},
                     {"wrapped", b64(s.wrapped.ciphertext)}});
  json j = {{"format", kFormat},
            {"version", kKeyslotsFormatVersion},
            {"store_id", k.store_id},
            {"db_generation", k.db_generation},
            {"kek", {{"epoch", k.kek_epoch}, {"wrapped", b64(k.kek_wrapped)}}},
            {"slots", std::move(slots)}};
  if (k.rekey_to) j["rekey_to"] = *k.rekey_to;
  if (k.kek_next_epoch)
    j["kek_next"] = {{"epoch", *k.kek_next_epoch}, {"wrapped", b64(k.kek_next_wrapped)}};
  return j;
}

std::string mac_of(const std::string& body, const SecretBytes& root, std::string_view store_id) {
  const SecretBytes key = keyslots_mac_key(root, store_id);
  return crypto::to_hex(crypto::hmac_sha256(key.view(), crypto::as_bytes(body)));
}

std::string checksum_of(const std::string& body, const std::string& mac) {
  return crypto::to_hex(crypto::sha256(crypto::as_bytes(body + "\n" + mac)));
}

bool is_hex_id(const std::string& s, std::size_t len) {
  return s.size() == len && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::vector<std::byte> slot_context(std::string_view store_id, std::string_view slot_id) {
  const std::string ctx = "amanah/v1/keyslot|" + std::string(store_id) + "|" + std::string(slot_id);
  const auto b = crypto::as_bytes(ctx);
  return {b.begin(), b.end()};
}

Keyslots read_keyslots(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, "cannot read " + file.string());
  std::string text;
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (text.size() > kMaxFileSize) corrupt("too large");

  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) corrupt("not valid JSON");
  try {
    if (j.value("format", "") != kFormat) corrupt("not an amanah keyslots file");
    const std::uint64_t version = unsigned_at(j, "version");
    if (version > static_cast<std::uint64_t>(kKeyslotsFormatVersion))
      throw Error(ErrorCode::Unsupported, "keyslots file was written by a newer amanah (format " +
                                              std::to_string(version) + ")");
    const std::string mac = j.at("mac").get<std::string>();
    const std::string checksum = j.at("checksum").get<std::string>();
    j.erase("mac");
    j.erase("checksum");
    if (checksum != checksum_of(j.dump(), mac)) corrupt("checksum mismatch");

    Keyslots k;
    k.mac = mac;
    k.store_id = j.at("store_id").get<std::string>();
    if (!is_hex_id(k.store_id, 32)) corrupt("bad store id");
    k.db_generation = unsigned_at(j, "db_generation");
    if (j.contains("rekey_to")) k.rekey_to = unsigned_at(j, "rekey_to");
    k.kek_epoch = unsigned_at(j.at("kek"), "epoch");
    k.kek_wrapped = unb64(j.at("kek").at("wrapped"), "KEK");
    // Written only while a KEK rotation is in progress (files without it read as before).
    if (j.contains("kek_next")) {
      k.kek_next_epoch = unsigned_at(j.at("kek_next"), "epoch");
      k.kek_next_wrapped = unb64(j.at("kek_next").at("wrapped"), "next KEK");
      if (*k.kek_next_epoch <= k.kek_epoch) corrupt("bad next KEK epoch");
    }
    for (const auto& s : j.at("slots")) {
      Slot slot;
      slot.id = s.at("id").get<std::string>();
      if (!is_hex_id(slot.id, 16)) corrupt("bad slot id");
      slot.label = s.at("label").get<std::string>();
      slot.wrapped.kind = s.at("kind").get<std::string>();
      slot.wrapped.params = s.at("params").get<std::string>();
      slot.wrapped.ciphertext = unb64(s.at("wrapped"), "wrapped key");
      k.slots.push_back(std::move(slot));
    }
    if (k.slots.empty()) corrupt("no unlock methods");
    // Anything the struct does not carry would be silently dropped on the next write.
    if (body_of(k).dump() != j.dump()) corrupt("unexpected content");
    return k;
  } catch (const json::exception&) {
    corrupt("missing or mistyped entries");
  }
}

void write_keyslots(const std::filesystem::path& file, const Keyslots& k, const SecretBytes& root) {
  json j = body_of(k);
  const std::string body = j.dump();
  const std::string mac = mac_of(body, root, k.store_id);
  j["mac"] = mac;
  j["checksum"] = checksum_of(body, mac);
  const std::string text = j.dump(2) + "\n";
  fs::write_atomic(file, crypto::as_bytes(text));
}

SecretBytes unlock(const Keyslots& k, const KeyProvider& key) {
  const std::string kind = key.kind();
  bool any = false;
  for (const auto& slot : k.slots) {
    if (slot.wrapped.kind != kind) continue;
    any = true;
    std::optional<SecretBytes> root = key.unwrap(slot.wrapped, slot_context(k.store_id, slot.id));
    if (!root) continue;
    if (root->size() != crypto::kKeySize) corrupt("unwrapped root key has the wrong size");
    // The right key with a bad MAC means the file was edited (a slot removed, a generation
    // rolled back) without the root key: refuse rather than trust it.
    if (!crypto::equal_ct(crypto::as_bytes(mac_of(body_of(k).dump(), *root, k.store_id)),
                          crypto::as_bytes(k.mac)))
      throw Error(ErrorCode::Corrupt, "keyslots file was modified without the store's key");
    return std::move(*root);
  }
  if (!any)
    throw Error(ErrorCode::WrongKey, "the store has no unlock method of kind '" + kind + "'");
  throw Error(ErrorCode::WrongKey, "the key does not unlock this store");
}

Slot make_slot(const KeyProvider& key, const SecretBytes& root, std::string_view store_id,
               std::string_view label) {
  Slot slot;
  slot.id = crypto::to_hex(crypto::random_bytes(8));
  slot.label = std::string(label);
  const auto ctx = slot_context(store_id, slot.id);
  slot.wrapped = key.wrap(root.view(), ctx);
  slot.wrapped.kind = key.kind();
  std::optional<SecretBytes> back = key.unwrap(slot.wrapped, ctx);
  if (!back || !back->equals(root))
    throw Error(ErrorCode::Internal, "the key provider cannot unwrap the key it wrapped");
  return slot;
}

namespace {
std::string kek_aad(std::string_view store_id, std::uint64_t epoch) {
  return "amanah/v1/kek|" + std::string(store_id) + "|" + std::to_string(epoch);
}
}  // namespace

std::vector<std::byte> seal_kek(const SecretBytes& kek, const SecretBytes& root,
                                std::string_view store_id, std::uint64_t epoch) {
  const SecretBytes wrap = kek_wrap_key(root, store_id);
  return crypto::seal(wrap, kek.view(), crypto::as_bytes(kek_aad(store_id, epoch)));
}

namespace {
SecretBytes open_sealed_kek(std::span<const std::byte> sealed, std::uint64_t epoch,
                            const SecretBytes& root, std::string_view store_id) {
  const SecretBytes wrap = kek_wrap_key(root, store_id);
  SecretBytes kek;
  if (!crypto::open(wrap, sealed, crypto::as_bytes(kek_aad(store_id, epoch)), kek) ||
      kek.size() != crypto::kKeySize)
    throw Error(ErrorCode::Corrupt, "the key-encryption key in the keyslots file does not open");
  return kek;
}
}  // namespace

SecretBytes open_kek(const Keyslots& k, const SecretBytes& root) {
  return open_sealed_kek(k.kek_wrapped, k.kek_epoch, root, k.store_id);
}

SecretBytes open_next_kek(const Keyslots& k, const SecretBytes& root) {
  if (!k.kek_next_epoch) throw Error(ErrorCode::Internal, "no KEK rotation is in progress");
  return open_sealed_kek(k.kek_next_wrapped, *k.kek_next_epoch, root, k.store_id);
}

}  // namespace amanah::detail::keys

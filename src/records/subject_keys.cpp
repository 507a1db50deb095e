// Per-subject keys: random 256-bit keys in keys.db, each sealed under the current KEK epoch.
// Erasing a subject destroys its key, which makes its sealed fields unreadable everywhere.
#include <amanah/error.hpp>

#include "crypto/crypto.hpp"
#include "keys/hierarchy.hpp"
#include "store/impl.hpp"

namespace amanah::detail {
namespace {

constexpr std::size_t kPoolRefill = 64;
constexpr std::size_t kKeyIdSize = 16;  // random bytes per key id

std::string subject_key_aad(std::string_view store_id, std::string_view key_id,
                            std::uint64_t epoch) {
  return "amanah/v1/subject-key|" + std::string(store_id) + "|" + std::string(key_id) + "|" +
         std::to_string(epoch);
}

}  // namespace

void StoreImpl::load_kek() {
  kek = keys::open_kek(slots, root);
}

void StoreImpl::reserve_subject_keys(std::size_t n) {
  if (key_pool.size() >= n) return;
  // Fresh keys are committed to keys.db ahead of use, so an insert commits data.db only. A
  // crash leaves unused keys that protect nothing.
  const std::size_t count = std::max(kPoolRefill, n - key_pool.size());
  std::vector<std::string> ids;
  db::Transaction tx(keysdb);
  auto st =
      keysdb.cached("INSERT INTO subject_keys(key_id, kek_epoch, wrapped) VALUES (?1, ?2, ?3)");
  // All ids and keys drawn in two calls: the generator's per-call cost dominated big batches.
  const crypto::Bytes id_bytes = crypto::random_bytes(count * kKeyIdSize);
  SecretBytes fresh(count * crypto::kKeySize);
  crypto::random_bytes(fresh.mutable_view());
  for (std::size_t i = 0; i < count; ++i) {
    std::string id = crypto::to_hex(std::span(id_bytes).subspan(i * kKeyIdSize, kKeyIdSize));
    const auto key = fresh.view().subspan(i * crypto::kKeySize, crypto::kKeySize);
    const auto aad = subject_key_aad(slots.store_id, id, slots.kek_epoch);
    const auto wrapped = crypto::seal(kek, key, crypto::as_bytes(aad));
    st->bind(1, id).bind(2, static_cast<std::int64_t>(slots.kek_epoch)).bind(3, wrapped).run();
    // Cached (bounded, oldest out first): the insert that takes it seals with it at once.
    const auto slot = key_cache.insert(id);
    std::copy(key.begin(), key.end(), slot.begin());
    ids.push_back(std::move(id));
  }
  tx.commit();
  for (auto& id : ids)
    key_pool.push_back(std::move(id));
}

std::string StoreImpl::acquire_subject_key() {
  reserve_subject_keys(1);
  std::string id = std::move(key_pool.front());
  key_pool.pop_front();
  return id;
}

void StoreImpl::release_subject_key(std::string key_id) {
  key_pool.push_front(std::move(key_id));
}

std::span<const std::byte> StoreImpl::subject_key(std::string_view key_id) {
  if (const auto cached = key_cache.find(key_id); !cached.empty()) return cached;
  auto st = keysdb.cached("SELECT kek_epoch, wrapped FROM subject_keys WHERE key_id = ?1");
  st->bind(1, key_id);
  if (!st->step()) throw Error(ErrorCode::Corrupt, "a subject's key is missing from keys.db");
  const auto epoch = static_cast<std::uint64_t>(st->column_int64(0));
  if (epoch != slots.kek_epoch)
    throw Error(ErrorCode::Corrupt, "a subject's key is sealed under an unknown KEK epoch");
  const auto aad = subject_key_aad(slots.store_id, key_id, epoch);
  const auto slot = key_cache.insert(key_id);
  if (!crypto::open_into(kek, st->column_blob(1), crypto::as_bytes(aad), slot)) {
    key_cache.erase(key_id);
    throw Error(ErrorCode::Corrupt, "a subject's key in keys.db does not open");
  }
  return slot;
}

std::string StoreImpl::plain_value(std::string_view subject_id, std::string_view key_id,
                                   std::string_view field, const records::DocValue& v) {
  if (!v.sealed) return v.text;
  return records::open_value(subject_key(key_id), subject_id, field, key_id, v);
}

void StoreImpl::destroy_subject_key(std::string_view key_id) {
  keysdb.prepare("DELETE FROM subject_keys WHERE key_id = ?1").bind(1, key_id).run();
  key_cache.erase(key_id);
}

void StoreImpl::drop_key_pool() noexcept {
  if (key_pool.empty()) return;
  try {
    db::Transaction tx(keysdb);
    db::Statement st = keysdb.prepare("DELETE FROM subject_keys WHERE key_id = ?1");
    for (const auto& id : key_pool) {
      st.bind(1, id).run();
      key_cache.erase(id);
    }
    tx.commit();
  } catch (...) {
    // Unused keys left behind protect nothing; they are harmless.
  }
  key_pool.clear();
}

const crypto::HmacSha256& StoreImpl::index_mac(std::string_view field) {
  if (auto it = index_macs.find(field); it != index_macs.end()) return it->second;
  const SecretBytes key = keys::index_key(root, slots.store_id, field);
  return index_macs.emplace(std::string(field), crypto::HmacSha256(key.view())).first->second;
}

const SecretBytes& StoreImpl::mask_key(std::string_view field) {
  if (auto it = mask_keys.find(field); it != mask_keys.end()) return it->second;
  return mask_keys.emplace(std::string(field), keys::mask_hash_key(root, slots.store_id, field))
      .first->second;
}

std::string StoreImpl::pseudonym(std::string_view subject_id) {
  if (audit_mac.empty())
    audit_mac = crypto::HmacSha256(keys::audit_key(root, slots.store_id).view());
  const auto mac = audit_mac(crypto::as_bytes(subject_id));
  return crypto::to_hex(std::span<const std::byte>(mac).first(16));
}

}  // namespace amanah::detail

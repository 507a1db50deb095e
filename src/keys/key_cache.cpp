#include "keys/key_cache.hpp"

#include "crypto/crypto.hpp"

namespace amanah::detail::keys {

KeyCache::KeyCache(std::size_t capacity) : capacity_(capacity) {}

std::span<const std::byte> KeyCache::find(std::string_view key_id) const {
  const auto it = index_.find(key_id);
  if (it == index_.end()) return {};
  return arena_.view().subspan(it->second * kKeySize, kKeySize);
}

std::span<std::byte> KeyCache::insert(std::string_view key_id) {
  if (arena_.empty()) {  // allocated on first use: opening a store stays cheap
    arena_ = SecretBytes(capacity_ * kKeySize);
    owner_.resize(capacity_);
  }
  if (const auto it = index_.find(key_id); it != index_.end()) return slot(it->second);
  const std::size_t i = next_;
  next_ = (next_ + 1) % capacity_;
  if (!owner_[i].empty()) index_.erase(owner_[i]);
  owner_[i] = std::string(key_id);
  index_.emplace(owner_[i], i);
  return slot(i);
}

void KeyCache::erase(std::string_view key_id) {
  const auto it = index_.find(key_id);
  if (it == index_.end()) return;
  crypto::wipe(slot(it->second));
  owner_[it->second].clear();
  index_.erase(it);
}

void KeyCache::clear() noexcept {
  arena_.clear();
  index_.clear();
  owner_.clear();
  owner_.shrink_to_fit();
  next_ = 0;
}

}  // namespace amanah::detail::keys

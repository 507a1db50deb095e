// Unwrapped per-subject keys, kept in one locked, wiped arena (not one mmap per key).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <amanah/secret.hpp>

namespace amanah::detail::keys {

class KeyCache {
 public:
  static constexpr std::size_t kKeySize = 32;
  explicit KeyCache(std::size_t capacity = 131072);  // 4 MiB: every key of a 100k store

  // The cached key, or an empty span. Valid until the next insert() or erase().
  [[nodiscard]] std::span<const std::byte> find(std::string_view key_id) const;
  // A slot for `key_id` to be filled by the caller (evicts the oldest entry when full).
  [[nodiscard]] std::span<std::byte> insert(std::string_view key_id);
  void erase(std::string_view key_id);
  void clear() noexcept;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::span<std::byte> slot(std::size_t i) noexcept {
    return arena_.mutable_view().subspan(i * kKeySize, kKeySize);
  }
  std::size_t capacity_;
  SecretBytes arena_;
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
  std::vector<std::string> owner_;  // slot -> key id ("" when free)
  std::size_t next_ = 0;            // FIFO eviction cursor
};

}  // namespace amanah::detail::keys

// Masks: how a field is shown to someone who may see it only in part. Keyed-hash masks use a
// key per field, derived on first use and kept for the store's life.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <amanah/manifest.hpp>
#include <amanah/record.hpp>

#include "keys/hierarchy.hpp"

namespace amanah::detail::policy {

class Masks {
 public:
  explicit Masks(const keys::KeyHierarchy& keys) : keys_(keys) {}
  // `record` through each field's default mask (Mask::nullify drops the field).
  [[nodiscard]] Record apply(const Manifest& manifest, const Record& record);

  // Forgets the derived keys (the store closes).
  void clear() noexcept {
    std::unique_lock g(mu_);
    keys_by_field_.clear();
  }

 private:
  const keys::KeyHierarchy& keys_;
  std::mutex mu_;
  std::map<std::string, keys::MaskKey, std::less<>> keys_by_field_;
};

}  // namespace amanah::detail::policy

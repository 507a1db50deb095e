// Masks: how a field is shown to someone the policy lets see it only in part (the decision
// gives the mask). Keyed-hash masks use a key per field, derived on first use and kept for the
// store's life.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <amanah/manifest.hpp>

#include "keys/hierarchy.hpp"

namespace amanah::detail::policy {

class Masks {
 public:
  explicit Masks(const keys::KeyHierarchy& keys) : keys_(keys) {}
  // `value` of field `f` through `mask`; std::nullopt when the mask leaves the field out.
  [[nodiscard]] std::optional<std::string> show(const Field& f, Mask mask, std::string_view value);

  // Forgets the derived keys (the store closes).
  void clear() noexcept {
    std::unique_lock g(mu_);
    keys_by_field_.clear();
  }

 private:
  const keys::KeyHierarchy& keys_;
  std::shared_mutex mu_;
  std::map<std::string, keys::MaskKey, std::less<>> keys_by_field_;
};

}  // namespace amanah::detail::policy

#include "policy/masks.hpp"

#include <mutex>

#include "values/values.hpp"

namespace amanah::detail::policy {

std::optional<std::string> Masks::show(const Field& f, Mask mask, std::string_view value) {
  if (mask == Mask::none) return std::string(value);
  if (mask != Mask::hash) return values::apply_mask(f.type, mask, value, {});
  {
    std::shared_lock g(mu_);
    if (const auto it = keys_by_field_.find(f.name); it != keys_by_field_.end())
      return values::apply_mask(f.type, mask, value, it->second.view());
  }
  std::unique_lock g(mu_);
  auto it = keys_by_field_.find(f.name);
  if (it == keys_by_field_.end()) it = keys_by_field_.emplace(f.name, keys_.mask(f.name)).first;
  return values::apply_mask(f.type, mask, value, it->second.view());
}

}  // namespace amanah::detail::policy

#include "policy/masks.hpp"

#include "policy/context.hpp"
#include "values/values.hpp"

namespace amanah::detail::policy {

Record Masks::apply(const Manifest& manifest, const Record& record) {
  Record out;
  out.id = record.id;
  for (const auto& [name, value] : record.fields) {
    const Field& f = declared(manifest, name);
    std::optional<std::string> shown;
    if (f.mask == Mask::hash) {
      std::lock_guard g(mu_);
      auto it = keys_by_field_.find(name);
      if (it == keys_by_field_.end()) it = keys_by_field_.emplace(name, keys_.mask(name)).first;
      shown = values::apply_mask(f.type, f.mask, value, it->second.view());
    } else {
      shown = values::apply_mask(f.type, f.mask, value, {});
    }
    if (shown) out.fields.emplace(name, std::move(*shown));
  }
  return out;
}

}  // namespace amanah::detail::policy

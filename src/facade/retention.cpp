// Retention: one-line forwards to the retention service (retention/retention.hpp).
#include <amanah/retention.hpp>

#include <chrono>

#include "facade/store_impl.hpp"
#include "store/time.hpp"

namespace amanah {

std::string_view to_string(ErasureReason v) noexcept {
  switch (v) {
    case ErasureReason::subject_request:
      return "subject_request";
    case ErasureReason::consent_withdrawn:
      return "consent_withdrawn";
    case ErasureReason::objection:
      return "objection";
    case ErasureReason::unlawful:
      return "unlawful";
    case ErasureReason::legal_order:
      return "legal_order";
    case ErasureReason::retention_expired:
      return "retention_expired";
  }
  return "unknown";
}

void Retention::place_hold(const AccessContext& ctx, const CustomerId& id, LegalBasis basis,
                           TimePoint until) {
  impl_->retention.place_hold(ctx, id, basis, detail::store::unix_seconds(until));
}
void Retention::release_hold(const AccessContext& ctx, const CustomerId& id) {
  impl_->retention.release_hold(ctx, id);
}
std::optional<LegalHold> Retention::hold(const CustomerId& id) const {
  return impl_->retention.hold(id);
}
void Retention::end_relationship(const AccessContext& ctx, const CustomerId& id) {
  impl_->retention.end_relationship(ctx, id);
}
SweepReport Retention::sweep(const AccessContext& ctx, const SweepOptions& options) {
  return impl_->retention.sweep(ctx, options);
}
std::vector<Tombstone> Retention::tombstones() const {
  return impl_->retention.tombstones();
}

}  // namespace amanah

// ConsentRegistry: one-line forwards to the consent service (consent/consents.hpp).
#include <amanah/consent.hpp>

#include <chrono>

#include "facade/store_impl.hpp"
#include "store/time.hpp"

namespace amanah {

using detail::store::unix_seconds;

ConsentEvent ConsentRegistry::grant(const AccessContext& ctx, const CustomerId& id,
                                    std::string_view purpose, const ConsentEvidence& evidence) {
  return impl_->consents.grant(ctx, id, purpose, evidence);
}
ConsentEvent ConsentRegistry::withdraw(const AccessContext& ctx, const CustomerId& id,
                                       std::string_view purpose, std::string_view source) {
  return impl_->consents.withdraw(ctx, id, purpose, source);
}
ConsentState ConsentRegistry::state(const CustomerId& id, std::string_view purpose) const {
  return impl_->consents.state(id, purpose, impl_->core->now());
}
ConsentState ConsentRegistry::state(const CustomerId& id, std::string_view purpose,
                                    TimePoint at) const {
  return impl_->consents.state(id, purpose, unix_seconds(at));
}
std::vector<ConsentEvent> ConsentRegistry::history(const CustomerId& id) const {
  return impl_->consents.history(id);
}
std::optional<ConsentEvent> ConsentRegistry::prove(const CustomerId& id, std::string_view purpose,
                                                   TimePoint at) const {
  return impl_->consents.prove(id, purpose, unix_seconds(at));
}
SubjectScan ConsentRegistry::subjects_with_consent(std::string_view purpose, TimePoint at) const {
  return impl_->consents.subjects_with_consent(purpose, unix_seconds(at));
}
std::string ConsentRegistry::receipt(const CustomerId& id, std::string_view purpose) const {
  return impl_->consents.receipt(id, purpose);
}

}  // namespace amanah

// AuditLog: one-line forwards to the audit service (audit/log.hpp).
#include <amanah/audit.hpp>

#include "crypto/crypto.hpp"
#include "facade/store_impl.hpp"

namespace amanah {

AuditReport AuditLog::verify() const {
  return impl_->log.verify(nullptr, nullptr);
}
AuditReport AuditLog::verify(const std::vector<Checkpoint>& checkpoints) const {
  return impl_->log.verify(&checkpoints, nullptr);
}
AuditReport AuditLog::verify(const std::vector<Checkpoint>& checkpoints,
                             const AuditPublicKey& key) const {
  return impl_->log.verify(&checkpoints, &key);
}
AuditEntries AuditLog::trail(const AccessContext& ctx, const CustomerId& id, TimePoint from,
                             TimePoint to) {
  return impl_->log.trail(ctx, id.str(), from, to);
}
AuditEntries AuditLog::accesses(const AccessContext& ctx, std::string_view actor, TimePoint from,
                                TimePoint to) {
  return impl_->log.accesses(ctx, actor, from, to);
}
BreachScope AuditLog::breach_scope(const AccessContext& ctx, std::string_view actor, TimePoint from,
                                   TimePoint to) {
  return impl_->log.breach_scope(ctx, actor, from, to);
}
std::string AuditLog::pseudonym(const CustomerId& id) const {
  return detail::crypto::to_hex(detail::crypto::as_bytes(impl_->log.pseudonym(id.str())));
}
std::uint64_t AuditLog::size() const {
  return impl_->log.size();
}

}  // namespace amanah

// The audit log's queries: trail, accesses, breach scope (streamed from a reader connection).
#include <amanah/error.hpp>

#include "audit/log.hpp"

namespace amanah::detail::audit {

AuditEntries Log::trail(const AccessContext&, std::string_view, TimePoint, TimePoint) {
  throw Error(ErrorCode::InvalidOperation, "not yet");
}
AuditEntries Log::accesses(const AccessContext&, std::string_view, TimePoint, TimePoint) {
  throw Error(ErrorCode::InvalidOperation, "not yet");
}
BreachScope Log::breach_scope(const AccessContext&, std::string_view, TimePoint, TimePoint) {
  throw Error(ErrorCode::InvalidOperation, "not yet");
}

}  // namespace amanah::detail::audit
